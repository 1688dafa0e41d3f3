"""Tests of the fake IBKR gateway itself, so failures elsewhere can trust what it reports.

Clients are urllib (ordinary, well-behaved requests) and a raw socket (requests no polite
client would send: no User-Agent, chunked POST, an exact percent-encoded target).
"""

from __future__ import annotations

import json
import signal
import socket
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.ibkr_gateway import FakeGateway

TOKEN = "secret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def gateway() -> Iterator[FakeGateway]:
    with FakeGateway(token=TOKEN) as gw:
        yield gw


def call(
    url: str,
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    context: ssl.SSLContext | None = None,
    timeout: float = 5.0,
) -> tuple[int, str, Any]:
    """Send one request with urllib; return (status, content type, decoded JSON body)."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
            return response.status, response.headers["Content-Type"], json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers["Content-Type"], json.loads(error.read())


def raw_call(gw: FakeGateway, head: str, body: bytes = b"") -> tuple[int, Any]:
    """Send bytes exactly as written (CRLFs added); return (status, decoded JSON body)."""
    request = head.strip().replace("\n", "\r\n").encode() + b"\r\nConnection: close\r\n\r\n"
    with socket.create_connection(("127.0.0.1", gw.port), timeout=5) as sock:
        sock.sendall(request + body)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    head_bytes, _, payload = b"".join(chunks).partition(b"\r\n\r\n")
    return int(head_bytes.split()[1]), json.loads(payload)


def test_post_without_user_agent_is_refused_with_403_and_still_recorded(
    gateway: FakeGateway,
) -> None:
    status, body = raw_call(
        gateway,
        f"POST /v1/api/iserver/auth/status HTTP/1.1\nHost: x\n"
        f"Authorization: Bearer {TOKEN}\nContent-Length: 0",
    )

    assert (status, body) == (403, {"error": body["error"], "statusCode": 403})
    recorded = gateway.last_request
    assert recorded is not None
    assert recorded.method == "POST" and recorded.path == "/iserver/auth/status"
    assert "user-agent" not in recorded.headers
    assert recorded.header_names_raw == ("Host", "Authorization", "Content-Length", "Connection")


def test_chunked_post_without_content_length_is_refused_with_411(gateway: FakeGateway) -> None:
    status, body = raw_call(
        gateway,
        f"POST /v1/api/iserver/secdef/search HTTP/1.1\nHost: x\nUser-Agent: t\n"
        f"Authorization: Bearer {TOKEN}\nTransfer-Encoding: chunked",
        b'12\r\n{"symbol": "AAPL"}\r\n0\r\n\r\n',
    )

    assert status == 411 and body["statusCode"] == 411
    recorded = gateway.last_request
    assert recorded is not None and recorded.json() == {"symbol": "AAPL"}


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", f"bearer {TOKEN}", TOKEN])
def test_missing_or_inexact_bearer_token_is_refused_with_401(
    gateway: FakeGateway, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}

    status, content_type, body = call(gateway.base_url + "/tickle", headers=headers)

    assert (status, content_type) == (401, "application/json")
    assert body["statusCode"] == 401


def test_authenticated_auth_status_post_returns_the_documented_example(
    gateway: FakeGateway,
) -> None:
    status, content_type, body = call(
        gateway.base_url + "/iserver/auth/status", method="POST", headers=AUTH
    )

    assert (status, content_type) == (200, "application/json")
    assert body == {
        "authenticated": True,
        "competing": False,
        "connected": True,
        "message": "",
        "MAC": "12:B:B3:23:BF:A0",
        "serverInfo": {
            "serverName": "JifN19053",
            "serverVersion": "Build 10.25.0p, Dec 5, 2023 5:48:12 PM",
        },
        "hardware_info": "3b0679ee|98:A2:B3:23:BC:A0",
        "fail": "",
    }
    recorded = gateway.last_request
    assert recorded is not None and recorded.headers["content-length"] == "0"


def test_auth_status_follows_the_gateway_state(gateway: FakeGateway) -> None:
    url = gateway.base_url + "/iserver/auth/status"

    gateway.state = "connected"
    connected = call(url, method="POST", headers=AUTH)[2]
    gateway.state = "competing"
    competing = call(url, method="POST", headers=AUTH)[2]
    gateway.state = "logged_out"
    logged_out = call(url, method="POST", headers=AUTH)[2]
    gateway.state = "no_session"
    no_session = call(url, method="POST", headers=AUTH)

    assert (connected["authenticated"], connected["connected"]) == (False, True)
    assert (competing["authenticated"], competing["competing"]) == (True, True)
    assert logged_out == {
        "authenticated": False,
        "competing": False,
        "connected": False,
        "MAC": "12:B:B3:23:BF:A0",
    }
    assert no_session[0] == 401


def test_iserver_data_endpoints_answer_no_bridge_without_a_brokerage_session() -> None:
    with FakeGateway(state="connected") as gw:
        status, _, body = call(gw.base_url + "/iserver/accounts")

    assert (status, body) == (400, {"error": "Bad Request: no bridge", "statusCode": 400})


def test_encoded_slash_in_account_id_stays_one_segment_and_is_echoed_decoded(
    gateway: FakeGateway,
) -> None:
    status, positions = raw_call(
        gateway,
        f"GET /v1/api/portfolio/a%2Fb/positions/0%201?x=1 HTTP/1.1\nHost: x\nUser-Agent: t\n"
        f"Authorization: Bearer {TOKEN}",
    )
    order_status, _, orders = call(
        gateway.base_url + "/iserver/account/a%2Fb/orders",
        method="POST",
        body=b'{"orders": [{"conid": 265598, "cOID": "c-1"}]}',
        headers=AUTH,
    )

    assert status == 200
    assert {(p["acctId"], p["pageId"]) for p in positions} == {("a/b", "0 1")}
    assert order_status == 200
    assert orders == [
        {
            "order_id": "1234567890",
            "order_status": "Submitted",
            "encrypt_message": "1",
            "accountId": "a/b",
            "local_order_id": "c-1",
        }
    ]
    first, second = gateway.requests
    assert (first.raw_path, first.path, first.query) == (
        "/v1/api/portfolio/a%2Fb/positions/0%201",
        "/portfolio/a/b/positions/0 1",
        [("x", "1")],
    )
    assert second.raw_path == "/v1/api/iserver/account/a%2Fb/orders"


def test_summary_echoes_the_account_id(gateway: FakeGateway) -> None:
    status, _, body = call(gateway.base_url + "/portfolio/U7654321/summary", headers=AUTH)

    assert status == 200
    assert body["accountcode"]["value"] == "U7654321"
    assert body["netliquidation"]["amount"] > 0


def test_history_names_the_first_missing_query_parameter(gateway: FakeGateway) -> None:
    url = gateway.base_url + "/iserver/marketdata/history"

    missing_bar = call(url + "?conid=265598&period=1d", headers=AUTH)
    ok_status, _, ok = call(url + "?conid=265598&period=1d&bar=1h", headers=AUTH)

    assert missing_bar[0] == 400 and "'bar'" in missing_bar[2]["error"]
    assert ok_status == 200
    assert (ok["conid"], ok["period"], ok["bar"], ok["symbol"]) == ("265598", "1d", "1h", "AAPL")
    assert set(ok["data"][0]) == {"o", "c", "h", "l", "v", "t"}


def test_snapshot_returns_one_row_per_conid_with_requested_fields(gateway: FakeGateway) -> None:
    url = gateway.base_url + "/iserver/marketdata/snapshot"

    missing = call(url, headers=AUTH)
    status, _, rows = call(url + "?conids=265598,8314&fields=31,55", headers=AUTH)

    assert missing[0] == 400 and missing[2]["error"] == "Bad Request: Conid(s) missing"
    assert status == 200
    assert [(r["conid"], r["conidEx"], r["55"]) for r in rows] == [
        (265598, "265598", "AAPL"),
        (8314, "8314", "IBM"),
    ]
    assert all(isinstance(r["31"], str) and "84" not in r for r in rows)


def test_secdef_search_requires_a_symbol_and_derives_contracts_from_it(
    gateway: FakeGateway,
) -> None:
    url = gateway.base_url + "/iserver/secdef/search"

    missing = call(url, method="POST", body=b'{"name": true}', headers=AUTH)
    status, _, found = call(url, method="POST", body=b'{"symbol": "AAPL"}', headers=AUTH)
    unknown = call(url, method="POST", body=b'{"symbol": "ZZZ"}', headers=AUTH)[2]

    assert missing[0] == 400
    assert status == 200
    assert [(c["conid"], c["symbol"]) for c in found] == [("265598", "AAPL"), ("265599", "AAPL")]
    assert len(unknown) == 1 and unknown[0]["companyName"] == "ZZZ CORP"


def test_place_order_refuses_a_body_that_is_not_a_json_object(gateway: FakeGateway) -> None:
    url = gateway.base_url + "/iserver/account/U1234567/orders"

    assert call(url, method="POST", body=b"[]", headers=AUTH)[0] == 400
    assert call(url, method="POST", body=b"", headers=AUTH)[0] == 400
    assert call(url, method="POST", body=b"{not json", headers=AUTH)[0] == 400


def test_accounts_and_live_orders_have_the_documented_shape(gateway: FakeGateway) -> None:
    accounts = call(gateway.base_url + "/iserver/accounts", headers=AUTH)[2]
    orders = call(gateway.base_url + "/iserver/account/orders", headers=AUTH)[2]

    assert (accounts["accounts"], accounts["selectedAccount"]) == (["U1234567"], "U1234567")
    assert orders["snapshot"] is True and orders["orders"][0]["status"] == "Submitted"


def test_unknown_path_and_wrong_method_are_404_json(gateway: FakeGateway) -> None:
    assert call(gateway.base_url + "/nope", headers=AUTH)[:2] == (404, "application/json")
    assert call(gateway.base_url + "/iserver/accounts", "DELETE", headers=AUTH)[0] == 404
    assert call(f"http://127.0.0.1:{gateway.port}/tickle", headers=AUTH)[0] == 404


def test_override_applies_after_header_rules_until_clear(gateway: FakeGateway) -> None:
    url = gateway.base_url + "/iserver/auth/status"
    gateway.override("POST", "/iserver/auth/status", 503, {"error": "down", "statusCode": 503})

    overridden = call(url, method="POST", headers=AUTH)
    unauthenticated = call(url, method="POST")
    gateway.clear()
    restored = call(url, method="POST", headers=AUTH)

    assert overridden[0::2] == (503, {"error": "down", "statusCode": 503})
    assert unauthenticated[0] == 401
    assert restored[0] == 200
    assert len(gateway.requests) == 1


def test_override_can_send_arbitrary_bytes_and_content_type(gateway: FakeGateway) -> None:
    gateway.override("GET", "/tickle", 200, b"not json", content_type="text/plain")
    request = urllib.request.Request(gateway.base_url + "/tickle", headers=AUTH)

    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.headers["Content-Type"] == "text/plain"
        assert response.read() == b"not json"


def test_delay_lets_a_client_time_out_and_stop_does_not_wait_for_it() -> None:
    gw = FakeGateway().start()
    gw.delay_seconds = 30.0

    with pytest.raises(TimeoutError):
        call(gw.base_url + "/tickle", timeout=0.2)
    gw.stop()
    gw.stop()

    assert gw.last_request is not None and gw.last_request.path == "/tickle"


def test_tls_is_trusted_through_the_generated_ca_only() -> None:
    with FakeGateway(tls=True) as gw:
        assert gw.base_url.startswith("https://127.0.0.1:")
        assert gw.ca_pem_path is not None
        trusted = ssl.create_default_context(cafile=gw.ca_pem_path)
        status = call(gw.base_url + "/iserver/auth/status", "POST", context=trusted)[0]
        localhost_url = gw.base_url.replace("127.0.0.1", "localhost")
        localhost_status = call(localhost_url + "/tickle", context=trusted)[0]
        with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
            call(gw.base_url + "/tickle", context=ssl.create_default_context())

    assert (status, localhost_status) == (200, 200)
    assert not Path(gw.ca_pem_path).exists()


def test_cli_prints_ready_logs_without_the_token_and_exits_zero_on_sigterm() -> None:
    command = [sys.executable, "-m", "tests.support.ibkr_gateway", "--port", "0"]
    with subprocess.Popen(
        [*command, "--token", TOKEN, "--state", "competing"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stdout is not None
        ready, _, base_url = process.stdout.readline().strip().partition(" ")
        body = call(base_url + "/iserver/auth/status", "POST", headers=AUTH)[2]
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=10)

    assert ready == "READY" and base_url.startswith("http://127.0.0.1:")
    assert body["competing"] is True
    assert process.returncode == 0 and stdout == ""
    assert "POST /v1/api/iserver/auth/status 200" in stderr.splitlines()
    assert TOKEN not in stderr
