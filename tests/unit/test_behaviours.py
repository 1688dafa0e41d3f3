"""Build-time rules of exposed behaviours: JSONPath checking and rewriting, ``with`` templates,
pass-through detection, steps, aggregates and ``ref`` — each with a small inline spec."""

from __future__ import annotations

from pathlib import Path

import pytest
from naftiko_gen.build import generate, validate
from naftiko_gen.diagnostics import Diagnostic, SpecError
from naftiko_gen.model import CallPlan, Capability, MockPlan, StepsPlan
from naftiko_gen.shaping import jsonpath

HEAD = """\
naftiko: 1.0.0-alpha2
info: {label: Behaviours}
capability:
  consumes:
  - type: http
    namespace: api
    baseUri: https://api.example.test
    resources:
    - path: /items/{{id}}
      operations:
      - {name: get-item, method: GET}
    - path: /items
      operations:
      - {name: list-items, method: GET}
"""
MCP = """\
  exposes:
  - type: mcp
    namespace: demo-mcp
    port: 9090
    tools:
"""


def build(tmp_path: Path, tools: str, aggregates: str = "", rest: str = "") -> Capability:
    spec = tmp_path / "demo.yaml"
    spec.write_text(HEAD + aggregates + MCP + tools + rest)
    return validate(spec)[0]


def problems(tmp_path: Path, tools: str, aggregates: str = "") -> list[Diagnostic]:
    spec = tmp_path / "demo.yaml"
    spec.write_text(HEAD + aggregates + MCP + tools)
    try:
        return validate(spec)[1]
    except SpecError as exc:
        return exc.diagnostics


@pytest.mark.parametrize(
    ("dialect", "rfc9535"),
    [
        ("$", "$"),
        ("$.", "$"),
        ("$.a.b", "$.a.b"),
        ("a.b", "$.a.b"),
        ("$.get-ship.imo_number", "$['get-ship'].imo_number"),
        ("$['user details']['contact email']", "$['user details']['contact email']"),
        ("$.crew[*].name", "$.crew[*].name"),
        ("$..name", "$..name"),
        ("$.a.*", "$.a.*"),
        ("$[?@.status == 'a.b']", "$[?@.status == 'a.b']"),
    ],
)
def test_dialect_paths_are_rewritten_to_rfc_9535(dialect: str, rfc9535: str) -> None:
    assert jsonpath(dialect) == rfc9535


@pytest.mark.parametrize("bad", ["$.a[?", "$.a[", "$.a..", "$$"])
def test_paths_that_are_no_jsonpath_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        jsonpath(bad)


def test_a_bad_output_path_is_reported_at_its_line_and_leaves_the_tool_out(
    tmp_path: Path,
) -> None:
    tools = (
        "    - name: t\n      description: d\n      call: api.list-items\n"
        "      outputParameters:\n      - type: object\n        properties:\n"
        "          a: {type: string, mapping: '$.a[?'}\n"
        "    - {name: ok, description: d, call: api.list-items}\n"
    )

    found = [d for d in problems(tmp_path, tools) if d.code == "bad-jsonpath"]

    assert len(found) == 1
    assert found[0].location.line == HEAD.count("\n") + MCP.count("\n") + 7
    assert found[0].json_path.endswith("outputParameters[0].properties.a.mapping")
    assert "tool 't' is left out" in found[0].message


def test_a_whole_body_mapping_with_type_only_properties_stays_a_pass_through(
    tmp_path: Path,
) -> None:
    tools = (
        "    - {name: t, description: d, call: api.list-items, outputParameters: [{type: object,"
        " mapping: $., properties: {id: {type: string}}}]}\n"
    )

    model = build(tmp_path, tools)

    assert model.mcp is not None
    assert model.mcp.tools[0].behaviour.inline
    assert model.behaviours == ()


def test_a_whole_placeholder_in_with_binds_the_input_and_stays_inline(tmp_path: Path) -> None:
    tools = (
        "    - {name: t, description: d, call: api.get-item, with: {id: '{{imo}}'},"
        " inputParameters: [{name: imo, type: string, description: d}]}\n"
    )

    model = build(tmp_path, tools)

    assert model.mcp is not None
    call = model.mcp.tools[0].call
    assert call is not None
    assert [(b.arg, b.input_name) for b in call.bindings] == [("id", "imo")]
    assert model.mcp.tools[0].behaviour.inline


def test_a_mixed_with_template_is_rendered_at_run_time(tmp_path: Path) -> None:
    tools = (
        "    - {name: t, description: d, call: api.get-item, with: {id: 'ship-{{tools.imo}}'},"
        " inputParameters: [{name: imo, type: string, description: d}]}\n"
    )

    model = build(tmp_path, tools)

    assert model.mcp is not None
    call = model.mcp.tools[0].call
    assert call is not None
    assert call.bindings[0].constant_expr == "render('ship-{{imo}}', arguments)"
    assert not model.mcp.tools[0].behaviour.inline
    assert "render" in model.operations_helpers


def test_the_same_behaviour_on_rest_and_mcp_is_one_function(tmp_path: Path) -> None:
    outputs = "outputParameters: [{type: string, mapping: $.name}]"
    tools = f"    - {{name: t, description: d, call: api.list-items, {outputs}}}\n"
    rest = (
        "  - type: rest\n    namespace: demo-rest\n    port: 8080\n    resources:\n"
        f"    - path: /t\n      operations: [{{method: GET, name: t, call: api.list-items, "
        f"{outputs}}}]\n"
    )

    model = build(tmp_path, tools, rest=rest)

    assert model.rest is not None and model.mcp is not None
    assert model.rest.operations[0].behaviour is model.mcp.tools[0].behaviour
    assert [b.function for b in model.behaviours] == ["t"]


def test_a_tool_with_only_output_values_is_a_mock(tmp_path: Path) -> None:
    tools = (
        "    - {name: m, description: d,"
        " outputParameters: [{name: a, type: string, value: '{{x}}'}]}\n"
    )

    model = build(tmp_path, tools)

    assert model.mcp is not None
    assert isinstance(model.mcp.tools[0].behaviour, MockPlan)
    assert model.upstreams == ()


def test_a_lookup_must_index_an_earlier_step(tmp_path: Path) -> None:
    tools = (
        "    - name: s\n      description: d\n      steps:\n"
        "      - {name: find, type: lookup, index: all, match: id, lookupValue: x,"
        " outputParameters: [a]}\n"
        "      - {name: all, type: call, call: api.list-items}\n"
    )

    found = [d for d in problems(tmp_path, tools) if d.code == "unknown-step"]

    assert len(found) == 1
    assert "index 'all' is not an earlier step (earlier: none)" in found[0].message


def test_steps_keep_their_order_and_kinds(tmp_path: Path) -> None:
    tools = (
        "    - name: s\n      description: d\n      steps:\n"
        "      - {name: all, type: call, call: api.list-items}\n"
        "      - {name: find, type: lookup, index: all, match: id, lookupValue: '{{x}}',"
        " outputParameters: [a]}\n"
        "      mappings: [{targetName: out.a, value: $.find.a}]\n"
    )

    model = build(tmp_path, tools)

    assert model.mcp is not None
    plan = model.mcp.tools[0].behaviour
    assert isinstance(plan, StepsPlan)
    assert [(step.kind, step.name) for step in plan.steps] == [("call", "all"), ("lookup", "find")]
    assert plan.mappings_expr == "((('out', 'a'), path('$.find.a')), )"


@pytest.mark.parametrize("language", ["javascript", "groovy"])
def test_script_steps_in_other_languages_than_python_are_refused(
    tmp_path: Path, language: str
) -> None:
    tools = (
        "    - name: s\n      description: d\n      steps:\n"
        "      - {name: all, type: call, call: api.list-items}\n"
        f"      - {{name: run, type: script, language: {language}, location: 'file:///./x',"
        " file: x}\n"
    )

    assert "unsupported-script-language" in {d.code for d in problems(tmp_path, tools)}


AGGREGATES = """\
  aggregates:
  - namespace: agg
    functions:
    - name: fetch
      description: Fetch the items.
      semantics: {safe: false, idempotent: false}
      call: api.list-items
"""


def test_an_unknown_ref_suggests_the_closest_function(tmp_path: Path) -> None:
    found = [
        d
        for d in problems(tmp_path, "    - {name: r, ref: agg.fetc}\n", AGGREGATES)
        if d.code == "unknown-ref"
    ]

    assert found and found[0].hint == "did you mean agg.fetch?"


def test_a_ref_tool_inherits_the_description_and_derives_hints(tmp_path: Path) -> None:
    model = build(
        tmp_path, "    - {name: r, ref: agg.fetch, hints: {openWorld: true}}\n", AGGREGATES
    )

    assert model.mcp is not None
    tool = model.mcp.tools[0]
    assert tool.description == "Fetch the items."
    assert tool.annotations == {
        "readOnlyHint": False,
        "idempotentHint": False,
        "openWorldHint": True,
    }
    assert isinstance(tool.behaviour, CallPlan) and tool.behaviour.shared


def test_packages_with_every_behaviour_are_generated_byte_identical(tmp_path: Path) -> None:
    tools = (
        "    - {name: m, description: d, outputParameters: [{name: a, type: string, value: x}]}\n"
        "    - {name: r, ref: agg.fetch, outputParameters: [{type: string, mapping: $.a}]}\n"
        "    - name: s\n      description: d\n      steps:\n"
        "      - {name: all, type: call, call: api.list-items}\n"
        "      - {name: find, type: lookup, index: all, match: id, lookupValue: '$.all[0].id',"
        " outputParameters: [a, b]}\n"
        "      mappings: [{targetName: out.a, value: $.find.a}]\n"
    )
    spec = tmp_path / "demo.yaml"
    spec.write_text(HEAD + AGGREGATES + MCP + tools)

    first, second = generate(spec).files, generate(spec).files

    assert first == second
    assert {"demo/operations.py", "demo/shaping.py"} <= set(first)
