"""The typed intermediate model: what a spec means once every dialect quirk is resolved.

Templates see only these objects. Fields ending in ``_expr`` hold Python expressions that the
normaliser built through :mod:`naftiko_gen.pyliteral`, the one path by which spec text enters
generated code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from naftiko_gen.bodies import BodyPlan
from naftiko_gen.control import ControlAdapter
from naftiko_gen.inbound_auth import InboundAuth

JsonType = Literal["string", "integer", "number", "boolean", "object", "array", "any"]
# "template": a value only used inside the operation's body template.
UpstreamLocation = Literal["path", "query", "header", "body", "template"]
RestSource = Literal["path", "query", "body"]
SkillMode = Literal["rest", "mcp"]

PYTHON_TYPES: dict[str, str] = {
    "string": "str",
    "integer": "int",
    "number": "float",
    "boolean": "bool",
    "object": "dict[str, Any]",
    "array": "list[Any]",
    "any": "Any",
}


@dataclass(frozen=True)
class Secret:
    """A bind key: a value read from the environment at start-up, never at build time."""

    variable: str
    env_var: str
    field: str
    bind_namespace: str
    # A bind with ``location``: the value is key ``env_var`` of this JSON/YAML file, read at
    # start-up; the variable ``bind_file_override`` names another file in a deployment.
    bind_file: str | None = None
    bind_file_override: str | None = None


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
    body: BodyPlan | None = None

    @property
    def query_params(self) -> tuple[UpstreamParam, ...]:
        return tuple(p for p in self.params if p.location == "query")

    @property
    def header_params(self) -> tuple[UpstreamParam, ...]:
        return tuple(p for p in self.params if p.location == "header")

    @property
    def sends_empty_body(self) -> bool:
        """POST/PUT/PATCH always carry a body (possibly empty) so Content-Length is always sent."""
        return self.body is None and self.http_method in ("POST", "PUT", "PATCH")

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

    def body_uses(self, helper: str) -> bool:
        """Whether a body expression calls ``helper``, so the module defines only what it uses."""
        return any(op.body and f"{helper}(" in op.body.expr for op in self.operations)

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
        schema: dict[str, Any] = {} if self.json_type == "any" else {"type": self.json_type}
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
    # Steps into the upstream's JSON answer (``mapping: $.a.b``); empty means the whole body.
    output_path: tuple[str | int, ...] = ()


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
    auth: InboundAuth | None = None

    @property
    def takes_inputs(self) -> bool:
        return any(op.inputs for op in self.operations)

    @property
    def selects_outputs(self) -> bool:
        return any(op.call.output_path for op in self.operations)

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
    auth: InboundAuth | None = None

    @property
    def selects_outputs(self) -> bool:
        return any(tool.call.output_path for tool in self.tools)


@dataclass(frozen=True)
class SkillTool:
    """A skill tool: a pointer to a sibling adapter's operation or tool (``derived``), or an
    instruction file of the skill (``instruction``). Skills never execute anything."""

    name: str
    description: str
    target_namespace: str | None = None
    action: str | None = None
    mode: SkillMode | None = None
    instruction: str | None = None

    @property
    def kind(self) -> Literal["derived", "instruction"]:
        return "instruction" if self.instruction is not None else "derived"


@dataclass(frozen=True)
class SkillFile:
    """A file of a skill's ``location`` folder, read at build time (``path``: relative, POSIX)."""

    path: str
    media_type: str
    content: bytes


@dataclass(frozen=True)
class Skill:
    """One published skill: Agent Skills metadata, its tools and its files.

    ``files`` is ``None`` when the skill has no usable ``location`` (``no_files_reason`` says why):
    its contents and download routes then answer 404, as the engine's do.
    """

    name: str
    description: str
    license: str | None
    compatibility: str | None
    argument_hint: str | None
    allowed_tools: str | None
    user_invocable: bool | None
    disable_model_invocation: bool | None
    metadata: tuple[tuple[str, str], ...]
    tools: tuple[SkillTool, ...]
    files: tuple[SkillFile, ...] | None
    no_files_reason: str


@dataclass(frozen=True)
class SkillAdapter:
    namespace: str
    port: int
    description: str
    skills: tuple[Skill, ...]
    auth: InboundAuth | None = None


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
    skill: SkillAdapter | None = None
    control: ControlAdapter | None = None

    @property
    def adapter_kinds(self) -> tuple[str, ...]:
        """The HTTP listeners ``serve`` starts, in order: what ``--only`` chooses from."""
        present = (
            ("rest", self.rest),
            ("mcp", self.mcp),
            ("skill", self.skill),
            ("control", self.control),
        )
        return tuple(kind for kind, adapter in present if adapter is not None)

    @property
    def metrics(self) -> bool:
        """Prometheus metrics are collected only when the control adapter serves ``/metrics``."""
        return self.control is not None and self.control.metrics

    @property
    def inbound_auths(self) -> tuple[tuple[str, InboundAuth], ...]:
        """Adapters whose callers must authenticate (``inbound_auth.py`` exists only then)."""
        present: tuple[
            tuple[str, RestAdapter | McpAdapter | SkillAdapter | ControlAdapter | None], ...
        ] = (
            ("rest", self.rest),
            ("mcp", self.mcp),
            ("skill", self.skill),
            ("control", self.control),
        )
        return tuple((kind, a.auth) for kind, a in present if a is not None and a.auth is not None)

    @property
    def inbound_kinds(self) -> frozenset[str]:
        """Which guards ``inbound_auth.py`` defines."""
        return frozenset(auth.kind for _, auth in self.inbound_auths)

    def body_helper(self, helper: str) -> bool:
        return any(upstream.body_uses(helper) for upstream in self.upstreams)

    @property
    def sends_text_bodies(self) -> bool:
        return any(
            op.body and op.body.kind == "text" for u in self.upstreams for op in u.operations
        )

    @property
    def bind_files(self) -> bool:
        return any(secret.bind_file for secret in self.secrets)

    @property
    def yaml_bind_files(self) -> bool:
        return any(
            secret.bind_file and secret.bind_file.endswith((".yaml", ".yml"))
            for secret in self.secrets
        )

    @property
    def selects_outputs(self) -> bool:
        calls = [op.call for op in (self.rest.operations if self.rest else ())]
        calls += [tool.call for tool in (self.mcp.tools if self.mcp else ())]
        return any(call.output_path for call in calls)

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
