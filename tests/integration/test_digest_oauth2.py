"""HTTP Digest and OAuth 2.0 client credentials on consumed APIs, end to end: a package generated
from one spec, pip-installed and served, calling upstreams on 127.0.0.1 that check credentials
with their own code (``tests/support/auth_upstreams.py``)."""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from mcp import Client

from tests.integration.conftest import package_env
from tests.support.auth_upstreams import DigestUpstream, OAuth2Upstream
from tests.support.packages import build_and_install
from tests.support.served import Served, serve

SPEC = """\
naftiko: 1.0.0-alpha2
info:
  label: Challenged upstreams
binds:
- namespace: env
  keys:
    VAULT_USER: VAULT_USER
    VAULT_PASSWORD: VAULT_PASSWORD
    LEGACY_USER: LEGACY_USER
    LEGACY_PASSWORD: LEGACY_PASSWORD
    BILLING_TOKEN_URL: BILLING_TOKEN_URL
    BILLING_CLIENT_ID: BILLING_CLIENT_ID
    BILLING_CLIENT_SECRET: BILLING_CLIENT_SECRET
capability:
  consumes:
  - type: http
    namespace: vault
    baseUri: https://vault.example.test
    authentication: {type: digest, username: '{{VAULT_USER}}', password: '{{VAULT_PASSWORD}}'}
    resources:
    - name: secret
      path: /secrets/{name}
      operations:
      - name: read-secret
        method: GET
        inputParameters:
        - {name: name, in: path}
        - {name: version, in: query}
      - name: write-secret
        method: POST
        inputParameters:
        - {name: name, in: path}
        - {name: body, in: body}
  - type: http
    namespace: legacy
    baseUri: https://legacy.example.test
    authentication: {type: digest, username: '{{LEGACY_USER}}', password: '{{LEGACY_PASSWORD}}'}
    resources:
    - name: status
      path: /status
      operations:
      - {name: status, method: GET}
  - type: http
    namespace: billing
    baseUri: https://billing.example.test
    authentication:
      type: oauth2
      tokenEndpoint: '{{BILLING_TOKEN_URL}}'
      clientId: '{{BILLING_CLIENT_ID}}'
      clientSecret: '{{BILLING_CLIENT_SECRET}}'
      scopes: [invoices.read, invoices.write]
    resources:
    - name: invoices
      path: /invoices
      operations:
      - {name: list-invoices, method: GET}
  exposes:
  - type: mcp
    namespace: challenged-mcp
    port: 9090
    tools:
    - {name: read-secret, description: Read a secret, call: vault.read-secret}
    - {name: write-secret, description: Write a secret, call: vault.write-secret}
    - {name: legacy-status, description: Legacy status, call: legacy.status}
    - {name: list-invoices, description: List invoices, call: billing.list-invoices}
"""

CLIENT_ID = "billing client/1"  # a space and a slash: form-encoded in the Basic header
CLIENT_SECRET = "s3cret:+&"


@pytest.fixture(scope="module")
def vault() -> Iterator[DigestUpstream]:
    with DigestUpstream("ann", "pa55 word", "SHA-256") as running:
        yield running


@pytest.fixture(scope="module")
def legacy() -> Iterator[DigestUpstream]:
    with DigestUpstream("bob", "hunter2", "MD5") as running:
        yield running


@pytest.fixture(scope="module")
def billing() -> Iterator[OAuth2Upstream]:
    with OAuth2Upstream(CLIENT_ID, CLIENT_SECRET) as running:
        yield running


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_and_install(SPEC, "challenged", tmp_path_factory.mktemp("challenged"))


def environment(
    target: Path,
    vault: DigestUpstream,
    legacy: DigestUpstream,
    billing: OAuth2Upstream,
    **extra: str,
) -> dict[str, str]:
    values = {
        "VAULT_USER": "ann",
        "VAULT_PASSWORD": "pa55 word",
        "VAULT_BASE_URI": vault.base_url,
        "LEGACY_USER": "bob",
        "LEGACY_PASSWORD": "hunter2",
        "LEGACY_BASE_URI": legacy.base_url,
        "BILLING_TOKEN_URL": billing.base_url + "/oauth/token",
        "BILLING_CLIENT_ID": CLIENT_ID,
        "BILLING_CLIENT_SECRET": CLIENT_SECRET,
        "BILLING_BASE_URI": billing.base_url,
        **extra,
    }
    return package_env(target, **values)


@pytest.fixture(scope="module")
def served(
    package: Path,
    vault: DigestUpstream,
    legacy: DigestUpstream,
    billing: OAuth2Upstream,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Served]:
    workdir = tmp_path_factory.mktemp("challenged-run")
    env = environment(package, vault, legacy, billing)
    with serve(package / "bin" / "challenged", env, workdir, "--mcp-port", "0") as running:
        yield running


async def call(served: Served, name: str, arguments: dict[str, Any]) -> Any:
    async with Client(served.mcp) as client:
        return await client.call_tool(name, arguments)


@pytest.mark.anyio
async def test_digest_answers_one_sha256_challenge_then_reuses_the_nonce_with_growing_counts(
    served: Served, vault: DigestUpstream
) -> None:
    first = await call(served, "read-secret", {"name": "db/password", "version": "2 b"})
    second = await call(served, "write-secret", {"name": "db", "body": {"v": 1}})
    third = await call(served, "read-secret", {"name": "api"})

    assert not first.is_error and not second.is_error and not third.is_error
    assert json.loads(first.content[0].text)["path"] == "/secrets/db%2Fpassword?version=2%20b"
    assert vault.challenges == 1
    assert vault.accepted == [
        (1, "/secrets/db%2Fpassword?version=2%20b"),
        (2, "/secrets/db"),
        (3, "/secrets/api"),
    ]
    assert json.loads(vault.bodies[1]) == {"v": 1}


@pytest.mark.anyio
async def test_digest_with_md5_is_verified_by_the_upstream(
    served: Served, legacy: DigestUpstream
) -> None:
    result = await call(served, "legacy-status", {})

    assert not result.is_error, result
    assert legacy.accepted and legacy.challenges == 1


@pytest.mark.anyio
async def test_a_wrong_digest_password_ends_as_the_upstreams_401(
    package: Path,
    vault: DigestUpstream,
    legacy: DigestUpstream,
    billing: OAuth2Upstream,
    tmp_path: Path,
) -> None:
    env = environment(package, vault, legacy, billing, LEGACY_PASSWORD="wrong")
    rejected_before = len(legacy.rejected)
    with serve(package / "bin" / "challenged", env, tmp_path, "--mcp-port", "0") as wrong:
        result = await call(wrong, "legacy-status", {})

    assert result.is_error
    assert "401" in result.content[0].text
    assert legacy.rejected[rejected_before:] == ["no digest credentials", "wrong response hash"]


@pytest.mark.anyio
async def test_oauth2_fetches_one_token_for_many_calls_and_sends_it_as_bearer(
    served: Served, billing: OAuth2Upstream
) -> None:
    requests_before = len(billing.token_requests)
    for _ in range(3):
        result = await call(served, "list-invoices", {})
        assert not result.is_error, result
        assert json.loads(result.content[0].text) == {"invoices": [1, 2]}

    new_requests = billing.token_requests[requests_before:]
    assert len(new_requests) <= 1
    assert billing.token_requests[0] == {
        "grant_type": "client_credentials",
        "scope": "invoices.read invoices.write",
    }
    assert len(set(billing.presented[-3:])) == 1
    assert billing.presented[-1].startswith("Bearer tok-")


@pytest.mark.anyio
async def test_oauth2_fetches_a_new_token_once_when_the_upstream_rejects_the_cached_one(
    served: Served, billing: OAuth2Upstream
) -> None:
    await call(served, "list-invoices", {})
    requests_before = len(billing.token_requests)
    billing.revoke_all()

    result = await call(served, "list-invoices", {})

    assert not result.is_error, result
    assert len(billing.token_requests) == requests_before + 1
    rejected, accepted = billing.presented[-2:]
    assert rejected != accepted and accepted.startswith("Bearer tok-")


@pytest.mark.anyio
async def test_oauth2_wrong_client_secret_is_an_error_result_and_never_reaches_the_resource(
    package: Path,
    vault: DigestUpstream,
    legacy: DigestUpstream,
    billing: OAuth2Upstream,
    tmp_path: Path,
) -> None:
    env = environment(package, vault, legacy, billing, BILLING_CLIENT_SECRET="nope")
    presented_before = len(billing.presented)
    with serve(package / "bin" / "challenged", env, tmp_path, "--mcp-port", "0") as wrong:
        result = await call(wrong, "list-invoices", {})

    assert result.is_error
    assert "token endpoint answered 401" in result.content[0].text
    assert "nope" not in result.content[0].text
    assert len(billing.presented) == presented_before


@pytest.fixture
def token_module(package: Path) -> Iterator[Any]:
    sys.path.insert(0, str(package))
    try:
        yield importlib.import_module("challenged.upstream_auth")
    finally:
        sys.path.remove(str(package))
        for name in [m for m in sys.modules if m == "challenged" or m.startswith("challenged.")]:
            del sys.modules[name]


@pytest.mark.anyio
async def test_oauth2_renews_the_token_shortly_before_it_expires(
    token_module: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(token_module.time, "monotonic", lambda: clock[0])
    with OAuth2Upstream("c", "s", lifetime=300) as short:
        credentials = token_module.ClientCredentials(short.base_url + "/token", "c", "s")
        async with aiohttp.ClientSession() as session:
            first = await credentials.token(session)
            clock[0] += 269  # 300 s lifetime, renewed 30 s before: still valid here
            assert await credentials.token(session) == first
            clock[0] += 2
            renewed = await credentials.token(session)

    assert renewed != first
    assert len(short.token_requests) == 2


@pytest.mark.anyio
async def test_oauth2_client_secret_post_sends_the_credentials_in_the_form(
    token_module: Any,
) -> None:
    with OAuth2Upstream("c", "s") as upstream:
        credentials = token_module.ClientCredentials(
            upstream.base_url + "/token", "c", "s", audience="api://x", secret_in_body=True
        )
        async with aiohttp.ClientSession() as session:
            await credentials.token(session)

    assert upstream.token_requests == [
        {
            "grant_type": "client_credentials",
            "audience": "api://x",
            "client_id": "c",
            "client_secret": "s",
        }
    ]


def test_the_package_carries_the_token_module_and_documents_both_schemes(package: Path) -> None:
    module = package / "challenged"

    assert (module / "upstream_auth.py").is_file()
    assert "DigestAuthMiddleware" in (module / "upstream.py").read_text()
    readme = (package.parent / "out" / "README.md").read_text()
    assert "HTTP Digest (RFC 7616)" in readme and "OAuth 2.0 client credentials" in readme
