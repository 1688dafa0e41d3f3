"""The typed intermediate model: what a spec means once every dialect quirk is resolved.

Templates see only these objects. Fields ending in ``_expr`` hold Python expressions that the
normaliser built through :mod:`naftiko_gen.pyliteral`, the one path by which spec text enters
generated code.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from naftiko_gen.bodies import BodyPlan
from naftiko_gen.control import ControlAdapter
from naftiko_gen.formats import OutputFormat
from naftiko_gen.inbound_auth import InboundAuth

JsonType = Literal["string", "integer", "number", "boolean", "object", "array", "any"]
# "template": a value only used inside the operation's body template (or another parameter's
# value); "form": a part of a multipart/form-data body (``in: formData``).
UpstreamLocation = Literal["path", "query", "header", "cookie", "body", "form", "template"]
# "field": a top-level member of the JSON request body (an input declared ``in: body``).
RestSource = Literal["path", "query", "body", "field"]
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
    # A parameter with a ``value``/``template``: a Python expression the client method computes
    # (from bind variables and its other arguments); it is then no argument of the method.
    value_expr: str | None = None

    @property
    def python_type(self) -> str:
        if self.location == "body":
            return "Any"
        return PYTHON_TYPES[self.json_type]

    @property
    def expr(self) -> str:
        """What the client method sends: the computed value, else the argument."""
        return self.value_expr if self.value_expr is not None else self.arg


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
    # outputRawFormat other than json: how the client decodes the answer (see formats.py).
    output: OutputFormat | None = None

    @property
    def query_params(self) -> tuple[UpstreamParam, ...]:
        return tuple(p for p in self.params if p.location == "query")

    @property
    def header_params(self) -> tuple[UpstreamParam, ...]:
        return tuple(p for p in self.params if p.location == "header")

    @property
    def cookie_params(self) -> tuple[UpstreamParam, ...]:
        return tuple(p for p in self.params if p.location == "cookie")

    @property
    def uses_vars(self) -> bool:
        """Whether the method computes a value from bind variables (``self._vars``)."""
        exprs = [p.value_expr or "" for p in self.params] + [self.body.expr if self.body else ""]
        return any("self._vars." in expr for expr in [*exprs, self.path_expr])

    @property
    def sends_empty_body(self) -> bool:
        """POST/PUT/PATCH always carry a body (possibly empty) so Content-Length is always sent."""
        return self.body is None and self.http_method in ("POST", "PUT", "PATCH")

    @property
    def signature_params(self) -> tuple[UpstreamParam, ...]:
        """Required parameters first so the generated signature reads naturally; computed ones
        are no arguments."""
        arguments = [p for p in self.params if p.value_expr is None]
        return tuple(sorted(arguments, key=lambda p: not p.required))


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


@dataclass(frozen=True)
class DigestAuth:
    """HTTP Digest (RFC 7616): answered per challenge by aiohttp's ``DigestAuthMiddleware``."""

    username_expr: str
    password_expr: str


@dataclass(frozen=True)
class OAuth2ClientCredentials:
    """OAuth 2.0 client credentials grant (RFC 6749 §4.4): a token fetched from the token
    endpoint, cached until shortly before it expires, fetched again once after a 401."""

    token_url_expr: str
    client_id_expr: str
    client_secret_expr: str
    scopes: tuple[str, ...]
    audience: str | None
    # "basic": client id and secret in an Authorization header (RFC 6749 §2.3.1); "body": as
    # form fields.
    client_auth: Literal["basic", "body"]


UpstreamAuth = OAuth1Auth | AwsSigV4Auth | CertificateAuth | DigestAuth | OAuth2ClientCredentials


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
    # Adapter-level ``in: cookie`` parameters with a value: sent on every request.
    cookies: tuple[tuple[str, str], ...] = ()
    # apikey ``placement: body``: (name literal, value expression over ``settings``), a member of
    # each JSON object or form body sent, else a query parameter.
    body_key: tuple[str, str] | None = None
    # apikey ``placement: path``: (placeholder text, value expression over ``settings``) filled
    # into the base URI by the client, so the key never enters the settings (nor their repr).
    base_uri_secrets: tuple[tuple[str, str], ...] = ()

    @property
    def uses_base64(self) -> bool:
        return any("base64" in expr for _, expr in self.headers)

    def body_uses(self, helper: str) -> bool:
        """Whether a body or computed parameter expression calls ``helper``, so the module
        defines only what it uses."""
        exprs = [op.body.expr for op in self.operations if op.body]
        exprs += [p.value_expr for op in self.operations for p in op.params if p.value_expr]
        return any(f"{helper}(" in expr for expr in exprs)

    @property
    def uses_vars(self) -> bool:
        return any(op.uses_vars for op in self.operations)

    @property
    def sends_cookies(self) -> bool:
        return bool(self.cookies) or any(op.cookie_params for op in self.operations)

    @property
    def digest(self) -> DigestAuth | None:
        return self.auth if isinstance(self.auth, DigestAuth) else None

    @property
    def oauth2(self) -> OAuth2ClientCredentials | None:
        return self.auth if isinstance(self.auth, OAuth2ClientCredentials) else None

    @property
    def loads_key_material(self) -> bool:
        """Signing keys or certificates that ``load_settings`` reads at start-up."""
        return self.oauth1 is not None or self.aws_sigv4 is not None or self.certificate is not None

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
    # ``pattern`` of a string input (ECMA-262 in the spec, checked with Python's ``re``).
    pattern: str | None = None

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {} if self.json_type == "any" else {"type": self.json_type}
        if self.description:
            schema["description"] = self.description
        if self.pattern is not None:
            schema["pattern"] = self.pattern
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

    @property
    def renders(self) -> bool:
        """A ``with`` value is a Mustache template rendered at run time (``shaping.render``)."""
        return any(b.constant_expr and "arguments" in b.constant_expr for b in self.bindings)


@dataclass(frozen=True)
class CallPlan:
    """One upstream call. ``outputs_expr`` (a tuple of ``shaping.Output``) shapes its JSON answer;
    without it the answer passes through unchanged."""

    function: str
    call: Call
    outputs_expr: str | None = None
    # An aggregate function (``ref``): generated once in operations.py, whatever it does.
    shared: bool = False
    kind: Literal["call"] = "call"

    @property
    def inline(self) -> bool:
        """A plain pass-through call, written in the adapter itself (no operations.py)."""
        return self.outputs_expr is None and not self.shared and not self.call.renders

    @property
    def calls(self) -> tuple[Call, ...]:
        return (self.call,)


@dataclass(frozen=True)
class MockPlan:
    """No upstream call: the answer is built from the output ``value``s (semantics §5.3)."""

    function: str
    outputs_expr: str
    kind: Literal["mock"] = "mock"
    inline: Literal[False] = False

    @property
    def calls(self) -> tuple[Call, ...]:
        return ()


@dataclass(frozen=True)
class CallStep:
    """An orchestration ``call`` step; ``projection_expr`` are the consumed operation's outputs."""

    name: str
    call: Call
    projection_expr: str | None
    kind: Literal["call"] = "call"


@dataclass(frozen=True)
class LookupStep:
    """An orchestration ``lookup`` step: rows of an earlier step matched against a value."""

    name: str
    index: str
    match: str
    # ``lookupValue``: an RFC 9535 path into the step outputs (compiled once), or an expression.
    value_path: str | None
    value_expr: str | None
    fields: tuple[str, ...]
    kind: Literal["lookup"] = "lookup"


@dataclass(frozen=True)
class ScriptFile:
    """A script or dependency file, embedded; ``label`` names it in tracebacks."""

    label: str
    source: str


@dataclass(frozen=True)
class ScriptStep:
    """An orchestration ``script`` step: Python files run in-process, in order, with
    ``context``; their ``result`` is the step's output. ``with_exprs`` are (key, expression)."""

    name: str
    files: tuple[ScriptFile, ...]
    with_exprs: tuple[tuple[str, str], ...]
    kind: Literal["script"] = "script"


# The engine's defaults (ScriptStepExecutor): 60 s and 100,000 statements.
DEFAULT_TIMEOUT_MS = 60_000
DEFAULT_STATEMENT_LIMIT = 100_000


@dataclass(frozen=True)
class Governance:
    """``management.scripting`` of the control adapter; the engine's defaults when it is not
    declared. ``enabled`` ``None``: the ``NAFTIKO_SCRIPTING`` environment variable decides."""

    declared: bool = False
    enabled: bool | None = None
    default_location: str | None = None
    default_language: str | None = None
    allowed_languages: tuple[str, ...] = ()
    timeout_ms: int = DEFAULT_TIMEOUT_MS
    statement_limit: int = DEFAULT_STATEMENT_LIMIT


@dataclass(frozen=True)
class StepsPlan:
    """Orchestrated steps whose outputs ``mappings`` assemble into the answer (semantics §3.6)."""

    function: str
    steps: tuple[CallStep | LookupStep | ScriptStep, ...]
    mappings_expr: str
    kind: Literal["steps"] = "steps"
    inline: Literal[False] = False

    @property
    def calls(self) -> tuple[Call, ...]:
        return tuple(step.call for step in self.steps if isinstance(step, CallStep))

    @property
    def looks_up(self) -> bool:
        return any(isinstance(step, LookupStep) for step in self.steps)

    @property
    def projects(self) -> bool:
        return any(isinstance(s, CallStep) and s.projection_expr for s in self.steps)

    def script_constant(self, index: int) -> str:
        """The name of step ``index``'s (1-based) script in the generated scripts.py."""
        return f"{self.function.upper()}_{index}"


Behaviour = CallPlan | MockPlan | StepsPlan


def runs_scripts(behaviours: Iterable[Behaviour]) -> bool:
    """Some behaviour has a script step: its adapter answers :class:`ScriptError` s too."""
    return any(
        isinstance(b, StepsPlan) and any(isinstance(s, ScriptStep) for s in b.steps)
        for b in behaviours
    )


@dataclass(frozen=True)
class RestOperation:
    handler: str
    http_method: str
    path: str
    operation_id: str
    summary: str
    description: str
    inputs: tuple[Input, ...]
    behaviour: Behaviour

    @property
    def call(self) -> Call | None:
        return self.behaviour.call if isinstance(self.behaviour, CallPlan) else None

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
class Forward:
    """A REST forward (proxy) rule (semantics §3.8): requests under ``route`` go to the upstream
    ``upstream_attr`` with the same method, query and body; ``tail`` (the ``{path}`` part of the
    route, possibly several segments) is appended to its base URI."""

    route: str
    tail: bool
    upstream_attr: str
    namespace: str
    # Route text before the tail: stripped from the raw request path to find the tail.
    prefix: str
    handler: str
    # Lower-case names of the caller's headers that are copied (besides Content-Type); includes
    # ``authorization`` only when the namespace has no authentication of its own (as the engine).
    trusted_headers: tuple[str, ...]


@dataclass(frozen=True)
class McpTool:
    name: str
    handler: str
    title: str | None
    description: str
    annotations: dict[str, bool]
    inputs: tuple[Input, ...]
    behaviour: Behaviour
    output_schema: dict[str, Any] | None = None

    @property
    def call(self) -> Call | None:
        return self.behaviour.call if isinstance(self.behaviour, CallPlan) else None

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
    forwards: tuple[Forward, ...] = ()

    @property
    def takes_inputs(self) -> bool:
        return any(op.inputs for op in self.operations)

    @property
    def uses_operations(self) -> bool:
        return any(not op.behaviour.inline for op in self.operations)

    @property
    def runs_scripts(self) -> bool:
        return runs_scripts(op.behaviour for op in self.operations)

    @property
    def uses_lookup(self) -> bool:
        return any(i.rest_source == "query" for op in self.operations for i in op.inputs)

    @property
    def reads_bodies(self) -> bool:
        return any(op.reads_body for op in self.operations)

    @property
    def reads_fields(self) -> bool:
        return any(
            i.rest_source == "field" for op in self.operations if op.reads_body for i in op.inputs
        )

    @property
    def coerces(self) -> bool:
        """Query values arrive as text; only specs with non-string query inputs need coercion."""
        return any(
            i.rest_source == "query" and i.json_type != "string"
            for op in self.operations
            for i in op.inputs
        )


@dataclass(frozen=True)
class StaticResourceFile:
    """One file of a static resource's ``location`` folder, read at build time."""

    uri: str
    name: str
    mime_type: str
    content: bytes


@dataclass(frozen=True)
class McpResource:
    """An MCP resource (semantics §4.7): static files (``files``), or dynamic, backed by a
    ``behaviour`` built as a tool's is (``call`` with output shaping, or ``steps``).

    A dynamic resource whose ``uri`` holds ``{p}`` is a template: ``pattern`` (a regular
    expression, one group per variable) matches the URIs it reads, ``variables`` names the groups
    and are the behaviour's inputs.
    """

    name: str
    title: str
    description: str
    uri: str
    mime_type: str | None
    pattern: str
    variables: tuple[str, ...] = ()
    handler: str | None = None
    behaviour: Behaviour | None = None
    files: tuple[StaticResourceFile, ...] | None = None

    @property
    def is_template(self) -> bool:
        return self.behaviour is not None and bool(self.variables)

    @property
    def call(self) -> Call | None:
        """The plain call written in resources.py (an inline pass-through behaviour)."""
        if isinstance(self.behaviour, CallPlan) and self.behaviour.inline:
            return self.behaviour.call
        return None

    @property
    def reads(self) -> tuple[str, ...]:
        """The consumed operations a read calls (for the generated README)."""
        calls = self.behaviour.calls if self.behaviour is not None else ()
        return tuple(call.operation.name for call in calls)


@dataclass(frozen=True)
class PromptArgument:
    name: str
    title: str | None
    description: str
    required: bool


@dataclass(frozen=True)
class McpPrompt:
    """A prompt template: messages whose ``{{arg}}`` placeholders take the caller's arguments."""

    name: str
    title: str | None
    description: str
    arguments: tuple[PromptArgument, ...]
    messages: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class McpAdapter:
    namespace: str
    port: int
    description: str
    tools: tuple[McpTool, ...]
    auth: InboundAuth | None = None
    resources: tuple[McpResource, ...] = ()
    prompts: tuple[McpPrompt, ...] = ()

    @property
    def uses_operations(self) -> bool:
        return any(not tool.behaviour.inline for tool in self.tools)

    @property
    def tools_run_scripts(self) -> bool:
        return runs_scripts(tool.behaviour for tool in self.tools)

    @property
    def resources_run_scripts(self) -> bool:
        return runs_scripts(r.behaviour for r in self.resources if r.behaviour is not None)

    @property
    def behaviours(self) -> tuple[Behaviour, ...]:
        """Its tools' behaviours, then its dynamic resources'."""
        return tuple(tool.behaviour for tool in self.tools) + tuple(
            r.behaviour for r in self.resources if r.behaviour is not None
        )

    @property
    def calls(self) -> tuple[Call, ...]:
        """Every upstream call of the adapter: its tools', then its dynamic resources'."""
        return tuple(c for behaviour in self.behaviours for c in behaviour.calls)

    @property
    def dynamic_resources(self) -> tuple[McpResource, ...]:
        return tuple(r for r in self.resources if r.behaviour is not None)

    @property
    def resources_use_operations(self) -> bool:
        """Some dynamic resource reads through operations.py (shaping, steps, a mock)."""
        return any(r.call is None for r in self.dynamic_resources)


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
    # A second MCP adapter with ``transport: stdio`` beside an http one: ``mcp-stdio`` serves it
    # (its own tools, resources and prompts), ``serve`` the http one.
    mcp_stdio: McpAdapter | None = None
    # ``management.scripting``: limits and defaults of script steps, served on /scripting.
    governance: Governance = Governance()

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
    def output_formats(self) -> tuple[OutputFormat, ...]:
        """The outputRawFormat plans of every generated operation (json ones have none)."""
        return tuple(op.output for u in self.upstreams for op in u.operations if op.output)

    def decodes(self, format_name: str) -> bool:
        """Whether some answer is decoded from ``format_name``: ``formats.py`` holds only those
        decoders, and the generated pyproject only their libraries."""
        return any(f.name == format_name and f.decodes for f in self.output_formats)

    @property
    def decodes_text(self) -> bool:
        """Some decoded answer is text read in its Content-Type's charset."""
        return any(f.decodes and f.reads_charset for f in self.output_formats)

    @property
    def decodes_outputs(self) -> bool:
        """Some answer is decoded to JSON by the client (``UpstreamResponse.json()``)."""
        return any(f.decodes for f in self.output_formats)

    @property
    def sends_text_bodies(self) -> bool:
        return any(
            op.body and op.body.kind == "text" for u in self.upstreams for op in u.operations
        )

    @property
    def forwards(self) -> bool:
        return self.rest is not None and bool(self.rest.forwards)

    @property
    def sends_multipart(self) -> bool:
        return any(
            op.body and op.body.kind == "multipart" for u in self.upstreams for op in u.operations
        )

    @property
    def sends_cookies(self) -> bool:
        return any(upstream.sends_cookies for upstream in self.upstreams)

    @property
    def sends_body_keys(self) -> bool:
        """Some upstream takes its API key in the request body (apikey ``placement: body``)."""
        return any(upstream.body_key for upstream in self.upstreams)

    @property
    def fills_base_uris(self) -> bool:
        """Some upstream's base URI holds its API key (apikey ``placement: path``)."""
        return any(upstream.base_uri_secrets for upstream in self.upstreams)

    @property
    def uses_oauth2(self) -> bool:
        return any(upstream.oauth2 for upstream in self.upstreams)

    @property
    def needs_recent_aiohttp(self) -> bool:
        """Digest auth (``DigestAuthMiddleware``) and multipart bodies (``as_bytes``)."""
        return self.sends_multipart or any(upstream.digest for upstream in self.upstreams)

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
    def scripts(self) -> tuple[tuple[str, ScriptStep], ...]:
        """Every script step, with the name of its constant in the generated scripts.py."""
        return tuple(
            (b.script_constant(i), step)
            for b in self.behaviours
            if isinstance(b, StepsPlan)
            for i, step in enumerate(b.steps, start=1)
            if isinstance(step, ScriptStep)
        )

    @property
    def scripting(self) -> bool:
        """scripts.py exists: some step runs a script, or the control port governs scripting."""
        return bool(self.scripts) or self.governance.declared

    @property
    def behaviours(self) -> tuple[Behaviour, ...]:
        """What operations.py defines: every behaviour not written inline, once (an aggregate
        function shared by a REST operation and an MCP tool is one function), MCP resources'
        included."""
        found: dict[str, Behaviour] = {}
        for behaviour in [
            *(op.behaviour for op in (self.rest.operations if self.rest else ())),
            *(self.mcp.behaviours if self.mcp else ()),
            *(self.mcp_stdio.behaviours if self.mcp_stdio else ()),
        ]:
            if not behaviour.inline:
                found.setdefault(behaviour.function, behaviour)
        return tuple(found.values())

    @property
    def operations_helpers(self) -> tuple[str, ...]:
        """The names operations.py imports from shaping.py: only those it uses."""
        names: set[str] = {"Shaped"}
        texts: list[str] = []
        for behaviour in self.behaviours:
            texts += [b.constant_expr or "" for call in behaviour.calls for b in call.bindings]
            if isinstance(behaviour, CallPlan) and behaviour.outputs_expr:
                names |= {"Output", "shaped"}
                texts.append(behaviour.outputs_expr)
            elif isinstance(behaviour, MockPlan):
                names |= {"Output", "mocked"}
                texts.append(behaviour.outputs_expr)
            elif isinstance(behaviour, StepsPlan):
                names.add("mapped")
                if behaviour.calls:
                    names.add("step_output")
                texts.append(behaviour.mappings_expr)
                for step in behaviour.steps:
                    if isinstance(step, LookupStep):
                        names |= {"lookup", "select"} if step.value_path else {"lookup"}
                        texts.append(step.value_expr or "path(")
                    elif isinstance(step, ScriptStep):
                        texts += [expr for _, expr in step.with_exprs]
                    elif step.projection_expr:
                        names.add("Output")
                        texts.append(step.projection_expr)
        for helper in ("path", "render", "resolve", "select"):
            if any(f"{helper}(" in text for text in texts):
                names.add(helper)
        return tuple(sorted(names, key=lambda name: (name[0].islower(), name)))

    def shaping_uses(self, feature: str) -> bool:
        """Whether generated code needs a shaping helper: only what the spec uses is emitted."""
        behaviours = self.behaviours
        if feature == "outputs":
            return any(isinstance(b, CallPlan) and b.outputs_expr for b in behaviours)
        if feature == "mock":
            return any(isinstance(b, MockPlan) for b in behaviours)
        if feature == "steps":
            return any(isinstance(b, StepsPlan) for b in behaviours)
        if feature == "lookup":
            return any(isinstance(b, StepsPlan) and b.looks_up for b in behaviours)
        if feature == "projection":
            return any(isinstance(b, StepsPlan) and b.projects for b in behaviours)
        if feature == "render":
            return any(call.renders for b in behaviours for call in b.calls)
        raise ValueError(feature)

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
