"""schemathesis fuzzes generated REST apps from the ``/openapi.json`` they serve.

Each app runs in front of its upstream stand-in (the fixture upstream, the fake IBKR gateway),
so every generated request really crosses our code to an upstream and back. Bounded: a fixed
seed and ``--max-examples`` per operation, no example database. Whether the document itself is
valid OpenAPI 3.1 is tests/golden's job (openapi-spec-validator), not repeated here.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import TOKEN, package_env
from tests.support.conformance_upstream import ConformanceUpstream
from tests.support.ibkr_gateway import FakeGateway
from tests.support.served import Served, serve

pytestmark = pytest.mark.interop

MAX_EXAMPLES = 50
SEED = 20261125
RUN_TIMEOUT_SECONDS = 180
# The IBKR specs declare no input constraints the gateway enforces (a required `symbol`, a
# non-empty `conid`), so the gateway rightly refuses some inputs the document allows: that check
# measures the spec, not the code (docs/interop.md). Every other check runs on every package.
DOCUMENT_GAP_CHECKS = ("positive_data_acceptance",)
IBKR_PACKAGES = ("web-accounts", "web-contracts", "web-market-data", "web-orders", "web-portfolio")


@dataclass(frozen=True)
class Report:
    completed: subprocess.CompletedProcess[str]
    data: dict[str, Any]

    @property
    def output(self) -> str:
        return self.completed.stdout[-6000:] + self.completed.stderr[-2000:]


def schemathesis_command() -> str:
    beside = Path(sys.executable).with_name("st")
    found = str(beside) if beside.is_file() else shutil.which("st")
    assert found is not None, "schemathesis is not installed (pip install -e '.[dev]')"
    return found


def fuzz(rest_url: str, workdir: Path, *extra: str) -> Report:
    report = workdir / "schemathesis.json"
    completed = subprocess.run(
        [
            schemathesis_command(),
            "run",
            f"{rest_url}/openapi.json",
            "--checks",
            "all",
            *extra,
            "--max-examples",
            str(MAX_EXAMPLES),
            "--seed",
            str(SEED),
            "--generation-database",
            "none",
            "--request-timeout",
            "30",
            "--no-color",
            "--report",
            "json",
            "--report-json-path",
            str(report),
        ],
        capture_output=True,
        text=True,
        cwd=workdir,
        timeout=RUN_TIMEOUT_SECONDS,
    )
    return Report(completed, json.loads(report.read_text("utf-8")))


def operation_count(rest_url: str) -> int:
    with urllib.request.urlopen(f"{rest_url}/openapi.json", timeout=30) as response:
        document = json.load(response)
    return sum(len(methods) for methods in document["paths"].values())


def assert_clean(
    report: Report, operations: int, minimum_cases: int, measured: dict[str, Any], app: str
) -> None:
    data = report.data
    measured.setdefault("schemathesis", {})[app] = {
        "operations": data["operations"]["tested"],
        "cases": data["test_cases"]["generated"],
        "failures": len(data["failures"]),
        "seconds": round(data["running_time"], 1),
    }
    assert report.completed.returncode == 0, report.output
    assert data["exit_code"] == 0 and data["complete"] is True, report.output
    assert data["failures"] == [] and data["errors"] == [], report.output
    assert data["operations"]["tested"] == data["operations"]["total"] == operations
    assert data["test_cases"]["generated"] >= minimum_cases
    assert data["test_cases"]["with_failures"] == 0


def test_conformance_tools_rest_app_survives_every_check(
    conformance_served: Served,
    upstream: ConformanceUpstream,
    measured: dict[str, Any],
    tmp_path: Path,
) -> None:
    before = len(upstream.requests)

    report = fuzz(conformance_served.rest, tmp_path)

    assert_clean(report, 2, 100, measured, "conformance-tools")
    forwarded = upstream.requests[before:]
    assert {(r.method, r.path.split("/")[1]) for r in forwarded} == {
        ("GET", "items"),
        ("POST", "notes"),
    }
    # Encoded on the way: whatever text schemathesis put in the path stayed one segment.
    assert all(r.raw_path.count("/") == 2 for r in forwarded if r.method == "GET")


def test_web_sessions_rest_app_survives_every_check(
    sessions_served: Served, gateway: FakeGateway, measured: dict[str, Any], tmp_path: Path
) -> None:
    gateway.clear()

    report = fuzz(sessions_served.rest, tmp_path)

    assert_clean(report, 1, 5, measured, "web-sessions")
    assert gateway.requests, "no case reached the gateway"
    assert {r.path for r in gateway.requests} == {"/iserver/auth/status"}


@pytest.fixture(scope="module")
def ibkr_gateway() -> Iterator[FakeGateway]:
    with FakeGateway(token=TOKEN) as running:
        yield running


@pytest.mark.parametrize("command", IBKR_PACKAGES)
def test_other_ibkr_rest_apps_have_no_server_error_and_match_the_document(
    installed: Path,
    ibkr_gateway: FakeGateway,
    measured: dict[str, Any],
    tmp_path: Path,
    command: str,
) -> None:
    namespace = command.upper().replace("-", "_")
    env = package_env(
        installed,
        INTERACTIVE_BROKERS_API_KEY=TOKEN,
        **{f"{namespace}_BASE_URI": ibkr_gateway.base_url},
    )
    ibkr_gateway.clear()

    with serve(
        installed / "bin" / command, env, tmp_path, "--only", "rest", "--rest-port", "0"
    ) as s:
        operations = operation_count(s.rest)
        report = fuzz(s.rest, tmp_path, "--exclude-checks", ",".join(DOCUMENT_GAP_CHECKS))

    assert_clean(report, operations, 5, measured, f"{command} (minus {len(DOCUMENT_GAP_CHECKS)})")
    assert ibkr_gateway.requests, "no case reached the gateway"
