"""Consumed request bodies: templates with ``{{tools.x}}``/``{{rest.x}}``, several ``in: body``
fields, form and text bodies, and ``{{tools.x}}`` in consumed paths — checked on the wire."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from tests.integration.conftest import package_env
from tests.integration.test_web_sessions import http_request
from tests.support.packages import build_and_install
from tests.support.recording_upstream import RecordingUpstream
from tests.support.served import Served, serve

SPEC = """\
naftiko: 1.0.0-alpha2
info:
  label: Body shapes
binds:
- namespace: env
  keys:
    SHOP_TOKEN: SHOP_TOKEN
capability:
  consumes:
  - type: http
    namespace: shop
    baseUri: https://shop.example.test
    authentication: {type: bearer, token: '{{SHOP_TOKEN}}'}
    resources:
    - name: orders
      path: /orders
      operations:
      - name: create-order
        method: POST
        body:
          type: json
          data:
            items: '{{tools.items}}'
            note: 'for {{tools.customer}}'
            channel: mcp
    - name: search
      path: /search
      operations:
      - name: search
        method: POST
        body: '{"query": "{{rest.q}}", "ids": {{rest.ids}}}'
    - name: tickets
      path: /tickets
      operations:
      - name: open-ticket
        method: POST
        inputParameters:
        - {name: title, in: body, type: string, required: true}
        - {name: priority, in: body, type: integer}
    - name: login
      path: /login
      operations:
      - name: login
        method: POST
        body: {type: formUrlEncoded, data: {user: '{{tools.user}}', scope: read write}}
    - name: order
      path: /orders/{{tools.orderId}}/notes
      operations:
      - name: add-note
        method: PUT
        body: {type: text, data: 'Note: {{tools.text}}'}
  exposes:
  - type: rest
    namespace: shop-rest
    port: 8080
    resources:
    - path: /search
      operations:
      - {method: POST, name: search, call: shop.search}
  - type: mcp
    namespace: shop-mcp
    port: 9090
    tools:
    - {name: create-order, description: Create an order, call: shop.create-order}
    - {name: open-ticket, description: Open a ticket, call: shop.open-ticket}
    - {name: login, description: Log in, call: shop.login}
    - {name: add-note, description: Add a note, call: shop.add-note}
    - name: search-items
      description: Only the items of a search
      call: shop.search
      outputParameters: [{type: array, mapping: $.data.items}]
"""


@pytest.fixture(scope="module")
def upstream() -> Iterator[RecordingUpstream]:
    with RecordingUpstream() as running:
        yield running


@pytest.fixture(scope="module")
def shop(upstream: RecordingUpstream, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    workdir = tmp_path_factory.mktemp("bodies")
    target = build_and_install(SPEC, "body-shapes", workdir)
    env = package_env(target, SHOP_TOKEN="t0k3n", SHOP_BASE_URI=upstream.base_url)
    with serve(
        target / "bin" / "body-shapes", env, workdir, "--rest-port", "0", "--mcp-port", "0"
    ) as served:
        yield served


async def call(served: Served, name: str, arguments: dict[str, Any]) -> Any:
    async with Client(served.mcp) as client:
        result = await client.call_tool(name, arguments)
    assert not result.is_error, result
    return result


@pytest.mark.anyio
async def test_a_json_body_template_keeps_value_types_and_escapes_strings(
    shop: Served, upstream: RecordingUpstream
) -> None:
    await call(shop, "create-order", {"items": [{"sku": "A1", "qty": 2}], "customer": 'Ann "Q"'})

    sent = upstream.last
    assert (sent.method, sent.path) == ("POST", "/orders")
    assert sent.headers["content-type"] == "application/json"
    assert sent.headers["authorization"] == "Bearer t0k3n"
    assert sent.json() == {
        "items": [{"sku": "A1", "qty": 2}],
        "note": 'for Ann "Q"',
        "channel": "mcp",
    }


@pytest.mark.anyio
async def test_an_absent_whole_value_placeholder_leaves_the_member_out(
    shop: Served, upstream: RecordingUpstream
) -> None:
    await call(shop, "create-order", {"customer": "Bo"})

    assert upstream.last.json() == {"note": "for Bo", "channel": "mcp"}


def test_a_raw_json_string_template_is_parsed_so_quotes_cannot_break_it(
    shop: Served, upstream: RecordingUpstream
) -> None:
    status, _, body = http_request(
        urllib.request.Request(
            shop.rest + "/search",
            data=json.dumps({"q": 'say "hi"', "ids": [3, 4]}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
    )

    assert status == 200, body
    assert upstream.last.json() == {"query": 'say "hi"', "ids": [3, 4]}


@pytest.mark.anyio
async def test_several_in_body_parameters_become_the_members_of_one_object(
    shop: Served, upstream: RecordingUpstream
) -> None:
    await call(shop, "open-ticket", {"title": "Broken", "priority": 2})

    assert upstream.last.path == "/tickets"
    assert upstream.last.json() == {"title": "Broken", "priority": 2}


@pytest.mark.anyio
async def test_a_form_body_is_url_encoded(shop: Served, upstream: RecordingUpstream) -> None:
    await call(shop, "login", {"user": "ann&bo"})

    sent = upstream.last
    assert sent.headers["content-type"] == "application/x-www-form-urlencoded"
    assert sent.body == b"user=ann%26bo&scope=read+write"


@pytest.mark.anyio
async def test_a_text_body_and_a_tools_placeholder_in_the_consumed_path(
    shop: Served, upstream: RecordingUpstream
) -> None:
    await call(shop, "add-note", {"orderId": "a/b", "text": "hello"})

    sent = upstream.last
    assert (sent.method, sent.path) == ("PUT", "/orders/a%2Fb/notes")
    assert sent.headers["content-type"].startswith("text/plain")
    assert sent.body == b"Note: hello"


def test_the_generated_body_code_passes_mypy_strict(tmp_path: Path) -> None:
    target = build_and_install(SPEC, "body-shapes", tmp_path)
    module = tmp_path / "out" / "body_shapes"

    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", str(module)],
        capture_output=True,
        text=True,
        env={"MYPYPATH": str(target), "PATH": ""},
    )

    assert result.returncode == 0, result.stdout
    assert "def _form(" in (module / "upstream.py").read_text()


@pytest.mark.anyio
async def test_an_output_mapping_path_returns_only_that_part_of_the_answer(
    shop: Served, upstream: RecordingUpstream
) -> None:
    result = await call(shop, "search-items", {"q": "x", "ids": []})

    assert json.loads(result.content[0].text) == [1, 2]
    assert upstream.last.path == "/search"
