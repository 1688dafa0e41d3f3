"""naftiko_gen.control: the ``control`` exposes adapter resolved into the model and laid out.

What is not generated (declared-only endpoints, tracing) is a located warning with its
own code; metrics code exists in a package only when its control adapter serves ``/metrics``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from naftiko_gen.build import generate, validate
from naftiko_gen.diagnostics import Level

BASE = """\
naftiko: 1.0.0-alpha2
info: {label: Watched}
capability:
  consumes:
  - type: http
    namespace: api
    baseUri: https://api.example.test
    resources:
    - name: items
      path: /items
      operations:
      - {name: list, method: GET}
  exposes:
  - type: rest
    namespace: watched-rest
    port: 8080
    resources:
    - path: /items
      operations: [{method: GET, name: list-items, call: api.list}]
"""

# The engine's own fixture (corpus test__control__control-capability.yaml), control only.
ENGINE_CONTROL_ONLY = """\
naftiko: "1.0.0-alpha2"
info:
  label: "Control Port Test Capability"
capability:
  exposes:
    - type: "control"
      address: "localhost"
      port: 9199
      management:
        health: true
        info: true
      observability:
        traces:
          local:
            buffer-size: 50
"""


def spec(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "watched.yaml"
    path.write_text(text, "utf-8")
    return path


CASES = {
    "multiple-control": "  - {type: control, port: 9191}\n  - {type: control, port: 9192}\n",
    "unsupported-control-endpoint": (
        "  - type: control\n    port: 9191\n    management: {reload: true}\n"
    ),
    "unsupported-control-tracing": (
        "  - type: control\n    port: 9191\n    observability:\n"
        "      exporters: {otlp: {endpoint: 'http://collector.local:4317'}}\n"
    ),
}


@pytest.mark.parametrize("code", sorted(CASES))
def test_what_is_not_generated_is_a_located_warning_with_a_hint(code: str, tmp_path: Path) -> None:
    _, diagnostics = validate(spec(tmp_path, BASE + CASES[code]))

    found = [d for d in diagnostics if d.code == code]
    assert found, f"no {code} diagnostic"
    assert found[0].level is Level.WARNING
    assert found[0].hint
    assert found[0].location.line > BASE.count("\n")


def test_the_defaults_are_the_engines_health_on_info_off_metrics_on(tmp_path: Path) -> None:
    model, diagnostics = validate(spec(tmp_path, BASE + "  - {type: control, port: 9191}\n"))

    assert diagnostics == []
    assert model.control is not None
    assert (model.control.health, model.control.info, model.control.metrics) == (True, False, True)
    assert model.adapter_kinds == ("rest", "control")


def test_a_capability_with_only_a_control_adapter_builds_and_warns_about_traces(
    tmp_path: Path,
) -> None:
    generated = generate(spec(tmp_path, ENGINE_CONTROL_ONLY))

    assert [d.code for d in generated.diagnostics] == ["unsupported-control-tracing"]
    assert generated.model.adapter_kinds == ("control",)
    assert "watched/control_app.py" in generated.files
    assert "naftiko_requests" not in generated.files["watched/metrics.py"]


def test_metrics_code_exists_only_when_the_control_adapter_serves_metrics(tmp_path: Path) -> None:
    disabled = "  - type: control\n    port: 9191\n    observability: {enabled: false}\n"

    without = generate(spec(tmp_path, BASE + disabled)).files
    served = generate(spec(tmp_path, BASE + "  - {type: control, port: 9191}\n")).files

    assert "watched/metrics.py" not in without
    assert "prometheus" not in without["pyproject.toml"]
    for module in ("rest_app.py", "upstream.py", "control_app.py"):
        assert "metrics" not in without[f"watched/{module}"].split('"""')[2]
    assert "/metrics" not in without["watched/control_app.py"]
    assert "prometheus-client" in served["pyproject.toml"]
    assert "@observed_route(" in served["watched/rest_app.py"]
    assert "@observed_upstream(" in served["watched/upstream.py"]


def test_local_metrics_can_be_switched_off_alone(tmp_path: Path) -> None:
    text = BASE + (
        "  - type: control\n    port: 9191\n    observability:\n"
        "      metrics: {local: {enabled: false}}\n"
    )

    model, _ = validate(spec(tmp_path, text))

    assert model.control is not None and model.control.metrics is False
    assert model.metrics is False


def test_status_is_served_only_when_management_info_is_on(tmp_path: Path) -> None:
    info = "  - type: control\n    port: 9191\n    management: {info: true}\n"

    with_info = generate(spec(tmp_path, BASE + info)).files["watched/control_app.py"]
    without = generate(spec(tmp_path, BASE + "  - {type: control, port: 9191}\n")).files

    assert 'Route("/status"' in with_info
    assert 'Route("/status"' not in without["watched/control_app.py"]


def test_the_control_port_is_a_deployed_listener(tmp_path: Path) -> None:
    files = generate(spec(tmp_path, BASE + "  - {type: control, port: 9191}\n")).files

    assert "EXPOSE 8080 9191" in files["Dockerfile"]
    assert "--control-port" in files["watched/cli.py"]
