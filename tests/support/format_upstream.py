"""A real HTTP upstream on 127.0.0.1 that answers each path with fixed bytes and a content type
(XML, YAML, CSV, HTML, Avro, ...) and records every request, for the outputRawFormat tests."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.support.recording_upstream import Received


@dataclass(frozen=True)
class Answer:
    content_type: str
    body: bytes
    status: int = 200


@dataclass
class FormatUpstream:
    """``with FormatUpstream({"/users": Answer("application/xml", b"<users/>")}) as upstream:``;
    ``answers`` may be changed while it serves. An unknown path answers 404."""

    answers: dict[str, Answer] = field(default_factory=dict)
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
                answer = upstream.answers.get(url.path, Answer("text/plain", b"no such path", 404))
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            do_GET = do_POST = _handle

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def last(self) -> Received:
        assert self.requests, "the upstream received nothing"
        return self.requests[-1]

    def __enter__(self) -> FormatUpstream:
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
