"""A real HTTP upstream on 127.0.0.1 answering each path with its own status and body, and
recording every request (for tests of shaping, steps and aggregates, which need several answers).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.support.recording_upstream import Received


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    content_type: str = "application/json"


def answer(value: Any, status: int = 200) -> Answer:
    """A JSON answer; ``bytes`` are sent as they are, as text/html."""
    if isinstance(value, bytes):
        return Answer(status, value, "text/html")
    return Answer(status, json.dumps(value).encode())


@dataclass
class RoutedUpstream:
    """``with RoutedUpstream({"/path": answer({...})}) as upstream:``; other paths answer 404."""

    routes: dict[str, Answer]
    requests: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                url = urlsplit(self.path)
                upstream.requests.append(
                    Received(
                        self.command,
                        url.path,
                        parse_qsl(url.query, keep_blank_values=True),
                        {k.lower(): v for k, v in self.headers.items()},
                        body,
                    )
                )
                found = upstream.routes.get(url.path, Answer(404, b'{"error": "not found"}'))
                self.send_response(found.status)
                self.send_header("Content-Type", found.content_type)
                self.send_header("Content-Length", str(len(found.body)))
                self.end_headers()
                self.wfile.write(found.body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def paths(self) -> list[str]:
        return [request.path for request in self.requests]

    def __enter__(self) -> RoutedUpstream:
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
