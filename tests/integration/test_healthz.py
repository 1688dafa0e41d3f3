"""``GET /healthz`` on a served package (real uvicorn): what Kubernetes probes and the Docker
``HEALTHCHECK`` call, on every listener, whatever ``Host`` the prober sends."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.integration.conftest import package_env
from tests.support.served import Served, serve

# A pod address: what a kubelet probe sends as Host; not in the MCP allowed hosts.
POD_HOST = "10.1.2.3:8080"


def get(url: str, host: str | None = None, method: str = "GET") -> tuple[int, bytes]:
    parts = urlsplit(url)
    connection = HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    try:
        headers = {"Host": host} if host else {}
        body = b"{}" if method == "POST" else None
        if body is not None:
            headers["Content-Type"] = "application/json"
            headers["Accept"] = "application/json, text/event-stream"
        connection.request(method, parts.path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@pytest.fixture(scope="module")
def served(installed: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    # Health needs no upstream: the base URI points nowhere and is never called.
    env = package_env(
        installed,
        INTERACTIVE_BROKERS_API_KEY="token",
        WEB_SESSIONS_BASE_URI="http://127.0.0.1:9",
    )
    workdir = tmp_path_factory.mktemp("healthz")
    command = installed / "bin" / "web-sessions"
    with serve(command, env, workdir, "--rest-port", "0", "--mcp-port", "0") as s:
        yield s


@pytest.mark.parametrize("listener", ["rest", "mcp"])
def test_healthz_answers_200_ok_on_every_listener(served: Served, listener: str) -> None:
    status, body = get(origin(served.urls[listener]) + "/healthz")

    assert status == 200
    assert json.loads(body) == {"status": "ok"}


@pytest.mark.parametrize("listener", ["rest", "mcp"])
def test_healthz_accepts_the_pod_address_as_host(served: Served, listener: str) -> None:
    status, body = get(origin(served.urls[listener]) + "/healthz", host=POD_HOST)

    assert (status, json.loads(body)) == (200, {"status": "ok"})


def test_dns_rebinding_protection_still_guards_the_mcp_endpoint(served: Served) -> None:
    status, body = get(served.mcp, host="evil.example:9090", method="POST")

    assert (status, body) == (421, b"Invalid Host header")


def test_healthz_is_get_only(served: Served) -> None:
    status, _ = get(origin(served.rest) + "/healthz", method="POST")

    assert status == 405
