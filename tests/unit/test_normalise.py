"""naftiko_gen.normalise: the real-world dialect resolved into the model, problems located."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from naftiko_gen.build import validate
from naftiko_gen.diagnostics import Level, SpecError
from naftiko_gen.loader import load_spec, parse_text
from naftiko_gen.model import Capability
from naftiko_gen.normalise import normalise

BASE = """
naftiko: 1.0.0-alpha2
info:
  label: Demo
binds:
- namespace: env
  keys:
    DEMO_TOKEN: DEMO_TOKEN_VAR
capability:
  consumes:
  - type: http
    namespace: api
    baseUri: https://api.example.test/v1/
    authentication:
      type: bearer
      token: '{{env.DEMO_TOKEN}}'
    resources:
    - name: items
      path: /accounts/{accountId}/items/{{itemId}}
      operations:
      - name: getitem
        method: GET
        inputParameters:
        - {name: accountId, in: path, type: string, required: true, description: The account}
        - {name: itemId, in: path}
        - {name: limit, in: query, type: integer}
    - name: new-item
      path: /accounts/{accountId}/items
      operations:
      - name: additem
        method: POST
        inputParameters:
        - {name: accountId, in: path, type: string, required: true}
        - {name: body, in: body, type: object, required: true}
  exposes:
"""


def build(exposes: str) -> tuple[Capability, list[str]]:
    text = BASE + textwrap.indent(textwrap.dedent(exposes), "  ")
    model, diagnostics = normalise(parse_text(text, "demo.yaml"), "demo.yaml", "demo")
    return model, [d.format() for d in diagnostics]


def errors(exposes: str) -> list[str]:
    text = BASE + textwrap.indent(textwrap.dedent(exposes), "  ")
    with pytest.raises(SpecError) as raised:
        normalise(parse_text(text, "demo.yaml"), "demo.yaml", "demo")
    return [d.format() for d in raised.value.diagnostics if d.level is Level.ERROR]


REST = """
- type: rest
  namespace: demo-rest
  port: 8081
  resources:
  - path: /v1/accounts/{accountid}/items/{itemid}
    operations:
    - method: GET
      name: getitem
      call: api.getitem
      with: {accountId: rest.accountId, itemId: rest.itemId, limit: rest.limit}
"""


def test_rest_path_references_match_placeholders_case_insensitively() -> None:
    model, _ = build(REST)

    assert model.rest is not None
    (op,) = model.rest.operations
    sources = {i.name: (i.rest_source, i.rest_key) for i in op.inputs}
    assert sources == {
        "accountId": ("path", "accountid"),
        "itemId": ("path", "itemid"),
        "limit": ("query", "limit"),
    }
    assert model.rest.port == 8081


def test_consumed_path_substitutes_single_and_double_brace_placeholders() -> None:
    model, _ = build(REST)

    (upstream,) = model.upstreams
    (operation,) = upstream.operations
    assert operation.path_expr == (
        "'/accounts/' + quote_segment(account_id) + '/items/' + quote_segment(item_id)"
    )
    assert upstream.base_uri == "https://api.example.test/v1"


def test_bearer_token_reads_the_bind_variable_from_its_provider_key() -> None:
    model, _ = build(REST)

    (secret,) = model.secrets
    assert (secret.variable, secret.env_var, secret.field) == (
        "DEMO_TOKEN",
        "DEMO_TOKEN_VAR",
        "demo_token",
    )
    assert model.upstreams[0].headers == (("'Authorization'", "'Bearer ' + settings.demo_token"),)


def test_mcp_tool_without_input_parameters_derives_its_schema_from_with() -> None:
    model, _ = build("""
        - type: mcp
          namespace: demo-mcp
          port: 9091
          tools:
          - name: add-item
            hints: {readOnly: false, destructiveHint: true}
            call: api.additem
            with: {accountId: tools.accountId, body: tools.body}
        """)

    assert model.mcp is not None
    (tool,) = model.mcp.tools
    assert tool.input_schema == {
        "type": "object",
        "properties": {"accountId": {"type": "string"}, "body": {"type": "object"}},
        "required": ["accountId", "body"],
    }
    assert tool.annotations == {"readOnlyHint": False, "destructiveHint": True}


def test_tool_without_with_takes_consumed_parameters_by_name() -> None:
    model, _ = build("""
        - type: mcp
          namespace: demo-mcp
          tools:
          - name: get-item
            description: Get one item
            call: api.getitem
        """)

    assert model.mcp is not None
    (tool,) = model.mcp.tools
    assert [i.name for i in tool.inputs] == ["accountId", "itemId", "limit"]
    assert tool.input_schema["required"] == ["accountId", "itemId"]
    assert tool.input_schema["properties"]["limit"] == {"type": "integer"}


def test_literal_with_values_become_constants() -> None:
    model, _ = build("""
        - type: mcp
          namespace: demo-mcp
          tools:
          - name: get-item
            call: api.getitem
            with: {accountId: tools.accountId, itemId: "fixed-1", limit: 5}
        """)

    assert model.mcp is not None
    bindings = {b.arg: (b.input_name, b.constant_expr) for b in model.mcp.tools[0].call.bindings}
    assert bindings == {
        "account_id": ("accountId", None),
        "item_id": (None, "'fixed-1'"),
        "limit": (None, "5"),
    }


KEEPER = """
- type: mcp
  namespace: demo-mcp
  port: 9091
  tools:
  - {name: keeper, call: api.getitem}
"""


def test_call_to_an_unknown_operation_leaves_the_tool_out_with_a_located_warning() -> None:
    model, found = build(KEEPER + "  - {name: nope, call: api.getiten}\n")

    assert model.mcp is not None
    assert [t.name for t in model.mcp.tools] == ["keeper"]
    assert found == [
        "demo.yaml:42:26: warning[unknown-operation]: call 'api.getiten': namespace 'api' has no "
        "operation 'getiten'; tool 'nope' is left out (at $.capability.exposes[0].tools[1].call)"
        "\n    hint: did you mean api.getitem?"
    ]


def test_unknown_operation_is_an_error_under_strict(tmp_path: Path) -> None:
    spec = tmp_path / "demo.yaml"
    text = BASE.replace("/v1/\n", "/v1\n") + textwrap.indent(KEEPER, "  ")
    spec.write_text(text + "    - {name: nope, call: api.x}\n")

    with pytest.raises(SpecError) as raised:
        validate(spec, strict=True)

    found = [d for d in raised.value.diagnostics if d.code != "official-shape"]
    assert [d.code for d in found] == ["unknown-operation"]
    assert all(d.level is Level.ERROR for d in raised.value.diagnostics)


def test_when_every_operation_is_left_out_nothing_to_expose_is_the_error() -> None:
    found = errors("""
        - type: mcp
          namespace: demo-mcp
          tools:
          - {name: nope, call: api.nothing}
        """)

    assert len(found) == 1
    assert "error[nothing-to-expose]" in found[0]


def test_call_to_an_unknown_namespace_lists_the_declared_ones() -> None:
    _, found = build(KEEPER + "  - {name: nope, call: other.getitem}\n")

    (line,) = found
    assert "warning[unknown-namespace]" in line
    assert "no consumes namespace 'other' (declared: api)" in line


def test_a_call_through_the_exposing_namespace_is_resolved_when_the_operation_is_unique() -> None:
    model, found = build(KEEPER + "  - {name: via-self, call: demo-mcp.additem}\n")

    assert model.mcp is not None
    assert model.mcp.tools[1].call.operation.name == "additem"
    assert any("warning[call-namespace-guessed]" in line for line in found)


def test_duplicate_tool_names_keep_the_first() -> None:
    model, found = build("""
        - type: mcp
          namespace: demo-mcp
          tools:
          - {name: twin, call: api.getitem}
          - {name: twin, call: api.additem}
        """)

    assert model.mcp is not None
    assert [t.call.operation.name for t in model.mcp.tools] == ["getitem"]
    assert any("warning[duplicate-tool]" in line and "first at line 40" in line for line in found)


def test_tool_names_are_sanitised_and_cut_to_64_characters_stably() -> None:
    long_name = "get-" + "x" * 80
    exposes = f"""
        - type: mcp
          namespace: demo-mcp
          tools:
          - {{name: 'get item/now', call: api.getitem}}
          - {{name: {long_name}, call: api.additem}}
        """
    model, found = build(exposes)
    again, _ = build(exposes)

    assert model.mcp is not None and again.mcp is not None
    names = [t.name for t in model.mcp.tools]
    assert names[0] == "get-item-now"
    assert len(names[1]) == 64 and names[1].startswith("get-xxx")
    assert names == [t.name for t in again.mcp.tools]
    assert any("warning[tool-name-too-long]" in line for line in found)
    assert any("warning[tool-name-sanitised]" in line for line in found)


def test_more_than_128_tools_is_a_warning() -> None:
    tools = "\n".join(f"  - {{name: t{i}, call: api.getitem}}" for i in range(129))
    model, found = build("- type: mcp\n  namespace: demo-mcp\n  tools:\n" + tools + "\n")

    assert model.mcp is not None and len(model.mcp.tools) == 129
    assert any("warning[too-many-tools]" in line for line in found)


def test_with_source_from_another_declared_namespace_leaves_the_tool_out() -> None:
    _, found = build(
        KEEPER + "  - {name: get-item, call: api.getitem, with: {accountId: api.accountId}}\n"
    )

    assert any("warning[unknown-with-source]" in line for line in found)


def test_duplicate_route_keeps_the_first_and_names_its_line() -> None:
    model, found = build("""
        - type: rest
          namespace: demo-rest
          resources:
          - path: /v1/items/{accountId}
            operations:
            - {method: GET, name: first, call: api.getitem}
          - path: /v1/items/{accountid}
            operations:
            - {method: GET, name: again, call: api.getitem}
        """)

    assert model.rest is not None
    assert [op.handler for op in model.rest.operations] == ["first"]
    assert any("warning[duplicate-route]" in line and "first at line" in line for line in found)


@pytest.mark.parametrize(
    ("version", "code"),
    [("2.0", "unsupported-version"), ("{version: 1.0.0-alpha1}", "version-mapping")],
)
def test_unsupported_versions_are_refused_with_the_supported_list(version: str, code: str) -> None:
    text = f"naftiko: {version}\ncapability: {{}}\n"
    with pytest.raises(SpecError) as raised:
        normalise(parse_text(text, "v.yaml"), "v.yaml", "v")

    (diagnostic,) = raised.value.diagnostics
    assert diagnostic.code == code
    assert "1.0.0-alpha2" in diagnostic.message


def test_info_title_is_accepted_in_place_of_label() -> None:
    text = (BASE + textwrap.indent(textwrap.dedent(REST), "  ")).replace(
        "label: Demo", "title: Titled"
    )

    model, _ = normalise(parse_text(text, "demo.yaml"), "demo.yaml", "demo")

    assert model.title == "Titled"


def test_calls_into_a_refused_consumes_entry_are_not_reported_twice() -> None:
    text = """
naftiko: 1.0.0-alpha1
capability:
  consumes:
  - {import: shared-api, location: ./shared/api.yaml}
  exposes:
  - type: mcp
    namespace: m
    tools:
    - {name: t, call: shared-api.list}
"""
    with pytest.raises(SpecError) as raised:
        normalise(parse_text(text, "imp.yaml"), "imp.yaml", "imp")

    assert [d.code for d in raised.value.diagnostics] == ["import-unreadable"]


SHARED = """
naftiko: 1.0.0-alpha1
binds:
- namespace: env
  keys: {SHARED_KEY: SHARED_KEY_VAR}
capability:
  consumes:
  - type: http
    namespace: shared-api
    baseUri: https://shared.example.test
    authentication: {type: apikey, key: X-Key, value: '{{env.SHARED_KEY}}', placement: header}
    resources:
    - name: things
      path: /things/{id}
      operations:
      - {name: get-thing, method: GET}
  exposes: []
"""

IMPORTING = """
naftiko: 1.0.0-alpha1
capability:
  consumes:
  - {import: shared-api, location: LOCATION, as: things}
  exposes:
  - type: mcp
    namespace: m
    tools:
    - {name: get-thing, description: One thing, call: things.get-thing, with: {id: tools.id}}
"""


@pytest.mark.parametrize("location", ["./shared/api.yaml", "file://./shared/api.yaml", "ABS"])
def test_imported_consumes_bring_their_operations_and_binds(tmp_path: Path, location: str) -> None:
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "api.yaml").write_text(SHARED)
    if location == "ABS":
        location = f"file://{tmp_path / 'shared' / 'api.yaml'}"
    spec = tmp_path / "main.yaml"
    spec.write_text(IMPORTING.replace("LOCATION", location))

    model, _ = normalise(load_spec(spec, str(spec)), "main.yaml", "main")

    (upstream,) = model.upstreams
    assert (upstream.namespace, upstream.base_uri) == ("things", "https://shared.example.test")
    assert upstream.headers == (("'X-Key'", "settings.shared_key"),)
    assert [s.env_var for s in model.secrets] == ["SHARED_KEY_VAR"]


def test_errors_inside_an_imported_file_are_located_in_that_file(tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    broken = SHARED.replace("type: apikey", "type: kerberos")
    (tmp_path / "shared" / "api.yaml").write_text(broken)
    spec = tmp_path / "main.yaml"
    spec.write_text(IMPORTING.replace("LOCATION", "shared/api.yaml"))

    with pytest.raises(SpecError) as raised:
        normalise(load_spec(spec, str(spec)), "main.yaml", "main")

    (diagnostic,) = [d for d in raised.value.diagnostics if d.level is Level.ERROR]
    assert diagnostic.code == "unsupported-auth"
    assert diagnostic.location.file == str(tmp_path / "shared" / "api.yaml")
    assert diagnostic.location.line == 11


def test_import_of_an_undeclared_namespace_names_file_and_namespace(tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text(SHARED)
    spec = tmp_path / "main.yaml"
    spec.write_text(IMPORTING.replace("shared-api", "other-api").replace("LOCATION", "api.yaml"))

    with pytest.raises(SpecError) as raised:
        normalise(load_spec(spec, str(spec)), "main.yaml", "main")

    (diagnostic,) = raised.value.diagnostics
    assert diagnostic.code == "import-not-found"
    assert "'api.yaml' declares no consumes namespace 'other-api'" in diagnostic.message
