"""Python ``script`` steps (semantics §3.6) end to end: the generated package runs the spec
author's scripts in-process with ``context``, under the statement limit and timeout that
``management.scripting`` sets and ``/scripting`` on the control port changes at run time."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx2
import pytest
from mcp import Client

from tests.integration.conftest import package_env
from tests.support.packages import build_and_install
from tests.support.routed_upstream import RoutedUpstream, answer
from tests.support.served import Served, serve

SPEC = """\
naftiko: 1.0.0-alpha2
info: {label: Sensor scripts}
capability:
  consumes:
  - type: http
    namespace: sensors
    baseUri: https://sensors.example.test
    resources:
    - path: /devices/{{device-id}}/readings
      operations:
      - {name: get-readings, method: GET}
  exposes:
  - type: control
    port: 9190
    management:
      scripting:
        enabled: true
        defaultLocation: ./scripts
        defaultLanguage: python
        timeout: 5000
        statementLimit: 20000
        allowedLanguages: [python]
  - type: mcp
    namespace: sensor-tools
    port: 9090
    tools:
    - name: readings-summary
      description: Statistics of a device's readings
      inputParameters: [{name: device-id, type: string, description: device}]
      steps: &summary
      - {type: call, name: fetch-readings, call: sensors.get-readings,
         with: {device-id: '{{device-id}}'}}
      - {type: script, name: analyze, file: analyze.py, with: {unit: 'degrees {{device-id}}'}}
      mappings: &summary-mappings
      - {targetName: average, value: $.analyze.average}
      - {targetName: range.min, value: $.analyze.min}
      - {targetName: range.max, value: $.analyze.max}
      - {targetName: unit, value: $.analyze.unit}
    - name: double
      description: Doubles n with a helper from a dependency (no upstream call)
      inputParameters: [{name: n, type: integer, description: a number}]
      steps:
      - {type: script, name: calc, file: double.py, dependencies: [lib/numbers.py]}
      mappings: [{targetName: value, value: $.calc}]
    - name: no-result
      description: A script that sets no result; the last call answers
      inputParameters: [{name: device-id, type: string, description: device}]
      steps:
      - {type: call, name: fetch-readings, call: sensors.get-readings,
         with: {device-id: '{{device-id}}'}}
      - {type: script, name: quiet, file: quiet.py}
      mappings: [{targetName: value, value: $.quiet}]
    - name: boom
      description: A script that raises
      steps: [{type: script, name: explode, file: boom.py}]
      mappings: [{targetName: value, value: $.explode}]
    - name: spin
      description: A script that never ends, and catches what it can
      steps: [{type: script, name: loop, file: spin.py}]
      mappings: [{targetName: value, value: $.loop}]
    - name: sleepy
      description: A script blocked in a sleep, outside Python code
      steps: [{type: script, name: nap, file: sleepy.py}]
      mappings: [{targetName: value, value: $.nap}]
  - type: rest
    namespace: sensor-api
    port: 8080
    resources:
    - path: /devices/{device-id}/summary
      operations:
      - method: GET
        name: summary
        inputParameters: [{name: device-id, in: path, type: string, description: device}]
        steps: *summary
        mappings: *summary-mappings
    - path: /boom
      operations:
      - method: GET
        name: boom
        steps: [{type: script, name: explode, file: boom.py}]
        mappings: [{targetName: value, value: $.explode}]
"""

SCRIPTS = {
    "analyze.py": (
        "values = [r['value'] for r in context['fetch-readings']['readings']]\n"
        "result = {\n"
        "    'average': sum(values) / len(values),\n"
        "    'min': min(values),\n"
        "    'max': max(values),\n"
        "    'unit': context['unit'],\n"
        "}\n"
    ),
    "lib/numbers.py": "def double(n):\n    return 2 * n\n",
    "double.py": "result = double(context['n'])\n",
    "quiet.py": "context['fetch-readings'] = None\n",
    "boom.py": "raise ValueError('reading out of range')\n",
    "spin.py": (
        "try:\n"
        "    while True:\n"
        "        pass\n"
        "except Exception:\n"
        "    result = 'escaped'\n"
    ),
    "sleepy.py": "import time\ntime.sleep(1.5)\nresult = 'rested'\n",
}
READINGS = {"readings": [{"value": 18}, {"value": 21}, {"value": 24}]}
SUMMARY = {"average": 21.0, "range": {"min": 18, "max": 24}, "unit": "degrees D-7"}


@pytest.fixture(scope="module")
def upstream() -> Iterator[RoutedUpstream]:
    with RoutedUpstream({"/devices/D-7/readings": answer(READINGS)}) as running:
        yield running


@pytest.fixture(scope="module")
def served(upstream: RoutedUpstream, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    workdir = tmp_path_factory.mktemp("scripts")
    for name, source in SCRIPTS.items():
        path = workdir / "scripts" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, "utf-8")
    site = build_and_install(SPEC, "sensor-scripts", workdir)
    # The scripts were embedded at build time: the package must not need the folder.
    for path in sorted((workdir / "scripts").rglob("*.py"), reverse=True):
        path.unlink()
    env = package_env(site, SENSORS_BASE_URI=upstream.base_url)
    ports = ("--rest-port", "0", "--mcp-port", "0", "--control-port", "0")
    with serve(site / "bin" / "sensor-scripts", env, workdir, *ports) as running:
        yield running


def control(served: Served) -> str:
    return served.urls["control"]


async def call(served: Served, name: str, arguments: dict[str, Any] | None = None) -> Any:
    async with Client(served.mcp) as client:
        return await client.call_tool(name, arguments or {})


def scripting(served: Served, changes: dict[str, Any] | None = None) -> httpx2.Response:
    if changes is None:
        return httpx2.get(control(served) + "/scripting", timeout=30)
    return httpx2.put(control(served) + "/scripting", json=changes, timeout=30)


@pytest.mark.anyio
async def test_a_script_shapes_a_call_steps_output_with_its_rendered_with(
    served: Served, upstream: RoutedUpstream
) -> None:
    before = len(upstream.requests)

    result = await call(served, "readings-summary", {"device-id": "D-7"})

    assert not result.is_error, result
    assert json.loads(result.content[0].text) == SUMMARY
    assert upstream.paths()[before:] == ["/devices/D-7/readings"]


def test_rest_runs_the_same_steps_with_the_path_input(served: Served) -> None:
    response = httpx2.get(served.rest + "/devices/D-7/summary", timeout=30)

    assert response.status_code == 200, response.text
    assert response.json() == SUMMARY


@pytest.mark.anyio
async def test_dependencies_run_first_in_the_scripts_namespace_without_any_upstream_call(
    served: Served, upstream: RoutedUpstream
) -> None:
    before = len(upstream.requests)

    result = await call(served, "double", {"n": 21})

    assert json.loads(result.content[0].text) == {"value": 42}
    assert len(upstream.requests) == before


@pytest.mark.anyio
async def test_a_script_without_result_leaves_no_output_and_the_last_call_answers(
    served: Served,
) -> None:
    # The script also empties its copy of the context: the step outputs are not touched.
    result = await call(served, "no-result", {"device-id": "D-7"})

    assert not result.is_error, result
    assert json.loads(result.content[0].text) == READINGS


@pytest.mark.anyio
async def test_a_raising_script_is_an_error_result_naming_the_step_and_the_exception(
    served: Served,
) -> None:
    result = await call(served, "boom")

    assert result.is_error
    assert result.content[0].text == (
        "script step 'explode' failed: ValueError: reading out of range"
    )


def test_over_rest_a_raising_script_is_a_500_script_failed(served: Served) -> None:
    response = httpx2.get(served.rest + "/boom", timeout=30)

    assert response.status_code == 500
    assert response.json()["error"] == "script_failed"
    assert "ValueError: reading out of range" in response.json()["message"]


@pytest.mark.anyio
async def test_a_script_past_the_statement_limit_is_stopped_even_if_it_catches_exceptions(
    served: Served,
) -> None:
    result = await call(served, "spin")

    assert result.is_error
    assert result.content[0].text == ("script step 'loop' exceeded the statement limit (20000)")


@contextmanager
def governed(served: Served, changes: dict[str, Any]) -> Iterator[None]:
    """``PUT /scripting`` for the body of the block, then the spec's settings again."""
    changed = scripting(served, changes)
    assert changed.status_code == 200, changed.text
    try:
        yield
    finally:
        restored = scripting(served, {"enabled": True, "timeout": 5000, "statementLimit": 20000})
        assert restored.status_code == 200, restored.text


@pytest.mark.anyio
async def test_a_lower_timeout_set_on_the_control_port_stops_a_busy_script(
    served: Served,
) -> None:
    with governed(served, {"timeout": 200, "statementLimit": 10**12}):
        result = await call(served, "spin")

    assert result.is_error
    assert result.content[0].text == "script step 'loop' exceeded the timeout limit (200 ms)"


@pytest.mark.anyio
async def test_a_script_blocked_outside_python_code_times_out_too(served: Served) -> None:
    with governed(served, {"timeout": 100}):
        result = await call(served, "sleepy")

    assert result.is_error
    assert result.content[0].text == "script step 'nap' exceeded the timeout limit (100 ms)"


@pytest.mark.anyio
async def test_scripting_disabled_on_the_control_port_refuses_to_run_scripts(
    served: Served,
) -> None:
    with governed(served, {"enabled": False}):
        assert scripting(served).json()["enabled"] is False
        result = await call(served, "double", {"n": 1})

    assert result.is_error
    assert result.content[0].text == "script step 'calc': scripting is disabled"


@pytest.mark.anyio
async def test_get_scripting_shows_the_spec_settings_and_counts_runs_and_errors(
    served: Served,
) -> None:
    before = scripting(served).json()["stats"]

    await call(served, "double", {"n": 2})
    await call(served, "boom")
    after = scripting(served).json()

    assert {k: v for k, v in after.items() if k != "stats"} == {
        "enabled": True,
        "defaultLocation": "./scripts",
        "defaultLanguage": "python",
        "timeout": 5000,
        "statementLimit": 20000,
        "allowedLanguages": ["python"],
    }
    assert after["stats"]["totalExecutions"] == before["totalExecutions"] + 2
    assert after["stats"]["totalErrors"] == before["totalErrors"] + 1
    assert "lastExecutionAt" in after["stats"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"timeout": 0}, "'timeout' must be an integer greater than or equal to 1"),
        ({"statementLimit": "lots"}, "'statementLimit' must be an integer"),
        ({"allowedLanguages": ["cobol"]}, "unsupported language 'cobol'"),
        ({"defaultLocation": "file:///elsewhere"}, "fixed when the package is built"),
        ({"colour": "blue"}, "unknown key 'colour'"),
        ([1, 2], "the body must be a JSON object"),
    ],
)
def test_put_scripting_refuses_bad_changes_and_applies_none_of_them(
    served: Served, changes: Any, message: str
) -> None:
    response = httpx2.put(
        control(served) + "/scripting", content=json.dumps(changes).encode(), timeout=30
    )

    assert response.status_code == 400
    assert message in response.json()["error"]
    assert scripting(served).json()["enabled"] is True
