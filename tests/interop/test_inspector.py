"""The MCP Inspector CLI (a TypeScript client) lists and calls generated tools.

Over Streamable HTTP (``serve``) in both protocol eras and over stdio (``<pkg> mcp-stdio``), and
``--strict`` lints every generated tool schema for portability (exit 6 on an error finding; here
not even a warning is accepted). Each call is checked on both sides: the Inspector's result and
what the upstream received.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any, Protocol

import pytest

from tests.integration.conftest import TOKEN
from tests.interop.conftest import CONFORMANCE_COMMAND, SESSIONS_COMMAND
from tests.support.conformance_upstream import ERROR_TEXT, SIMPLE_TEXT, ConformanceUpstream
from tests.support.ibkr_gateway import FakeGateway
from tests.support.node_tools import NodeTools
from tests.support.paths import GENERATED
from tests.support.served import Served

pytestmark = pytest.mark.interop

INSPECTOR_TIMEOUT_SECONDS = 120
TOOL_IS_ERROR_EXIT = 5
CONFORMANCE_TOOLS = {
    "test_simple_text",
    "test_error_handling",
    "json_schema_2020_12_tool",
    "get-item",
}
PACKAGES = sorted(p.name for p in GENERATED.iterdir() if (p / "pyproject.toml").is_file())


class Inspector(Protocol):
    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]: ...


@pytest.fixture
def inspector(
    node_tools: NodeTools, node_env: dict[str, str], measured: dict[str, Any]
) -> Inspector:
    """Run ``inspector --cli --format json ARGS``; every run is counted in the measurements."""
    counts: dict[str, int] = measured.setdefault("inspector runs", {})

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        method = args[args.index("--method") + 1]
        transport = "stdio" if "mcp-stdio" in args else "http"
        key = f"{transport} {method}{' --strict' if '--strict' in args else ''}"
        counts[key] = counts.get(key, 0) + 1
        return subprocess.run(
            node_tools.command(node_tools.inspector, "--cli", "--format", "json", *args),
            capture_output=True,
            text=True,
            env=node_env,
            timeout=INSPECTOR_TIMEOUT_SECONDS,
        )

    return run


def answer(completed: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert completed.returncode == 0, completed.stderr
    document: dict[str, Any] = json.loads(completed.stdout)
    return document


def stdio_target(installed: Path, command: str, upstream_url: str) -> list[str]:
    """``-e`` values for the server process (the Inspector passes it no other environment)."""
    return [
        "-e",
        f"PYTHONPATH={installed}",
        "-e",
        f"CONFORMANCE_TOOLS_BASE_URI={upstream_url}",
        "-e",
        f"WEB_SESSIONS_BASE_URI={upstream_url}",
        "-e",
        f"INTERACTIVE_BROKERS_API_KEY={TOKEN}",
        "--",
        str(installed / "bin" / command),
        "mcp-stdio",
    ]


@pytest.mark.parametrize("era", ["legacy", "modern"])
def test_http_tools_list_passes_the_strict_schema_lint(
    inspector: Inspector, conformance_served: Served, era: str
) -> None:
    completed = inspector(
        conformance_served.mcp,
        "--protocol-era",
        era,
        "--method",
        "tools/list",
        "--strict",
    )

    document = answer(completed)
    assert "schemaFindings" not in document, document["schemaFindings"]
    assert {tool["name"] for tool in document["result"]["tools"]} == CONFORMANCE_TOOLS


@pytest.mark.parametrize("era", ["legacy", "modern"])
def test_http_call_returns_the_upstream_text(
    inspector: Inspector,
    conformance_served: Served,
    upstream: ConformanceUpstream,
    era: str,
) -> None:
    before = len(upstream.requests)

    completed = inspector(
        conformance_served.mcp,
        "--protocol-era",
        era,
        "--method",
        "tools/call",
        "--tool-name",
        "test_simple_text",
    )

    result = answer(completed)["result"]
    assert result["content"] == [{"type": "text", "text": SIMPLE_TEXT}]
    assert result["isError"] is False
    assert [(r.method, r.path) for r in upstream.requests[before:]] == [("GET", "/simple-text")]


def test_http_call_with_coerced_arguments_reaches_the_upstream_typed_and_encoded(
    inspector: Inspector,
    conformance_served: Served,
    upstream: ConformanceUpstream,
) -> None:
    completed = inspector(
        conformance_served.mcp,
        "--method",
        "tools/call",
        "--tool-name",
        "get-item",
        "--tool-arg",
        "itemId=a/b c",
        "limit=3",
        "exact=true",
        "ratio=0.5",
    )

    result = answer(completed)["result"]
    received = upstream.last("GET", "/items/a/b c")
    assert result["structuredContent"] == {
        "id": "a/b c",
        "query": {"limit": "3", "exact": "true", "ratio": "0.5"},
    }
    assert received.raw_path == "/items/a%2Fb%20c"
    assert received.query == [("limit", "3"), ("exact", "true"), ("ratio", "0.5")]


def test_http_call_with_a_json_object_argument_sends_it_as_the_body(
    inspector: Inspector,
    conformance_served: Served,
    upstream: ConformanceUpstream,
) -> None:
    person = {"name": "Ada", "address": {"street": "12 Rue X", "city": "Paris"}}

    completed = inspector(
        conformance_served.mcp,
        "--method",
        "tools/call",
        "--tool-name",
        "json_schema_2020_12_tool",
        "--tool-args-json",
        json.dumps(person),
    )

    assert answer(completed)["result"]["structuredContent"] == {"received": person}
    assert upstream.last("POST", "/people").json() == person


def test_http_upstream_failure_is_a_tool_error_exit_5(
    inspector: Inspector, conformance_served: Served
) -> None:
    completed = inspector(
        conformance_served.mcp,
        "--method",
        "tools/call",
        "--tool-name",
        "test_error_handling",
    )

    assert completed.returncode == TOOL_IS_ERROR_EXIT, completed.stderr
    assert json.loads(completed.stderr)["error"]["code"] == "tool_is_error"
    result = json.loads(completed.stdout)["result"]
    assert result["content"][0]["text"] == f"upstream answered HTTP 500: {ERROR_TEXT}"


def test_http_invalid_argument_is_refused_before_the_upstream(
    inspector: Inspector,
    conformance_served: Served,
    upstream: ConformanceUpstream,
) -> None:
    before = len(upstream.requests)

    completed = inspector(
        conformance_served.mcp,
        "--method",
        "tools/call",
        "--tool-name",
        "get-item",
        "--tool-args-json",
        '{"itemId": "x", "limit": "many"}',
    )

    assert completed.returncode == TOOL_IS_ERROR_EXIT, completed.stderr
    text = json.loads(completed.stdout)["result"]["content"][0]["text"]
    assert text == "invalid arguments: limit must be of type integer"
    assert upstream.requests[before:] == []


def test_http_web_sessions_tool_call_reaches_the_gateway_with_the_token(
    inspector: Inspector,
    sessions_served: Served,
    gateway: FakeGateway,
) -> None:
    completed = inspector(
        sessions_served.mcp,
        "--protocol-era",
        "modern",
        "--method",
        "tools/call",
        "--tool-name",
        "get-authentication-status",
    )

    assert answer(completed)["result"]["structuredContent"]["authenticated"] is True
    received = gateway.last_request
    assert received is not None
    assert received.headers["authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize("package", PACKAGES)
def test_stdio_tools_list_of_every_generated_package_passes_the_strict_lint(
    inspector: Inspector,
    installed: Path,
    upstream: ConformanceUpstream,
    package: str,
) -> None:
    command = package.replace("_", "-")
    catalog = json.loads((GENERATED / package / package / "catalog.json").read_text("utf-8"))

    completed = inspector(
        "--method",
        "tools/list",
        "--strict",
        *stdio_target(installed, command, upstream.base_url),
    )

    document = answer(completed)
    assert "schemaFindings" not in document, document["schemaFindings"]
    assert document["result"]["tools"] == catalog["tools"]


def test_stdio_call_reaches_the_upstream(
    inspector: Inspector,
    installed: Path,
    upstream: ConformanceUpstream,
) -> None:
    completed = inspector(
        "--method",
        "tools/call",
        "--tool-name",
        "get-item",
        "--tool-arg",
        "itemId=item-42",  # a bare 42 would reach the tool as a number: the Inspector JSON-parses
        "exact=false",  # key=value text before it looks at the schema (docs/interop.md)
        *stdio_target(installed, CONFORMANCE_COMMAND, upstream.base_url),
    )

    result = answer(completed)["result"]
    assert result["structuredContent"] == {"id": "item-42", "query": {"exact": "false"}}
    assert (
        upstream.last("GET", "/items/item-42")
        .headers["user-agent"]
        .startswith(f"{CONFORMANCE_COMMAND}/")
    )


def test_stdio_web_sessions_call_reaches_the_gateway(
    inspector: Inspector,
    installed: Path,
    gateway: FakeGateway,
) -> None:
    gateway.clear()

    completed = inspector(
        "--method",
        "tools/call",
        "--tool-name",
        "get-authentication-status",
        *stdio_target(installed, SESSIONS_COMMAND, gateway.base_url),
    )

    assert answer(completed)["result"]["structuredContent"]["connected"] is True
    assert [r.path for r in gateway.requests] == ["/iserver/auth/status"]
