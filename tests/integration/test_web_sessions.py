"""The seed spec end to end: the installed web-sessions package against a fake IBKR gateway.

Each test asserts on both sides: what the caller got and what the gateway received.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters

from tests.integration.conftest import TOKEN, package_env
from tests.support.ibkr_gateway import FakeGateway
from tests.support.served import Served, serve

AUTH_STATUS = "/v1/iserver/auth/status"
TOOL = "get-authentication-status"


def http(method: str, url: str, body: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
    return http_request(urllib.request.Request(url, data=body, method=method))


def http_request(request: urllib.request.Request) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), error.read()


@pytest.fixture(scope="module")
def served(
    installed: Path, gateway: FakeGateway, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    env = package_env(
        installed, INTERACTIVE_BROKERS_API_KEY=TOKEN, WEB_SESSIONS_BASE_URI=gateway.base_url
    )
    workdir = tmp_path_factory.mktemp("web-sessions")
    with serve(
        installed / "bin" / "web-sessions", env, workdir, "--rest-port", "0", "--mcp-port", "0"
    ) as s:
        yield s


def test_rest_returns_the_gateway_json_unchanged(served: Served, gateway: FakeGateway) -> None:
    status, headers, body = http("POST", served.rest + AUTH_STATUS, b"")

    assert status == 200
    assert headers["content-type"].startswith("application/json")
    assert json.loads(body)["authenticated"] is True
    assert json.loads(body)["serverInfo"]["serverName"] == "JifN19053"


def test_rest_call_sends_bearer_user_agent_and_content_length_upstream(
    served: Served, gateway: FakeGateway
) -> None:
    http("POST", served.rest + AUTH_STATUS, b"")

    received = gateway.last_request
    assert received is not None
    assert (received.method, received.path) == ("POST", "/iserver/auth/status")
    assert received.headers["authorization"] == f"Bearer {TOKEN}"
    assert received.headers["user-agent"] == "web-sessions/0.1.0"
    assert received.headers["content-length"] == "0"
    assert received.body == b""


def test_rest_passes_gateway_state_through(served: Served, gateway: FakeGateway) -> None:
    gateway.state = "logged_out"

    status, _, body = http("POST", served.rest + AUTH_STATUS, b"")

    assert status == 200
    assert json.loads(body) == {
        "authenticated": False,
        "competing": False,
        "connected": False,
        "MAC": json.loads(body)["MAC"],
    }


def test_rest_passes_an_upstream_401_through_with_its_body(
    served: Served, gateway: FakeGateway
) -> None:
    gateway.state = "no_session"

    status, _, body = http("POST", served.rest + AUTH_STATUS, b"")

    assert status == 401
    assert json.loads(body)["statusCode"] == 401


def test_rest_passes_an_upstream_500_text_body_through(
    served: Served, gateway: FakeGateway
) -> None:
    gateway.override("POST", "/iserver/auth/status", 500, b"gateway exploded", "text/plain")

    status, headers, body = http("POST", served.rest + AUTH_STATUS, b"")

    assert (status, body) == (500, b"gateway exploded")
    assert headers["content-type"].startswith("text/plain")


def test_rest_wrong_method_is_405_and_never_reaches_upstream(
    served: Served, gateway: FakeGateway
) -> None:
    status, _, _ = http("GET", served.rest + AUTH_STATUS)

    assert status == 405
    assert gateway.requests == []


def test_openapi_document_describes_the_route(served: Served) -> None:
    status, _, body = http("GET", served.rest + "/openapi.json")

    document = json.loads(body)
    assert status == 200
    assert document["openapi"] == "3.1.0"
    assert document["paths"][AUTH_STATUS]["post"]["operationId"] == "getauthstatus"


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_mcp_tool_returns_gateway_json_as_text_and_structured_content(
    served: Served, gateway: FakeGateway, mode: Any
) -> None:
    async with Client(served.mcp, mode=mode) as client:
        listed = await client.list_tools()
        result = await client.call_tool(TOOL, {})

    tool = next(t for t in listed.tools if t.name == TOOL)
    assert tool.annotations is not None
    assert (tool.annotations.read_only_hint, tool.annotations.destructive_hint) == (True, False)
    assert tool.annotations.idempotent_hint is False
    assert result.is_error is False
    assert result.structured_content is not None
    assert result.structured_content["connected"] is True
    assert json.loads(result.content[0].text) == result.structured_content  # type: ignore[union-attr]
    received = gateway.last_request
    assert received is not None
    assert received.headers["authorization"] == f"Bearer {TOKEN}"
    assert received.headers["content-length"] == "0"


@pytest.mark.anyio
async def test_mcp_upstream_401_is_an_error_result_not_a_protocol_error(
    served: Served, gateway: FakeGateway
) -> None:
    gateway.state = "no_session"

    async with Client(served.mcp) as client:
        result = await client.call_tool(TOOL, {})

    assert result.is_error is True
    assert "401" in result.content[0].text  # type: ignore[union-attr]


@pytest.mark.anyio
async def test_mcp_unknown_tool_is_a_protocol_error(served: Served) -> None:
    async with Client(served.mcp) as client:
        with pytest.raises(Exception) as raised:
            await client.call_tool("no-such-tool", {})

    assert "Unknown tool" in str(raised.value)


def test_mcp_endpoint_refuses_a_foreign_host_header(served: Served) -> None:
    request = urllib.request.Request(
        served.mcp,
        data=b'{"jsonrpc":"2.0","id":1,"method":"ping"}',
        method="POST",
        headers={
            "Host": "evil.example.com",
            "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream",
        },
    )
    status, _, _ = http_request(request)

    assert status == 421


@pytest.mark.anyio
async def test_mcp_over_stdio_calls_the_gateway(installed: Path, gateway: FakeGateway) -> None:
    env = package_env(
        installed, INTERACTIVE_BROKERS_API_KEY=TOKEN, WEB_SESSIONS_BASE_URI=gateway.base_url
    )
    params = StdioServerParameters(
        command=str(installed / "bin" / "web-sessions"), args=["mcp-stdio"], env=env
    )

    async with Client(params) as client:
        result = await client.call_tool(TOOL, {})

    assert result.is_error is False
    assert result.structured_content is not None
    assert result.structured_content["authenticated"] is True
    assert gateway.last_request is not None
    assert gateway.last_request.headers["authorization"] == f"Bearer {TOKEN}"


def run_serve(installed: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``web-sessions serve`` expected to stop at start-up (it would otherwise serve forever)."""
    command = [str(installed / "bin" / "web-sessions"), "serve"]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


def test_missing_token_exits_2_naming_the_variable(installed: Path) -> None:
    finished = run_serve(installed, package_env(installed))

    assert finished.returncode == 2
    assert finished.stderr.strip().splitlines() == [
        "web-sessions: error: environment variable INTERACTIVE_BROKERS_API_KEY is not set "
        "(it holds a secret the upstream needs)"
    ]


def test_malformed_timeout_exits_2_naming_the_variable(installed: Path) -> None:
    env = package_env(installed, INTERACTIVE_BROKERS_API_KEY=TOKEN, WEB_SESSIONS_TIMEOUT="soon")

    finished = run_serve(installed, env)

    assert finished.returncode == 2
    assert "WEB_SESSIONS_TIMEOUT" in finished.stderr
    assert "Traceback" not in finished.stderr


def test_python_dash_m_runs_the_same_cli(installed: Path) -> None:
    env = package_env(installed)

    finished = subprocess.run(
        [sys.executable, "-m", "web_sessions", "--version"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert finished.returncode == 0
    assert finished.stdout.strip() == "web-sessions 0.1.0"


def test_sigterm_stops_serving_and_exits_0(
    installed: Path, gateway: FakeGateway, tmp_path: Path
) -> None:
    env = package_env(
        installed, INTERACTIVE_BROKERS_API_KEY=TOKEN, WEB_SESSIONS_BASE_URI=gateway.base_url
    )
    with serve(
        installed / "bin" / "web-sessions", env, tmp_path, "--rest-port", "0", "--mcp-port", "0"
    ) as running:
        status, _, _ = http("POST", running.rest + AUTH_STATUS, b"")
        running.process.terminate()
        code = running.process.wait(timeout=30)

    assert status == 200
    assert code == 0
    assert "Traceback" not in running.stderr()


def _children(pid: int) -> list[int]:
    tasks = Path(f"/proc/{pid}/task")
    found: list[int] = []
    for task in tasks.iterdir():
        text = (task / "children").read_text().split()
        found.extend(int(child) for child in text)
    return found


def test_workers_share_the_sockets_and_stop_together(
    installed: Path, gateway: FakeGateway, tmp_path: Path
) -> None:
    env = package_env(
        installed, INTERACTIVE_BROKERS_API_KEY=TOKEN, WEB_SESSIONS_BASE_URI=gateway.base_url
    )
    command = installed / "bin" / "web-sessions"
    with serve(
        command, env, tmp_path, "--workers", "2", "--rest-port", "0", "--mcp-port", "0"
    ) as s:
        workers = _children(s.process.pid)
        statuses = [http("POST", s.rest + AUTH_STATUS, b"")[0] for _ in range(20)]
        s.process.terminate()
        code = s.process.wait(timeout=30)

    assert len(workers) == 2
    assert statuses == [200] * 20
    assert len(gateway.requests) == 20
    assert code == 0
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]
