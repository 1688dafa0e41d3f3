"""Consumed-API authentication that is more than a fixed header: OAuth 1.0a and AWS Signature
Version 4 request signing, mutual-TLS client certificates, HTTP Digest challenges and OAuth 2.0
client-credentials tokens.

``Normaliser._auth`` hands these types here. Policy (``docs/semantics-policy.md``): implemented
with well-kept libraries where the spec carries what they need, otherwise refused with the type's
own code (``unsupported-auth-oauth1``, ``unsupported-auth-aws-sig-v4``,
``unsupported-auth-certificate``) and a message naming the missing key and the fix.

Secret material (keys, secrets, passwords, certificate paths) only enters the model as Python
expressions over run-time settings (bind variables), never as build-time values.

Libraries the generated packages use, only when a spec needs them:

* OAuth 1.0a: ``oauthlib`` (RSA methods: plus ``PyJWT`` and ``cryptography``, which oauthlib
  signs with). It is the maintained, widely used RFC 5849 implementation and covers both RSA and
  HMAC methods; Mastercard's own ``mastercard-oauth1-signer`` does RSA only and pulls in
  ``requests``. oauthlib's body hash is SHA-1 and only added when told a content type, so the
  generated client adds ``oauth_body_hash`` itself with the method's digest (SHA-256 for
  Mastercard's RSA-SHA256). The RSA key is parsed once at start-up: passing PEM text to oauthlib
  re-parses and re-validates it on every request (measured: 117 ms against 3 ms per signature).
* AWS SigV4: ``botocore``'s ``SigV4Auth``/``S3SigV4Auth``, the reference implementation. Its
  cost, measured on top of a generated package's own imports: about 0.2 s more start-up and
  4.4 MB more memory, 32 MB on disk; about 0.5 ms per signature. The minimal signers
  (``aws-requests-auth``, unmaintained since 2020; ``requests-aws4auth``) are tied to
  ``requests``.
* mutual TLS: the standard ``ssl`` module; ``cryptography`` reads PKCS#12 stores.
* HTTP Digest (RFC 7616): aiohttp's own ``DigestAuthMiddleware`` (aiohttp 3.12+, so no new
  dependency): it answers the 401 challenge (MD5, SHA-256, SHA-512 and their ``-sess`` forms,
  ``qop=auth``/``auth-int``), then answers later requests preemptively with the cached nonce and
  an increasing nonce count. The engine only hands the credentials to Restlet (semantics §2.8).
* OAuth 2.0 client credentials (RFC 6749 §4.4): the engine's ``oauth2`` is inbound-only and a
  no-op on consumes (§2.8). With ``tokenEndpoint``, ``clientId`` and ``clientSecret`` the
  generated client fetches a token (client authentication ``client_secret_basic`` by default,
  ``client_secret_post`` on request), caches it until shortly before ``expires_in`` runs out,
  and fetches a new one once when the upstream answers 401. No OAuth library fits: the
  maintained ones (Authlib, requests-oauthlib) are built on httpx or requests, not aiohttp, and
  the grant is one form POST.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from naftiko_gen.loader import PathKey
from naftiko_gen.model import (
    OAUTH1_METHODS,
    AwsSigV4Auth,
    CertificateAuth,
    DigestAuth,
    OAuth1Auth,
    OAuth2ClientCredentials,
    UpstreamAuth,
)

if TYPE_CHECKING:
    from naftiko_gen.normalise import Normaliser

OAUTH1 = "oauth1"
AWS_SIG_V4 = ("aws-sig-v4", "aws-signature-v4")
CERTIFICATE = "certificate"
DIGEST = "digest"
OAUTH2 = "oauth2"
TYPES = (OAUTH1, *AWS_SIG_V4, CERTIFICATE, DIGEST, OAUTH2)
# Client authentication at the token endpoint (RFC 7591 names; RFC 6749 §2.3.1).
TOKEN_AUTH_METHODS = {"client_secret_basic": "basic", "client_secret_post": "body"}

# The standard variables of every AWS SDK, used when the spec names no credentials.
AWS_ENV_CREDENTIALS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
AWS_ENV_SESSION_TOKEN = "AWS_SESSION_TOKEN"

_REGION_LABEL = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
_SERVICE = re.compile(r"^[a-z0-9][a-z0-9.-]*$")
_SETTINGS_FIELD = re.compile(r"\bsettings\.(\w+)")


def consumed_auth(
    normaliser: Normaliser, auth: dict[str, Any], where: PathKey
) -> UpstreamAuth | None:
    """The model of one ``authentication`` mapping of a type in :data:`TYPES`; ``None`` after
    reporting why it is refused."""
    kind = str(auth.get("type"))
    if kind == OAUTH1:
        return _Reader(normaliser, auth, where, "unsupported-auth-oauth1").oauth1()
    if kind in AWS_SIG_V4:
        return _Reader(normaliser, auth, where, "unsupported-auth-aws-sig-v4").aws_sigv4()
    if kind == DIGEST:
        return _Reader(normaliser, auth, where, "unsupported-auth-digest").digest()
    if kind == OAUTH2:
        return _Reader(normaliser, auth, where, "unsupported-auth-oauth2").oauth2()
    return _Reader(normaliser, auth, where, "unsupported-auth-certificate").certificate()


def aws_service_from_host(base_uri: str) -> str | None:
    """The signing name in an AWS endpoint: ``ce.us-east-1.amazonaws.com`` → ``ce``,
    ``abc.execute-api.{region}.amazonaws.com`` → ``execute-api``, ``deepracer.amazonaws.com`` →
    ``deepracer``. ``None`` for any other host (or one hidden behind a placeholder)."""
    match = re.match(r"^https?://([^/:?#]+)", base_uri)
    if not match:
        return None
    host = match.group(1).lower()
    for suffix in (".amazonaws.com", ".amazonaws.com.cn"):
        if host.endswith(suffix):
            labels = host[: -len(suffix)].split(".")
            break
    else:
        return None
    region = labels[-1]
    if len(labels) > 1 and (_REGION_LABEL.match(region) or "{" in region or "$" in region):
        labels = labels[:-1]
    service = labels[-1]
    return service if _SERVICE.match(service) else None


class _Reader:
    """Reads one authentication mapping, reporting every problem with the type's own code."""

    def __init__(
        self, normaliser: Normaliser, auth: dict[str, Any], where: PathKey, code: str
    ) -> None:
        self.n = normaliser
        self.auth = auth
        self.where = where
        self.code = code
        self.ok = True

    def refuse(self, message: str, key: str | None = None) -> None:
        self.ok = False
        self.n.error(self.code, message, (*self.where, key) if key else self.where)

    def value(self, key: str) -> str | None:
        """Python expression for ``key`` (``None`` when absent or empty)."""
        raw = self.auth.get(key)
        if raw is None or str(raw).strip() == "":
            return None
        expr = self.n.secret_expr(str(raw), (*self.where, key))
        if expr is None:
            self.refuse(
                f"{key} {str(raw)!r} references something that is not a bind variable; "
                f"use '{{{{VARIABLE}}}}' with VARIABLE declared in a bind (or an environment "
                "variable name in capitals)",
                key,
            )
        return expr

    def source(self, expr: str, key: str) -> str:
        """Who provides a value, for run-time messages: its environment variables."""
        by_field = {secret.field: secret.env_var for secret in self.n.secrets.values()}
        names = [by_field[f] for f in _SETTINGS_FIELD.findall(expr) if f in by_field]
        return " + ".join(dict.fromkeys(names)) or f"{key} in the spec"

    # -- OAuth 1.0a ----------------------------------------------------------------------------

    def oauth1(self) -> OAuth1Auth | None:
        consumer_key = self.value("consumerKey")
        signing_key = self.value("signingKey")
        consumer_secret = self.value("consumerSecret")
        values = {k: self.value(k) for k in ("keystorePassword", "token", "tokenSecret")}
        if not self.ok:
            return None
        if consumer_key is None:
            self.refuse(
                "oauth1 authentication needs 'consumerKey' (the OAuth consumer key, e.g. "
                "'{{CONSUMER_KEY}}' from a bind) to sign requests"
            )
        method = self.oauth1_method(signing_key, consumer_secret)
        if not self.ok or consumer_key is None or method is None:
            return None
        return OAuth1Auth(
            signature_method=method,
            consumer_key_expr=consumer_key,
            signing_key_expr=signing_key if method.startswith("RSA-") else None,
            signing_key_source=self.source(signing_key or "", "signingKey"),
            keystore_password_expr=values["keystorePassword"],
            consumer_secret_expr=consumer_secret if method.startswith("HMAC-") else None,
            token_expr=values["token"],
            token_secret_expr=values["tokenSecret"] if method.startswith("HMAC-") else None,
        )

    def oauth1_method(self, signing_key: str | None, consumer_secret: str | None) -> str | None:
        method = self.auth.get("signatureMethod")
        if method is None:
            if signing_key is not None and consumer_secret is not None:
                self.refuse(
                    "oauth1 authentication has both 'signingKey' and 'consumerSecret': set "
                    "'signatureMethod' (RSA-SHA256 or HMAC-SHA1, ...) to say which one signs"
                )
                return None
            if signing_key is not None:
                return "RSA-SHA256"  # Mastercard's method, and the only RSA one worth defaulting to
            if consumer_secret is not None:
                return "HMAC-SHA1"  # RFC 5849's
            self.refuse(
                "oauth1 authentication needs 'signingKey' (an RSA private key: PEM text or the "
                "path of a key file, e.g. '{{SIGNING_KEY}}' from a bind) or 'consumerSecret' "
                "(for HMAC signatures) to sign requests"
            )
            return None
        method = str(method).upper()
        if method not in OAUTH1_METHODS:
            self.refuse(
                f"oauth1 signatureMethod {method!r} is not supported; use one of "
                + ", ".join(OAUTH1_METHODS),
                "signatureMethod",
            )
            return None
        if method.startswith("RSA-") and signing_key is None:
            self.refuse(
                f"oauth1 signatureMethod {method} needs 'signingKey' (an RSA private key: PEM "
                "text or the path of a key file, e.g. '{{SIGNING_KEY}}' from a bind)"
            )
            return None
        if method.startswith("HMAC-") and consumer_secret is None:
            self.refuse(
                f"oauth1 signatureMethod {method} needs 'consumerSecret' (e.g. "
                "'{{CONSUMER_SECRET}}' from a bind)"
            )
            return None
        return method

    # -- AWS Signature Version 4 ---------------------------------------------------------------

    def aws_sigv4(self) -> AwsSigV4Auth | None:
        region = self.value("region")
        access_key = self.value("accessKeyId")
        secret_key = self.value("secretKey")
        session_token = self.value("sessionToken")
        if not self.ok:
            return None
        service = self.aws_service()
        if (access_key is None) != (secret_key is None):
            self.refuse(
                "aws-sig-v4 authentication needs both 'accessKeyId' and 'secretKey', or neither "
                "(then AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are read at start-up)"
            )
        if not self.ok or service is None:
            return None
        session_env: str | None = None
        if access_key is None or secret_key is None:
            # Nothing in the spec: the standard AWS variables, required at start-up like any bind.
            access_key, secret_key = (
                f"settings.{self.n._add_secret(name, name, 'env').field}"
                for name in AWS_ENV_CREDENTIALS
            )
            if session_token is None:
                session_env = AWS_ENV_SESSION_TOKEN
        return AwsSigV4Auth(
            service=service,
            region_expr=region,
            access_key_id_expr=access_key,
            secret_access_key_expr=secret_key,
            session_token_expr=session_token,
            session_token_env=session_env,
        )

    def aws_service(self) -> str | None:
        declared = self.auth.get("service")
        if declared is not None and str(declared).strip():
            service = str(declared).strip()
            if not _SERVICE.match(service):
                self.refuse(
                    f"aws-sig-v4 service {service!r} is not an AWS signing name (lower-case "
                    "letters, digits, '-' and '.', e.g. 'execute-api')",
                    "service",
                )
                return None
            return service
        base_uri = self.base_uri()
        from_host = aws_service_from_host(base_uri)
        if from_host is None:
            self.refuse(
                "aws-sig-v4 authentication needs 'service' (the AWS signing name, e.g. "
                f"'execute-api'): baseUri {base_uri!r} is not an AWS endpoint "
                "(<service>.<region>.amazonaws.com) to read it from"
            )
        return from_host

    def base_uri(self) -> str:
        """The consumes entry's baseUri (``where`` ends in the entry's ``authentication``)."""
        node: Any = self.n.spec.data
        for key in self.where[:-1]:
            try:
                node = node[key]
            except (KeyError, IndexError, TypeError):
                return ""
        return str(node.get("baseUri") or "") if isinstance(node, dict) else ""

    # -- mutual TLS ----------------------------------------------------------------------------

    def certificate(self) -> CertificateAuth | None:
        cert_path = self.value("certPath")
        key_path = self.value("keyPath")
        password = self.value("certPassword")
        if not self.ok:
            return None
        if cert_path is None:
            self.refuse(
                "certificate authentication needs 'certPath' (the client certificate file: PEM "
                "with its key, or PKCS#12; e.g. '{{CLIENT_CERT_PATH}}' from a bind) for mutual TLS"
            )
            return None
        return CertificateAuth(
            cert_path_expr=cert_path,
            cert_source=self.source(cert_path, "certPath"),
            key_path_expr=key_path,
            password_expr=password,
        )

    # -- HTTP Digest ---------------------------------------------------------------------------

    def digest(self) -> DigestAuth | None:
        username = self.value("username")
        password = self.value("password")
        if not self.ok:
            return None
        if username is None or password is None:
            self.refuse(
                "digest authentication needs 'username' and 'password' (e.g. '{{API_USER}}' and "
                "'{{API_PASSWORD}}' from a bind) to answer the upstream's challenge"
            )
            return None
        return DigestAuth(username_expr=username, password_expr=password)

    # -- OAuth 2.0 client credentials ----------------------------------------------------------

    def oauth2(self) -> OAuth2ClientCredentials | None:
        grant = str(self.auth.get("grantType") or "client_credentials")
        if grant != "client_credentials":
            self.refuse(
                f"oauth2 grantType {grant!r} cannot run unattended; a consumed API can only use "
                "the client_credentials grant",
                "grantType",
            )
            return None
        token_url = self.value("tokenEndpoint")
        client_id = self.value("clientId")
        client_secret = self.value("clientSecret")
        if not self.ok:
            return None
        missing = [
            key
            for key, expr in (
                ("tokenEndpoint", token_url),
                ("clientId", client_id),
                ("clientSecret", client_secret),
            )
            if expr is None
        ]
        if missing:
            self.refuse(
                "oauth2 on a consumes entry fetches tokens with the client credentials grant "
                f"and needs {', '.join(repr(k) for k in missing)} (the token endpoint URL, and "
                "the client id and secret from binds, e.g. '{{CLIENT_SECRET}}'); the engine "
                "treats consumed oauth2 as a no-op and sends no token"
            )
            return None
        assert token_url is not None and client_id is not None and client_secret is not None
        literal = str(self.auth.get("tokenEndpoint"))
        if "{" not in literal and "$" not in literal and not re.match(r"^https?://\S+$", literal):
            self.refuse(
                f"oauth2 tokenEndpoint {literal!r} must be an absolute http(s) URL",
                "tokenEndpoint",
            )
            return None
        method = str(self.auth.get("tokenEndpointAuthMethod") or "client_secret_basic")
        if method not in TOKEN_AUTH_METHODS:
            self.refuse(
                f"oauth2 tokenEndpointAuthMethod {method!r} is not supported; use "
                + " or ".join(TOKEN_AUTH_METHODS),
                "tokenEndpointAuthMethod",
            )
            return None
        scopes = self.auth.get("scopes")
        if isinstance(scopes, str):
            scopes = scopes.split()
        audience = self.auth.get("audience")
        return OAuth2ClientCredentials(
            token_url_expr=token_url,
            client_id_expr=client_id,
            client_secret_expr=client_secret,
            scopes=tuple(str(scope) for scope in scopes or ()),
            audience=str(audience) if audience else None,
            client_auth="basic" if TOKEN_AUTH_METHODS[method] == "basic" else "body",
        )
