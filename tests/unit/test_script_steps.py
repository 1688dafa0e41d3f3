"""naftiko_gen.script_steps: python script steps read, checked and embedded at build time, and
their governance (``management.scripting``); one small spec per rule and per error code."""

from __future__ import annotations

from pathlib import Path

import pytest
from naftiko_gen.build import generate, validate
from naftiko_gen.diagnostics import Diagnostic, Level, SpecError
from naftiko_gen.model import Capability, ScriptStep, StepsPlan

HEAD = """\
naftiko: 1.0.0-alpha2
info: {label: Scripts}
capability:
  consumes:
  - type: http
    namespace: api
    baseUri: https://api.example.test
    resources:
    - path: /items
      operations:
      - {name: list-items, method: GET}
  exposes:
"""
CONTROL = "  - {{type: control, port: 9191, management: {{scripting: {scripting}}}}}\n"
TOOL = """\
  - type: mcp
    namespace: demo
    port: 9090
    tools:
    - name: count
      description: Counts the items
      steps:
      - {{name: all, type: call, call: api.list-items}}
      - {step}
      mappings: [{{targetName: n, value: $.counted.n}}]
"""
STEP = "{name: counted, type: script, language: python, location: ./scripts, file: count.py}"
COUNT = "result = {'n': len(context['all'])}\n"


def write(tmp_path: Path, text: str, scripts: dict[str, str | bytes] | None = None) -> Path:
    folder = tmp_path / "scripts"
    folder.mkdir(exist_ok=True)
    for name, content in ({"count.py": COUNT} if scripts is None else scripts).items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, "utf-8")
    spec = tmp_path / "scripts.yaml"
    spec.write_text(text, "utf-8")
    return spec


def spec_text(step: str = STEP, scripting: str | None = None) -> str:
    control = CONTROL.format(scripting=scripting) if scripting is not None else ""
    return HEAD + control + TOOL.format(step=step)


def model(tmp_path: Path, text: str, scripts: dict[str, str | bytes] | None = None) -> Capability:
    return validate(write(tmp_path, text, scripts))[0]


def problems(
    tmp_path: Path, text: str, scripts: dict[str, str | bytes] | None = None
) -> list[Diagnostic]:
    try:
        return validate(write(tmp_path, text, scripts))[1]
    except SpecError as exc:
        return exc.diagnostics


def script_of(capability: Capability) -> ScriptStep:
    assert capability.mcp is not None
    plan = capability.mcp.tools[0].behaviour
    assert isinstance(plan, StepsPlan)
    step = plan.steps[1]
    assert isinstance(step, ScriptStep)
    return step


def test_a_python_script_step_embeds_its_file_under_the_location_label(tmp_path: Path) -> None:
    step = script_of(model(tmp_path, spec_text()))

    assert [(f.label, f.source) for f in step.files] == [("./scripts/count.py", COUNT)]


def test_dependencies_come_first_in_their_listed_order(tmp_path: Path) -> None:
    text = spec_text(STEP[:-1] + ", dependencies: [lib/b.py, a.py]}")
    files = {"count.py": COUNT, "lib/b.py": "B = 1\n", "a.py": "A = 2\n"}

    step = script_of(model(tmp_path, text, files))

    assert [f.label for f in step.files] == [
        "./scripts/lib/b.py",
        "./scripts/a.py",
        "./scripts/count.py",
    ]


def test_language_and_location_default_to_the_control_adapters_scripting(
    tmp_path: Path,
) -> None:
    text = spec_text(
        "{name: counted, type: script, file: count.py}",
        "{defaultLanguage: python, defaultLocation: ./scripts}",
    )

    step = script_of(model(tmp_path, text))

    assert step.files[0].source == COUNT


def test_with_values_are_templates_over_the_inputs_or_literals(tmp_path: Path) -> None:
    step = script_of(
        model(tmp_path, spec_text(STEP[:-1] + ", with: {a: '{{x}}', b: 'n={{x}}', c: 3}}"))
    )

    assert step.with_exprs == (
        ("a", "resolve(arguments, 'x')"),
        ("b", "render('n={{x}}', arguments)"),
        ("c", "3"),
    )


def test_governance_takes_the_declared_limits_and_the_engines_defaults_otherwise(
    tmp_path: Path,
) -> None:
    declared = model(
        tmp_path, spec_text(scripting="{enabled: true, timeout: 250, allowedLanguages: [python]}")
    ).governance
    default = model(tmp_path, spec_text()).governance

    assert (declared.declared, declared.enabled, declared.timeout_ms) == (True, True, 250)
    assert (declared.statement_limit, declared.allowed_languages) == (100_000, ("python",))
    assert (default.declared, default.enabled, default.timeout_ms) == (False, None, 60_000)


def test_a_spec_with_scripts_builds_a_scripts_module_and_the_control_scripting_route(
    tmp_path: Path,
) -> None:
    files = generate(write(tmp_path, spec_text(scripting="{timeout: 250}"))).files

    assert "COUNT_2 = Script(" in files["scripts/scripts.py"]
    assert "timeout_ms=250," in files["scripts/scripts.py"]
    assert (
        'Route("/scripting", scripting, methods=["GET", "PUT"])' in files["scripts/control_app.py"]
    )
    assert "scripts.run(scripts.COUNT_2, arguments)" in files["scripts/operations.py"]


def test_a_package_without_scripts_or_scripting_has_no_scripts_module(tmp_path: Path) -> None:
    text = spec_text("{name: again, type: call, call: api.list-items}")

    files = generate(write(tmp_path, text)).files

    assert "scripts/scripts.py" not in files


# Every script-step code: the step (or the whole tool) is left out with a located warning.
LEFT_OUT: dict[str, tuple[str, dict[str, str | bytes] | None]] = {
    "script-incomplete": (spec_text("{name: counted, type: script, file: count.py}"), None),
    "unsupported-script-language": (
        spec_text("{name: counted, type: script, language: groovy, location: ., file: a}"),
        None,
    ),
    "script-language-not-allowed": (spec_text(scripting="{allowedLanguages: [javascript]}"), None),
    "scripting-disabled": (spec_text(scripting="{enabled: false}"), None),
    "script-not-found": (spec_text(), {"other.py": "x = 1\n"}),
    "script-bad-path": (spec_text(STEP.replace("count.py", "../scripts.yaml")), None),
    "script-unreadable": (spec_text(), {"count.py": b"result = '\xff'\n"}),
    "script-syntax": (spec_text(), {"count.py": "result = (\n"}),
}


@pytest.mark.parametrize("code", sorted(LEFT_OUT))
def test_each_script_problem_leaves_the_tool_out_with_a_located_warning(
    code: str, tmp_path: Path
) -> None:
    text, files = LEFT_OUT[code]

    found = [d for d in problems(tmp_path, text, files) if d.code == code]

    assert found, f"no {code} diagnostic"
    assert found[0].level is Level.WARNING
    assert "tool 'count' is left out" in found[0].message
    assert found[0].hint
    assert found[0].location.line > HEAD.count("\n")


def test_a_syntax_error_names_its_line(tmp_path: Path) -> None:
    found = [
        d
        for d in problems(tmp_path, spec_text(), {"count.py": "x = 1\nresult = (\n"})
        if d.code == "script-syntax"
    ]

    assert "(line 2)" in found[0].message


@pytest.mark.parametrize(
    "scripting",
    [
        "{timeout: 0}",
        "{statementLimit: many}",
        "{enabled: yes please}",
        "{allowedLanguages: [cobol]}",
        "{defaultLanguage: cobol}",
        "[python]",
    ],
)
def test_bad_scripting_settings_are_located_errors(scripting: str, tmp_path: Path) -> None:
    found = [
        d for d in problems(tmp_path, spec_text(scripting=scripting)) if d.code == "bad-scripting"
    ]

    assert found, scripting
    assert found[0].level is Level.ERROR
    assert found[0].hint
    assert found[0].json_path.startswith("$.capability.exposes[0].management.scripting")
