"""A real HTTP(S) upstream on 127.0.0.1 that checks request signatures on its own.

The checks are independent reimplementations written from the specifications, sharing no code
with the libraries the generated packages sign with (oauthlib, botocore), so a bug there cannot
hide a wrong signature:

* ``/oauth1/...``: OAuth 1.0a (RFC 5849 §3.4) signature base string, RSA-SHA* verified with the
  public key, HMAC-SHA* recomputed, and the body hash (draft-eaton-oauth-bodyhash) recomputed;
* ``/aws/...``: AWS Signature Version 4 canonical request and signature recomputed from the raw
  request (S3's single-encoded path when the credential scope names ``s3``);
* anything else is answered as is: with ``tls`` requiring a client certificate, the handshake is
  the check (:func:`mtls_context`).

Every answer is JSON: 200 ``{"verified": scheme, ...}`` or 401 ``{"error": reason}``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import re
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, quote, unquote

from aiohttp import web
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

_HASHES: dict[str, hashes.HashAlgorithm] = {
    "SHA1": hashes.SHA1(),
    "SHA256": hashes.SHA256(),
    "SHA512": hashes.SHA512(),
}
_OAUTH_PARAM = re.compile(r'(\w+)="([^"]*)"')
_AWS_AUTH = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<scope>[^,]+), "
    r"SignedHeaders=(?P<signed>[^,]+), Signature=(?P<signature>[0-9a-f]{64})$"
)
_UNRESERVED = "-_.~"
MAX_CLOCK_SKEW_SECONDS = 300


class Rejected(Exception):
    """The request is not signed as it should be; the message says why."""


@dataclass(frozen=True)
class Received:
    """One request as it arrived on the wire."""

    method: str
    raw_path: str
    raw_query: str
    headers: dict[str, str]
    body: bytes
    outcome: str


def rfc3986(text: str) -> str:
    """RFC 3986 percent-encoding as OAuth 1.0a and SigV4 both define it (UTF-8, unreserved kept)."""
    return quote(text, safe=_UNRESERVED)


# -- OAuth 1.0a ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OAuth1Keys:
    consumer_key: str
    rsa_public_key: RSAPublicKey | None = None
    consumer_secret: str = ""
    token: str | None = None
    token_secret: str = ""


def oauth1_base_string(
    method: str,
    scheme: str,
    host: str,
    raw_path: str,
    raw_query: str,
    oauth: Mapping[str, str],
    form: tuple[tuple[str, str], ...] = (),
) -> str:
    """RFC 5849 §3.4.1: METHOD & base string URI & normalized parameters (``form``: the
    parameters of a form-encoded body, which the generated packages never send)."""
    host = host.lower()
    if (scheme, host.rsplit(":", 1)[-1]) in (("http", "80"), ("https", "443")):
        host = host.rsplit(":", 1)[0]
    base_uri = f"{scheme}://{host}{raw_path or '/'}"
    params = [(k, v) for k, v in oauth.items() if k not in ("oauth_signature", "realm")]
    params += parse_qsl(raw_query, keep_blank_values=True) + list(form)
    normalized = "&".join(
        f"{k}={v}" for k, v in sorted((rfc3986(k), rfc3986(v)) for k, v in params)
    )
    return "&".join(rfc3986(part) for part in (method.upper(), base_uri, normalized))


def verify_oauth1(keys: Mapping[str, OAuth1Keys], scheme: str, request: Received) -> str:
    header = request.headers.get("authorization", "")
    if not header.startswith("OAuth "):
        raise Rejected("no OAuth Authorization header")
    oauth = {k: unquote(v) for k, v in _OAUTH_PARAM.findall(header)}
    consumer = keys.get(oauth.get("oauth_consumer_key", ""))
    if consumer is None:
        raise Rejected("unknown consumer key")
    return _verify_oauth1(consumer, scheme, request, oauth)


def _verify_oauth1(keys: OAuth1Keys, scheme: str, request: Received, oauth: dict[str, str]) -> str:
    if oauth.get("oauth_version", "1.0") != "1.0" or not oauth.get("oauth_nonce"):
        raise Rejected("oauth_version or oauth_nonce is wrong")
    if abs(time.time() - int(oauth.get("oauth_timestamp", "0"))) > MAX_CLOCK_SKEW_SECONDS:
        raise Rejected("stale oauth_timestamp")
    if keys.token is not None and oauth.get("oauth_token") != keys.token:
        raise Rejected("wrong oauth_token")
    method = oauth.get("oauth_signature_method", "")
    kind, _, digest = method.partition("-")
    if kind not in ("RSA", "HMAC") or digest not in _HASHES:
        raise Rejected(f"unsupported signature method {method!r}")
    body_hash = base64.b64encode(hashlib.new(digest.lower(), request.body).digest()).decode()
    if oauth.get("oauth_body_hash") != body_hash:
        raise Rejected("oauth_body_hash does not match the body")
    host = request.headers.get("host", "")
    base = oauth1_base_string(
        request.method, scheme, host, request.raw_path, request.raw_query, oauth
    )
    signature = base64.b64decode(oauth.get("oauth_signature", ""))
    if kind == "RSA":
        if keys.rsa_public_key is None:
            raise Rejected("RSA signature where HMAC was expected")
        try:
            keys.rsa_public_key.verify(
                signature, base.encode(), padding.PKCS1v15(), _HASHES[digest]
            )
        except InvalidSignature:
            raise Rejected("RSA signature does not verify") from None
    else:
        secret = f"{rfc3986(keys.consumer_secret)}&{rfc3986(keys.token_secret)}"
        expected = hmac.new(secret.encode(), base.encode(), digest.lower()).digest()
        if not hmac.compare_digest(expected, signature):
            raise Rejected("HMAC signature does not match")
    return method


# -- AWS Signature Version 4 -------------------------------------------------------------------


@dataclass(frozen=True)
class AwsKeys:
    secret_access_key: str
    session_token: str | None = None


def aws_canonical_request(
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Mapping[str, str],
    signed_headers: list[str],
    payload_hash: str,
    *,
    s3: bool,
) -> str:
    """The canonical request of the SigV4 documentation, built from the request as received."""
    path = raw_path or "/"
    if not s3:  # every other service encodes the (already encoded) path segments once more
        path = "/".join(rfc3986(segment) for segment in path.split("/"))
    pairs = [pair.partition("=") for pair in raw_query.split("&") if pair]
    query = "&".join(
        f"{k}={v}"
        for k, v in sorted((rfc3986(unquote(k)), rfc3986(unquote(v))) for k, _, v in pairs)
    )
    canonical_headers = "".join(
        f"{name}:{' '.join(headers.get(name, '').split())}\n" for name in signed_headers
    )
    return "\n".join(
        [method.upper(), path, query, canonical_headers, ";".join(signed_headers), payload_hash]
    )


def aws_signature(secret_access_key: str, amz_date: str, scope: str, canonical: str) -> str:
    date, region, service, terminator = scope.split("/")
    string_to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = f"AWS4{secret_access_key}".encode()
    for part in (date, region, service, terminator):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


def verify_sigv4(keys: Mapping[str, AwsKeys], request: Received) -> str:
    match = _AWS_AUTH.match(request.headers.get("authorization", ""))
    if match is None:
        raise Rejected("no AWS4-HMAC-SHA256 Authorization header")
    credentials = keys.get(match["key"])
    if credentials is None:
        raise Rejected("unknown access key id")
    amz_date = request.headers.get("x-amz-date", "")
    scope = match["scope"]
    if not amz_date.startswith(scope.split("/")[0]):
        raise Rejected("X-Amz-Date does not match the credential scope")
    signed = match["signed"].split(";")
    if "host" not in signed or "x-amz-date" not in signed or signed != sorted(signed):
        raise Rejected("host and x-amz-date must be signed, names sorted")
    if credentials.session_token is not None:
        if request.headers.get("x-amz-security-token") != credentials.session_token:
            raise Rejected("wrong or missing X-Amz-Security-Token")
        if "x-amz-security-token" not in signed:
            raise Rejected("X-Amz-Security-Token is not signed")
    s3 = scope.split("/")[2] == "s3"
    body_hash = hashlib.sha256(request.body).hexdigest()
    if s3:
        payload_hash = request.headers.get("x-amz-content-sha256", "")
        if payload_hash not in (body_hash, "UNSIGNED-PAYLOAD"):
            raise Rejected("X-Amz-Content-SHA256 does not match the body")
    else:
        payload_hash = body_hash
    canonical = aws_canonical_request(
        request.method,
        request.raw_path,
        request.raw_query,
        request.headers,
        signed,
        payload_hash,
        s3=s3,
    )
    expected = aws_signature(credentials.secret_access_key, amz_date, scope, canonical)
    if not hmac.compare_digest(expected, match["signature"]):
        raise Rejected("signature does not match")
    return "/".join(scope.split("/")[1:3])


# -- the server --------------------------------------------------------------------------------


@dataclass
class SignedUpstream:
    """Serve on 127.0.0.1 in a background thread: ``with SignedUpstream(...) as up: up.url``."""

    oauth1: dict[str, OAuth1Keys] = field(default_factory=dict)
    aws: dict[str, AwsKeys] = field(default_factory=dict)
    tls: ssl.SSLContext | None = None
    received: list[Received] = field(default_factory=list)
    _port: int = 0
    _thread: threading.Thread | None = None
    _loop: asyncio.AbstractEventLoop | None = None
    _stop: asyncio.Event | None = None
    _ready: threading.Event = field(default_factory=threading.Event)
    _error: BaseException | None = None

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self._port}"

    def __enter__(self) -> SignedUpstream:
        self._thread = threading.Thread(target=self._run, name="signed-upstream", daemon=True)
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None or not self._port:
            raise RuntimeError("signed upstream failed to start") from self._error
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(30)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:  # reported to __enter__
            self._error = exc
        finally:
            self._ready.set()
            loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        runner = web.ServerRunner(web.Server(self._handle, access_log=None), shutdown_timeout=1.0)
        await runner.setup()
        try:
            site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=self.tls)
            await site.start()
            self._port = int(runner.addresses[0][1])
            self._ready.set()
            await self._stop.wait()
        finally:
            await runner.cleanup()

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        body = await request.read()
        raw_path, _, raw_query = request.raw_path.partition("?")
        headers = {k.lower(): v for k, v in request.headers.items()}
        received = Received(request.method, raw_path, raw_query, headers, body, "")
        status, answer = 200, self._check(received, request.scheme)
        if "error" in answer:
            status = 401
        self.received.append(
            Received(request.method, raw_path, raw_query, headers, body, json.dumps(answer))
        )
        answer.update(method=request.method, path=unquote(raw_path), query=raw_query)
        return web.json_response(answer, status=status)

    def _check(self, received: Received, scheme: str) -> dict[str, Any]:
        kind = received.raw_path.split("/")[1] if received.raw_path.count("/") else ""
        try:
            if kind == "oauth1":
                return {"verified": verify_oauth1(self.oauth1, scheme, received)}
            if kind == "aws":
                return {"verified": verify_sigv4(self.aws, received)}
        except Rejected as exc:
            return {"error": str(exc)}
        return {"verified": "tls" if self.tls else "none"}


def mtls_context(server_cert: Any, client_ca: Any) -> ssl.SSLContext:
    """A server context (trustme objects) that requires a client certificate issued by
    ``client_ca``: a client without one, or with another CA's, fails the handshake."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_cert.configure_cert(context)
    client_ca.configure_trust(context)
    context.verify_mode = ssl.CERT_REQUIRED
    return context
