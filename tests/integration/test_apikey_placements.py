"""apikey placements from the real-world dialect, on the wire: ``placement: path`` (the key fills
``{key}`` in the baseUri or a consumed path, Telegram's ``/bot{token}``), ``placement: body`` (a
member of the JSON or form body, else a query parameter, as Vonage takes it) and the
``header: NAME`` spelling — asserted on what a real upstream on 127.0.0.1 received."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from urllib.parse import parse_qsl
from urllib.request import Request, urlopen

import pytest
from mcp import Client

from tests.integration.conftest import package_env
from tests.support.packages import build_and_install
from tests.support.recording_upstream import RecordingUpstream
from tests.support.served import Served, serve
from tests.support.tool_calls import received_for as call

SPEC = """\
naftiko: 1.0.0-alpha2
info:
  label: Key places
binds:
- namespace: env
  keys:
    BOT_TOKEN: BOT_TOKEN
    SMS_KEY: SMS_KEY
    GATE_KEY: GATE_KEY
capability:
  consumes:
  - type: http
    namespace: bot
    baseUri: https://api.bot.example.test/bot{token}
    authentication: {type: apikey, key: token, value: '{{BOT_TOKEN}}', placement: path}
    resources:
    - {name: me, path: /getMe, operations: [{name: get-me, method: POST}]}
  - type: http
    namespace: files
    baseUri: https://files.example.test
    authentication: {type: apikey, key: token, value: '{{BOT_TOKEN}}', placement: path}
    resources:
    - name: file
      path: /file/bot{token}/{file_path}
      operations: [{name: get-file, method: GET}]
  - type: http
    namespace: sms
    baseUri: https://sms.example.test
    authentication: {type: apikey, key: api_key, value: '{{SMS_KEY}}', placement: body}
    resources:
    - name: sms
      path: /sms/json
      operations:
      - name: send
        method: POST
        inputParameters:
        - {name: to, in: body, type: string}
        - {name: text, in: body, type: string}
      - name: send-form
        method: PUT
        body: {type: formUrlEncoded, data: {to: '{{to}}'}}
      - name: upload
        method: PATCH
        inputParameters:
        - {name: note, in: formData}
    - {name: balance, path: /balance, operations: [{name: get-balance, method: GET}]}
  - type: http
    namespace: gate
    baseUri: https://gate.example.test
    authentication: {type: apikey, header: Authorization, value: 'Key {{GATE_KEY}}'}
    resources:
    - {name: services, path: /services, operations: [{name: list-services, method: GET}]}
  exposes:
  - type: mcp
    namespace: keys-mcp
    port: 9090
    tools:
    - {name: get-me, description: Who the bot is, call: bot.get-me}
    - {name: get-file, description: A file, call: files.get-file}
    - {name: send, description: Send a text, call: sms.send}
    - {name: send-form, description: Send a text as a form, call: sms.send-form}
    - {name: upload, description: Upload a note, call: sms.upload}
    - {name: get-balance, description: Balance, call: sms.get-balance}
    - {name: list-services, description: Services, call: gate.list-services}
  - type: rest
    namespace: keys-rest
    port: 8080
    resources:
    - path: /bot/{{path}}
      forward: {targetNamespace: bot}
    - path: /sms/{{path}}
      forward: {targetNamespace: sms}
"""

# A Telegram-like token: ':' and '/' must not leave the path segment they fill.
TOKEN = "123:AB/c"
ENV = {"BOT_TOKEN": TOKEN, "SMS_KEY": "k&y=1", "GATE_KEY": "g4te"}


@pytest.fixture(scope="module")
def upstream() -> Iterator[RecordingUpstream]:
    with RecordingUpstream() as running:
        yield running


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_and_install(SPEC, "key-places", tmp_path_factory.mktemp("keys"))


def environment(package: Path, upstream: RecordingUpstream, **extra: str) -> dict[str, str]:
    bases = {
        "BOT_BASE_URI": upstream.base_url + "/bot{token}",
        **{f"{ns}_BASE_URI": upstream.base_url for ns in ("FILES", "SMS", "GATE")},
    }
    return package_env(package, **{**bases, **ENV, **extra})


@pytest.fixture(scope="module")
def served(
    package: Path, upstream: RecordingUpstream, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    workdir = tmp_path_factory.mktemp("keys-run")
    command = package / "bin" / "key-places"
    env = environment(package, upstream)
    with serve(command, env, workdir, "--mcp-port", "0", "--rest-port", "0") as running:
        yield running


def post(url: str, body: bytes) -> None:
    request = Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
    with urlopen(request, timeout=30) as answer:
        assert answer.status == 200


@pytest.mark.anyio
async def test_a_path_apikey_fills_the_base_uri_placeholder_as_one_encoded_segment(
    served: Served, upstream: RecordingUpstream
) -> None:
    sent = await call(served, upstream, "get-me", {})

    assert (sent.method, sent.path) == ("POST", "/bot123%3AAB%2Fc/getMe")
    assert sent.query == []
    assert "authorization" not in sent.headers


@pytest.mark.anyio
async def test_a_path_apikey_fills_its_placeholder_in_a_consumed_path_next_to_caller_values(
    served: Served, upstream: RecordingUpstream
) -> None:
    sent = await call(served, upstream, "get-file", {"file_path": "a b.png"})

    assert sent.path == "/file/bot123%3AAB%2Fc/a%20b.png"


@pytest.mark.anyio
async def test_a_path_apikey_is_no_caller_input(served: Served) -> None:
    async with Client(served.mcp) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}

    assert "token" not in tools["get-file"].input_schema.get("properties", {})
    assert tools["get-file"].input_schema.get("required") == ["file_path"]


@pytest.mark.anyio
async def test_a_body_apikey_is_a_member_of_the_json_body(
    served: Served, upstream: RecordingUpstream
) -> None:
    sent = await call(served, upstream, "send", {"to": "+33600000000", "text": "hi"})

    assert sent.json() == {"to": "+33600000000", "text": "hi", "api_key": "k&y=1"}
    assert sent.query == []


@pytest.mark.anyio
async def test_a_body_apikey_is_a_field_of_a_form_body(
    served: Served, upstream: RecordingUpstream
) -> None:
    sent = await call(served, upstream, "send-form", {"to": "a&b"})

    assert sent.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qsl(sent.body.decode()) == [("to", "a&b"), ("api_key", "k&y=1")]
    assert sent.query == []


@pytest.mark.anyio
async def test_a_body_apikey_is_a_part_of_a_multipart_body(
    served: Served, upstream: RecordingUpstream
) -> None:
    sent = await call(served, upstream, "upload", {"note": "n"})

    head = f"Content-Type: {sent.headers['content-type']}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + sent.body)
    fields = {
        str(part.get_param("name", header="content-disposition")): part.get_payload(decode=True)
        for part in message.iter_parts()
    }
    assert fields == {"note": b"n", "api_key": b"k&y=1"}


@pytest.mark.anyio
async def test_a_body_apikey_goes_in_the_query_of_a_request_without_a_body(
    served: Served, upstream: RecordingUpstream
) -> None:
    sent = await call(served, upstream, "get-balance", {})

    assert (sent.method, sent.path, sent.body) == ("GET", "/balance", b"")
    assert sent.query == [("api_key", "k&y=1")]


@pytest.mark.anyio
async def test_an_apikey_written_header_name_is_sent_in_that_header(
    served: Served, upstream: RecordingUpstream
) -> None:
    sent = await call(served, upstream, "list-services", {})

    assert sent.headers["authorization"] == "Key g4te"
    assert sent.query == []


def test_a_forwarded_request_gets_the_path_key_in_its_base_uri_and_the_body_key_in_its_query(
    served: Served, upstream: RecordingUpstream
) -> None:
    post(served.rest + "/bot/sendMessage?x=1", b'{"chat_id": 1}')
    to_bot = upstream.last
    post(served.rest + "/sms/sms/json", b'{"to": "1"}')
    to_sms = upstream.last

    assert (to_bot.path, to_bot.query) == ("/bot123%3AAB%2Fc/sendMessage", [("x", "1")])
    assert (to_sms.path, to_sms.query) == ("/sms/json", [("api_key", "k&y=1")])
    assert to_sms.body == b'{"to": "1"}'


def test_no_key_is_written_into_the_package_nor_shown_by_the_settings_repr(
    package: Path, upstream: RecordingUpstream
) -> None:
    shown = subprocess.run(
        [sys.executable, "-c", "from key_places.settings import load_settings as l; print(l())"],
        env=environment(package, upstream),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    written = "\n".join(path.read_text("utf-8") for path in (package / "key_places").rglob("*.py"))

    assert "bot{token}" in shown  # the placeholder stays; the client fills it per request
    for secret in ENV.values():
        assert secret not in shown
        assert secret not in written


def test_a_replacement_base_uri_without_the_key_placeholder_stops_start_up(
    package: Path, upstream: RecordingUpstream, tmp_path: Path
) -> None:
    env = environment(package, upstream, BOT_BASE_URI=upstream.base_url)

    result = subprocess.run(
        [str(package / "bin" / "key-places"), "serve", "--mcp-port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )

    assert result.returncode == 2
    assert "BOT_BASE_URI must contain {token}" in result.stderr
    assert TOKEN not in result.stderr
