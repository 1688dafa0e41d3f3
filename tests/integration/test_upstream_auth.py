"""Signed upstream calls end to end: a package generated from a spec with one consumes namespace
per scheme (OAuth 1.0a RSA-SHA256 and HMAC-SHA256, AWS SigV4 for API Gateway and S3, mutual
TLS), pip-installed and served, calling a real upstream on 127.0.0.1 that checks every signature
with its own implementation (``tests/support/signed_upstream.py``). Wrong keys must fail there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.serialization import pkcs12

from tests.integration.conftest import package_env
from tests.integration.test_web_sessions import http
from tests.support.packages import build, install
from tests.support.served import Served, serve
from tests.support.signed_upstream import (
    AwsKeys,
    OAuth1Keys,
    SignedUpstream,
    mtls_context,
)

SPEC = """
naftiko: 1.0.0-alpha2
info:
  label: Signed upstreams
  description: One upstream per signing scheme.
binds:
- namespace: env
  keys:
    CARDS_CONSUMER_KEY: CARDS_CONSUMER_KEY
    CARDS_SIGNING_KEY: CARDS_SIGNING_KEY
    LEDGER_CONSUMER_KEY: LEDGER_CONSUMER_KEY
    LEDGER_CONSUMER_SECRET: LEDGER_CONSUMER_SECRET
    LEDGER_TOKEN: LEDGER_TOKEN
    LEDGER_TOKEN_SECRET: LEDGER_TOKEN_SECRET
    STORE_KEY_ID: STORE_KEY_ID
    STORE_SECRET: STORE_SECRET
    PAYOUTS_CERT_PATH: PAYOUTS_CERT_PATH
    PAYOUTS_CERT_PASSWORD: PAYOUTS_CERT_PASSWORD
capability:
  consumes:
  - type: http
    namespace: cards
    baseUri: https://api.mastercard.com/cards
    authentication:
      type: oauth1
      consumerKey: '{{CARDS_CONSUMER_KEY}}'
      signingKey: '{{CARDS_SIGNING_KEY}}'
    resources:
    - name: card
      path: /cards/{cardId}
      operations:
      - name: get-card
        method: GET
        inputParameters:
        - {name: cardId, in: path, type: string, required: true}
        - {name: q, in: query, type: string}
    - name: cards
      path: /cards
      operations:
      - name: issue-card
        method: POST
        inputParameters:
        - {name: body, in: body, type: object, required: true}
  - type: http
    namespace: ledger
    baseUri: https://ledger.example.test/v1
    authentication:
      type: oauth1
      consumerKey: '{{LEDGER_CONSUMER_KEY}}'
      consumerSecret: '{{LEDGER_CONSUMER_SECRET}}'
      token: '{{LEDGER_TOKEN}}'
      tokenSecret: '{{LEDGER_TOKEN_SECRET}}'
      signatureMethod: HMAC-SHA256
    resources:
    - name: entries
      path: /entries
      operations:
      - name: add-entry
        method: POST
        inputParameters:
        - {name: body, in: body, type: object, required: true}
  - type: http
    namespace: apis
    baseUri: https://abc123.execute-api.eu-west-1.amazonaws.com/prod
    authentication: {type: aws-sig-v4}
    resources:
    - name: item
      path: /items/{itemId}
      operations:
      - name: get-item
        method: GET
        inputParameters:
        - {name: itemId, in: path, type: string, required: true}
        - {name: filter, in: query, type: string}
      - name: put-item
        method: PUT
        inputParameters:
        - {name: itemId, in: path, type: string, required: true}
        - {name: body, in: body, type: object, required: true}
  - type: http
    namespace: store
    baseUri: https://s3.us-east-2.amazonaws.com
    authentication:
      type: aws-signature-v4
      service: s3
      accessKeyId: '{{STORE_KEY_ID}}'
      secretKey: '{{STORE_SECRET}}'
    resources:
    - name: object
      path: /bucket/{key}
      operations:
      - name: get-object
        method: GET
        inputParameters:
        - {name: key, in: path, type: string, required: true}
  - type: http
    namespace: payouts
    baseUri: https://payouts.example.test
    authentication:
      type: certificate
      certPath: '{{PAYOUTS_CERT_PATH}}'
      certPassword: '{{PAYOUTS_CERT_PASSWORD}}'
    resources:
    - name: ping
      path: /ping
      operations:
      - {name: ping, method: GET}
  exposes:
  - type: rest
    namespace: signed
    port: 8080
    resources:
    - path: /cards/{cardId}
      operations:
      - {method: GET, name: get-card, call: cards.get-card, with: {cardId: rest.cardId, q: rest.q}}
    - path: /cards
      operations:
      - {method: POST, name: issue-card, call: cards.issue-card, with: {body: rest.body}}
    - path: /entries
      operations:
      - {method: POST, name: add-entry, call: ledger.add-entry, with: {body: rest.body}}
    - path: /items/{itemId}
      operations:
      - method: GET
        name: get-item
        call: apis.get-item
        with: {itemId: rest.itemId, filter: rest.filter}
      - method: PUT
        name: put-item
        call: apis.put-item
        with: {itemId: rest.itemId, body: rest.body}
    - path: /objects/{key}
      operations:
      - {method: GET, name: get-object, call: store.get-object, with: {key: rest.key}}
    - path: /ping
      operations:
      - {method: GET, name: ping, call: payouts.ping}
"""

DIST = "signed-upstreams"
CERT_PASSWORD = "p12-pass-5e1"
AWS_ACCESS_KEY_ID = "AKIDTESTEXAMPLE1"
AWS_SECRET = "aws-secret-0b7f0c"
AWS_TOKEN = "session-token-77d2"
STORE_KEY_ID = "AKIDSTOREEXAMPLE"
STORE_SECRET = "store-secret-3c9a"
LEDGER = {
    "consumer": "ledger-ck",
    "secret": "ledger-cs-91",
    "token": "tok-1",
    "token_secret": "ts-2",
}


@dataclass(frozen=True)
class Material:
    """Every key and certificate the tests use, written under ``folder``."""

    folder: Path
    rsa_pem: str
    wrong_rsa_pem: str
    rsa_public: rsa.RSAPublicKey
    server_ca_pem: Path
    server_cert: trustme.LeafCert
    client_ca: trustme.CA
    client_pem: Path  # certificate + encrypted key
    client_p12: Path
    rogue_pem: Path  # a certificate the upstream does not trust
    signing_key_p12: Path


def _pem(key: PrivateKeyTypes, password: bytes | None = None) -> bytes:
    encryption: serialization.KeySerializationEncryption = serialization.NoEncryption()
    if password:
        encryption = serialization.BestAvailableEncryption(password)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def _client_files(leaf: trustme.LeafCert, folder: Path, name: str) -> tuple[Path, Path]:
    """The client certificate as PEM (chain + encrypted key) and as a PKCS#12 store."""
    key = serialization.load_pem_private_key(leaf.private_key_pem.bytes(), None)
    assert isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey)
    chain = [blob.bytes() for blob in leaf.cert_chain_pems]
    certs = [x509.load_pem_x509_certificate(pem) for pem in chain]
    pem_path = folder / f"{name}.pem"
    pem_path.write_bytes(b"".join(chain) + _pem(key, CERT_PASSWORD.encode()))
    p12_path = folder / f"{name}.p12"
    p12_path.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"client",
            key,
            certs[0],
            certs[1:],
            serialization.BestAvailableEncryption(CERT_PASSWORD.encode()),
        )
    )
    return pem_path, p12_path


@pytest.fixture(scope="module")
def material(tmp_path_factory: pytest.TempPathFactory) -> Material:
    folder = tmp_path_factory.mktemp("keys")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    wrong = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    server_ca, client_ca, rogue_ca = trustme.CA(), trustme.CA(), trustme.CA()
    server_ca_pem = folder / "server-ca.pem"
    server_ca.cert_pem.write_to_path(str(server_ca_pem))
    client_pem, client_p12 = _client_files(
        client_ca.issue_cert("client.example.test"), folder, "client"
    )
    rogue_pem, _ = _client_files(rogue_ca.issue_cert("client.example.test"), folder, "rogue")
    signing_key_p12 = folder / "signing.p12"
    signing_key_p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"keyalias", key, None, None, serialization.NoEncryption()
        )
    )
    return Material(
        folder=folder,
        rsa_pem=_pem(key).decode(),
        wrong_rsa_pem=_pem(wrong).decode(),
        rsa_public=key.public_key(),
        server_ca_pem=server_ca_pem,
        server_cert=server_ca.issue_cert("127.0.0.1"),
        client_ca=client_ca,
        client_pem=client_pem,
        client_p12=client_p12,
        rogue_pem=rogue_pem,
        signing_key_p12=signing_key_p12,
    )


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(SPEC, DIST, tmp_path_factory.mktemp("signed-build"))


@pytest.fixture(scope="module")
def site(package: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return install(package, tmp_path_factory.mktemp("signed-site"))


@pytest.fixture(scope="module")
def upstream(material: Material) -> Iterator[SignedUpstream]:
    with SignedUpstream(
        oauth1={
            "cards-consumer-key": OAuth1Keys("cards-consumer-key", material.rsa_public),
            LEDGER["consumer"]: OAuth1Keys(
                LEDGER["consumer"],
                consumer_secret=LEDGER["secret"],
                token=LEDGER["token"],
                token_secret=LEDGER["token_secret"],
            ),
        },
        aws={
            AWS_ACCESS_KEY_ID: AwsKeys(AWS_SECRET, AWS_TOKEN),
            STORE_KEY_ID: AwsKeys(STORE_SECRET),
        },
    ) as running:
        yield running


@pytest.fixture(scope="module")
def tls_upstream(material: Material) -> Iterator[SignedUpstream]:
    with SignedUpstream(tls=mtls_context(material.server_cert, material.client_ca)) as running:
        yield running


def settings_env(
    site: Path, upstream: SignedUpstream, tls_upstream: SignedUpstream, material: Material
) -> dict[str, str]:
    """Everything the package needs, right; tests replace single values to make them wrong."""
    env = package_env(
        site,
        CARDS_CONSUMER_KEY="cards-consumer-key",
        CARDS_SIGNING_KEY=material.rsa_pem,
        CARDS_BASE_URI=upstream.url + "/oauth1/cards",
        LEDGER_CONSUMER_KEY=LEDGER["consumer"],
        LEDGER_CONSUMER_SECRET=LEDGER["secret"],
        LEDGER_TOKEN=LEDGER["token"],
        LEDGER_TOKEN_SECRET=LEDGER["token_secret"],
        LEDGER_BASE_URI=upstream.url + "/oauth1/ledger/v1",
        AWS_ACCESS_KEY_ID=AWS_ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY=AWS_SECRET,
        AWS_SESSION_TOKEN=AWS_TOKEN,
        APIS_BASE_URI=upstream.url + "/aws/prod",
        APIS_AWS_REGION="eu-west-1",
        STORE_KEY_ID=STORE_KEY_ID,
        STORE_SECRET=STORE_SECRET,
        STORE_BASE_URI=upstream.url + "/aws/store",
        STORE_AWS_REGION="us-east-2",
        PAYOUTS_BASE_URI=tls_upstream.url,
        PAYOUTS_CA_BUNDLE=str(material.server_ca_pem),
        PAYOUTS_CERT_PATH=str(material.client_pem),
        PAYOUTS_CERT_PASSWORD=CERT_PASSWORD,
    )
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        env.pop(name, None)
    return env


@pytest.fixture(scope="module")
def right_env(
    site: Path, upstream: SignedUpstream, tls_upstream: SignedUpstream, material: Material
) -> dict[str, str]:
    return settings_env(site, upstream, tls_upstream, material)


@pytest.fixture(scope="module")
def served(
    site: Path, right_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    with serve(
        site / "bin" / DIST, right_env, tmp_path_factory.mktemp("right"), "--rest-port", "0"
    ) as s:
        yield s


def call(
    served: Served, method: str, path: str, body: object = None
) -> tuple[int, dict[str, object]]:
    data = None if body is None else json.dumps(body).encode()
    status, _, answer = http(method, served.rest + path, data)
    return status, json.loads(answer)


def test_oauth1_rsa_sha256_signs_path_query_and_empty_body(
    served: Served, upstream: SignedUpstream
) -> None:
    status, answer = call(
        served, "GET", "/cards/" + urllib.parse.quote("a b+ç", safe="") + "?q=x%20y%2Fz"
    )

    assert (status, answer["verified"]) == (200, "RSA-SHA256"), answer
    assert answer["path"] == "/oauth1/cards/cards/a b+ç"
    received = upstream.received[-1]
    assert received.raw_path == "/oauth1/cards/cards/a%20b%2B%C3%A7"
    assert 'oauth_signature_method="RSA-SHA256"' in received.headers["authorization"]
    assert "oauth_body_hash=" in received.headers["authorization"]


def test_oauth1_rsa_sha256_body_hash_covers_the_json_body(
    served: Served, upstream: SignedUpstream
) -> None:
    status, answer = call(served, "POST", "/cards", {"pan": "5555 5555", "name": "Zoë"})

    assert (status, answer["verified"]) == (200, "RSA-SHA256"), answer
    assert json.loads(upstream.received[-1].body) == {"pan": "5555 5555", "name": "Zoë"}


def test_oauth1_hmac_sha256_with_a_token(served: Served, upstream: SignedUpstream) -> None:
    status, answer = call(served, "POST", "/entries", {"amount": 12.5})

    assert (status, answer["verified"]) == (200, "HMAC-SHA256"), answer
    assert f'oauth_token="{LEDGER["token"]}"' in upstream.received[-1].headers["authorization"]


def test_sigv4_signs_get_with_encoded_path_and_query(
    served: Served, upstream: SignedUpstream
) -> None:
    status, answer = call(
        served, "GET", "/items/" + urllib.parse.quote("x y+z", safe="") + "?filter=a/b%20c"
    )

    assert (status, answer["verified"]) == (200, "eu-west-1/execute-api"), answer
    received = upstream.received[-1]
    assert received.raw_query == "filter=a%2Fb%20c"  # re-encoded the AWS way before signing
    assert received.headers["x-amz-security-token"] == AWS_TOKEN


def test_sigv4_signs_put_with_a_body(served: Served) -> None:
    status, answer = call(served, "PUT", "/items/42", {"state": "on"})

    assert (status, answer["verified"]) == (200, "eu-west-1/execute-api"), answer


def test_sigv4_for_s3_sends_the_content_hash_and_keeps_the_path_single_encoded(
    served: Served, upstream: SignedUpstream
) -> None:
    status, answer = call(
        served, "GET", "/objects/" + urllib.parse.quote("photos 2024.png", safe="")
    )

    assert (status, answer["verified"]) == (200, "us-east-2/s3"), answer
    received = upstream.received[-1]
    assert received.raw_path == "/aws/store/bucket/photos%202024.png"
    assert "x-amz-content-sha256" in received.headers
    assert "x-amz-security-token" not in received.headers  # the store has its own credentials


def test_mutual_tls_presents_the_client_certificate(served: Served) -> None:
    status, answer = call(served, "GET", "/ping")

    assert (status, answer["verified"]) == (200, "tls"), answer


@pytest.fixture(scope="module")
def wrong(
    site: Path,
    right_env: dict[str, str],
    material: Material,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Served]:
    env = dict(
        right_env,
        CARDS_SIGNING_KEY=material.wrong_rsa_pem,
        LEDGER_CONSUMER_SECRET="not-the-secret",
        AWS_SECRET_ACCESS_KEY="not-the-aws-secret",
        STORE_SECRET="not-the-store-secret",
        PAYOUTS_CERT_PATH=str(material.rogue_pem),
    )
    with serve(site / "bin" / DIST, env, tmp_path_factory.mktemp("wrong"), "--rest-port", "0") as s:
        yield s


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "reason"),
    [
        ("GET", "/cards/1", None, 401, "RSA signature does not verify"),
        ("POST", "/entries", {"amount": 1}, 401, "HMAC signature does not match"),
        ("GET", "/items/1", None, 401, "signature does not match"),
        ("GET", "/objects/k", None, 401, "signature does not match"),
        ("GET", "/ping", None, 502, None),
    ],
    ids=["oauth1-rsa", "oauth1-hmac", "sigv4", "sigv4-s3", "mtls-untrusted-certificate"],
)
def test_wrong_keys_are_refused_by_the_upstream(
    wrong: Served, method: str, path: str, body: object, status: int, reason: str | None
) -> None:
    got, answer = call(wrong, method, path, body)

    assert got == status, answer
    assert answer["error"] == (reason or "upstream_unavailable")


def test_keys_and_certificates_from_pkcs12_files(
    site: Path, right_env: dict[str, str], material: Material, tmp_path: Path
) -> None:
    env = dict(
        right_env,
        CARDS_SIGNING_KEY=str(material.signing_key_p12),
        PAYOUTS_CERT_PATH=str(material.client_p12),
    )
    with serve(site / "bin" / DIST, env, tmp_path, "--rest-port", "0") as s:
        cards = call(s, "GET", "/cards/7")
        ping = call(s, "GET", "/ping")

    assert (cards[0], cards[1]["verified"]) == (200, "RSA-SHA256"), cards
    assert (ping[0], ping[1]["verified"]) == (200, "tls"), ping


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"CARDS_SIGNING_KEY": "s3cret-not-a-key"},
            "CARDS_SIGNING_KEY must hold a PEM private key",
        ),
        ({"PAYOUTS_CERT_PASSWORD": "s3cret-wrong-password"}, "PAYOUTS_CERT_PATH: no usable client"),
        ({"APIS_AWS_REGION": ""}, "environment variable APIS_AWS_REGION is not set"),
    ],
    ids=["signing-key", "certificate-password", "aws-region"],
)
def test_bad_key_material_stops_start_up_with_one_line_and_no_secret(
    site: Path, right_env: dict[str, str], change: dict[str, str], expected: str
) -> None:
    env = dict(right_env, **change)

    finished = subprocess.run(
        [str(site / "bin" / DIST), "serve", "--rest-port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert finished.returncode == 2, finished.stderr
    assert expected in finished.stderr
    assert len(finished.stderr.strip().splitlines()) == 1
    assert "s3cret" not in finished.stderr


def test_generated_signing_code_passes_mypy_strict_ruff_and_black(package: Path) -> None:
    env = dict(os.environ, MYPYPATH=str(package))
    checks = [
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "-p", "signed_upstreams"],
        [sys.executable, "-m", "ruff", "check", "--no-cache", "."],
        [sys.executable, "-m", "black", "--check", "--config", "pyproject.toml", "."],
    ]
    for command in checks:
        finished = subprocess.run(command, cwd=package, env=env, capture_output=True, text=True)
        assert finished.returncode == 0, finished.stdout + finished.stderr
