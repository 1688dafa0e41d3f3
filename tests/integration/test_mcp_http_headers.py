"""MCP routing headers on the wire (2026-07-28): surrounding whitespace is not part of a value.

RFC 9110 §5.5 says a field value excludes leading and trailing whitespace; uvicorn's httptools
parser keeps the trailing part and the SDK compares ``Mcp-Name`` with the body exactly. The
official conformance suite (http-header-validation, ``make interop``) sends ``"  name  "``.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import TOKEN, package_env
from tests.integration.test_web_sessions import TOOL, http_request
from tests.support.ibkr_gateway import FakeGateway
from tests.support.served import Served, serve

MODERN = "2026-07-28"


@pytest.fixture(scope="module")
def served(
    installed: Path, gateway: FakeGateway, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    env = package_env(
        installed, INTERACTIVE_BROKERS_API_KEY=TOKEN, WEB_SESSIONS_BASE_URI=gateway.base_url
    )
    workdir = tmp_path_factory.mktemp("mcp-headers")
    command = installed / "bin" / "web-sessions"
    with serve(command, env, workdir, "--rest-port", "0", "--mcp-port", "0") as s:
        yield s


def modern_call(served: Served, name_header: str) -> tuple[int, Any]:
    meta = {
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientInfo": {"name": "header-test", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": {},
    }
    body = {
        "jsonrpc": "2.0",
        "id": 7,
        "method": "tools/call",
        "params": {"name": TOOL, "arguments": {}, "_meta": meta},
    }
    request = urllib.request.Request(
        served.mcp,
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream",
            "MCP-Protocol-Version": MODERN,
            "Mcp-Method": "tools/call",
            "Mcp-Name": name_header,
        },
    )
    status, _, raw = http_request(request)
    return status, json.loads(raw)


@pytest.mark.parametrize("padding", ["", "  ", "\t "])
def test_mcp_name_with_surrounding_whitespace_is_the_same_name(
    served: Served, gateway: FakeGateway, padding: str
) -> None:
    status, answer = modern_call(served, f"{padding}{TOOL}{padding}")

    assert status == 200, answer
    assert answer["result"]["isError"] is False
    assert answer["result"]["structuredContent"]["authenticated"] is True
    assert gateway.last_request is not None


def test_a_different_mcp_name_is_still_refused(served: Served) -> None:
    status, answer = modern_call(served, "get-something-else")

    assert status == 400
    assert answer["error"]["code"] == -32020
