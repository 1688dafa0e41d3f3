"""naftiko_gen.auth: OAuth 1.0a, AWS SigV4, mutual-TLS, Digest and OAuth 2.0 consumes auth, from
spec to settings.

Small inline specs; the signed requests themselves are checked against a verifying upstream in
``tests/integration/test_upstream_auth.py``.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from naftiko_gen.auth import aws_service_from_host
from naftiko_gen.build import generate, validate
from naftiko_gen.diagnostics import Level, SpecError
from naftiko_gen.loader import parse_text
from naftiko_gen.model import (
    AwsSigV4Auth,
    Capability,
    CertificateAuth,
    DigestAuth,
    OAuth1Auth,
    OAuth2ClientCredentials,
)
from naftiko_gen.normalise import normalise
from naftiko_gen.render import render_package
from naftiko_gen.writer import write_tree

SPEC = """
naftiko: 1.0.0-alpha2
info: {label: Demo}
binds:
- namespace: env
  keys:
    MC_CONSUMER_KEY: MC_CONSUMER_KEY
    MC_SIGNING_KEY: MC_SIGNING_KEY
    SECRET: SECRET
    TOKEN: TOKEN
    REGION: REGION
    CERT: CERT
    CERT_PASSWORD: CERT_PASSWORD
capability:
  consumes:
  - type: http
    namespace: api
    baseUri: BASE_URI
    authentication: AUTH
    resources:
    - name: things
      path: /things
      operations:
      - {name: list, method: GET}
  exposes:
  - type: mcp
    namespace: m
    port: 9
    tools:
    - {name: list-things, description: List things, call: api.list}
"""

MASTERCARD = "{type: oauth1, consumerKey: '{{MC_CONSUMER_KEY}}', signingKey: '{{MC_SIGNING_KEY}}'}"
AWS = "https://ce.us-east-1.amazonaws.com"


def spec_text(auth: str, base_uri: str = "https://api.example.test") -> str:
    return SPEC.replace("BASE_URI", base_uri).replace("AUTH", auth)


def model(auth: str, base_uri: str = "https://api.example.test") -> Capability:
    built, _ = normalise(parse_text(spec_text(auth, base_uri), "demo.yaml"), "demo.yaml", "demo")
    return built


def refusals(auth: str, base_uri: str = "https://api.example.test") -> list[tuple[str, str]]:
    text = spec_text(auth, base_uri)
    with pytest.raises(SpecError) as raised:
        normalise(parse_text(text, "demo.yaml"), "demo.yaml", "demo")
    return [(d.code, d.message) for d in raised.value.diagnostics if d.level is Level.ERROR]


# -- OAuth 1.0a ----------------------------------------------------------------------------------


def test_mastercard_oauth1_signs_with_rsa_sha256_from_binds() -> None:
    (upstream,) = model(MASTERCARD).upstreams

    assert upstream.auth == OAuth1Auth(
        signature_method="RSA-SHA256",
        consumer_key_expr="settings.mc_consumer_key",
        signing_key_expr="settings.mc_signing_key",
        signing_key_source="MC_SIGNING_KEY",
        keystore_password_expr=None,
        consumer_secret_expr=None,
        token_expr=None,
        token_secret_expr=None,
    )
    assert upstream.headers == () and upstream.query == ()
    assert upstream.signs_requests


def test_oauth1_with_a_consumer_secret_defaults_to_hmac_sha1() -> None:
    (upstream,) = model(
        "{type: oauth1, consumerKey: ck-literal, consumerSecret: '{{SECRET}}'}"
    ).upstreams

    assert upstream.oauth1 is not None
    assert upstream.oauth1.signature_method == "HMAC-SHA1"
    assert upstream.oauth1.consumer_key_expr == "'ck-literal'"
    assert upstream.oauth1.consumer_secret_expr == "settings.secret"


def test_oauth1_explicit_method_token_and_keystore_password() -> None:
    (upstream,) = model(
        "{type: oauth1, consumerKey: '{{MC_CONSUMER_KEY}}', signingKey: '{{MC_SIGNING_KEY}}', "
        "keystorePassword: '{{CERT_PASSWORD}}', token: '{{TOKEN}}', signatureMethod: rsa-sha1}"
    ).upstreams

    assert upstream.oauth1 is not None
    assert upstream.oauth1.signature_method == "RSA-SHA1"
    assert upstream.oauth1.token_expr == "settings.token"
    assert upstream.oauth1.keystore_password_expr == "settings.cert_password"


@pytest.mark.parametrize(
    ("auth", "missing"),
    [
        ("{type: oauth1, signingKey: '{{MC_SIGNING_KEY}}'}", "needs 'consumerKey'"),
        ("{type: oauth1, consumerKey: '{{MC_CONSUMER_KEY}}'}", "needs 'signingKey'"),
        (
            "{type: oauth1, consumerKey: k, signingKey: '{{MC_SIGNING_KEY}}', consumerSecret: s}",
            "set 'signatureMethod'",
        ),
        (
            "{type: oauth1, consumerKey: k, consumerSecret: s, signatureMethod: RSA-SHA256}",
            "RSA-SHA256 needs 'signingKey'",
        ),
        (
            "{type: oauth1, consumerKey: k, signingKey: '{{MC_SIGNING_KEY}}', "
            "signatureMethod: HMAC-SHA256}",
            "HMAC-SHA256 needs 'consumerSecret'",
        ),
        (
            "{type: oauth1, consumerKey: k, consumerSecret: s, signatureMethod: PLAINTEXT}",
            "'PLAINTEXT' is not supported",
        ),
        (
            "{type: oauth1, consumerKey: '{{api.key}}', consumerSecret: s}",
            "is not a bind variable",
        ),
    ],
    ids=[
        "no-consumer-key",
        "no-key-or-secret",
        "ambiguous",
        "rsa-without-key",
        "hmac-without-secret",
        "plaintext",
        "not-a-bind",
    ],
)
def test_oauth1_without_what_signing_needs_is_refused(auth: str, missing: str) -> None:
    (refusal,) = refusals(auth)

    assert refusal[0] == "unsupported-auth-oauth1"
    assert missing in refusal[1]


# -- AWS Signature Version 4 ---------------------------------------------------------------------


def test_aws_sigv4_reads_service_from_the_host_and_credentials_from_the_aws_variables() -> None:
    built = model("{type: aws-sig-v4}", AWS)

    (upstream,) = built.upstreams
    assert upstream.auth == AwsSigV4Auth(
        service="ce",
        region_expr=None,
        access_key_id_expr="settings.aws_access_key_id",
        secret_access_key_expr="settings.aws_secret_access_key",
        session_token_expr=None,
        session_token_env="AWS_SESSION_TOKEN",
    )
    assert [s.env_var for s in built.secrets][-2:] == ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]


def test_aws_signature_v4_spelling_with_spec_credentials_and_region() -> None:
    (upstream,) = model(
        "{type: aws-signature-v4, service: deepracer, region: '{{REGION}}', "
        "accessKeyId: '{{TOKEN}}', secretKey: '{{SECRET}}'}",
        "https://deepracer.amazonaws.com",
    ).upstreams

    assert upstream.aws_sigv4 == AwsSigV4Auth(
        service="deepracer",
        region_expr="settings.region",
        access_key_id_expr="settings.token",
        secret_access_key_expr="settings.secret",
        session_token_expr=None,
        session_token_env=None,
    )


@pytest.mark.parametrize(
    ("base_uri", "service"),
    [
        ("https://ce.us-east-1.amazonaws.com", "ce"),
        ("https://apigateway.{{AWS_REGION}}.amazonaws.com", "apigateway"),
        ("https://abc123.execute-api.eu-west-1.amazonaws.com/prod", "execute-api"),
        ("https://runtime.sagemaker.us-gov-west-1.amazonaws.com", "sagemaker"),
        ("https://deepracer.amazonaws.com", "deepracer"),
        ("https://es.{region}.amazonaws.com", "es"),
        ("https://search-d.us-east-1.es.amazonaws.com:443/x", "es"),
        ("https://s3.cn-north-1.amazonaws.com.cn", "s3"),
        ("https://api.example.test", None),
        ("https://{{HOST}}/v1", None),
    ],
)
def test_aws_service_from_host(base_uri: str, service: str | None) -> None:
    assert aws_service_from_host(base_uri) == service


@pytest.mark.parametrize(
    ("auth", "base_uri", "message"),
    [
        ("{type: aws-sig-v4}", "https://api.example.test", "needs 'service'"),
        ("{type: aws-sig-v4}", "https://{{HOST}}", "needs 'service'"),
        ("{type: aws-sig-v4, service: 'Bad Name'}", AWS, "not an AWS signing name"),
        ("{type: aws-sig-v4, accessKeyId: '{{TOKEN}}'}", AWS, "both 'accessKeyId' and 'secretKey'"),
    ],
    ids=["not-aws-host", "placeholder-host", "bad-service", "half-credentials"],
)
def test_aws_sigv4_without_a_service_or_credentials_is_refused(
    auth: str, base_uri: str, message: str
) -> None:
    (refusal,) = refusals(auth, base_uri)

    assert refusal[0] == "unsupported-auth-aws-sig-v4"
    assert message in refusal[1]


# -- mutual TLS ----------------------------------------------------------------------------------


def test_certificate_reads_paths_and_password_from_binds() -> None:
    (upstream,) = model(
        "{type: certificate, certPath: '{{CERT}}', certPassword: '{{CERT_PASSWORD}}'}"
    ).upstreams

    assert upstream.auth == CertificateAuth(
        cert_path_expr="settings.cert",
        cert_source="CERT",
        key_path_expr=None,
        password_expr="settings.cert_password",
    )
    assert not upstream.signs_requests


def test_certificate_without_a_path_is_refused() -> None:
    (refusal,) = refusals("{type: certificate, certPassword: '{{CERT_PASSWORD}}'}")

    assert refusal[0] == "unsupported-auth-certificate"
    assert "needs 'certPath'" in refusal[1]


# -- the whole pipeline: schema, generated files -------------------------------------------------


@pytest.mark.parametrize(
    "auth",
    [
        "{type: oauth1, consumerKey: k, consumerSecret: '{{SECRET}}', token: t, tokenSecret: u, "
        "signatureMethod: HMAC-SHA256}",
        "{type: aws-signature-v4, service: ce, sessionToken: '{{TOKEN}}', accessKeyId: a, "
        "secretKey: '{{SECRET}}'}",
        "{type: certificate, certPath: '{{CERT}}', keyPath: /etc/key.pem}",
    ],
    ids=["oauth1-hmac", "aws-sig-v4", "certificate"],
)
def test_schema_accepts_the_keys_signing_uses(auth: str, tmp_path: Path) -> None:
    spec = tmp_path / "demo.yaml"
    spec.write_text(spec_text(auth, AWS))

    _, diagnostics = validate(spec)

    assert [d.format() for d in diagnostics if d.level is Level.ERROR] == []


DEPENDENCIES = ("oauthlib", "PyJWT", "cryptography", "botocore")


@pytest.mark.parametrize(
    ("auth", "base_uri", "expected"),
    [
        ("{type: bearer, token: '{{TOKEN}}'}", AWS, ()),
        (MASTERCARD, AWS, ("oauthlib", "PyJWT", "cryptography")),
        ("{type: oauth1, consumerKey: k, consumerSecret: '{{SECRET}}'}", AWS, ("oauthlib",)),
        ("{type: aws-sig-v4}", AWS, ("botocore",)),
        ("{type: certificate, certPath: '{{CERT}}'}", AWS, ("cryptography",)),
    ],
    ids=["bearer", "oauth1-rsa", "oauth1-hmac", "aws-sig-v4", "certificate"],
)
def test_packages_depend_on_a_signing_library_only_when_they_use_it(
    auth: str, base_uri: str, expected: tuple[str, ...]
) -> None:
    files = render_package(model(auth, base_uri))

    pyproject = files["pyproject.toml"]
    assert [d for d in DEPENDENCIES if f'"{d}>=' in pyproject] == list(expected)
    code = files["demo/upstream.py"] + files["demo/settings.py"]
    assert ("oauthlib" in code) == ("oauthlib" in expected)
    assert ("botocore" in code) == ("botocore" in expected)
    assert ("cryptography" in code) == ("cryptography" in expected)
    assert ("load_cert_chain" in code) == ("certificate" in auth)


def test_secrets_in_the_build_environment_never_reach_generated_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "s3cr3t-9f2e1d"
    for name in ("MC_CONSUMER_KEY", "MC_SIGNING_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, f"{secret}-{name}")
    auths = [MASTERCARD, "{type: aws-sig-v4}", "{type: certificate, certPath: '{{CERT}}'}"]
    for i, auth in enumerate(auths):
        spec = tmp_path / f"demo{i}.yaml"
        spec.write_text(spec_text(auth, AWS))

        files = generate(spec).files

        assert not [path for path, text in files.items() if secret in text]


# -- the generated settings module, imported -----------------------------------------------------

SETTINGS_SPEC = """
naftiko: 1.0.0-alpha2
info: {label: Keys}
binds:
- namespace: env
  keys: {CK: MC_CK, SK: MC_SK, REGION: PINNED_REGION, CERT: CLIENT_CERT}
capability:
  consumes:
  - type: http
    namespace: cards
    baseUri: https://api.mastercard.com/cards
    authentication: {type: oauth1, consumerKey: '{{CK}}', signingKey: '{{SK}}'}
    resources:
    - {name: r, path: /r, operations: [{name: get, method: GET}]}
  - type: http
    namespace: cards-b
    baseUri: https://api.mastercard.com/other
    authentication: {type: oauth1, consumerKey: '{{CK}}', signingKey: '{{SK}}'}
    resources:
    - {name: r, path: /r, operations: [{name: get, method: GET}]}
  - type: http
    namespace: costs
    baseUri: https://ce.us-east-1.amazonaws.com
    authentication: {type: aws-sig-v4}
    resources:
    - {name: r, path: /r, operations: [{name: get, method: GET}]}
  - type: http
    namespace: pinned
    baseUri: https://apigateway.eu-west-3.amazonaws.com
    authentication: {type: aws-sig-v4, region: '{{REGION}}'}
    resources:
    - {name: r, path: /r, operations: [{name: get, method: GET}]}
  - type: http
    namespace: tls
    baseUri: https://tls.example.test
    authentication: {type: certificate, certPath: '{{CERT}}'}
    resources:
    - {name: r, path: /r, operations: [{name: get, method: GET}]}
  exposes:
  - type: mcp
    namespace: m
    port: 9
    tools:
    - {name: a, description: A, call: cards.get}
    - {name: b, description: B, call: cards-b.get}
    - {name: c, description: C, call: costs.get}
    - {name: d, description: D, call: pinned.get}
    - {name: e, description: E, call: tls.get}
"""


@pytest.fixture(scope="module")
def settings_module(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    folder = tmp_path_factory.mktemp("keys-pkg")
    spec = folder / "keys.yaml"
    spec.write_text(SETTINGS_SPEC)
    write_tree(folder / "out", generate(spec).files)
    sys.path.insert(0, str(folder / "out"))
    try:
        yield importlib.import_module("keys.settings")
    finally:
        sys.path.remove(str(folder / "out"))
        for name in [m for m in sys.modules if m == "keys" or m.startswith("keys.")]:
            del sys.modules[name]


@pytest.fixture(scope="module")
def key_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    import trustme

    folder = tmp_path_factory.mktemp("key-files")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    (folder / "signing.pem").write_bytes(pem)
    leaf = trustme.CA().issue_cert("client.example.test")
    leaf.private_key_and_cert_chain_pem.write_to_path(str(folder / "client.pem"))
    return {"signing": str(folder / "signing.pem"), "client": str(folder / "client.pem")}


def environment(key_files: dict[str, str], **changes: str) -> dict[str, str]:
    env = {
        "MC_CK": "consumer-key-1",
        "MC_SK": key_files["signing"],
        "PINNED_REGION": "ap-south-1",
        "CLIENT_CERT": key_files["client"],
        "AWS_ACCESS_KEY_ID": "AKID",
        "AWS_SECRET_ACCESS_KEY": "aws-secret-value",
    }
    env.update(changes)
    return {k: v for k, v in env.items() if v}


def test_loaded_settings_carry_keys_but_never_show_them(
    settings_module: ModuleType, key_files: dict[str, str]
) -> None:
    settings = settings_module.load_settings(environment(key_files, AWS_SESSION_TOKEN="tok-5"))

    assert settings.cards.oauth1.signature_method == "RSA-SHA256"
    assert settings.cards.oauth1.rsa_key is settings.cards_b.oauth1.rsa_key  # parsed once
    assert settings.costs.aws_sigv4.session_token == "tok-5"
    assert settings.tls.client_tls is not None
    shown = repr(settings)
    for value in ("consumer-key-1", "aws-secret-value", "tok-5", "AKID", key_files["signing"]):
        assert value not in shown


@pytest.mark.parametrize(
    ("changes", "region"),
    [
        ({}, "us-east-1"),  # from the base URI host
        ({"AWS_REGION": "eu-north-1"}, "us-east-1"),  # the endpoint wins over the default
        ({"COSTS_AWS_REGION": "sa-east-1", "AWS_REGION": "eu-north-1"}, "sa-east-1"),
        (
            {"COSTS_BASE_URI": "http://127.0.0.1:9", "AWS_DEFAULT_REGION": "ca-central-1"},
            "ca-central-1",
        ),
    ],
    ids=["host", "host-over-aws-region", "namespace-setting", "default-region"],
)
def test_aws_region_comes_from_the_most_specific_setting(
    settings_module: ModuleType, key_files: dict[str, str], changes: dict[str, str], region: str
) -> None:
    settings = settings_module.load_settings(environment(key_files, **changes))

    assert settings.costs.aws_sigv4.region == region
    assert settings.pinned.aws_sigv4.region == "ap-south-1"  # the spec's region wins
    assert settings.costs.aws_sigv4.session_token is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"MC_SK": "/nonexistent/key.pem"}, "MC_SK must hold a PEM private key or the path"),
        (
            {"MC_SK": "-----BEGIN PRIVATE KEY-----\nxx\n-----END PRIVATE KEY-----\n"},
            "MC_SK holds no",
        ),
        ({"CLIENT_CERT": "/nonexistent/cert.pem"}, "CLIENT_CERT: no usable client certificate"),
        (
            {"COSTS_BASE_URI": "http://127.0.0.1:9"},
            "environment variable COSTS_AWS_REGION is not set",
        ),
        ({"AWS_SECRET_ACCESS_KEY": ""}, "environment variable AWS_SECRET_ACCESS_KEY is not set"),
    ],
    ids=["key-file-missing", "key-not-a-key", "certificate-missing", "no-region", "no-aws-secret"],
)
def test_unusable_key_material_is_a_config_error_naming_the_variable(
    settings_module: ModuleType, key_files: dict[str, str], changes: dict[str, str], message: str
) -> None:
    with pytest.raises(settings_module.ConfigError) as raised:
        settings_module.load_settings(environment(key_files, **changes))

    assert message in str(raised.value)


def test_an_ec_key_is_refused_for_rsa_signing(
    settings_module: ModuleType, key_files: dict[str, str], tmp_path: Path
) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    key: Any = ec.generate_private_key(ec.SECP256R1())
    path = tmp_path / "ec.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )

    with pytest.raises(settings_module.ConfigError) as raised:
        settings_module.load_settings(environment(key_files, MC_SK=str(path)))

    assert "must hold an RSA private key" in str(raised.value)
    assert os.fspath(path) not in str(raised.value)


# -- HTTP Digest and OAuth 2.0 client credentials --------------------------------------------------

OAUTH2 = (
    "{type: oauth2, tokenEndpoint: 'https://auth.example.test/token', clientId: '{{TOKEN}}', "
    "clientSecret: '{{SECRET}}', scopes: [a, b]}"
)


def test_digest_takes_user_name_and_password_from_binds() -> None:
    (upstream,) = model("{type: digest, username: '{{TOKEN}}', password: '{{SECRET}}'}").upstreams

    assert upstream.digest == DigestAuth("settings.token", "settings.secret")


def test_digest_without_a_password_is_refused() -> None:
    (refusal,) = refusals("{type: digest, username: '{{TOKEN}}'}")

    assert refusal[0] == "unsupported-auth-digest"
    assert "'username' and 'password'" in refusal[1]


def test_oauth2_client_credentials_read_the_endpoint_client_and_scopes() -> None:
    (upstream,) = model(OAUTH2).upstreams

    assert upstream.oauth2 == OAuth2ClientCredentials(
        token_url_expr="'https://auth.example.test/token'",
        client_id_expr="settings.token",
        client_secret_expr="settings.secret",
        scopes=("a", "b"),
        audience=None,
        client_auth="basic",
    )


@pytest.mark.parametrize(
    ("auth", "fragment"),
    [
        ("{type: oauth2, authorizationServerUri: 'https://auth.example.test'}", "'tokenEndpoint'"),
        (OAUTH2.replace("clientSecret: '{{SECRET}}', ", ""), "'clientSecret'"),
        (OAUTH2.replace("'https://auth.example.test/token'", "/token"), "absolute http(s) URL"),
        (OAUTH2[:-1] + ", grantType: password}", "client_credentials grant"),
        (OAUTH2[:-1] + ", tokenEndpointAuthMethod: private_key_jwt}", "not supported"),
    ],
    ids=["server-side-only", "no-secret", "relative-endpoint", "grant", "auth-method"],
)
def test_oauth2_on_consumes_without_what_the_grant_needs_is_refused(
    auth: str, fragment: str
) -> None:
    (refusal,) = refusals(auth)

    assert refusal[0] == "unsupported-auth-oauth2"
    assert fragment in refusal[1]


def test_the_token_module_is_generated_only_for_oauth2() -> None:
    with_oauth2 = render_package(model(OAUTH2))
    with_digest = render_package(model("{type: digest, username: u, password: '{{SECRET}}'}"))

    assert "demo/upstream_auth.py" in with_oauth2
    assert "DigestAuthMiddleware" not in with_oauth2["demo/upstream.py"]
    assert "demo/upstream_auth.py" not in with_digest
    assert "DigestAuthMiddleware" in with_digest["demo/upstream.py"]
    assert '"aiohttp>=3.13,<4"' in with_digest["pyproject.toml"]
    assert '"aiohttp>=3.9,<4"' in with_oauth2["pyproject.toml"]
