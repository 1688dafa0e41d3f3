"""Inbound ``oauth2`` (semantics §3.2): JWT access tokens checked against the authorization
server's keys, end to end.

A local authorization server on 127.0.0.1 publishes RFC 8414 metadata and a JWKS; tokens are
signed here with its RSA key (PyJWT). The generated package must accept exactly the tokens the
engine accepts: right issuer, audience, validity window, signature and scopes (a missing scope is
403 ``insufficient_scope``); everything else is 401 ``invalid_token`` and reaches nothing upstream.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx2
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.integration.conftest import package_env
from tests.support.packages import build_and_install
from tests.support.recording_upstream import RecordingUpstream
from tests.support.served import Served, serve

AUDIENCE = "https://stock.example.test"
SPEC = f"""\
naftiko: 1.0.0-alpha2
info:
  label: Token guarded
binds:
- namespace: env
  keys: {{AUTH_SERVER: AUTH_SERVER}}
capability:
  consumes:
  - type: http
    namespace: inventory
    baseUri: https://inventory.example.test
    resources:
    - name: item
      path: /items/{{id}}
      operations:
      - name: get-item
        method: GET
        inputParameters: [{{name: id, in: path, type: string, required: true}}]
  exposes:
  - type: rest
    namespace: token-rest
    port: 8080
    authentication:
      type: oauth2
      authorizationServerUri: '{{{{AUTH_SERVER}}}}'
      audience: {AUDIENCE}
      scopes: [items.read]
    resources:
    - path: /items/{{id}}
      operations: [{{method: GET, name: get-item, call: inventory.get-item}}]
  - type: mcp
    namespace: token-mcp
    port: 9090
    authentication:
      type: oauth2
      authorizationServerUri: '{{{{AUTH_SERVER}}}}'
      resource: {AUDIENCE}
    tools:
    - {{name: get-item, description: Get one item, call: inventory.get-item}}
"""


class AuthorizationServer:
    """RFC 8414 metadata and a JWKS for one RSA signing key (kid ``k1``)."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        jwks = json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]})
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                documents = {
                    "/.well-known/oauth-authorization-server": json.dumps(
                        {"issuer": server.issuer, "jwks_uri": server.issuer + "/jwks"}
                    ),
                    "/jwks": jwks,
                }
                body = documents.get(self.path, "").encode()
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def token(self, key: Any = None, algorithm: str = "RS256", **claims: Any) -> str:
        now = int(time.time())
        payload = {
            "iss": self.issuer,
            "aud": AUDIENCE,
            "sub": "agent-7",
            "iat": now,
            "exp": now + 300,
            "scope": "items.read items.write",
            **claims,
        }
        payload = {k: v for k, v in payload.items() if v is not None}
        return jwt.encode(payload, key or self.key, algorithm=algorithm, headers={"kid": "k1"})

    def __enter__(self) -> AuthorizationServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


@pytest.fixture(scope="module")
def authority() -> Iterator[AuthorizationServer]:
    with AuthorizationServer() as running:
        yield running


@pytest.fixture(scope="module")
def upstream() -> Iterator[RecordingUpstream]:
    with RecordingUpstream(answer={"id": "A1", "stock": 3}) as running:
        yield running


@pytest.fixture(scope="module")
def served(
    authority: AuthorizationServer,
    upstream: RecordingUpstream,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Served]:
    workdir = tmp_path_factory.mktemp("oauth2")
    site = build_and_install(SPEC, "token-guarded", workdir)
    env = package_env(site, AUTH_SERVER=authority.issuer, INVENTORY_BASE_URI=upstream.base_url)
    command: Path = site / "bin" / "token-guarded"
    with serve(command, env, workdir, "--rest-port", "0", "--mcp-port", "0") as running:
        yield running


def get_item(served: Served, token: str | None) -> httpx2.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx2.get(served.rest + "/items/A1", headers=headers, timeout=30)


def test_a_valid_token_with_the_scope_reaches_the_upstream(
    served: Served, authority: AuthorizationServer, upstream: RecordingUpstream
) -> None:
    upstream.requests.clear()

    response = get_item(served, authority.token())

    assert response.status_code == 200, response.text
    assert [r.path for r in upstream.requests] == ["/items/A1"]
    assert "authorization" not in upstream.last.headers


def test_no_token_is_401_with_a_bearer_challenge(served: Served) -> None:
    response = get_item(served, None)

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="naftiko"'


def other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(authority: AuthorizationServer) -> bytes:
    return authority.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.mark.parametrize(
    "case",
    ["expired", "not-yet-valid", "other-issuer", "other-audience", "other-key", "garbage"],
)
def test_an_invalid_token_is_401_invalid_token_and_nothing_goes_upstream(
    served: Served, authority: AuthorizationServer, upstream: RecordingUpstream, case: str
) -> None:
    now = int(time.time())
    token = {
        "expired": lambda: authority.token(exp=now - 120),
        "not-yet-valid": lambda: authority.token(nbf=now + 600),
        "other-issuer": lambda: authority.token(iss="https://evil.example.test"),
        "other-audience": lambda: authority.token(aud="https://other.example.test"),
        "other-key": lambda: authority.token(key=other_key()),
        "garbage": lambda: "not.a.jwt",
    }[case]()
    upstream.requests.clear()

    response = get_item(served, token)

    assert response.status_code == 401, response.text
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    assert upstream.requests == []


def test_a_token_without_the_required_scope_is_403_insufficient_scope(
    served: Served, authority: AuthorizationServer, upstream: RecordingUpstream
) -> None:
    upstream.requests.clear()

    response = get_item(served, authority.token(scope="items.write"))

    assert response.status_code == 403
    assert response.headers["www-authenticate"] == (
        'Bearer realm="naftiko", error="insufficient_scope", scope="items.read"'
    )
    assert upstream.requests == []


def test_an_hmac_token_keyed_with_the_public_key_is_refused(
    served: Served, authority: AuthorizationServer
) -> None:
    # Algorithm confusion: only asymmetric algorithms are accepted.
    payload = {"iss": authority.issuer, "aud": AUDIENCE, "exp": int(time.time()) + 300}

    response = get_item(served, _hs256(payload, public_pem(authority)))

    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def _hs256(payload: dict[str, Any], secret: bytes) -> str:
    """PyJWT refuses to sign HS256 with a PEM key, so the forgery is written out by hand."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "k1"}).encode())
    body = b64(json.dumps(payload).encode())
    signature = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(signature)}"


@pytest.mark.anyio
async def test_the_mcp_sdk_client_with_a_token_calls_the_tool(
    served: Served, authority: AuthorizationServer, upstream: RecordingUpstream
) -> None:
    upstream.requests.clear()
    headers = {"Authorization": f"Bearer {authority.token(scope=None)}"}

    async with httpx2.AsyncClient(headers=headers, timeout=30) as http:
        async with Client(streamable_http_client(served.mcp, http_client=http)) as client:
            result = await client.call_tool("get-item", {"id": "B2"})

    assert not result.is_error, result
    assert upstream.last.path == "/items/B2"
    assert httpx2.post(served.mcp, json={}, timeout=30).status_code == 401
