"""A stand-in for an example's upstream API: a real HTTP server on 127.0.0.1 that answers by route.

Each route is ``(method or "*", path regex) -> Answer``; the first match answers, anything else gets
``default``. Every request is recorded so tests can check what the generated package sent.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.support.recording_upstream import Received


@dataclass(frozen=True)
class Answer:
    body: bytes
    content_type: str = "application/json"
    status: int = 200

    @classmethod
    def json(cls, value: Any, status: int = 200) -> Answer:
        return cls(json.dumps(value).encode(), "application/json", status)


@dataclass
class StandInUpstream:
    """``with StandInUpstream(routes) as upstream:`` serves until the block ends."""

    routes: list[tuple[str, str, Answer]] = field(default_factory=list)
    default: Answer = field(default_factory=lambda: Answer.json({"id": "stand-in", "ok": True}))
    requests: list[Received] = field(default_factory=list)

    def answer_for(self, method: str, path: str) -> Answer:
        for route_method, pattern, answer in self.routes:
            if route_method in ("*", method) and re.fullmatch(pattern, path):
                return answer
        return self.default

    def __post_init__(self) -> None:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                url = urlsplit(self.path)
                stand_in.requests.append(
                    Received(
                        self.command,
                        url.path,
                        parse_qsl(url.query, keep_blank_values=True),
                        {k.lower(): v for k, v in self.headers.items()},
                        body,
                    )
                )
                answer = stand_in.answer_for(self.command, url.path)
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(answer.body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> StandInUpstream:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
