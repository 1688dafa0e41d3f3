"""Real-world dialect rules resolved by the normaliser, each with a small spec written for it."""

from __future__ import annotations

from pathlib import Path

from naftiko_gen.build import validate
from naftiko_gen.model import CallPlan, Capability

HEAD = """\
naftiko: 1.0.0-alpha1
info: {title: Dialect demo}
"""
CONSUMES = """\
capability:
  consumes:
  - type: http
    namespace: {namespace}
    baseUri: https://api.example.test
    authentication: {auth}
    resources:
    - name: items
      path: /items
      operations:
      - {{id: list-items, path: '/{{{{tools.kind}}}}', method: GET}}
  exposes:
  - type: mcp
    namespace: demo-mcp
    port: 9090
    tools:
    - {{name: list, description: List, call: {call}{extra}}}
"""


def build(tmp_path: Path, text: str, **files: str) -> Capability:
    for name, content in files.items():
        (tmp_path / name).write_text(content)
    spec = tmp_path / "demo.yaml"
    spec.write_text(text)
    return validate(spec)[0]


def spec(
    namespace: str = "api",
    auth: str = "{type: bearer, token: '{{TOKEN}}'}",
    call: str = "api.list-items",
    extra: str = "",
    head: str = HEAD,
) -> str:
    return head + CONSUMES.format(namespace=namespace, auth=auth, call=call, extra=extra)


def test_info_title_stands_in_for_label(tmp_path: Path) -> None:
    assert build(tmp_path, spec()).title == "Dialect demo"


def test_operation_id_and_operation_level_path_name_and_locate_the_operation(
    tmp_path: Path,
) -> None:
    model = build(tmp_path, spec())

    (operation,) = model.upstreams[0].operations
    assert operation.name == "list-items"
    assert operation.path_template == "/items/{{tools.kind}}"
    assert operation.path_expr == "'/items/' + quote_segment(kind)"


def test_a_namespace_with_a_dot_is_matched_whole(tmp_path: Path) -> None:
    model = build(tmp_path, spec(namespace="openapi.yml", call="openapi.yml.list-items"))

    assert model.mcp is not None
    assert model.mcp.tools[0].call.operation.name == "list-items"


def test_bind_shorthands_name_environment_variables(tmp_path: Path) -> None:
    head = HEAD + "binds:\n- TOKEN\n- {name: OTHER, env: OTHER_ENV}\n"

    model = build(tmp_path, spec(head=head))

    assert {(s.variable, s.env_var) for s in model.secrets} == {
        ("TOKEN", "TOKEN"),
        ("OTHER", "OTHER_ENV"),
    }


def test_apikey_spelt_openapi_style_and_several_key_headers(tmp_path: Path) -> None:
    openapi_style = build(
        tmp_path, spec(auth="{type: apiKey, in: query, name: api_key, " "value: '{{TOKEN}}'}")
    )
    several = build(
        tmp_path,
        spec(auth="{type: apikey, headers: {DD-API-KEY: '{{A}}', " "DD-APPLICATION-KEY: '{{B}}'}}"),
    )

    assert openapi_style.upstreams[0].query == (("'api_key'", "settings.token"),)
    assert [name for name, _ in several.upstreams[0].headers] == [
        "'DD-API-KEY'",
        "'DD-APPLICATION-KEY'",
    ]


def test_top_level_imports_in_their_three_spellings(tmp_path: Path) -> None:
    shared = (
        "naftiko: 1.0.0-alpha1\nconsumes:\n- type: http\n  namespace: shared-api\n"
        "  baseUri: https://shared.example.test\n  resources:\n  - name: r\n    path: /r\n"
        "    operations:\n    - {name: get-r, method: GET}\n"
    )
    exposes = (
        "capability:\n  exposes:\n  - type: mcp\n    namespace: m\n    port: 9090\n"
        "    tools:\n    - {name: t, description: T, call: CALL}\n"
    )
    for imports, call in [
        ("import:\n- {name: alias, location: ./shared.yaml}\n", "alias.get-r"),
        ("imports:\n- {namespace: alias, url: shared.yaml}\n", "alias.get-r"),
        ("imports:\n- ./shared.yaml\n", "shared-api.get-r"),
    ]:
        model = build(
            tmp_path, HEAD + imports + exposes.replace("CALL", call), **{"shared.yaml": shared}
        )

        (upstream,) = model.upstreams
        assert upstream.base_uri == "https://shared.example.test"


def test_an_output_mapping_path_selects_part_of_the_answer(tmp_path: Path) -> None:
    extra = ", outputParameters: [{type: array, mapping: '$.data.items', items: {type: object}}]"

    model = build(tmp_path, spec(extra=extra))

    assert model.mcp is not None
    behaviour = model.mcp.tools[0].behaviour
    assert isinstance(behaviour, CallPlan)
    assert behaviour.outputs_expr == "(Output('array', mapping=path('$.data.items')), )"


def test_a_whole_body_mapping_is_a_pass_through(tmp_path: Path) -> None:
    model = build(tmp_path, spec(extra=", outputParameters: [{type: object, mapping: $.}]"))

    assert model.mcp is not None
    behaviour = model.mcp.tools[0].behaviour
    assert isinstance(behaviour, CallPlan)
    assert behaviour.inline


def test_a_parameter_value_that_is_one_placeholder_reads_that_input(tmp_path: Path) -> None:
    text = spec().replace(
        "method: GET}",
        "method: GET, inputParameters: [{name: q, in: query, value: '{{userId}}'}]}",
    )

    model = build(tmp_path, text)

    assert model.mcp is not None
    tool = model.mcp.tools[0]
    assert sorted(i.name for i in tool.inputs) == ["kind", "userId"]
    assert ("q", "userId") in {(b.arg, b.input_name) for b in tool.call.bindings}


def test_a_placeholder_repeated_in_a_rest_path_gets_distinct_route_parameters(
    tmp_path: Path,
) -> None:
    text = spec() + (
        "  - type: rest\n    namespace: r\n    port: 8081\n    resources:\n"
        "    - path: /accounts/{account_id}/members/{account_id}\n"
        "      operations: [{method: GET, call: api.list-items}]\n"
    )

    model = build(tmp_path, text)

    assert model.rest is not None
    assert model.rest.operations[0].path == "/accounts/{account_id}/members/{account_id_2}"
