"""Inbound ``authentication`` on exposes adapters (semantics §3.2): what callers must present.

``bearer``, ``apikey`` (header, query or cookie), ``basic``, ``digest`` (RFC 7616, SHA-256 and
MD5, ``qop=auth``) and ``oauth2`` (JWT access tokens checked against the authorization server's
JWKS) are generated as an ASGI middleware in the package's ``inbound_auth.py``, which exists only
when a spec uses one of them. The expected credentials are bind variables read at start-up, never
text in generated files: a credential written literally in the spec is refused. Other schemes
(token introspection, the consumes-only signing schemes) are refused with a located error rather
than served open.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import Any, Literal, Protocol, cast

from naftiko_gen.loader import PathKey
from naftiko_gen.pyliteral import py

InboundKind = Literal["bearer", "apikey", "basic", "digest", "oauth2"]
ApiKeyPlacement = Literal["header", "query", "cookie"]

# The realm the Naftiko engine's challenge authenticator uses (semantics §3.2).
REALM = "naftiko"
SUPPORTED = ("bearer", "apikey", "basic", "digest", "oauth2")
_PLACEHOLDER = re.compile(r"\{\{[^{}]*\}\}|\$\{[^{}]*\}")
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_PRINTABLE = re.compile(r"^[\x20-\x7e]+$")


@dataclass(frozen=True)
class ApiKeyCheck:
    """One key the caller must send: where, under which name, and the expected value."""

    placement: ApiKeyPlacement
    name: str
    value_expr: str


@dataclass(frozen=True)
class InboundAuth:
    """What one adapter checks. ``*_expr`` read bind secrets from ``settings`` at start-up."""

    kind: InboundKind
    token_expr: str | None = None
    api_keys: tuple[ApiKeyCheck, ...] = ()
    username_expr: str | None = None
    password_expr: str | None = None
    # oauth2: the authorization server (issuer), the expected audience, the required scopes.
    issuer_expr: str | None = None
    audience_expr: str | None = None
    scopes: tuple[str, ...] = ()
    realm: str = REALM

    @property
    def challenge(self) -> str:
        """The ``WWW-Authenticate`` value of a refusal (digest builds its own, with a nonce)."""
        if self.kind in ("bearer", "oauth2"):
            return f"Bearer realm={_quoted(self.realm)}"
        if self.kind == "basic":
            return f'Basic realm={_quoted(self.realm)}, charset="UTF-8"'
        # No registered scheme carries an API key; RFC 9110 §11.6.1 still wants a challenge.
        key = self.api_keys[0]
        where = f"in={_quoted(key.placement)}, name={_quoted(key.name)}"
        return f"ApiKey realm={_quoted(self.realm)}, {where}"

    @property
    def guard_expr(self) -> str:
        """The Python expression that builds this adapter's guard from ``settings``."""
        if self.kind == "bearer":
            return f"BearerGuard({self.token_expr}, {py(self.challenge)})"
        if self.kind == "basic":
            return f"BasicGuard({self.username_expr}, {self.password_expr}, {py(self.challenge)})"
        if self.kind == "digest":
            return f"DigestGuard({self.username_expr}, {self.password_expr}, {py(self.realm)})"
        if self.kind == "oauth2":
            audience = self.audience_expr or "None"
            scopes = py(list(self.scopes))
            return f"OAuth2Guard({self.issuer_expr}, {audience}, {scopes}, {py(self.challenge)})"
        keys = ", ".join(
            f"({py(k.placement)}, {py(k.name)}, {k.value_expr})" for k in self.api_keys
        )
        return f"ApiKeyGuard([{keys}], {py(self.challenge)})"

    @property
    def curl_flags(self) -> str:
        """``curl`` options that present the credentials (upper-case placeholders)."""
        if self.kind in ("basic", "digest"):
            return f"--{self.kind} -u USER:PASSWORD"
        if self.kind in ("bearer", "oauth2"):
            return "-H " + shlex.quote("Authorization: Bearer TOKEN")
        flag = {"header": "-H", "query": "--url-query", "cookie": "-b"}
        separator = {"header": ": ", "query": "=", "cookie": "="}
        return " ".join(
            f"{flag[k.placement]} {shlex.quote(k.name + separator[k.placement] + 'KEY')}"
            for k in self.api_keys
        )

    @property
    def client_headers(self) -> dict[str, str]:
        """Headers an MCP client configuration can carry (none for digest or a query key)."""
        if self.kind in ("bearer", "oauth2"):
            return {"Authorization": "Bearer TOKEN"}
        if self.kind == "basic":
            return {"Authorization": "Basic BASE64_OF_USER_COLON_PASSWORD"}
        return {k.name: "KEY" for k in self.api_keys if k.placement == "header"}

    def security_schemes(self) -> dict[str, dict[str, Any]]:
        """OpenAPI 3.1 ``components.securitySchemes``; all of them are required together."""
        if self.kind == "apikey":
            return {
                f"apiKey{i + 1 if len(self.api_keys) > 1 else ''}": {
                    "type": "apiKey",
                    "in": key.placement,
                    "name": key.name,
                }
                for i, key in enumerate(self.api_keys)
            }
        if self.kind == "oauth2":
            return {"oauth2Auth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
        return {f"{self.kind}Auth": {"type": "http", "scheme": self.kind}}


class Reporter(Protocol):
    def error(self, code: str, message: str, path: PathKey) -> None: ...

    def secret_expr(self, template: str, where: PathKey) -> str | None: ...


def inbound_auth(report: Reporter, adapter: dict[str, Any], where: PathKey) -> InboundAuth | None:
    """The adapter's ``authentication`` (``auth`` accepted too); ``None`` when it has none or it
    was refused (an error was reported: an adapter the spec protects is never served open)."""
    key = "authentication" if "authentication" in adapter else "auth"
    auth = adapter.get(key)
    if auth is None:
        return None
    where = (*where, key)
    if not isinstance(auth, dict):
        report.error(
            "unsupported-inbound-auth", "authentication must be a mapping with a type", where
        )
        return None
    kind = str(auth.get("type") or "")
    if kind == "apiKey":
        kind = "apikey"
    if kind not in SUPPORTED:
        report.error(
            "unsupported-inbound-auth",
            f"inbound authentication {kind!r} is not generated (supported on exposes: "
            + ", ".join(SUPPORTED)
            + "); serving this adapter without it is not what the spec asks",
            (*where, "type"),
        )
        return None
    if kind == "oauth2":
        return _oauth2(report, auth, where)
    if kind == "bearer":
        token = _secret(report, auth, "token", where)
        return InboundAuth("bearer", token_expr=token) if token else None
    if kind in ("basic", "digest"):
        username = _secret(report, auth, "username", where)
        password = _secret(report, auth, "password", where)
        if username is None or password is None:
            return None
        return InboundAuth(cast(InboundKind, kind), username_expr=username, password_expr=password)
    keys = _api_keys(report, auth, where)
    return InboundAuth("apikey", api_keys=keys) if keys else None


def _oauth2(report: Reporter, auth: dict[str, Any], where: PathKey) -> InboundAuth | None:
    """JWT access tokens checked against the authorization server's published keys."""
    if auth.get("tokenValidation", "jwks") != "jwks":
        report.error(
            "unsupported-inbound-auth",
            "oauth2 tokenValidation 'introspection' is not generated (the engine refuses it too); "
            "use jwks",
            (*where, "tokenValidation"),
        )
        return None
    issuer = str(auth.get("authorizationServerUri") or "")
    if not issuer:
        report.error(
            "inbound-auth-incomplete",
            "oauth2 authentication needs 'authorizationServerUri' (the issuer whose keys sign "
            "the tokens)",
            where,
        )
        return None
    issuer_expr = _public_text(report, issuer, (*where, "authorizationServerUri"))
    audience = auth.get("audience") or auth.get("resource")
    audience_expr = (
        _public_text(
            report, str(audience), (*where, "audience" if "audience" in auth else "resource")
        )
        if audience
        else None
    )
    if issuer_expr is None or (audience and audience_expr is None):
        return None
    scopes = auth.get("scopes")
    scopes = scopes if isinstance(scopes, list) else []
    return InboundAuth(
        "oauth2",
        issuer_expr=issuer_expr,
        audience_expr=audience_expr,
        scopes=tuple(str(s) for s in scopes),
    )


def _public_text(report: Reporter, text: str, where: PathKey) -> str | None:
    """A value that is no secret (a URL, an audience): literal, or read from binds."""
    if not _PLACEHOLDER.search(text):
        return py(text)
    expr = report.secret_expr(text, where)
    if expr is None:
        report.error(
            "inbound-auth-secret", "only bind variables ('{{VAR}}') can be read here", where
        )
    return expr


def apikey_spelling(auth: dict[str, Any]) -> tuple[Any, str]:
    """An apikey block's key name and placement, however it is spelt (consumed and exposed alike):
    ``key``/``placement``, OpenAPI-style ``name``/``in``, or ``header: NAME``; header by default."""
    key = auth.get("key") or auth.get("name") or auth.get("header")
    return key, str(auth.get("placement") or auth.get("in") or "header")


def _api_keys(report: Reporter, auth: dict[str, Any], where: PathKey) -> tuple[ApiKeyCheck, ...]:
    name, placement = apikey_spelling(auth)
    if placement not in ("header", "query", "cookie"):
        report.error(
            "inbound-auth-incomplete",
            f"apikey placement {placement!r} is not header, query or cookie",
            where,
        )
        return ()
    pairs: list[tuple[str, str, PathKey]] = []
    headers = auth.get("headers")
    if isinstance(headers, dict) and headers:
        placement = "header"
        pairs = [(str(n), str(v), (*where, "headers", n)) for n, v in headers.items()]
    else:
        if not name:
            report.error(
                "inbound-auth-incomplete",
                "apikey authentication needs 'key': the header, query parameter or cookie "
                "callers send the key in",
                where,
            )
            return ()
        pairs = [(str(name), str(auth.get("value") or ""), (*where, "value"))]
    checks = []
    for name, value, at in pairs:
        if not (_TOKEN if placement != "query" else _PRINTABLE).match(name):
            report.error(
                "bad-header",
                f"apikey name {name!r} is not a valid {placement} name",
                where,
            )
            return ()
        expr = _secret_text(report, value, at, f"apikey {name!r}")
        if expr is None:
            return ()
        checks.append(ApiKeyCheck(cast(ApiKeyPlacement, placement), name, expr))
    return tuple(checks)


def _secret(report: Reporter, auth: dict[str, Any], key: str, where: PathKey) -> str | None:
    if not auth.get(key):
        report.error(
            "inbound-auth-incomplete",
            f"{auth.get('type')} authentication needs {key!r} (a bind variable such as "
            f"'{{{{API_{key.upper()}}}}}')",
            where,
        )
        return None
    return _secret_text(report, str(auth[key]), (*where, key), key)


def _secret_text(report: Reporter, text: str, where: PathKey, what: str) -> str | None:
    """The expression of a credential: it must come from binds, never from the spec's text."""
    if not text:
        report.error("inbound-auth-incomplete", f"{what} has no value", where)
        return None
    expr = report.secret_expr(text, where) if _PLACEHOLDER.search(text) else None
    if expr is None:
        report.error(
            "inbound-auth-secret",
            f"the expected {what} must come from a bind ('{{{{VAR}}}}'), so that it is read "
            "from the environment at start-up and never written into generated files",
            where,
        )
    return expr


def _quoted(text: str) -> str:
    """An RFC 9110 quoted-string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
