"""The request side of a generated server, against a real recording upstream on loopback: caller
values cannot change the upstream path, host, query or headers; bodies are bounded; invalid
input is a 400 / ``isError`` naming the field. The bearer token never shows in an answer or in
the debug log."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from http.client import HTTPConnection
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
import yaml
from mcp import Client

from tests.integration.conftest import package_env
from tests.integration.test_web_sessions import http_request
from tests.support.packages import build_and_install
from tests.support.recording_upstream import RecordingUpstream
from tests.support.served import Served, serve

TOKEN = "req-secret-93be02"
MAX_BODY = 4096
SPEC = yaml.safe_dump(
    {
        "naftiko": "1.0.0-alpha2",
        "info": {"label": "Requests"},
        "binds": [{"namespace": "env", "keys": {"REQ_TOKEN": "REQ_TOKEN"}}],
        "capability": {
            "consumes": [
                {
                    "type": "http",
                    "namespace": "shop",
                    "baseUri": "http://127.0.0.1:9/api",
                    "authentication": {"type": "bearer", "token": "{{REQ_TOKEN}}"},
                    "resources": [
                        {
                            "name": "item",
                            "path": "/items/{id}/detail",
                            "operations": [
                                {
                                    "name": "get-item",
                                    "method": "GET",
                                    "inputParameters": [
                                        {"name": "id", "in": "path", "required": True},
                                        {"name": "q", "in": "query"},
                                        {"name": "next", "in": "query"},
                                        {"name": "limit", "in": "query", "type": "integer"},
                                        {"name": "X-Trace", "in": "header"},
                                    ],
                                }
                            ],
                        },
                        {
                            "name": "items",
                            "path": "/items",
                            "operations": [
                                {
                                    "name": "add-item",
                                    "method": "POST",
                                    "inputParameters": [
                                        {"name": "body", "in": "body", "required": True}
                                    ],
                                }
                            ],
                        },
                    ],
                }
            ],
            "exposes": [
                {
                    "type": "rest",
                    "namespace": "requests-rest",
                    "port": 8080,
                    "resources": [
                        {
                            "path": "/items/{id}",
                            "operations": [
                                {"method": "GET", "name": "get-item", "call": "shop.get-item"}
                            ],
                        },
                        {
                            "path": "/items",
                            "operations": [
                                {"method": "POST", "name": "add-item", "call": "shop.add-item"}
                            ],
                        },
                    ],
                },
                {
                    "type": "mcp",
                    "namespace": "requests-mcp",
                    "port": 9090,
                    "tools": [
                        {"name": "get-item", "description": "Get", "call": "shop.get-item"},
                        {"name": "add-item", "description": "Add", "call": "shop.add-item"},
                    ],
                },
            ],
        },
    }
)
# Path values that would change the upstream path, host, query or fragment if pasted raw.
HOSTILE_SEGMENTS = [
    "..",
    ".",
    "../../admin",
    "%2e%2e",
    "%2e%2e%2fadmin",
    "a/b",
    "a?b=c",
    "a#frag",
    "http://evil.example/x",
    "//evil.example",
    "@evil.example",
    "a;b",
    "a b",
    "é/\\",
]
# Everything that is not an error answer from the upstream: collected to look for the token.
ANSWERS: list[str] = []


@pytest.fixture(scope="module")
def upstream() -> Iterator[RecordingUpstream]:
    with RecordingUpstream() as running:
        yield running


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_and_install(SPEC, "requests", tmp_path_factory.mktemp("requests"))


@pytest.fixture(scope="module")
def served(
    site: Path, upstream: RecordingUpstream, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    env = package_env(
        site,
        REQ_TOKEN=TOKEN,
        SHOP_BASE_URI=upstream.base_url + "/api",
        REQUESTS_MAX_BODY_BYTES=str(MAX_BODY),
    )
    with serve(
        site / "bin" / "requests",
        env,
        tmp_path_factory.mktemp("run"),
        "--rest-port",
        "0",
        "--mcp-port",
        "0",
        options=("--log-level", "debug"),
    ) as s:
        yield s


def rest(method: str, url: str, body: bytes | None = None, **headers: str) -> tuple[int, Any]:
    status, _, raw = http_request(
        urllib.request.Request(url, data=body, method=method, headers=headers)
    )
    text = raw.decode("utf-8", "replace")
    ANSWERS.append(text)
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


async def tool(served: Served, name: str, arguments: dict[str, Any]) -> tuple[bool, str]:
    async with Client(served.mcp) as client:
        result = await client.call_tool(name, arguments)
    text = result.content[0].text  # type: ignore[union-attr]
    ANSWERS.append(text)
    return bool(result.is_error), text


def expected_segment(value: str) -> str:
    return value.replace(".", "%2E") if value in (".", "..") else quote(value, safe="")


@pytest.mark.anyio
async def test_path_values_stay_one_encoded_segment_on_the_upstream_host(
    served: Served, upstream: RecordingUpstream
) -> None:
    for value in HOSTILE_SEGMENTS:
        upstream.requests.clear()

        is_error, _ = await tool(served, "get-item", {"id": value})

        assert not is_error, value
        (sent,) = upstream.requests
        assert sent.path == f"/api/items/{expected_segment(value)}/detail", value
        assert sent.query == []
        assert sent.headers["host"] == urlsplit(upstream.base_url).netloc


@pytest.mark.parametrize(
    ("raw", "value"),
    [("%2e%2e", ".."), ("%2E%2E%2Fadmin", "../admin"), ("a%3Fb%3Dc", "a?b=c"), ("a%23b", "a#b")],
)
def test_rest_path_values_are_re_encoded_for_the_upstream(
    served: Served, upstream: RecordingUpstream, raw: str, value: str
) -> None:
    upstream.requests.clear()

    status, _ = rest("GET", f"{served.rest}/items/{raw}")

    if "/" in value:  # a decoded '/' is not one REST path segment: Starlette answers 404
        assert status == 404
        assert upstream.requests == []
        return
    assert status == 200
    assert upstream.last.path == f"/api/items/{expected_segment(value)}/detail"


@pytest.mark.anyio
async def test_query_values_are_encoded_and_cannot_add_parameters(
    served: Served, upstream: RecordingUpstream
) -> None:
    values = {"q": "a&admin=1#x y=z", "next": "https://evil.example/?a=b&c=d"}

    is_error, _ = await tool(served, "get-item", {"id": "1", **values})
    status, _ = rest(
        "GET",
        f"{served.rest}/items/2?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in values.items()),
    )

    assert not is_error and status == 200
    for sent in upstream.requests[-2:]:
        assert sorted(sent.query) == sorted(values.items())
        assert sent.headers["host"] == urlsplit(upstream.base_url).netloc


@pytest.mark.anyio
@pytest.mark.parametrize("value", ["a\r\nX-Evil: 1", "a\nb", "a\rb", "a\x00b", "a\x7fb"])
async def test_control_characters_in_a_header_value_are_refused_and_never_sent(
    served: Served, upstream: RecordingUpstream, value: str
) -> None:
    upstream.requests.clear()

    is_error, text = await tool(served, "get-item", {"id": "1", "X-Trace": value})
    status, body = rest("GET", f"{served.rest}/items/1?X-Trace={quote(value, safe='')}")

    assert is_error is True
    assert text == "X-Trace must not contain line breaks or control characters"
    assert status == 400
    assert body == {"error": "invalid_input", "message": text, "field": "X-Trace"}
    assert upstream.requests == []


@pytest.mark.anyio
async def test_a_plain_header_value_is_sent(served: Served, upstream: RecordingUpstream) -> None:
    is_error, _ = await tool(served, "get-item", {"id": "1", "X-Trace": "abc\tdef é"})

    assert not is_error
    assert upstream.last.headers["x-trace"] == "abc\tdef é".encode().decode("latin-1")


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_bodies_over_the_limit_are_413_and_never_sent(
    served: Served, upstream: RecordingUpstream, chunked: bool
) -> None:
    upstream.requests.clear()
    body = json.dumps({"blob": "x" * MAX_BODY}).encode()
    target = urlsplit(served.rest)
    connection = HTTPConnection(target.hostname or "", target.port, timeout=30)
    try:
        if chunked:
            connection.request(
                "POST", "/items", iter([body[:100], body[100:]]), encode_chunked=True
            )
        else:
            connection.request("POST", "/items", body)
        response = connection.getresponse()
        answer = json.loads(response.read())
    finally:
        connection.close()

    assert response.status == 413
    assert answer == {
        "error": "body_too_large",
        "message": f"request body is larger than {MAX_BODY} bytes",
    }
    assert upstream.requests == []


def test_the_mcp_endpoint_refuses_bodies_over_the_sdk_limit(
    served: Served, upstream: RecordingUpstream
) -> None:
    upstream.requests.clear()
    target = urlsplit(served.mcp)
    connection = HTTPConnection(target.hostname or "", target.port, timeout=30)
    try:  # announce 5 MiB and send none of it: the answer must not wait for the body
        connection.putrequest("POST", target.path)
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Accept", "application/json, text/event-stream")
        connection.putheader("Content-Length", str(5 * 1024 * 1024))
        connection.endheaders()
        status = connection.getresponse().status
    finally:
        connection.close()

    assert status == 413
    assert upstream.requests == []


def test_a_body_within_the_limit_is_forwarded(served: Served, upstream: RecordingUpstream) -> None:
    document = {"blob": "x" * (MAX_BODY - 100)}

    status, _ = rest(
        "POST", served.rest + "/items", json.dumps(document).encode(), **{"Content-Type": "json"}
    )

    assert status == 200
    assert upstream.last.json() == document


def test_the_body_limit_defaults_to_one_mebibyte(site: Path) -> None:
    code = "from requests.settings import load_settings; print(load_settings().max_body_bytes)"
    finished = subprocess.run(
        [sys.executable, "-c", code],
        env=package_env(site, REQ_TOKEN=TOKEN),
        capture_output=True,
        text=True,
        check=True,
    )

    assert finished.stdout.strip() == str(1024 * 1024)


@pytest.mark.anyio
async def test_invalid_input_is_400_or_is_error_naming_the_field(
    served: Served, upstream: RecordingUpstream
) -> None:
    upstream.requests.clear()

    wrong_type = rest("GET", f"{served.rest}/items/1?limit=many")
    no_body = rest("POST", f"{served.rest}/items", b"")
    bad_json = rest("POST", f"{served.rest}/items", b"{nope")
    mcp_missing = await tool(served, "get-item", {})
    mcp_type = await tool(served, "get-item", {"id": "1", "limit": "many"})

    assert wrong_type == (
        400,
        {"error": "invalid_input", "message": "limit must be of type integer", "field": "limit"},
    )
    assert no_body == (
        400,
        {"error": "invalid_input", "message": "body is required", "field": "body"},
    )
    assert bad_json == (
        400,
        {"error": "invalid_body", "message": "request body is not valid JSON"},
    )
    assert mcp_missing == (True, "invalid arguments: id is required")
    assert mcp_type == (True, "invalid arguments: limit must be of type integer")
    assert upstream.requests == []


def test_the_token_is_sent_upstream_but_never_answered_or_logged(
    served: Served, upstream: RecordingUpstream
) -> None:
    rest("GET", f"{served.rest}/nowhere")
    rest("DELETE", f"{served.rest}/items/1")
    status, _ = rest("GET", f"{served.rest}/items/1")

    assert status == 200
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in upstream.requests)
    assert len(ANSWERS) > 20
    assert not [answer for answer in ANSWERS if TOKEN in answer]
    log = served.stderr()
    assert "DEBUG" in log  # the debug log was on
    assert TOKEN not in log
    assert "Traceback" not in log


def test_a_secret_with_a_line_break_is_a_502_that_does_not_show_it(
    site: Path, upstream: RecordingUpstream, tmp_path: Path
) -> None:
    secret = TOKEN + "\r\nX-Injected: 1"
    env = package_env(site, REQ_TOKEN=secret, SHOP_BASE_URI=upstream.base_url + "/api")
    upstream.requests.clear()
    with serve(
        site / "bin" / "requests",
        env,
        tmp_path,
        "--only",
        "rest",
        "--rest-port",
        "0",
        options=("--log-level", "debug"),
    ) as served:
        status, body = rest("GET", f"{served.rest}/items/1")
        log = served.stderr()

    assert status == 502
    assert body == {
        "error": "upstream_unavailable",
        "message": "a header of upstream 'shop' holds a line break or a control character: "
        "check the secrets and settings it is built from",
    }
    assert upstream.requests == []
    assert TOKEN not in log and "Traceback" not in log
