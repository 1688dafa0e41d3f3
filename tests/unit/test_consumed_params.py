"""naftiko_gen.consumed_params: consumed ``inputParameters`` from spec to model, and the generated
client that sends them (mypy --strict). What reaches the wire is checked in
``tests/integration/test_consumed_parameters.py``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from naftiko_gen.build import generate, validate
from naftiko_gen.diagnostics import Diagnostic
from naftiko_gen.loader import parse_text
from naftiko_gen.model import Capability, UpstreamOperation
from naftiko_gen.normalise import normalise
from naftiko_gen.writer import write_tree

SPEC = """\
naftiko: 1.0.0-alpha2
info: {label: Params}
binds:
- namespace: env
  keys: {API_TOKEN: API_TOKEN}
capability:
  consumes:
  - type: http
    namespace: api
    baseUri: https://api.example.test
    inputParameters:
    - {name: tenant, in: path}
    - {name: SIGNING_SALT, in: environment}
    - {name: channel, in: environment, value: 'web-{{API_TOKEN}}'}
    - {name: X-Channel, in: header, value: '{{channel}}'}
    - {name: X-Caller, in: header}
    resources:
    - name: scoped
      path: /t/{tenant}/items
      operations:
      - name: list-items
        method: GET
        inputParameters:
        - {name: limit, in: query, template: '50'}
        - {name: q, in: query, value: '{{tools.search}}'}
        - {name: X-Sig, in: header, value: '{{SIGNING_SALT}}:{{q}}'}
        - {name: who, in: environment, value: '{{tools.user}}@{{channel}}'}
        - {name: X-Who, in: header, value: '{{who}}'}
    - name: plain
      path: /health
      operations:
      - {name: health, method: GET}
  exposes:
  - type: mcp
    namespace: m
    port: 9
    tools:
    - {name: list-items, description: List, call: api.list-items}
    - name: health
      description: Health
      call: api.health
      with: {X-Caller: '{{API_TOKEN}}'}
"""


def built(text: str = SPEC) -> tuple[Capability, list[Diagnostic]]:
    return normalise(parse_text(text, "params.yaml"), "params.yaml", "params")


def operation(model: Capability, name: str) -> UpstreamOperation:
    (upstream,) = model.upstreams
    return next(op for op in upstream.operations if op.name == name)


def test_adapter_headers_render_environment_values_with_binds_in_scope() -> None:
    model, _ = built()
    (upstream,) = model.upstreams

    assert upstream.headers == (("'X-Channel'", "('web-' + settings.api_token)"),)
    assert {s.env_var for s in model.secrets} == {"API_TOKEN", "SIGNING_SALT"}


def test_an_adapter_path_parameter_only_reaches_operations_whose_path_names_it() -> None:
    model, diagnostics = built()

    assert [p.name for p in operation(model, "health").params] == ["X-Caller"]
    assert "tenant" in [p.name for p in operation(model, "list-items").params]
    assert [d.code for d in diagnostics if d.code == "unused-path-parameter"] == []


def test_values_are_computed_by_the_client_and_whole_input_references_stay_arguments() -> None:
    model, _ = built()
    params = {p.name: p for p in operation(model, "list-items").params}

    assert params["limit"].value_expr == "'50'"
    assert params["q"].value_expr is None
    assert params["X-Sig"].value_expr == (
        "_text_or_empty(self._vars.signing_salt) + ':' + _text_or_empty(q)"
    )
    assert params["X-Who"].value_expr == (
        "_text_or_empty(user) + '@' + _text_or_empty('web-' + _text_or_empty(self._vars.api_token))"
    )
    tool = next(t for t in model.mcp.tools if t.name == "list-items") if model.mcp else None
    assert tool is not None
    assert [(b.arg, b.input_name) for b in tool.call.bindings] == [
        ("tenant", "tenant"),
        ("x_caller", "X-Caller"),
        ("q", "search"),
        ("user", "user"),
    ]


def test_a_with_template_of_bind_variables_reads_them_through_the_upstreams() -> None:
    model, _ = built()
    tool = next(t for t in model.mcp.tools if t.name == "health") if model.mcp else None

    assert tool is not None
    assert [(b.arg, b.constant_expr) for b in tool.call.bindings] == [
        ("x_caller", "upstreams.settings.api_token")
    ]


def test_the_generated_client_passes_mypy_strict(tmp_path: Path) -> None:
    spec = tmp_path / "params.yaml"
    spec.write_text(
        SPEC.replace(
            "  exposes:",
            "      - name: upload\n"
            "        method: POST\n"
            "        body: {type: multipartForm, data: {a: '{{tools.a}}', b: 'x {{tools.b}}'}}\n"
            "  - type: http\n"
            "    namespace: other\n"
            "    baseUri: https://other.example.test\n"
            "    authentication: {type: digest, username: u, password: '{{API_TOKEN}}'}\n"
            "    inputParameters: [{name: sid, in: cookie, value: abc}]\n"
            "    resources: [{name: r, path: /r, operations: [{name: get-r, method: GET,"
            " inputParameters: [{name: c, in: cookie}, {name: f, in: query, type: array}]},"
            " {name: fixed, method: GET, inputParameters: [{name: f, in: query, value: x}]}]}]\n"
            "  exposes:",
        ).replace(
            "    - name: health\n",
            "    - {name: upload, description: Upload, call: api.upload}\n"
            "    - {name: fixed, description: Fixed, call: other.fixed}\n"
            "    - {name: get-r, description: R, call: other.get-r}\n"
            "    - name: health\n",
        )
    )
    out = tmp_path / "out"
    write_tree(out, generate(spec).files)

    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", str(out / "params")],
        capture_output=True,
        text=True,
        env={"MYPYPATH": str(out), "PATH": ""},
    )

    assert result.returncode == 0, result.stdout
    code = (out / "params" / "upstream.py").read_text()
    assert "form_body=" in code and "cookies=" in code and "DigestAuthMiddleware" in code
    assert "async def fixed(self) -> UpstreamResponse:" in code


def test_form_data_and_consumed_client_credentials_are_flagged_as_not_official(
    tmp_path: Path,
) -> None:
    spec = tmp_path / "params.yaml"
    spec.write_text(
        SPEC.replace("- {name: limit, in: query, template: '50'}", "- {name: limit, in: formData}")
    )
    oauth2 = (
        "    authentication: {type: oauth2, tokenEndpoint: 'https://a.example.test/t', "
        "clientId: '{{API_TOKEN}}', clientSecret: '{{API_TOKEN}}'}\n"
    )
    spec.write_text(
        spec.read_text().replace("    inputParameters:\n", oauth2 + "    inputParameters:\n", 1)
    )

    _, diagnostics = validate(spec)

    shapes = [d.message for d in diagnostics if d.code == "official-shape"]
    assert any(m.startswith("'in: formData' is not official") for m in shapes)
    assert any(m.startswith("client-credentials keys on a consumed oauth2") for m in shapes)
