"""The upstream behind ``specs/conformance-tools.yaml``: a real HTTP server on 127.0.0.1.

It answers what the MCP conformance suite's tool fixtures expect (the suite only sees the
generated MCP server, which forwards each ``tools/call`` here), plus a few echo routes that give
the generated REST app typed inputs for schemathesis and the Inspector to exercise:

=====================  ==========================================================================
``GET /simple-text``   200 ``text/plain``: the text ``test_simple_text`` returns in the suite
``GET /error``         500 ``text/plain``: the message ``test_error_handling`` fails with
``POST /people``       200 JSON ``{"received": <request body>}``
``POST /notes``        200 JSON ``{"received": <request body>}``
``GET /items/{id}``    200 JSON ``{"id": <decoded segment>, "query": {name: value}}``
anything else          404 JSON
=====================  ==========================================================================

Every request is recorded so tests assert on what actually crossed the wire. Usage::

    with ConformanceUpstream() as upstream:
        ...  # point CONFORMANCE_TOOLS_BASE_URI at upstream.base_url
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Final
from urllib.parse import parse_qsl, unquote, urlsplit

SIMPLE_TEXT: Final = "This is a simple text response for testing."
ERROR_TEXT: Final = "This tool intentionally returns an error for testing"


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    raw_path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Reply:
    status: int
    content_type: str
    body: bytes


def _json(status: int, payload: Any) -> Reply:
    return Reply(status, "application/json", json.dumps(payload).encode())


def route(method: str, raw_path: str, query: list[tuple[str, str]], body: bytes) -> Reply:
    """What the upstream answers; pure, so it is unit-testable without a socket."""
    segments = [unquote(part) for part in raw_path.split("/")[1:]]
    if (method, segments) == ("GET", ["simple-text"]):
        return Reply(200, "text/plain; charset=utf-8", SIMPLE_TEXT.encode())
    if (method, segments) == ("GET", ["error"]):
        return Reply(500, "text/plain; charset=utf-8", ERROR_TEXT.encode())
    if method == "POST" and segments in (["people"], ["notes"]):
        try:
            received = json.loads(body) if body else None
        except ValueError:
            return _json(400, {"error": "body is not JSON"})
        return _json(200, {"received": received})
    if method == "GET" and len(segments) == 2 and segments[0] == "items":
        return _json(200, {"id": segments[1], "query": dict(query)})
    return _json(404, {"error": f"no route for {method} {raw_path}"})


class ConformanceUpstream:
    """``with ConformanceUpstream() as upstream:`` serves on a free port until the block ends."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                url = urlsplit(self.path)
                query = parse_qsl(url.query, keep_blank_values=True)
                recorder.requests.append(
                    Received(
                        self.command,
                        unquote(url.path),
                        url.path,
                        query,
                        {k.lower(): v for k, v in self.headers.items()},
                        body,
                    )
                )
                reply = route(self.command, url.path, query, body)
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def last(self, method: str, path: str) -> Received:
        """The most recent request for ``method path`` (decoded path)."""
        for received in reversed(self.requests):
            if (received.method, received.path) == (method, path):
                return received
        raise AssertionError(f"the upstream received no {method} {path}")

    def __enter__(self) -> ConformanceUpstream:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
