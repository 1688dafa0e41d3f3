"""Upstreams on 127.0.0.1 that check credentials with their own code, never the client's.

* :class:`DigestUpstream`: RFC 7616 HTTP Digest (``qop=auth``, MD5 or SHA-256). It challenges
  every request without a valid ``Authorization``, recomputes the response hash from the user's
  password, and checks that the nonce count grows; it records the challenges it issued and the
  nonce counts it accepted.
* :class:`OAuth2Upstream`: an OAuth 2.0 token endpoint (client credentials, ``client_secret_basic``
  or ``client_secret_post``) and a resource that only accepts tokens it issued that have not
  expired or been revoked; it counts token requests.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

_DIGESTS = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}
_PARAM = re.compile(r'(\w+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))')


def digest_params(header: str) -> dict[str, str]:
    """The auth-params of a ``Digest ...`` header value."""
    return {
        m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
        for m in _PARAM.finditer(header)
    }


class _Server:
    """A threaded HTTP server run for the length of a ``with`` block."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def _answer(handler: BaseHTTPRequestHandler, status: int, payload: Any, **headers: str) -> None:
    body = json.dumps(payload).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    for name, value in headers.items():
        handler.send_header(name.replace("_", "-"), value)
    handler.end_headers()
    handler.wfile.write(body)


@dataclass
class DigestUpstream:
    """``with DigestUpstream("ann", "s3cret", "SHA-256") as upstream:``"""

    username: str
    password: str
    algorithm: str = "SHA-256"
    realm: str = "vault@example.test"
    challenges: int = 0
    # (nonce count, request URI) of every request the server accepted.
    accepted: list[tuple[int, str]] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    _nonces: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                problem = upstream._check(
                    self.command, self.path, self.headers.get("Authorization")
                )
                if problem is not None:
                    upstream.rejected.append(problem)
                    _answer(
                        self,
                        401,
                        {"error": problem},
                        WWW_Authenticate=upstream._challenge(),
                    )
                    return
                upstream.bodies.append(body)
                _answer(self, 200, {"ok": True, "path": self.path})

            do_GET = do_POST = _handle

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._http = _Server(Handler)

    @property
    def base_url(self) -> str:
        return self._http.base_url

    def _challenge(self) -> str:
        nonce = secrets.token_hex(16)
        with self._lock:
            self._nonces[nonce] = 0
            self.challenges += 1
        return (
            f'Digest realm="{self.realm}", qop="auth", algorithm={self.algorithm}, '
            f'nonce="{nonce}", opaque="opaque-42"'
        )

    def _check(self, method: str, uri: str, header: str | None) -> str | None:
        if not header or not header.startswith("Digest "):
            return "no digest credentials"
        p = digest_params(header[len("Digest ") :])
        if p.get("username") != self.username or p.get("realm") != self.realm:
            return "unknown user or realm"
        if (p.get("algorithm") or "MD5").upper() != self.algorithm:
            return f"algorithm {p.get('algorithm')} instead of {self.algorithm}"
        if p.get("qop") != "auth" or p.get("opaque") != "opaque-42":
            return "qop or opaque missing"
        if p.get("uri") != uri:
            return f"uri {p.get('uri')!r} is not the request target {uri!r}"
        nonce, cnonce, nc_text = p.get("nonce", ""), p.get("cnonce", ""), p.get("nc", "")
        h = _DIGESTS[self.algorithm]

        def hexdigest(text: str) -> str:
            return h(text.encode()).hexdigest()

        ha1 = hexdigest(f"{self.username}:{self.realm}:{self.password}")
        ha2 = hexdigest(f"{method}:{uri}")
        expected = hexdigest(f"{ha1}:{nonce}:{nc_text}:{cnonce}:auth:{ha2}")
        if p.get("response") != expected:
            return "wrong response hash"
        with self._lock:
            if nonce not in self._nonces:
                return "unknown nonce"
            count = int(nc_text, 16)
            if count <= self._nonces[nonce]:
                return f"nonce count {count} replayed"
            self._nonces[nonce] = count
            self.accepted.append((count, uri))
        return None

    def __enter__(self) -> DigestUpstream:
        self._http.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._http.stop()


@dataclass
class OAuth2Upstream:
    """``with OAuth2Upstream("client-1", "s3cret") as upstream:`` serves ``POST /token`` and
    ``GET /invoices`` (Bearer tokens only)."""

    client_id: str
    client_secret: str
    lifetime: int = 3600
    token_requests: list[dict[str, str]] = field(default_factory=list)
    # Authorization header of every resource request, accepted or not.
    presented: list[str] = field(default_factory=list)
    _tokens: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(parse_qsl(self.rfile.read(length).decode()))
                status, payload = upstream._token(form, self.headers.get("Authorization"))
                _answer(self, status, payload, Cache_Control="no-store")

            def do_GET(self) -> None:
                header = self.headers.get("Authorization") or ""
                upstream.presented.append(header)
                token = header[len("Bearer ") :] if header.startswith("Bearer ") else ""
                with upstream._lock:
                    expires = upstream._tokens.get(token)
                if expires is None or time.monotonic() >= expires:
                    _answer(
                        self,
                        401,
                        {"error": "invalid_token"},
                        WWW_Authenticate='Bearer error="invalid_token"',
                    )
                    return
                _answer(self, 200, {"invoices": [1, 2]})

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._http = _Server(Handler)

    @property
    def base_url(self) -> str:
        return self._http.base_url

    def _token(self, form: dict[str, str], header: str | None) -> tuple[int, Any]:
        self.token_requests.append(form)
        if header and header.startswith("Basic "):
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            client = (unquote_plus(user), unquote_plus(password))
        else:
            client = (form.get("client_id", ""), form.get("client_secret", ""))
        if client != (self.client_id, self.client_secret):
            return 401, {"error": "invalid_client"}
        if form.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type"}
        token = f"tok-{len(self.token_requests)}-{secrets.token_hex(4)}"
        with self._lock:
            self._tokens[token] = time.monotonic() + self.lifetime
        return 200, {"access_token": token, "token_type": "Bearer", "expires_in": self.lifetime}

    def revoke_all(self) -> None:
        with self._lock:
            self._tokens.clear()

    def __enter__(self) -> OAuth2Upstream:
        self._http.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._http.stop()
