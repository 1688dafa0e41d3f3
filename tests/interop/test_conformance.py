"""The official MCP conformance suite against the generated ``conformance-tools`` MCP server.

The suite is only a client: it calls the generated server, which forwards each ``tools/call`` to
the fixture upstream. ``--expected-failures`` makes the suite itself fail on any failure not in
the baseline and on any baseline entry that passes, so the baseline is exact.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.interop.conftest import localhost
from tests.support.conformance_upstream import ERROR_TEXT, SIMPLE_TEXT, ConformanceUpstream
from tests.support.node_tools import NodeTools
from tests.support.served import Served

pytestmark = pytest.mark.interop

HERE = Path(__file__).parent
BASELINE = HERE / "conformance-baseline.yml"
BASELINE_2026 = HERE / "conformance-2026-07-28-baseline.yml"
SUITE_TIMEOUT_SECONDS = 240
RUN_FOLDER = re.compile(r"-\d{4}-\d{2}-\d{2}T[\d-]+Z$")  # server-<scenario>-<timestamp>

# Scenarios any MCP server must pass, and the fixtures the spec reproduces through generated code.
MUST_PASS = (
    "server-initialize",
    "ping",
    "tools-list",
    "dns-rebinding-protection",
    "tools-call-simple-text",
    "tools-call-error",
)
# The same for 2026-07-28 (no initialize, no ping: the protocol is stateless), plus header rules.
MUST_PASS_2026 = (
    "tools-list",
    "dns-rebinding-protection",
    "tools-call-simple-text",
    "tools-call-error",
    "http-header-validation",
    "server-sse-multiple-streams",
    "input-required-result-unsupported-methods",
    "input-required-result-validate-input",
)


@dataclass(frozen=True)
class SuiteRun:
    completed: subprocess.CompletedProcess[str]
    checks: dict[str, list[dict[str, Any]]]  # scenario → its checks.json

    @property
    def output(self) -> str:
        return self.completed.stdout + self.completed.stderr

    def passed(self, scenario: str) -> bool:
        statuses = {check["status"] for check in self.checks[scenario]}
        return "SUCCESS" in statuses and not statuses & {"FAILURE", "WARNING"}

    def summary(self, baseline: Path) -> dict[str, int]:
        statuses = [check["status"] for checks in self.checks.values() for check in checks]
        return {
            "scenarios": len(self.checks),
            "scenarios passed": sum(self.passed(s) for s in self.checks),
            "baseline entries": len(listed(baseline)[0]),
            "checks passed": statuses.count("SUCCESS"),
            "checks failed": statuses.count("FAILURE"),
            "checks warning": statuses.count("WARNING"),
        }


def run_suite(
    tools: NodeTools,
    env: dict[str, str],
    script: Path,
    url: str,
    baseline: Path,
    out: Path,
    *selection: str,
) -> SuiteRun:
    arguments = ["--url", url, *selection, "--expected-failures", str(baseline), "-o", str(out)]
    completed = subprocess.run(
        tools.command(script, "server", *arguments),
        capture_output=True,
        text=True,
        env=env,
        timeout=SUITE_TIMEOUT_SECONDS,
    )
    checks: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(out.glob("*/checks.json")):
        scenario = RUN_FOLDER.sub("", path.parent.name.removeprefix("server-"))
        checks[scenario] = json.loads(path.read_text("utf-8"))
    return SuiteRun(completed, checks)


def listed(baseline: Path) -> tuple[list[str], dict[str, str]]:
    document = yaml.safe_load(baseline.read_text("utf-8"))
    return [str(entry) for entry in document["server"]], dict(document["reasons"])


@pytest.fixture(scope="module")
def stable(
    node_tools: NodeTools,
    node_env: dict[str, str],
    conformance_served: Served,
    measured: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> SuiteRun:
    """conformance 0.1.16, every scenario (``--suite all``), handshake protocol versions."""
    out = tmp_path_factory.mktemp("conformance")
    url = localhost(conformance_served.mcp)
    script = node_tools.conformance
    run = run_suite(node_tools, node_env, script, url, BASELINE, out, "--suite", "all")
    measured["conformance 0.1.16 --suite all"] = run.summary(BASELINE)
    return run


@pytest.fixture(scope="module")
def modern(
    node_tools: NodeTools,
    node_env: dict[str, str],
    conformance_served: Served,
    measured: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> SuiteRun:
    """conformance 0.2.0-alpha.12: what the stateless 2026-07-28 protocol requires."""
    out = tmp_path_factory.mktemp("conformance-2026")
    url = localhost(conformance_served.mcp)
    script = node_tools.conformance_2026
    selection = ("--requirements", "2026-07-28")
    run = run_suite(node_tools, node_env, script, url, BASELINE_2026, out, *selection)
    measured["conformance 0.2.0-alpha.12 --requirements 2026-07-28"] = run.summary(BASELINE_2026)
    return run


def test_stable_suite_meets_its_baseline_exactly(stable: SuiteRun) -> None:
    assert stable.completed.returncode == 0, stable.output
    assert "Baseline check passed" in stable.completed.stdout


def test_stable_suite_ran_every_scenario_and_the_generic_ones_pass(stable: SuiteRun) -> None:
    expected, _ = listed(BASELINE)

    assert len(stable.checks) >= 32, sorted(stable.checks)
    assert not set(expected) - set(stable.checks), "baseline names a scenario that did not run"
    for scenario in MUST_PASS:
        assert stable.passed(scenario), (scenario, stable.checks[scenario])
    failing = sorted(s for s in stable.checks if not stable.passed(s))
    assert failing == sorted(expected)


def test_fixture_tools_answer_through_the_upstream(
    stable: SuiteRun, upstream: ConformanceUpstream
) -> None:
    simple = stable.checks["tools-call-simple-text"][0]["details"]["result"]
    error = stable.checks["tools-call-error"][0]["details"]["result"]

    assert simple["content"] == [{"type": "text", "text": SIMPLE_TEXT}]
    assert error["isError"] is True
    assert error["content"][0]["text"] == f"upstream answered HTTP 500: {ERROR_TEXT}"
    assert (
        upstream.last("GET", "/simple-text").headers["user-agent"].startswith("conformance-tools/")
    )
    assert upstream.last("GET", "/error").method == "GET"


def test_json_schema_scenario_fails_only_on_keywords_a_spec_cannot_express(
    stable: SuiteRun,
) -> None:
    statuses = {c["id"]: c["status"] for c in stable.checks["json-schema-2020-12"]}

    assert statuses == {
        "json-schema-2020-12-tool-found": "SUCCESS",
        "json-schema-2020-12-$schema": "FAILURE",
        "json-schema-2020-12-$defs": "FAILURE",
        "json-schema-2020-12-additionalProperties": "FAILURE",
    }


@pytest.mark.parametrize("baseline", [BASELINE, BASELINE_2026], ids=lambda p: p.stem)
def test_every_baseline_entry_says_why(baseline: Path) -> None:
    entries, reasons = listed(baseline)

    assert entries, "an empty baseline would hide nothing and prove nothing"
    assert len(set(entries)) == len(entries)
    assert sorted(reasons) == sorted(entries)
    assert all(len(reason.split()) >= 8 for reason in reasons.values())


def test_2026_suite_meets_its_baseline_exactly(modern: SuiteRun) -> None:
    assert modern.completed.returncode == 0, modern.output
    assert "Baseline check passed" in modern.completed.stdout


def test_2026_fixture_and_generic_scenarios_pass(modern: SuiteRun) -> None:
    for scenario in MUST_PASS_2026:
        assert modern.passed(scenario), (scenario, modern.checks[scenario])


def test_2026_every_message_the_server_sent_matches_the_wire_schema(modern: SuiteRun) -> None:
    wire = [
        check["status"]
        for checks in modern.checks.values()
        for check in checks
        if check["id"] == "wire-schema-valid"
    ]

    assert len(wire) >= 40
    assert set(wire) == {"SUCCESS"}


def test_2026_stateless_scenario_fails_only_for_missing_diagnostic_tools(modern: SuiteRun) -> None:
    checks = modern.checks["server-stateless"]
    failed = {c["id"] for c in checks if c["status"] == "FAILURE"}
    passed = [c["id"] for c in checks if c["status"] == "SUCCESS"]

    assert failed == {
        "sep-2575-server-rejects-undeclared-capability",
        "sep-2575-missing-capability-http-400",
        "sep-2575-http-server-no-independent-requests-on-stream",
        "sep-2575-server-no-log-without-loglevel",
    }
    assert len(passed) >= 20
