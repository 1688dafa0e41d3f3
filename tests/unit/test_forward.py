"""REST forward rules at build time: the model, the generated files, and every refusal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from naftiko_gen.build import generate
from naftiko_gen.diagnostics import Level

from tests.unit.test_codes import BASE, diagnostics_for


def with_forward(resource: str) -> str:
    """BASE plus a REST adapter holding ``resource`` (one YAML flow mapping)."""
    return BASE + (
        "  - type: rest\n    namespace: r\n    port: 8081\n    resources:\n" f"    - {resource}\n"
    )


CASES: dict[str, tuple[str, Level, bool]] = {
    "bad-forward": (with_forward("{path: '/p/{{path}}', forward: yes}"), Level.WARNING, False),
    "unsupported-forward-path": (
        with_forward("{path: '/p/{{path}}/more', forward: {targetNamespace: api}}"),
        Level.WARNING,
        True,
    ),
    "forward-header-dropped": (
        with_forward(
            "{path: '/p/{{path}}', forward: {targetNamespace: api, trustedHeaders: [Connection]}}"
        ),
        Level.WARNING,
        True,
    ),
}


@pytest.mark.parametrize("code", sorted(CASES))
def test_each_forward_code_is_reported_with_a_hint(code: str, tmp_path: Path) -> None:
    text, level, schema = CASES[code]

    found = [d for d in diagnostics_for(text, tmp_path, schema=schema) if d.code == code]

    assert found, f"no {code} diagnostic"
    assert found[0].level is level
    assert found[0].hint


def test_an_unknown_target_namespace_is_located_and_leaves_the_rule_out(tmp_path: Path) -> None:
    text = with_forward("{path: '/p/{{path}}', forward: {targetNamespace: nope}}")

    found = [d for d in diagnostics_for(text, tmp_path) if d.code == "unknown-namespace"]

    assert found
    assert "forward target 'nope'" in found[0].message
    assert found[0].level is Level.WARNING


def build_files(text: str, tmp_path: Path) -> dict[str, str]:
    spec = tmp_path / "demo.yaml"
    spec.write_text(text, encoding="utf-8")
    return generate(spec).files


def test_a_forward_only_rest_adapter_gets_its_routes_and_the_target_upstream(
    tmp_path: Path,
) -> None:
    text = with_forward(
        "{path: '/p/{{path}}', forward: {targetNamespace: api, trustedHeaders: [X-Trace]}}"
    )

    files = build_files(text, tmp_path)

    forward = files["demo/forward.py"]
    assert 'Route("/p/{path:path}", forward_api, methods=METHODS)' in forward
    # The namespace has bearer auth: the caller's Authorization is never copied.
    assert 'frozenset(["x-trace"])' in forward
    assert "*forward_routes(upstreams)" in files["demo/rest_app.py"]
    assert "async def stream(" in files["demo/upstream.py"]


def test_without_forward_rules_no_proxy_code_is_generated(tmp_path: Path) -> None:
    files = build_files(BASE, tmp_path)

    assert "demo/forward.py" not in files
    assert "async def stream(" not in files["demo/upstream.py"]


def test_forward_routes_are_described_in_a_valid_openapi_document(tmp_path: Path) -> None:
    from openapi_spec_validator import validate

    text = BASE + (
        "  - type: rest\n    namespace: r\n    port: 8081\n    resources:\n"
        "    - path: /p/special\n      operations: [{method: GET, call: api.get-item}]\n"
        "    - {path: '/p/{{path}}', forward: {targetNamespace: api}}\n"
        "    - {path: /status, forward: {targetNamespace: api}}\n"
    )

    document = json.loads(build_files(text, tmp_path)["demo/openapi.json"])

    validate(document)
    assert sorted(document["paths"]["/p/{path}"]) == ["delete", "get", "patch", "post", "put"]
    assert "parameters" not in document["paths"]["/status"]["get"]
    assert list(document["paths"]["/p/special"]) == ["get"]
