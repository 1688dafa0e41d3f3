"""The five sibling specs: path, query and body inputs reach the gateway over REST and MCP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from tests.integration.conftest import TOKEN, package_env
from tests.integration.test_web_sessions import http
from tests.support.ibkr_gateway import FakeGateway
from tests.support.served import Served, serve

SIBLINGS = ("web-accounts", "web-contracts", "web-market-data", "web-orders", "web-portfolio")


@pytest.fixture(scope="module")
def siblings(
    installed: Path, gateway: FakeGateway, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Served]]:
    with ExitStack() as stack:
        running = {}
        for dist in SIBLINGS:
            prefix = dist.upper().replace("-", "_")
            env = package_env(
                installed,
                INTERACTIVE_BROKERS_API_KEY=TOKEN,
                **{f"{prefix}_BASE_URI": gateway.base_url},
            )
            running[dist] = stack.enter_context(
                serve(
                    installed / "bin" / dist,
                    env,
                    tmp_path_factory.mktemp(dist),
                    "--rest-port",
                    "0",
                    "--mcp-port",
                    "0",
                )
            )
        yield running


async def call_tool(served: Served, name: str, arguments: dict[str, Any]) -> Any:
    async with Client(served.mcp) as client:
        return await client.call_tool(name, arguments)


def test_query_inputs_reach_the_gateway_as_query_parameters(
    siblings: dict[str, Served], gateway: FakeGateway
) -> None:
    url = siblings["web-market-data"].rest + "/v1/iserver/marketdata/history"

    status, _, body = http("GET", url + "?conid=265598&period=1d&bar=1h")

    assert status == 200
    assert json.loads(body)["data"]
    received = gateway.last_request
    assert received is not None
    assert received.path == "/iserver/marketdata/history"
    assert received.query == [("conid", "265598"), ("period", "1d"), ("bar", "1h")]


def test_missing_required_query_input_is_400_naming_it_and_nothing_is_sent(
    siblings: dict[str, Served], gateway: FakeGateway
) -> None:
    url = siblings["web-market-data"].rest + "/v1/iserver/marketdata/history"

    status, _, body = http("GET", url + "?conid=265598&period=1d")

    assert status == 400
    assert json.loads(body) == {
        "error": "invalid_input",
        "message": "bar is required",
        "field": "bar",
    }
    assert gateway.requests == []


def test_optional_query_input_is_left_out_when_absent(
    siblings: dict[str, Served], gateway: FakeGateway
) -> None:
    url = siblings["web-market-data"].rest + "/v1/iserver/marketdata/snapshot?conids=265598,8314"

    status, _, body = http("GET", url)

    assert status == 200
    assert [row["conid"] for row in json.loads(body)] == [265598, 8314]
    assert gateway.last_request is not None
    assert gateway.last_request.query == [("conids", "265598,8314")]


def test_path_inputs_match_case_insensitively_and_are_encoded_per_segment(
    siblings: dict[str, Served], gateway: FakeGateway
) -> None:
    url = siblings["web-portfolio"].rest + "/v1/portfolio/U%201%3Fx/positions/0"

    status, _, body = http("GET", url)

    assert status == 200
    assert json.loads(body)[0]["acctId"] == "U 1?x"
    received = gateway.last_request
    assert received is not None
    assert received.raw_path == "/v1/api/portfolio/U%201%3Fx/positions/0"


def test_rest_body_input_is_forwarded_as_the_whole_json_body(
    siblings: dict[str, Served], gateway: FakeGateway
) -> None:
    url = siblings["web-orders"].rest + "/v1/iserver/account/U1234567/orders"
    order = {"orders": [{"conid": 265598, "side": "BUY", "quantity": 1, "orderType": "MKT"}]}

    status, _, body = http("POST", url, json.dumps(order).encode())

    assert status == 200
    assert json.loads(body)[0]["order_status"] == "Submitted"
    received = gateway.last_request
    assert received is not None
    assert received.path == "/iserver/account/U1234567/orders"
    assert received.json() == order
    assert received.headers["content-type"] == "application/json"
    assert received.headers["content-length"] == str(len(received.body))


def test_invalid_json_body_is_400_and_nothing_is_sent(
    siblings: dict[str, Served], gateway: FakeGateway
) -> None:
    url = siblings["web-contracts"].rest + "/v1/iserver/secdef/search"

    status, _, body = http("POST", url, b"{not json")

    assert status == 400
    assert json.loads(body)["error"] == "invalid_body"
    assert gateway.requests == []


def test_missing_required_body_is_400_naming_it(
    siblings: dict[str, Served], gateway: FakeGateway
) -> None:
    url = siblings["web-contracts"].rest + "/v1/iserver/secdef/search"

    status, _, body = http("POST", url, b"")

    assert status == 400
    assert json.loads(body)["field"] == "body"
    assert gateway.requests == []


def test_get_without_inputs_reaches_the_gateway(
    siblings: dict[str, Served], gateway: FakeGateway
) -> None:
    status, _, body = http("GET", siblings["web-accounts"].rest + "/v1/iserver/accounts")

    assert status == 200
    assert json.loads(body)["selectedAccount"] == "U1234567"
    assert gateway.last_request is not None
    assert "content-length" not in gateway.last_request.headers


@pytest.mark.anyio
async def test_mcp_tool_schema_is_derived_from_with_and_consumed_parameters(
    siblings: dict[str, Served],
) -> None:
    async with Client(siblings["web-market-data"].mcp) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}

    schema = tools["get-market-data-snapshot"].input_schema
    assert schema["properties"] == {
        "conids": {"type": "string", "description": "Comma-separated list of contract IDs"},
        "fields": {"type": "string", "description": "Comma-separated list of field IDs to return"},
    }
    assert schema["required"] == ["conids"]


@pytest.mark.anyio
async def test_mcp_body_argument_is_sent_as_the_json_body(
    siblings: dict[str, Served], gateway: FakeGateway
) -> None:
    result = await call_tool(
        siblings["web-contracts"], "search-contracts", {"body": {"symbol": "AAPL"}}
    )

    assert result.is_error is False
    assert json.loads(result.content[0].text)[0]["symbol"] == "AAPL"
    assert gateway.last_request is not None
    assert gateway.last_request.json() == {"symbol": "AAPL"}


@pytest.mark.anyio
async def test_mcp_path_argument_cannot_escape_its_segment(
    siblings: dict[str, Served], gateway: FakeGateway
) -> None:
    result = await call_tool(
        siblings["web-orders"], "place-order", {"accountId": "../../admin", "body": {"orders": []}}
    )

    received = gateway.last_request
    assert received is not None
    assert received.raw_path == "/v1/api/iserver/account/..%2F..%2Fadmin/orders"
    assert result.is_error is False


@pytest.mark.anyio
async def test_mcp_invalid_arguments_are_an_error_result_naming_the_field(
    siblings: dict[str, Served], gateway: FakeGateway
) -> None:
    result = await call_tool(siblings["web-portfolio"], "get-portfolio-positions", {"accountId": 7})

    assert result.is_error is True
    assert "accountId" in result.content[0].text or "pageId" in result.content[0].text
    assert gateway.requests == []


@pytest.mark.anyio
async def test_mcp_query_arguments_reach_the_gateway(
    siblings: dict[str, Served], gateway: FakeGateway
) -> None:
    result = await call_tool(
        siblings["web-market-data"],
        "get-historical-market-data",
        {"conid": "265598", "period": "1w", "bar": "1d"},
    )

    assert result.is_error is False
    assert gateway.last_request is not None
    assert gateway.last_request.query == [("conid", "265598"), ("period", "1w"), ("bar", "1d")]
