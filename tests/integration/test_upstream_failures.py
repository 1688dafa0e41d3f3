"""What callers see when the gateway is down, slow, or presents a certificate we do not trust."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from mcp import Client

from tests.integration.conftest import TOKEN, package_env
from tests.integration.test_web_sessions import AUTH_STATUS, TOOL, http
from tests.support.ibkr_gateway import FakeGateway
from tests.support.served import Served, serve


def closed_port() -> int:
    """A port nothing listens on: bound once to get a free number, then released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture(scope="module")
def unreachable(installed: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    env = package_env(
        installed,
        INTERACTIVE_BROKERS_API_KEY=TOKEN,
        WEB_SESSIONS_BASE_URI=f"http://127.0.0.1:{closed_port()}/v1/api",
    )
    with serve(
        installed / "bin" / "web-sessions",
        env,
        tmp_path_factory.mktemp("down"),
        "--rest-port",
        "0",
        "--mcp-port",
        "0",
    ) as s:
        yield s


def test_rest_answers_502_json_when_the_gateway_is_down(unreachable: Served) -> None:
    status, headers, body = http("POST", unreachable.rest + AUTH_STATUS, b"")

    assert status == 502
    assert headers["content-type"] == "application/json"
    assert json.loads(body) == {
        "error": "upstream_unavailable",
        "message": "upstream 'web-sessions' is unreachable",
    }


@pytest.mark.anyio
async def test_mcp_returns_is_error_when_the_gateway_is_down(unreachable: Served) -> None:
    async with Client(unreachable.mcp) as client:
        result = await client.call_tool(TOOL, {})

    assert result.is_error is True
    assert result.content[0].text == "upstream 'web-sessions' is unreachable"  # type: ignore[union-attr]


def test_server_keeps_serving_after_upstream_failures(unreachable: Served) -> None:
    for _ in range(3):
        http("POST", unreachable.rest + AUTH_STATUS, b"")

    status, _, _ = http("GET", unreachable.rest + "/openapi.json")

    assert status == 200
    assert unreachable.process.poll() is None


def test_rest_answers_504_when_the_gateway_is_too_slow(
    installed: Path, gateway: FakeGateway, tmp_path: Path
) -> None:
    gateway.delay_seconds = 30.0
    env = package_env(
        installed,
        INTERACTIVE_BROKERS_API_KEY=TOKEN,
        WEB_SESSIONS_BASE_URI=gateway.base_url,
        WEB_SESSIONS_TIMEOUT="0.5",
    )
    with serve(
        installed / "bin" / "web-sessions", env, tmp_path, "--only", "rest", "--rest-port", "0"
    ) as s:
        status, _, body = http("POST", s.rest + AUTH_STATUS, b"")

    assert status == 504
    assert json.loads(body)["error"] == "upstream_timeout"
    assert len(gateway.requests) == 1


@pytest.fixture(scope="module")
def tls_gateway() -> Iterator[FakeGateway]:
    with FakeGateway(token=TOKEN, tls=True) as running:
        yield running


@pytest.mark.parametrize(
    ("settings", "expected_status"),
    [
        ({}, 502),
        ({"WEB_SESSIONS_VERIFY_TLS": "false"}, 200),
        ({"WEB_SESSIONS_CA_BUNDLE": "<ca>"}, 200),
    ],
    ids=["self-signed-refused-by-default", "verify-disabled", "ca-bundle-trusted"],
)
def test_tls_to_a_self_signed_gateway_follows_the_settings(
    installed: Path,
    tls_gateway: FakeGateway,
    tmp_path: Path,
    settings: dict[str, str],
    expected_status: int,
) -> None:
    extra = {
        key: (tls_gateway.ca_pem_path or "") if value == "<ca>" else value
        for key, value in settings.items()
    }
    env = package_env(
        installed,
        INTERACTIVE_BROKERS_API_KEY=TOKEN,
        WEB_SESSIONS_BASE_URI=tls_gateway.base_url,
        **extra,
    )
    with serve(
        installed / "bin" / "web-sessions", env, tmp_path, "--only", "rest", "--rest-port", "0"
    ) as s:
        status, _, body = http("POST", s.rest + AUTH_STATUS, b"")

    assert status == expected_status
    if expected_status == 502:
        assert "TLS handshake" in json.loads(body)["message"]
    else:
        assert json.loads(body)["authenticated"] is True
