"""Fake Interactive Brokers Client Portal gateway: a real HTTP(S) server on 127.0.0.1.

Why a real socket server instead of a mocked transport: the behaviours worth testing in a
generated consumer are wire-level ones (was a ``User-Agent`` sent, was ``Content-Length``
really on the wire for a bodiless POST, was a path parameter percent-encoded, does TLS
verification work against a private CA). The rules imitate the real gateway as described in
``shared/docs/ibkr-gateway.md``: 403 without ``User-Agent``, 411 for a POST without
``Content-Length``, 401 without a session, ``{"error": ..., "statusCode": N}`` error bodies.

The server uses aiohttp's low-level ``web.Server`` (no router) so that the raw request target
is matched by hand: an encoded ``%2F`` inside a segment stays inside that segment.

Usage::

    with FakeGateway(token="secret-token") as gw:
        ...  # call gw.base_url, then inspect gw.requests / gw.last_request

CLI (for ``make run``)::

    python -m tests.support.ibkr_gateway --port 0 --token T --tls
"""

from __future__ import annotations

import argparse
import asyncio
import json as _json
import logging
import shutil
import signal
import ssl
import sys
import tempfile
import threading
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Literal, TypeAlias, cast, get_args
from urllib.parse import parse_qsl, unquote

from aiohttp import web

__all__ = ["BASE_PATH", "FakeGateway", "GatewayState", "RecordedRequest", "main"]

BASE_PATH: Final = "/v1/api"

GatewayState: TypeAlias = Literal[
    "authenticated", "connected", "competing", "logged_out", "no_session"
]
_STATES: Final[tuple[str, ...]] = get_args(GatewayState)

_LOG: Final = logging.getLogger("tests.support.ibkr_gateway")

# Fixed identity values (from the documented example) so golden snapshots stay stable.
_MAC: Final = "12:B:B3:23:BF:A0"
_SERVER_INFO: Final = {
    "serverName": "JifN19053",
    "serverVersion": "Build 10.25.0p, Dec 5, 2023 5:48:12 PM",
}
_HARDWARE_INFO: Final = "3b0679ee|98:A2:B3:23:BC:A0"
_ACCOUNT_ID: Final = "U1234567"
_TIMESTAMP_MS: Final = 1712596911000
_KNOWN_SYMBOLS: Final = {
    "AAPL": ("265598", "APPLE INC", "NASDAQ"),
    "MSFT": ("272093", "MICROSOFT CORP", "NASDAQ"),
    "IBM": ("8314", "INTL BUSINESS MACHINES CORP", "NYSE"),
}
_BODY_METHODS: Final = frozenset({"POST", "PUT", "PATCH"})

Json: TypeAlias = Any  # JSON-serialisable value; aliased so intent is visible in signatures.


@dataclass(frozen=True)
class RecordedRequest:
    """One request exactly as it arrived, so tests assert on the wire, not on intentions.

    ``path`` is percent-decoded and relative to ``/v1/api`` (left absolute when the request
    was outside the base path); ``raw_path`` is the undecoded request target without the
    query string, which is what proves that the caller encoded a path parameter.
    """

    method: str
    path: str
    raw_path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    header_names_raw: tuple[str, ...]
    body: bytes

    def json(self) -> Json:
        """Decode the body as JSON (raises ``json.JSONDecodeError`` when it is not JSON)."""
        return _json.loads(self.body)


@dataclass(frozen=True)
class _Reply:
    status: int
    body: bytes
    content_type: str = "application/json"


def _json_reply(status: int, payload: Json) -> _Reply:
    return _Reply(status, _json.dumps(payload).encode())


def _error(status: int, text: str) -> _Reply:
    return _json_reply(status, {"error": text, "statusCode": status})


def _auth_status(state: str) -> dict[str, Json]:
    """Return ``/iserver/auth/status`` for a state; ``logged_out`` omits keys, as IBKR does."""
    if state == "logged_out":
        return {"authenticated": False, "competing": False, "connected": False, "MAC": _MAC}
    return {
        "authenticated": state in ("authenticated", "competing"),
        "competing": state == "competing",
        "connected": True,
        "message": "",
        "MAC": _MAC,
        "serverInfo": dict(_SERVER_INFO),
        "hardware_info": _HARDWARE_INFO,
        "fail": "",
    }


def _tickle(state: str) -> dict[str, Json]:
    return {
        "session": "9fe1c272dc44e023a3aefe52b71d42bd",
        "ssoExpires": 444936,
        "collission": False,  # sic: IBKR's spelling
        "userId": 132329622,
        "hmds": {"error": "no bridge"},
        "iserver": {"authStatus": _auth_status(state)},
    }


def _accounts() -> dict[str, Json]:
    return {
        "accounts": [_ACCOUNT_ID],
        "acctProps": {
            _ACCOUNT_ID: {
                "hasChildAccounts": False,
                "supportsCashQty": True,
                "noFXConv": False,
                "isProp": False,
                "supportsFractions": True,
                "allowCustomerTime": False,
            }
        },
        "aliases": {_ACCOUNT_ID: _ACCOUNT_ID},
        "allowFeatures": {
            "showGFIS": True,
            "allowFXConv": True,
            "allowMTA": True,
            "snapshotRefreshTimeout": 30,
            "allowCrypto": False,
            "allowedAssetTypes": "STK,CRYPTO",
        },
        "chartPeriods": {"STK": ["*"], "CRYPTO": ["*"]},
        "groups": [],
        "profiles": [],
        "selectedAccount": _ACCOUNT_ID,
        "serverInfo": dict(_SERVER_INFO),
        "sessionId": "613de523.0000000b",
        "isFT": False,
        "isPaper": False,
    }


def _stable_number(text: str, modulo: int) -> int:
    """Derive a number from text with crc32: deterministic across runs, unlike ``hash()``."""
    return zlib.crc32(text.encode()) % modulo


def _price(conid: str) -> float:
    return 50.0 + _stable_number(conid, 20000) / 100


def _symbol_for_conid(conid: str) -> str:
    for symbol, (known_conid, _name, _exchange) in _KNOWN_SYMBOLS.items():
        if known_conid == conid:
            return symbol
    return f"C{conid}"


def _secdef_search(symbol: str) -> list[dict[str, Json]]:
    """Primary listing for any symbol, plus a second (MEXI) listing for well-known ones."""
    known = _KNOWN_SYMBOLS.get(symbol.upper())
    if known is None:
        conid = str(100000 + _stable_number(symbol.upper(), 900_000_000))
        name, exchange = f"{symbol.upper()} CORP", "NYSE"
    else:
        conid, name, exchange = known
    sections = [{"secType": "STK"}, {"secType": "OPT", "months": "JAN25;FEB25"}]
    results: list[dict[str, Json]] = [
        {
            "conid": conid,
            "companyHeader": f"{name} - {exchange}",
            "companyName": name,
            "symbol": symbol,
            "description": exchange,
            "restricted": None,
            "fop": None,
            "opt": "20250117;20250221",
            "war": None,
            "sections": sections,
        }
    ]
    if known is not None:
        results.append(
            {
                "conid": str(int(conid) + 1),
                "companyHeader": f"{name} - MEXI",
                "companyName": name,
                "symbol": symbol,
                "description": "MEXI",
                "restricted": None,
                "fop": None,
                "opt": None,
                "war": None,
                "sections": [{"secType": "STK", "exchange": "MEXI;"}],
            }
        )
    return results


def _history(conid: str, period: str, bar: str) -> dict[str, Json]:
    base = _price(conid)
    data = [
        {
            "o": round(base + i, 2),
            "c": round(base + i + 0.5, 2),
            "h": round(base + i + 1.0, 2),
            "l": round(base + i - 0.5, 2),
            "v": 1000.0 * (i + 1),
            "t": _TIMESTAMP_MS + i * 86_400_000,
        }
        for i in range(3)
    ]
    return {
        "serverId": "20477",
        "symbol": _symbol_for_conid(conid),
        "text": _symbol_for_conid(conid),
        "conid": conid,
        "period": period,
        "bar": bar,
        "timePeriod": period,
        "priceFactor": 100,
        "startTime": "20240408-13:30:00",
        "high": f"{data[-1]['h']}/{int(data[-1]['v'])}/0",
        "low": f"{data[0]['l']}/{int(data[0]['v'])}/0",
        "mdAvailability": "S",
        "mktDataDelay": 0,
        "outsideRth": False,
        "volumeFactor": 1,
        "priceDisplayRule": 1,
        "priceDisplayValue": "2",
        "negativeCapable": False,
        "messageVersion": 2,
        "data": data,
        "points": len(data),
        "travelTime": 48,
    }


def _snapshot_field(conid: str, tag: str) -> str | None:
    price = _price(conid)
    values = {
        "31": f"{price:.2f}",
        "55": _symbol_for_conid(conid),
        "70": f"{price + 1:.2f}",
        "71": f"{price - 1:.2f}",
        "84": f"{price - 0.01:.2f}",
        "85": "600",
        "86": f"{price + 0.01:.2f}",
        "87": "12.3M",
        "88": "1,300",
        "6509": "RpB",
        "7059": "100",
        "7295": f"{price - 0.25:.2f}",
        "7296": f"{price + 0.25:.2f}",
    }
    return values.get(tag)


def _snapshot(conids: list[str], fields: list[str]) -> list[dict[str, Json]]:
    rows: list[dict[str, Json]] = []
    for conid in conids:
        row: dict[str, Json] = {}
        for tag in fields:
            value = _snapshot_field(conid, tag)
            if value is not None:  # IBKR omits tags it has no value for
                row[tag] = value
        row["_updated"] = _TIMESTAMP_MS
        row["conid"] = int(conid) if conid.isdigit() else conid
        row["conidEx"] = conid
        row["server_id"] = "q0"
        rows.append(row)
    return rows


def _live_orders() -> dict[str, Json]:
    order = {
        "acct": _ACCOUNT_ID,
        "conid": 265598,
        "orderId": 1234567890,
        "orderDesc": "Buy 10 Limit 150.00 GTC",
        "ticker": "AAPL",
        "secType": "STK",
        "side": "BUY",
        "orderType": "Limit",
        "price": "150.00",
        "totalSize": 10.0,
        "filledQuantity": 0.0,
        "remainingQuantity": 10.0,
        "status": "Submitted",
        "timeInForce": "GTC",
        "order_ref": "naftiko-1",
        "lastExecutionTime_r": _TIMESTAMP_MS,
    }
    return {"filters": [], "orders": [order], "snapshot": True}


def _place_orders(account_id: str, body: dict[str, Json]) -> list[dict[str, Json]]:
    """One accepted reply per submitted order (a bare object counts as one order)."""
    orders = body.get("orders")
    items: list[Json] = orders if isinstance(orders, list) and orders else [body]
    replies: list[dict[str, Json]] = []
    for index, item in enumerate(items):
        reply: dict[str, Json] = {
            "order_id": str(1234567890 + index),
            "order_status": "Submitted",
            "encrypt_message": "1",
            "accountId": account_id,
        }
        if isinstance(item, dict) and isinstance(item.get("cOID"), str):
            reply["local_order_id"] = item["cOID"]
        replies.append(reply)
    return replies


def _positions(account_id: str, page_id: str) -> list[dict[str, Json]]:
    rows: list[dict[str, Json]] = []
    for symbol, quantity in (("AAPL", 10.0), ("IBM", 5.0)):
        conid, name, exchange = _KNOWN_SYMBOLS[symbol]
        price = _price(conid)
        rows.append(
            {
                "acctId": account_id,
                "pageId": page_id,
                "conid": int(conid),
                "contractDesc": symbol,
                "position": quantity,
                "mktPrice": price,
                "mktValue": round(price * quantity, 2),
                "currency": "USD",
                "avgCost": round(price - 5, 2),
                "avgPrice": round(price - 5, 2),
                "realizedPnl": 0.0,
                "unrealizedPnl": round(5 * quantity, 2),
                "assetClass": "STK",
                "ticker": symbol,
                "name": name,
                "listingExchange": exchange,
                "multiplier": 0.0,
                "expiry": None,
                "putOrCall": None,
                "strike": "0",
                "undConid": 0,
                "hasOptions": True,
                "pageSize": 100,
            }
        )
    return rows


def _summary(account_id: str) -> dict[str, Json]:
    def entry(amount: float, currency: str | None = "USD", value: str | None = None) -> Json:
        return {
            "amount": amount,
            "currency": currency,
            "isNull": False,
            "timestamp": _TIMESTAMP_MS,
            "value": value,
            "severity": 0,
        }

    return {
        "accountcode": entry(0.0, None, account_id),
        "accounttype": entry(0.0, None, "INDIVIDUAL"),
        "netliquidation": entry(125000.5),
        "totalcashvalue": entry(25000.25),
        "equitywithloanvalue": entry(125000.5),
        "buyingpower": entry(500002.0),
        "availablefunds": entry(100000.0),
        "excessliquidity": entry(110000.0),
        "initmarginreq": entry(25000.5),
        "maintmarginreq": entry(15000.5),
    }


def _json_object_body(body: bytes) -> dict[str, Json] | None:
    try:
        value = _json.loads(body)
    except ValueError:  # includes JSONDecodeError and UnicodeDecodeError
        return None
    return value if isinstance(value, dict) else None


def _first(query: Sequence[tuple[str, str]], name: str) -> str:
    for key, value in query:
        if key == name:
            return value
    return ""


def _split_target(raw_target: str) -> tuple[str, str]:
    path, _, query = raw_target.partition("?")
    return path, query


class FakeGateway:
    """Fake IBKR CP gateway serving on its own event loop in a background thread.

    Runs in a thread (not in the test's loop) so that synchronous clients such as urllib
    and synchronous generated code can be tested, and so tests need no async plugin.
    """

    def __init__(
        self,
        token: str | None = None,
        tls: bool = False,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        state: GatewayState = "authenticated",
    ) -> None:
        self._token = token
        self._tls = tls
        self._host = host
        self._requested_port = port
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._overrides: dict[tuple[str, str], _Reply] = {}
        self._state: GatewayState = "authenticated"
        self.state = state
        self.delay_seconds: float = 0.0
        self._port: int | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self._startup_error: BaseException | None = None
        self._stopped = False
        self._tmpdir: str | None = None
        self._ca_pem_path: str | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeGateway:
        """Start serving; returns once the socket is listening (or raises why it is not)."""
        with self._lock:
            if self._stopped:
                raise RuntimeError("FakeGateway cannot be restarted after stop()")
            if self._thread is not None:
                return self
            ssl_context = self._make_ssl_context() if self._tls else None
            ready = threading.Event()
            self._thread = threading.Thread(
                target=self._run, args=(ready, ssl_context), name="fake-ibkr-gateway", daemon=True
            )
            self._thread.start()
        ready.wait()
        if self._startup_error is not None:
            self.stop()
            raise RuntimeError("fake gateway failed to start") from self._startup_error
        return self

    def stop(self) -> None:
        """Stop serving and remove the temporary CA; safe to call any number of times."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            thread, loop, stop_event = self._thread, self._loop, self._stop_event
        if loop is not None and stop_event is not None:
            try:
                loop.call_soon_threadsafe(stop_event.set)
            except RuntimeError:  # loop already closed: the server thread has exited
                pass
        if thread is not None:
            thread.join()
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)

    def __enter__(self) -> FakeGateway:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- public inspection / control -------------------------------------------------------

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeGateway is not started")
        return self._port

    @property
    def base_url(self) -> str:
        scheme = "https" if self._tls else "http"
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"{scheme}://{host}:{self.port}{BASE_PATH}"

    @property
    def ca_pem_path(self) -> str | None:
        """PEM of the throwaway CA that signed the server cert (``None`` without TLS)."""
        return self._ca_pem_path

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def last_request(self) -> RecordedRequest | None:
        with self._lock:
            return self._requests[-1] if self._requests else None

    @property
    def state(self) -> GatewayState:
        return self._state

    @state.setter
    def state(self, value: GatewayState) -> None:
        if value not in _STATES:
            raise ValueError(f"unknown gateway state {value!r}; expected one of {_STATES}")
        self._state = value

    def clear(self) -> None:
        """Forget recorded requests and overrides (state and delay are kept)."""
        with self._lock:
            self._requests.clear()
            self._overrides.clear()

    def override(
        self,
        method: str,
        path: str,
        status: int,
        body: bytes | dict[str, Json] | list[Json],
        content_type: str = "application/json",
    ) -> None:
        """Answer every later ``method path`` request with this response until ``clear()``.

        ``path`` is relative to ``/v1/api`` and compared with the percent-decoded path.
        Header rules (403/411/bearer 401) still apply first, so a test can't accidentally
        mask a missing header; the session-state 401 does not, so an override always wins.
        """
        if path.startswith(BASE_PATH + "/"):
            path = path[len(BASE_PATH) :]
        if not path.startswith("/"):
            path = "/" + path
        raw = body if isinstance(body, bytes) else _json.dumps(body).encode()
        with self._lock:
            self._overrides[(method.upper(), path)] = _Reply(status, raw, content_type)

    # -- server internals ------------------------------------------------------------------

    def _make_ssl_context(self) -> ssl.SSLContext:
        import trustme  # imported lazily: only TLS users need it installed

        ca = trustme.CA()
        server_cert = ca.issue_cert("127.0.0.1", "localhost", "::1")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_cert.configure_cert(context)
        self._tmpdir = tempfile.mkdtemp(prefix="fake-ibkr-gateway-")
        ca_path = Path(self._tmpdir) / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_path))
        self._ca_pem_path = str(ca_path)
        return context

    def _run(self, ready: threading.Event, ssl_context: ssl.SSLContext | None) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve(ready, ssl_context))
        except BaseException as exc:  # reported to start(); a thread can't raise to its caller
            self._startup_error = exc
        finally:
            ready.set()
            loop.close()

    async def _serve(self, ready: threading.Event, ssl_context: ssl.SSLContext | None) -> None:
        stop_event = asyncio.Event()
        with self._lock:
            self._stop_event = stop_event
            stopped_early = self._stopped
        server = web.Server(self._handle, access_log=None)
        # Short shutdown: delayed handlers wake on stop_event, so nothing legit takes longer.
        runner = web.ServerRunner(server, shutdown_timeout=1.0)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self._host, self._requested_port, ssl_context=ssl_context)
            await site.start()
            self._port = int(runner.addresses[0][1])
            ready.set()
            if not stopped_early:
                await stop_event.wait()
        finally:
            await runner.cleanup()

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        body = await request.read()
        record = self._record(request, body)
        reply = self._reply(request, record)
        delay = self.delay_seconds
        if delay > 0 and self._stop_event is not None:
            try:  # waits on stop_event rather than plain sleep so stop() is never held up
                await asyncio.wait_for(self._stop_event.wait(), timeout=delay)
            except TimeoutError:
                pass
        _LOG.info("%s %s %d", record.method, record.raw_path, reply.status)
        return web.Response(
            status=reply.status, body=reply.body, headers={"Content-Type": reply.content_type}
        )

    def _record(self, request: web.BaseRequest, body: bytes) -> RecordedRequest:
        raw_path, raw_query = _split_target(request.raw_path)
        decoded = unquote(raw_path)
        relative = decoded[len(BASE_PATH) :] if decoded.startswith(BASE_PATH + "/") else decoded
        headers: dict[str, str] = {}
        names: list[str] = []
        for raw_name, raw_value in request.raw_headers:
            name = raw_name.decode("latin-1")
            value = raw_value.decode("latin-1")
            names.append(name)
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        record = RecordedRequest(
            method=request.method,
            path=relative,
            raw_path=raw_path,
            query=parse_qsl(raw_query, keep_blank_values=True),
            headers=headers,
            header_names_raw=tuple(names),
            body=body,
        )
        with self._lock:
            self._requests.append(record)
        return record

    def _reply(self, request: web.BaseRequest, record: RecordedRequest) -> _Reply:
        """Apply the gateway's rules in the real gateway's order, then route."""
        if "User-Agent" not in request.headers:
            return _error(403, "Forbidden: User-Agent header is required")
        if record.method in _BODY_METHODS and "Content-Length" not in request.headers:
            return _error(411, "Length Required: Content-Length header is required")
        if self._token is not None:
            if request.headers.get("Authorization") != f"Bearer {self._token}":
                return _error(401, "Unauthorized: invalid or missing bearer token")
        with self._lock:
            override = self._overrides.get((record.method, record.path))
        if override is not None:
            return override
        state = self._state
        if state == "no_session":
            return _error(401, "Unauthorized: no session")
        raw_path, _ = _split_target(request.raw_path)
        if not raw_path.startswith(BASE_PATH + "/"):
            return _error(404, f"Not Found: {record.path}")
        segments = [unquote(s) for s in raw_path[len(BASE_PATH) + 1 :].split("/")]
        return self._route(record, segments, state)

    def _route(self, record: RecordedRequest, segments: list[str], state: str) -> _Reply:
        method = record.method
        if (
            segments[:1] == ["iserver"]
            and segments[:3] != ["iserver", "auth", "status"]
            and state in ("connected", "logged_out")
        ):
            # Real gateway: /iserver/* needs a brokerage session ("no bridge" otherwise).
            return _error(400, "Bad Request: no bridge")
        match (method, segments):
            case ("GET" | "POST", ["iserver", "auth", "status"]):
                return _json_reply(200, _auth_status(state))
            case ("GET" | "POST", ["tickle"]):
                return _json_reply(200, _tickle(state))
            case ("GET", ["iserver", "accounts"]):
                return _json_reply(200, _accounts())
            case ("POST", ["iserver", "secdef", "search"]):
                body = _json_object_body(record.body)
                symbol = body.get("symbol") if body is not None else None
                if not isinstance(symbol, str) or not symbol:
                    return _error(400, "Bad Request: body must be a JSON object with 'symbol'")
                return _json_reply(200, _secdef_search(symbol))
            case ("GET", ["iserver", "marketdata", "history"]):
                params = {name: _first(record.query, name) for name in ("conid", "period", "bar")}
                for name, value in params.items():
                    if not value:
                        return _error(400, f"Bad Request: missing query parameter '{name}'")
                return _json_reply(200, _history(**params))
            case ("GET", ["iserver", "marketdata", "snapshot"]):
                conids = [c.strip() for c in _first(record.query, "conids").split(",")]
                conids = [c for c in conids if c]
                if not conids:
                    return _error(400, "Bad Request: Conid(s) missing")
                raw_fields = _first(record.query, "fields") or "31,84,86"
                fields = [f.strip() for f in raw_fields.split(",") if f.strip()]
                return _json_reply(200, _snapshot(conids, fields))
            case ("GET", ["iserver", "account", "orders"]):
                return _json_reply(200, _live_orders())
            case ("POST", ["iserver", "account", account_id, "orders"]):
                body = _json_object_body(record.body)
                if body is None:
                    return _error(400, "Bad Request: body must be a JSON object")
                return _json_reply(200, _place_orders(account_id, body))
            case ("GET", ["portfolio", account_id, "positions", page_id]):
                return _json_reply(200, _positions(account_id, page_id))
            case ("GET", ["portfolio", account_id, "summary"]):
                return _json_reply(200, _summary(account_id))
        return _error(404, f"Not Found: {method} {record.path}")


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.support.ibkr_gateway",
        description="Serve a fake IBKR Client Portal gateway until SIGINT/SIGTERM.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000, help="0 picks a free port")
    parser.add_argument("--token", default=None, help="require 'Authorization: Bearer TOKEN'")
    parser.add_argument("--tls", action="store_true", help="serve HTTPS with a throwaway CA")
    parser.add_argument("--state", choices=_STATES, default="authenticated")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run until SIGINT/SIGTERM; print ``READY <base_url>`` (and ``CA <path>``) when listening."""
    args = _parse_args(argv)
    # Configure only our logger: root-level INFO would also let asyncio/aiohttp chatter through.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    _LOG.addHandler(handler)
    _LOG.setLevel(logging.INFO)
    _LOG.propagate = False
    # Block the signals before the server thread exists (threads inherit the mask), then
    # sigwait for them: no handler runs mid-lock, and the exit is always a clean return.
    signals = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, signals)
    state = cast(GatewayState, args.state)  # argparse already restricted it to _STATES
    with FakeGateway(
        token=args.token, tls=args.tls, host=args.host, port=args.port, state=state
    ) as gw:
        print(f"READY {gw.base_url}", flush=True)
        if gw.ca_pem_path is not None:
            print(f"CA {gw.ca_pem_path}", flush=True)
        signal.sigwait(signals)
    return 0


if __name__ == "__main__":
    sys.exit(main())
