"""The typed intermediate model: what a spec means once every dialect quirk is resolved.

Templates see only these objects. Fields ending in ``_expr`` hold Python expressions that the
normaliser built through :mod:`naftiko_gen.pyliteral`, the one path by which spec text enters
generated code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

JsonType = Literal["string", "integer", "number", "boolean", "object", "array"]
UpstreamLocation = Literal["path", "query", "header", "body"]
RestSource = Literal["path", "query", "body"]

PYTHON_TYPES: dict[str, str] = {
    "string": "str",
    "integer": "int",
    "number": "float",
    "boolean": "bool",
    "object": "dict[str, Any]",
    "array": "list[Any]",
}


@dataclass(frozen=True)
class Secret:
    """A bind key: a value read from the environment at start-up, never at build time."""

    variable: str
    env_var: str
    field: str
    bind_namespace: str


@dataclass(frozen=True)
class UpstreamParam:
    """One consumed-operation parameter and where it goes on the wire."""

    name: str
    location: UpstreamLocation
    arg: str
    json_type: JsonType
    required: bool
    description: str

    @property
    def python_type(self) -> str:
        if self.location == "body":
            return "Any"
        return PYTHON_TYPES[self.json_type]


@dataclass(frozen=True)
class UpstreamOperation:
    name: str
    method_name: str
    http_method: str
    path_template: str
    path_expr: str
    params: tuple[UpstreamParam, ...]
    description: str

    @property
    def query_params(self) -> tuple[UpstreamParam, ...]:
        return tuple(p for p in self.params if p.location == "query")

    @property
    def header_params(self) -> tuple[UpstreamParam, ...]:
        return tuple(p for p in self.params if p.location == "header")

    @property
    def body_param(self) -> UpstreamParam | None:
        return next((p for p in self.params if p.location == "body"), None)

    @property
    def sends_body(self) -> bool:
        """POST/PUT/PATCH always carry a body (possibly empty) so Content-Length is always sent."""
        return self.body_param is not None or self.http_method in ("POST", "PUT", "PATCH")

    @property
    def signature_params(self) -> tuple[UpstreamParam, ...]:
        """Required parameters first so the generated signature reads naturally."""
        return tuple(sorted(self.params, key=lambda p: not p.required))


OAUTH1_METHODS = ("HMAC-SHA1", "HMAC-SHA256", "HMAC-SHA512", "RSA-SHA1", "RSA-SHA256", "RSA-SHA512")


@dataclass(frozen=True)
class OAuth1Auth:
    """OAuth 1.0a request signing (RFC 5849 + body hash), e.g. Mastercard's APIs.

    ``*_expr`` values read settings (bind secrets) at run time; ``*_source`` name the environment
    variables behind a value, for start-up error messages."""

    signature_method: str
    consumer_key_expr: str
    signing_key_expr: str | None
    signing_key_source: str
    keystore_password_expr: str | None
    consumer_secret_expr: str | None
    token_expr: str | None
    token_secret_expr: str | None

    @property
    def uses_rsa(self) -> bool:
        return self.signature_method.startswith("RSA-")


@dataclass(frozen=True)
class AwsSigV4Auth:
    """AWS Signature Version 4. ``region_expr`` is ``None`` when the region is found at run time
    (``<NS>_AWS_REGION``, the base URI host, ``AWS_REGION``, ``AWS_DEFAULT_REGION``)."""

    service: str
    region_expr: str | None
    access_key_id_expr: str
    secret_access_key_expr: str
    session_token_expr: str | None
    session_token_env: str | None


@dataclass(frozen=True)
class CertificateAuth:
    """Mutual TLS: a client certificate (PEM or PKCS#12) and its key, loaded at start-up."""

    cert_path_expr: str
    cert_source: str
    key_path_expr: str | None
    password_expr: str | None


UpstreamAuth = OAuth1Auth | AwsSigV4Auth | CertificateAuth


@dataclass(frozen=True)
class Upstream:
    """One consumes namespace: a base URI, an auth scheme and the operations exposures call."""

    namespace: str
    class_name: str
    attr: str
    env_prefix: str
    base_uri: str
    base_uri_variables: tuple[tuple[str, str], ...]
    headers: tuple[tuple[str, str], ...]
    query: tuple[tuple[str, str], ...]
    operations: tuple[UpstreamOperation, ...]
    description: str
    # Auth that is more than fixed headers (request signing, client certificates); see auth.py.
    auth: UpstreamAuth | None = None

    @property
    def uses_base64(self) -> bool:
        return any("base64" in expr for _, expr in self.headers)

    @property
    def oauth1(self) -> OAuth1Auth | None:
        return self.auth if isinstance(self.auth, OAuth1Auth) else None

    @property
    def aws_sigv4(self) -> AwsSigV4Auth | None:
        return self.auth if isinstance(self.auth, AwsSigV4Auth) else None

    @property
    def certificate(self) -> CertificateAuth | None:
        return self.auth if isinstance(self.auth, CertificateAuth) else None

    @property
    def signs_requests(self) -> bool:
        return self.oauth1 is not None or self.aws_sigv4 is not None


@dataclass(frozen=True)
class Input:
    """A caller-facing argument of an exposed REST operation or MCP tool."""

    name: str
    json_type: JsonType
    required: bool
    description: str
    rest_source: RestSource
    rest_key: str

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": self.json_type}
        if self.description:
            schema["description"] = self.description
        return schema


@dataclass(frozen=True)
class Binding:
    """How one upstream keyword argument is filled: from a caller input or from a constant."""

    arg: str
    input_name: str | None
    constant_expr: str | None
    required: bool


@dataclass(frozen=True)
class Call:
    """An exposed operation's upstream call: ``upstreams.<upstream_attr>.<operation>(bindings)``."""

    upstream_attr: str
    operation: UpstreamOperation
    bindings: tuple[Binding, ...]


@dataclass(frozen=True)
class RestOperation:
    handler: str
    http_method: str
    path: str
    operation_id: str
    summary: str
    description: str
    inputs: tuple[Input, ...]
    call: Call

    @property
    def reads_body(self) -> bool:
        return self.http_method not in ("GET", "HEAD", "DELETE", "OPTIONS") and bool(
            [i for i in self.inputs if i.rest_source != "path"]
        )

    @property
    def path_inputs(self) -> tuple[Input, ...]:
        return tuple(i for i in self.inputs if i.rest_source == "path")

    @property
    def other_inputs(self) -> tuple[Input, ...]:
        return tuple(i for i in self.inputs if i.rest_source != "path")

    @property
    def input_schema(self) -> dict[str, Any]:
        return input_schema(self.inputs)


@dataclass(frozen=True)
class McpTool:
    name: str
    handler: str
    title: str | None
    description: str
    annotations: dict[str, bool]
    inputs: tuple[Input, ...]
    call: Call

    @property
    def input_schema(self) -> dict[str, Any]:
        return input_schema(self.inputs)


@dataclass(frozen=True)
class RestAdapter:
    namespace: str
    port: int
    description: str
    operations: tuple[RestOperation, ...]

    @property
    def takes_inputs(self) -> bool:
        return any(op.inputs for op in self.operations)

    @property
    def uses_lookup(self) -> bool:
        return any(i.rest_source == "query" for op in self.operations for i in op.inputs)

    @property
    def reads_bodies(self) -> bool:
        return any(op.reads_body for op in self.operations)

    @property
    def coerces(self) -> bool:
        """Query values arrive as text; only specs with non-string query inputs need coercion."""
        return any(
            i.rest_source == "query" and i.json_type != "string"
            for op in self.operations
            for i in op.inputs
        )


@dataclass(frozen=True)
class McpAdapter:
    namespace: str
    port: int
    description: str
    tools: tuple[McpTool, ...]


@dataclass(frozen=True)
class Capability:
    spec_file: str
    dist_name: str
    package: str
    version: str
    title: str
    description: str
    settings_prefix: str
    secrets: tuple[Secret, ...]
    upstreams: tuple[Upstream, ...]
    rest: RestAdapter | None
    mcp: McpAdapter | None
    generator_version: str
    openapi: dict[str, Any]

    @property
    def summary(self) -> str:
        """One sentence for humans: the description, prefixed by the title unless it already is."""
        if not self.description:
            return self.title
        if self.description.startswith(self.title):
            return self.description
        return f"{self.title}: {self.description}"


def input_schema(inputs: tuple[Input, ...]) -> dict[str, Any]:
    """The JSON Schema (2020-12) both the MCP tool listing and argument validation use."""
    schema: dict[str, Any] = {"type": "object"}
    if inputs:
        schema["properties"] = {i.name: i.json_schema() for i in inputs}
    required = [i.name for i in inputs if i.required]
    if required:
        schema["required"] = required
    return schema
