"""REST ``forward`` rules (semantics §3.8) against a real upstream: method, path, query and body
passed on, trusted headers only, the namespace's own headers and authentication, the answer
streamed back, and 502 / 504 when the upstream is down or slow."""

from __future__ import annotations

import contextlib
import http.client
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.integration.conftest import package_env
from tests.integration.test_upstream_failures import closed_port
from tests.support.auth_upstreams import DigestUpstream, OAuth2Upstream
from tests.support.packages import build_and_install
from tests.support.recording_upstream import Received
from tests.support.served import Served, serve

SPEC = """\
naftiko: 1.0.0-alpha2
info:
  label: Forwarding
binds:
- namespace: env
  keys:
    EXT_TOKEN: EXT_TOKEN
capability:
  consumes:
  - type: http
    namespace: external
    baseUri: https://api.example.test/v1
    authentication: {type: bearer, token: '{{EXT_TOKEN}}'}
    inputParameters:
    - {name: X-API-Version, in: header, value: '2026-03-03'}
    resources:
    - path: /special
      name: special
      operations:
      - {name: special, method: GET}
  - type: http
    namespace: open
    baseUri: https://open.example.test/base
    resources:
    - path: /unused
      operations:
      - {name: unused, method: GET}
  exposes:
  - type: rest
    namespace: gateway
    port: 8083
    resources:
    - path: /forward/special
      operations:
      - {method: GET, name: special, call: external.special}
    - path: /forward/{{path}}
      forward:
        targetNamespace: external
        trustedHeaders: [X-Trace, x-api-version, Authorization, Proxy-Authorization]
    - path: /open/{{path}}
      forward: {targetNamespace: open}
    - path: /status
      forward: {targetNamespace: open, trustedHeaders: [X-Trace]}
"""

BIG = bytes(range(256)) * 4096  # 1 MiB


@dataclass
class ForwardUpstream:
    """Records requests; ``/teapot`` answers 418 text, ``/big`` a chunked 1 MiB body, ``/slow``
    waits for ``release`` (no answer within the proxy's timeout), anything else echoes as JSON."""

    requests: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    drip: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                url = urlsplit(self.path)
                headers = {k.lower(): v for k, v in self.headers.items()}
                query = parse_qsl(url.query, keep_blank_values=True)
                upstream.requests.append(Received(self.command, url.path, query, headers, body))
                if url.path.endswith("/teapot"):
                    self._answer(418, "text/plain", b"short and stout", {"X-Upstream-Id": "7"})
                elif url.path.endswith("/big"):
                    self.send_response(200)
                    self.send_header("Content-Type", "application/octet-stream")
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    for start in range(0, len(BIG), 65536):
                        chunk = BIG[start : start + 65536]
                        self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                    self.wfile.write(b"0\r\n\r\n")
                elif url.path.endswith("/drip"):
                    self.send_response(200)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    self.wfile.write(b"6\r\nfirst\n\r\n")
                    self.wfile.flush()
                    upstream.drip.wait(30)
                    self.wfile.write(b"7\r\nsecond\n\r\n0\r\n\r\n")
                elif url.path.endswith("/slow"):
                    upstream.release.wait(30)
                    with contextlib.suppress(OSError):  # the proxy has given up by now
                        self._answer(200, "application/json", b"{}", {})
                else:
                    echo = {"method": self.command, "path": url.path}
                    self._answer(200, "application/json", json.dumps(echo).encode(), {})

            def _answer(
                self, status: int, media_type: str, payload: bytes, extra: dict[str, str]
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", media_type)
                self.send_header("Content-Length", str(len(payload)))
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

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

    @property
    def last(self) -> Received:
        assert self.requests, "the upstream received nothing"
        return self.requests[-1]

    def __enter__(self) -> ForwardUpstream:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.drip.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def request(
    base: str,
    method: str,
    target: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One raw HTTP request (``target`` is sent exactly as written: no path normalisation)."""
    url = urlsplit(base)
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=30)
    try:
        connection.request(method, target, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


@pytest.fixture(scope="module")
def upstream() -> Iterator[ForwardUpstream]:
    with ForwardUpstream() as running:
        yield running


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_and_install(SPEC, "forwarding", tmp_path_factory.mktemp("forward"))


@pytest.fixture(scope="module")
def served(
    installed: Path, upstream: ForwardUpstream, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    env = package_env(
        installed,
        EXT_TOKEN="upstream-secret",
        EXTERNAL_BASE_URI=upstream.base_url + "/v1",
        OPEN_BASE_URI=upstream.base_url + "/base",
        EXTERNAL_TIMEOUT="2",
    )
    workdir = tmp_path_factory.mktemp("forward-run")
    with serve(installed / "bin" / "forwarding", env, workdir, "--rest-port", "0") as running:
        yield running


def test_get_is_forwarded_with_the_rest_of_the_path_and_the_query(
    served: Served, upstream: ForwardUpstream
) -> None:
    status, headers, body = request(served.rest, "GET", "/forward/pages/a%20b?x=1&y=a%20b&y=2")

    assert status == 200
    assert headers["content-type"] == "application/json"
    assert json.loads(body) == {"method": "GET", "path": "/v1/pages/a%20b"}
    assert upstream.last.query == [("x", "1"), ("y", "a b"), ("y", "2")]


def test_post_body_and_content_type_pass_through_unchanged(
    served: Served, upstream: ForwardUpstream
) -> None:
    payload = b'{"parent": {"page_id": "p1"}, "n": [1, 2]}'
    status, _, _ = request(
        served.rest,
        "POST",
        "/forward/pages",
        payload,
        {"Content-Type": "application/vnd.test+json"},
    )

    assert status == 200
    received = upstream.last
    assert (received.method, received.path, received.body) == ("POST", "/v1/pages", payload)
    assert received.headers["content-type"] == "application/vnd.test+json"


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_other_methods_are_forwarded_as_they_are(
    served: Served, upstream: ForwardUpstream, method: str
) -> None:
    status, _, body = request(served.rest, method, "/forward/items/9", b"{}")

    assert status == 200
    assert json.loads(body) == {"method": method, "path": "/v1/items/9"}


def test_only_trusted_headers_reach_the_upstream(served: Served, upstream: ForwardUpstream) -> None:
    request(
        served.rest,
        "GET",
        "/forward/pages",
        headers={
            "X-Trace": "t-1",
            "X-Secret": "not trusted",
            "Proxy-Authorization": "Basic eDp5",
            "Cookie": "session=1",
        },
    )

    received = upstream.last.headers
    assert received["x-trace"] == "t-1"
    assert "x-secret" not in received
    assert "proxy-authorization" not in received
    assert "cookie" not in received


def test_the_namespaces_auth_and_fixed_headers_win_over_the_callers(
    served: Served, upstream: ForwardUpstream
) -> None:
    request(
        served.rest,
        "GET",
        "/forward/pages",
        headers={"Authorization": "Bearer caller-token", "X-API-Version": "1999-01-01"},
    )

    received = upstream.last.headers
    assert received["authorization"] == "Bearer upstream-secret"
    assert received["x-api-version"] == "2026-03-03"


def test_the_callers_authorization_goes_through_when_the_namespace_has_none(
    served: Served, upstream: ForwardUpstream
) -> None:
    status, _, body = request(
        served.rest, "GET", "/open/things", headers={"Authorization": "Bearer caller-token"}
    )

    assert status == 200
    assert json.loads(body)["path"] == "/base/things"
    assert upstream.last.headers["authorization"] == "Bearer caller-token"


def test_a_forward_without_a_path_variable_goes_to_the_base_uri(
    served: Served, upstream: ForwardUpstream
) -> None:
    status, _, body = request(served.rest, "GET", "/status?verbose=1", headers={"X-Trace": "s"})

    assert status == 200
    assert json.loads(body)["path"] == "/base"
    assert upstream.last.query == [("verbose", "1")]
    assert upstream.last.headers["x-trace"] == "s"


def test_a_declared_operation_wins_for_its_method_and_the_rest_is_forwarded(
    served: Served, upstream: ForwardUpstream
) -> None:
    request(served.rest, "GET", "/forward/special")
    operation = upstream.last
    request(served.rest, "POST", "/forward/special", b"{}", {"Content-Type": "application/json"})
    forwarded = upstream.last

    assert (operation.method, operation.path) == ("GET", "/v1/special")
    assert (forwarded.method, forwarded.path) == ("POST", "/v1/special")


def test_upstream_status_headers_and_body_come_back_unchanged(served: Served) -> None:
    status, headers, body = request(served.rest, "GET", "/forward/teapot")

    assert status == 418
    assert headers["content-type"] == "text/plain"
    assert headers["x-upstream-id"] == "7"
    assert body == b"short and stout"


def test_a_large_chunked_answer_streams_back_whole(served: Served) -> None:
    status, headers, body = request(served.rest, "GET", "/forward/big")

    assert status == 200
    assert headers["content-type"] == "application/octet-stream"
    assert body == BIG


def test_the_answer_streams_before_the_upstream_has_finished(
    served: Served, upstream: ForwardUpstream
) -> None:
    url = urlsplit(served.rest)
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=10)
    upstream.drip.clear()
    try:
        connection.request("GET", "/forward/drip")
        response = connection.getresponse()
        # The upstream holds its second chunk back until drip is set: a buffering proxy would
        # not have answered yet, and this read would time out.
        first = response.read1(64)
        upstream.drip.set()
        rest = response.read()
    finally:
        upstream.drip.set()
        connection.close()

    assert response.status == 200
    assert first == b"first\n"
    assert rest == b"second\n"


@pytest.mark.parametrize("target", ["/forward/../admin", "/forward/a/%2e%2e/%2E%2E/admin"])
def test_dot_segments_are_refused_before_anything_is_sent(
    served: Served, upstream: ForwardUpstream, target: str
) -> None:
    before = len(upstream.requests)

    status, _, body = request(served.rest, "GET", target)

    assert status == 400
    assert json.loads(body)["error"] == "invalid_path"
    assert len(upstream.requests) == before


def test_a_slow_upstream_is_answered_504(served: Served, upstream: ForwardUpstream) -> None:
    upstream.release.clear()
    try:
        status, _, body = request(served.rest, "GET", "/forward/slow")
    finally:
        upstream.release.set()

    assert status == 504
    assert json.loads(body)["error"] == "upstream_timeout"


def test_an_unreachable_upstream_is_answered_502(installed: Path, tmp_path: Path) -> None:
    down = f"http://127.0.0.1:{closed_port()}"
    env = package_env(installed, EXT_TOKEN="x", EXTERNAL_BASE_URI=down + "/v1", OPEN_BASE_URI=down)
    with serve(installed / "bin" / "forwarding", env, tmp_path, "--rest-port", "0") as running:
        status, headers, body = request(running.rest, "GET", "/forward/pages")

    assert status == 502
    assert headers["content-type"] == "application/json"
    assert json.loads(body) == {
        "error": "upstream_unavailable",
        "message": "upstream 'external' is unreachable",
    }


CHALLENGED = """\
naftiko: 1.0.0-alpha2
info:
  label: Forwarding with challenges
capability:
  consumes:
  - type: http
    namespace: vault
    baseUri: https://vault.example.test
    authentication: {type: digest, username: '{{VAULT_USER}}', password: '{{VAULT_PASSWORD}}'}
    resources:
    - {path: /unused, operations: [{name: unused, method: GET}]}
  - type: http
    namespace: billing
    baseUri: https://billing.example.test
    authentication:
      type: oauth2
      tokenEndpoint: '{{BILLING_TOKEN_URL}}'
      clientId: '{{BILLING_CLIENT_ID}}'
      clientSecret: '{{BILLING_CLIENT_SECRET}}'
    resources:
    - {path: /unused, operations: [{name: unused, method: GET}]}
  exposes:
  - type: rest
    namespace: challenged
    port: 8084
    resources:
    - {path: '/vault/{{path}}', forward: {targetNamespace: vault, trustedHeaders: [Authorization]}}
    - {path: '/billing/{{path}}', forward: {targetNamespace: billing}}
"""


def test_digest_and_oauth2_namespaces_authenticate_forwarded_requests(tmp_path: Path) -> None:
    target = build_and_install(CHALLENGED, "challenged-forward", tmp_path)
    with (
        DigestUpstream("ann", "pa55 word", "SHA-256") as vault,
        OAuth2Upstream("client-1", "s3cret") as billing,
    ):
        env = package_env(
            target,
            VAULT_USER="ann",
            VAULT_PASSWORD="pa55 word",
            VAULT_BASE_URI=vault.base_url,
            BILLING_TOKEN_URL=billing.base_url + "/oauth/token",
            BILLING_CLIENT_ID="client-1",
            BILLING_CLIENT_SECRET="s3cret",
            BILLING_BASE_URI=billing.base_url,
        )
        command = target / "bin" / "challenged-forward"
        with serve(command, env, tmp_path, "--rest-port", "0") as running:
            secret = request(
                running.rest,
                "POST",
                "/vault/secrets/db?v=2",
                b'{"value": 1}',
                {"Content-Type": "application/json", "Authorization": "Bearer caller"},
            )
            invoices = request(running.rest, "GET", "/billing/invoices")

    assert secret[0] == 200
    assert json.loads(secret[2])["path"] == "/secrets/db?v=2"
    assert vault.accepted and vault.accepted[-1][1] == "/secrets/db?v=2"
    assert vault.bodies[-1] == b'{"value": 1}'
    assert invoices[0] == 200
    assert json.loads(invoices[2]) == {"invoices": [1, 2]}
    assert billing.presented[-1].startswith("Bearer tok-")
    assert len(billing.token_requests) == 1
