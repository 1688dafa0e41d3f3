"""naftiko_gen.inbound_auth: ``authentication`` on exposes adapters, resolved into the model.

Each refusal has its own code (an adapter the spec protects is never generated open); the OpenAPI
document declares the scheme; ``inbound_auth.py`` exists only in packages that use it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from naftiko_gen.build import generate, validate
from naftiko_gen.diagnostics import Diagnostic, Level, SpecError
from naftiko_gen.inbound_auth import ApiKeyCheck

SPEC = """\
naftiko: 1.0.0-alpha2
info: {{label: Guarded}}
binds:
- namespace: env
  keys: {{IN_TOKEN: IN_TOKEN, IN_USER: IN_USER, IN_PASSWORD: IN_PASSWORD}}
capability:
  consumes:
  - type: http
    namespace: api
    baseUri: https://api.example.test
    resources:
    - name: items
      path: /items
      operations:
      - {{name: list, method: GET}}
  exposes:
  - type: rest
    namespace: guarded-rest
    port: 8080
{rest_auth}
    resources:
    - path: /items
      operations: [{{method: GET, name: list-items, call: api.list}}]
  - type: mcp
    namespace: guarded-mcp
    port: 9090
{mcp_auth}
    tools:
    - {{name: list-items, description: List, call: api.list}}
"""
BEARER = "    authentication: {type: bearer, token: '{{IN_TOKEN}}'}"
CREDENTIALS = "username: '{{IN_USER}}', password: '{{IN_PASSWORD}}'"
BASIC = "    authentication: {type: basic, " + CREDENTIALS + "}"
DIGEST = "    authentication: {type: digest, " + CREDENTIALS + "}"


def spec_file(tmp_path: Path, rest_auth: str = "", mcp_auth: str = "") -> Path:
    path = tmp_path / "guarded.yaml"
    path.write_text(SPEC.format(rest_auth=rest_auth, mcp_auth=mcp_auth), "utf-8")
    return path


def problems(tmp_path: Path, rest_auth: str) -> list[Diagnostic]:
    try:
        return validate(spec_file(tmp_path, rest_auth))[1]
    except SpecError as exc:
        return exc.diagnostics


CASES = {
    "unsupported-inbound-auth": "    authentication: {type: oauth2, authorizationServerUri: x}",
    "inbound-auth-incomplete": "    authentication: {type: basic, username: '{{IN_USER}}'}",
    "inbound-auth-secret": "    authentication: {type: bearer, token: token-123}",
}


@pytest.mark.parametrize("code", sorted(CASES))
def test_each_refusal_is_a_located_error_with_a_hint(code: str, tmp_path: Path) -> None:
    found = [d for d in problems(tmp_path, CASES[code]) if d.code == code]

    assert found, f"no {code} diagnostic"
    assert found[0].level is Level.ERROR
    assert found[0].hint
    assert found[0].location.line == 20  # the authentication line


def test_a_placeholder_that_is_not_a_bind_is_refused_too(tmp_path: Path) -> None:
    rest_auth = "    authentication: {type: bearer, token: '{{rest.token}}'}"

    assert [d.code for d in problems(tmp_path, rest_auth)] == ["inbound-auth-secret"]


def test_a_literal_credential_never_reaches_the_generated_files(tmp_path: Path) -> None:
    rest_auth = "    authentication: {type: apikey, key: X-Key, value: hunter2-literal}"

    with pytest.raises(SpecError) as raised:
        generate(spec_file(tmp_path, rest_auth))

    assert [d.code for d in raised.value.diagnostics] == ["inbound-auth-secret"]


def test_apikey_headers_dialect_checks_every_header(tmp_path: Path) -> None:
    rest_auth = (
        "    authentication: {type: apikey, headers: "
        "{X-Key: '{{IN_TOKEN}}', X-User: '{{IN_USER}}'}}"
    )

    model, _ = validate(spec_file(tmp_path, rest_auth))

    assert model.rest is not None and model.rest.auth is not None
    assert model.rest.auth.api_keys == (
        ApiKeyCheck("header", "X-Key", "settings.in_token"),
        ApiKeyCheck("header", "X-User", "settings.in_user"),
    )


def test_a_package_without_inbound_auth_has_no_inbound_auth_module(tmp_path: Path) -> None:
    files = generate(spec_file(tmp_path)).files

    assert "guarded/inbound_auth.py" not in files
    assert "inbound_auth" not in files["guarded/rest_app.py"] + files["guarded/mcp_server.py"]
    assert "securitySchemes" not in files["guarded/openapi.json"]


def test_only_the_guards_a_spec_uses_are_generated(tmp_path: Path) -> None:
    mcp_auth = (
        "    authentication: {type: digest, username: '{{IN_USER}}', password: '{{IN_PASSWORD}}'}"
    )

    files = generate(spec_file(tmp_path, BEARER, mcp_auth)).files
    module = files["guarded/inbound_auth.py"]

    assert "class BearerGuard" in module and "class DigestGuard" in module
    assert "class BasicGuard" not in module and "class ApiKeyGuard" not in module
    assert "def rest_guard" in module and "def mcp_guard" in module
    assert "IN_TOKEN" not in module  # secrets are settings fields, read at start-up


@pytest.mark.parametrize(
    ("rest_auth", "schemes"),
    [
        (BEARER, {"bearerAuth": {"type": "http", "scheme": "bearer"}}),
        (BASIC, {"basicAuth": {"type": "http", "scheme": "basic"}}),
        (DIGEST, {"digestAuth": {"type": "http", "scheme": "digest"}}),
        (
            "    authentication: {type: apikey, key: key, value: '{{IN_TOKEN}}', placement: query}",
            {"apiKey": {"type": "apiKey", "in": "query", "name": "key"}},
        ),
    ],
)
def test_the_openapi_document_declares_the_scheme_and_the_401_answer(
    tmp_path: Path, rest_auth: str, schemes: dict[str, object]
) -> None:
    model, _ = validate(spec_file(tmp_path, rest_auth))
    document = model.openapi

    assert document["components"]["securitySchemes"] == schemes
    assert document["security"] == [{name: [] for name in schemes}]
    responses = document["paths"]["/items"]["get"]["responses"]
    assert list(responses) == ["200", "400", "401", "502", "504", "default"]


def test_the_generated_readme_shows_how_to_present_the_credentials(tmp_path: Path) -> None:
    rest_auth = "    authentication: {type: apikey, key: api_key, value: '{{IN_TOKEN}}', in: query}"

    readme = generate(spec_file(tmp_path, rest_auth, BEARER)).files["README.md"]

    assert "curl -sS --url-query api_key=KEY -X GET http://127.0.0.1:8080/items" in readme
    assert '"headers": {\n        "Authorization": "Bearer TOKEN"\n      }' in readme
    assert "`/mcp` needs the bearer credentials (`mcp-stdio` does not)" in readme
