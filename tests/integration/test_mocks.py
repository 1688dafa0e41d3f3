"""Mock outputs (semantics §5.3): no ``call``, no ``steps``; the outputs' ``value``s rendered
with the caller's inputs. Nothing reaches the upstream."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from mcp import Client

from tests.integration.conftest import package_env
from tests.integration.test_web_sessions import http_request
from tests.support.packages import build_and_install
from tests.support.routed_upstream import RoutedUpstream, answer
from tests.support.served import Served, serve

# Tutorial step 1 (a mock MCP tool) plus the same mock on REST, a nested one and an empty one;
# one real call keeps an upstream in the package so we can see it is never called by mocks.
SPEC = """\
naftiko: 1.0.0-alpha2
info: {label: Mocks}
capability:
  consumes:
  - type: http
    namespace: registry
    baseUri: https://registry.example.test
    resources:
    - path: /ping
      operations:
      - {name: ping, method: GET}
  exposes:
  - type: mcp
    namespace: shipyard-tools
    port: 9090
    tools:
    - name: get-ship
      description: Retrieve a ship's details by IMO number
      inputParameters:
      - {name: imo_number, type: string, required: true, description: IMO number of the ship}
      outputParameters: &ship
      - {name: imo, type: string, value: '{{imo_number}}'}
      - {name: name, type: string, value: Northern Star}
      - {name: status, type: string, value: active}
      - {name: year, type: integer, value: 2015}
      - type: object
        name: payload
        properties:
          id: {type: string, value: '42'}
          note: {type: string, value: 'for {{imo_number}} and {{nobody}}'}
          nothing: {type: string}
      - {type: array, name: tags, items: {type: string, value: active}}
      - {type: string, value: ok}
    - name: ping
      description: A real call
      call: registry.ping
  - type: rest
    namespace: shipyard-api
    port: 8080
    resources:
    - path: /ships/{imo_number}
      operations:
      - name: get-ship
        method: GET
        inputParameters: [{name: imo_number, in: path, type: string, description: IMO}]
        outputParameters: *ship
    - path: /empty
      operations:
      - name: empty
        method: POST
        outputParameters: [{type: object, properties: {a: {type: string, value: x}}}]
"""

EXPECTED = {
    "imo": "IMO-9321483",
    "name": "Northern Star",
    "status": "active",
    "year": 2015,
    "payload": {"id": "42", "note": "for IMO-9321483 and "},
    "tags": ["active"],
    "value": "ok",
}


@pytest.fixture(scope="module")
def upstream() -> Iterator[RoutedUpstream]:
    with RoutedUpstream({"/ping": answer({"pong": True})}) as running:
        yield running


@pytest.fixture(scope="module")
def mocks(upstream: RoutedUpstream, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    workdir = tmp_path_factory.mktemp("mocks")
    target = build_and_install(SPEC, "mocks", workdir)
    env = package_env(target, REGISTRY_BASE_URI=upstream.base_url)
    with serve(
        target / "bin" / "mocks", env, workdir, "--rest-port", "0", "--mcp-port", "0"
    ) as served:
        yield served


async def call(served: Served, name: str, arguments: dict[str, Any]) -> Any:
    async with Client(served.mcp) as client:
        return await client.call_tool(name, arguments)


@pytest.mark.anyio
async def test_an_mcp_mock_renders_values_with_the_arguments_and_calls_nothing(
    mocks: Served, upstream: RoutedUpstream
) -> None:
    before = len(upstream.requests)

    result = await call(mocks, "get-ship", {"imo_number": "IMO-9321483"})

    assert not result.is_error
    assert json.loads(result.content[0].text) == EXPECTED
    assert result.structured_content == EXPECTED
    assert len(upstream.requests) == before


def test_a_rest_mock_answers_200_json_with_the_path_input(
    mocks: Served, upstream: RoutedUpstream
) -> None:
    before = len(upstream.requests)

    status, headers, body = http_request(urllib.request.Request(mocks.rest + "/ships/IMO-9321483"))

    assert status == 200
    assert headers["content-type"] == "application/json"
    assert json.loads(body) == EXPECTED
    assert len(upstream.requests) == before


def test_a_rest_mock_with_an_unnamed_object_answers_under_value(mocks: Served) -> None:
    status, _, body = http_request(
        urllib.request.Request(mocks.rest + "/empty", data=b"", method="POST")
    )

    assert (status, json.loads(body)) == (200, {"value": {"a": "x"}})


@pytest.mark.anyio
async def test_a_real_call_next_to_mocks_still_reaches_the_upstream(
    mocks: Served, upstream: RoutedUpstream
) -> None:
    result = await call(mocks, "ping", {})

    assert json.loads(result.content[0].text) == {"pong": True}
    assert upstream.requests[-1].path == "/ping"


def test_the_openapi_document_says_the_answer_is_a_mock(mocks: Served) -> None:
    status, _, body = http_request(urllib.request.Request(mocks.rest + "/openapi.json"))

    assert status == 200
    operation = json.loads(body)["paths"]["/ships/{imo_number}"]["get"]
    assert operation["responses"]["200"]["description"].startswith("A mock answer")
