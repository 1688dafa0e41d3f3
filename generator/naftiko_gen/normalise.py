"""Spec data → :class:`~naftiko_gen.model.Capability`, resolving the real dialect in one place.

This is also where the semantic checks live (every ``call`` resolves, every ``with`` source exists,
names are unique): resolving a reference and checking it are the same work, so each problem is
reported once, located, while the model is built. Policy follows ``naftiko-semantics.md`` §7.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

from naftiko_gen import (
    __version__,
    aggregates,
    consumed_params,
    control,
    forward,
    mcp_extras,
    naming,
    orchestration,
    script_steps,
    shaping,
    skills,
)
from naftiko_gen import auth as auth_types
from naftiko_gen.bodies import TEXT_TYPES as BODY_TEXT_TYPES
from naftiko_gen.bodies import BodyPlan, BodyProblem, plan_body, text_expr
from naftiko_gen.consumed_params import header_problem as _header_problem
from naftiko_gen.control import ControlAdapter
from naftiko_gen.diagnostics import Diagnostic, Level, SpecError
from naftiko_gen.formats import FormatProblem, OutputFormat, plan_output
from naftiko_gen.inbound_auth import apikey_spelling, inbound_auth
from naftiko_gen.loader import LoadedSpec, PathKey, load_spec
from naftiko_gen.model import (
    Behaviour,
    Binding,
    CallPlan,
    Capability,
    Forward,
    Governance,
    Input,
    JsonType,
    McpAdapter,
    McpTool,
    RestAdapter,
    RestOperation,
    RestSource,
    Secret,
    SkillAdapter,
    Upstream,
    UpstreamAuth,
    UpstreamLocation,
    UpstreamOperation,
    UpstreamParam,
)
from naftiko_gen.openapi import openapi_document
from naftiko_gen.pyliteral import py

MAX_TOOLS = 128
MAX_TOOL_NAME = 64
SUPPORTED_VERSIONS = ("1.0.0-alpha1", "1.0.0-alpha2", "1.0.0-alpha3")
PACKAGE_VERSION = "0.1.0"
JSON_TYPES: tuple[JsonType, ...] = ("string", "integer", "number", "boolean", "object", "array")
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
REFERENCE_PREFIXES = ("rest", "tools", "mcp")
APIKEY_PLACEMENTS = ("header", "query", "cookie", "path", "body")
FORM_CONTENT_TYPE = BODY_TEXT_TYPES["formUrlEncoded"]
# difflib ratio from which a written call namespace is taken for a consumes namespace.
CLOSE_NAMESPACE_RATIO = 0.8
HINTS = {
    "readOnly": "readOnlyHint",
    "destructive": "destructiveHint",
    "idempotent": "idempotentHint",
    "openWorld": "openWorldHint",
}

_MUSTACHE = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")
_DOLLAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_PLACEHOLDER = re.compile(r"\{\{\s*([^{}\s]+)\s*\}\}|\{([^{}\s]+)\}")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass
class _ConsumedOp:
    """A consumed operation as written, before we know whether anything calls it."""

    namespace: str
    name: str
    method: str
    path: str
    params: list[dict[str, Any]]
    description: str
    where: PathKey
    source: LoadedSpec
    body: Any = None
    raw: dict[str, Any] = field(default_factory=dict)
    outputs: Any = None


@dataclass
class _Namespace:
    name: str
    base_uri: str
    base_uri_variables: tuple[tuple[str, str], ...]
    description: str
    headers: tuple[tuple[str, str], ...]
    query: tuple[tuple[str, str], ...]
    ops: dict[str, _ConsumedOp]
    where: PathKey
    attr: str
    built: dict[str, UpstreamOperation] = field(default_factory=dict)
    method_names: set[str] = field(default_factory=lambda: set(naming.RESERVED_CLIENT_METHODS))
    # Consumed operations that cannot be generated; calls to them are left out.
    failed: set[str] = field(default_factory=set)
    # Operation names declared more than once (calls resolve to the first; never guessed).
    duplicates: set[str] = field(default_factory=set)
    entry: dict[str, Any] = field(default_factory=dict)
    auth: UpstreamAuth | None = None
    params: consumed_params.AdapterParams = field(default_factory=consumed_params.AdapterParams)
    # apikey ``placement: path``: (key, value template); ``{key}`` in a consumed path is the key.
    path_key: tuple[str, str] | None = None
    # apikey ``placement: body``: (name literal, value expression over ``settings``).
    body_key: tuple[str, str] | None = None
    # apikey ``placement: path`` filling ``{key}`` in the baseUri: (placeholder, value expression).
    base_uri_secrets: tuple[tuple[str, str], ...] = ()
    # Where the apikey ``placement`` is written (in ``source``), for warnings about it.
    placement_where: PathKey = ()
    source: LoadedSpec | None = None


class Normaliser:
    def __init__(
        self,
        spec: LoadedSpec,
        spec_file: str,
        dist: str,
        broken_units: frozenset[PathKey] | set[PathKey] = frozenset(),
    ) -> None:
        self.spec = spec
        self.root_spec = spec
        # Operations and tools the schema check already reported (and left out).
        self.broken_units = broken_units
        self.data: dict[str, Any] = spec.data if isinstance(spec.data, dict) else {}
        self.spec_file = spec_file
        self.dist = dist
        self.diagnostics: list[Diagnostic] = []
        self.secrets: dict[str, Secret] = {}
        # Settings fields: bind secrets and upstream namespaces share one dataclass.
        self.secret_fields: set[str] = set(naming.RESERVED_SETTINGS_FIELDS)
        self.client_classes: set[str] = set(naming.RESERVED_CLIENT_CLASSES)
        self.namespaces: dict[str, _Namespace] = {}
        self.all_namespaces: set[str] = set()
        # Namespaces whose consumes entry was refused: calls to them are not reported again.
        self.refused_namespaces: set[str] = set()
        # Signing / client-certificate auth by (spec file, path of the authentication mapping).
        self.upstream_auth: dict[tuple[str, PathKey], UpstreamAuth] = {}
        # The ``control`` exposes adapter (see :mod:`naftiko_gen.control`).
        self.control: ControlAdapter | None = None
        # Template scope of the namespace or operation being read: ``{{name}}`` → template text
        # (``in: environment`` values, adapter-level path values); see consumed_params.py.
        self.scope: dict[str, str] = {}
        # What bind variables are read from in the expressions being built: ``settings`` in
        # load-time code, ``self._vars`` in client methods, ``upstreams.settings`` in adapters.
        self.secret_root = "settings"
        # An apikey with ``placement: cookie``: (name, value expression) for the Cookie header.
        self.auth_cookies: list[tuple[str, str]] = []
        # An apikey with ``placement: path`` (key, value template) or ``body`` (name literal,
        # value expression), found by ``_auth`` for the namespace being read.
        self.auth_path: tuple[str, str] | None = None
        self.auth_body: tuple[str, str] | None = None
        # Names of the functions of the generated operations.py (one per behaviour).
        self.operation_functions: set[str] = set()
        self.behaviour_pool: list[Behaviour] = []
        self.aggregates: aggregates.Index = aggregates.Index()
        self._mcp_stdio_twin: McpAdapter | None = None
        self.governance = Governance()

    # -- reporting ---------------------------------------------------------------------------

    def error(self, code: str, message: str, path: PathKey, hint: str = "") -> None:
        self.diagnostics.append(self.spec.diagnostic(Level.ERROR, code, message, path, hint))

    def warning(self, code: str, message: str, path: PathKey, hint: str = "") -> None:
        self.diagnostics.append(self.spec.diagnostic(Level.WARNING, code, message, path, hint))

    @contextmanager
    def _left_out(self, what: str) -> Iterator[list[bool]]:
        """Errors raised while one operation or tool is built only leave that one out: they are
        turned into warnings that say so (``--strict`` turns them back into errors). The yielded
        flag is set when that happened, so the caller drops the half-built operation."""
        start = len(self.diagnostics)
        failed = [False]
        yield failed
        for i in range(start, len(self.diagnostics)):
            diagnostic = self.diagnostics[i]
            if diagnostic.level is Level.ERROR:
                failed[0] = True
                self.diagnostics[i] = replace(
                    diagnostic,
                    level=Level.WARNING,
                    message=f"{diagnostic.message}; {what} is left out",
                )

    @property
    def failed(self) -> bool:
        return any(d.level is Level.ERROR for d in self.diagnostics)

    # -- entry point -------------------------------------------------------------------------

    def run(self) -> Capability:
        if not self._check_version():
            raise SpecError(self.diagnostics)
        capability = self.data.get("capability")
        if not isinstance(capability, dict):
            self.error("not-a-capability", "no 'capability' mapping: nothing to generate", ())
            raise SpecError(self.diagnostics)
        info = self.data.get("info") if isinstance(self.data.get("info"), dict) else {}
        assert isinstance(info, dict)
        self.all_namespaces = _declared_namespaces(capability) | {
            str(item["name"])
            for key in ("import", "imports")
            for item in _as_list(self.data.get(key))
            if isinstance(item, dict) and item.get("name")
        }
        self.all_namespaces |= aggregates.namespaces(capability)
        self.governance = script_steps.governance(self, capability)
        self._binds(self.data)
        self._consumes(capability)
        self.aggregates = aggregates.index(self, capability)
        rest, mcp, skill = self._exposes(capability)
        mcp_stdio = self._mcp_stdio_twin
        if mcp is None:
            mcp, mcp_stdio = mcp_stdio, None
        if not self.failed and rest is None and mcp is None and skill is None and not self.control:
            self.error(
                "nothing-to-expose",
                "the capability exposes no REST operation, no MCP tool and no skill",
                ("capability", "exposes"),
            )
        if self.failed:
            raise SpecError(self.diagnostics)
        package = naming.package_name(self.dist)
        behaviours = [op.behaviour for op in (rest.operations if rest else ())]
        calls = [c for b in behaviours for c in b.calls]
        calls += list(mcp.calls if mcp else ())
        calls += list(mcp_stdio.calls if mcp_stdio else ())
        used = {(call.upstream_attr, call.operation.name) for call in calls}
        forwarded = {rule.upstream_attr for rule in (rest.forwards if rest else ())}
        upstreams = tuple(
            self._upstream(ns, used)
            for ns in self.namespaces.values()
            if any((ns.attr, name) in used for name in ns.built) or ns.attr in forwarded
        )
        title = str(info.get("label") or info.get("title") or self.dist)
        description = str(info.get("description") or "")
        model = Capability(
            spec_file=self.spec_file,
            dist_name=self.dist,
            package=package,
            version=PACKAGE_VERSION,
            title=title,
            description=description,
            settings_prefix=naming.env_prefix(self.dist),
            secrets=tuple(self.secrets.values()),
            upstreams=upstreams,
            rest=rest,
            mcp=mcp,
            generator_version=__version__,
            openapi={},
            skill=skill,
            control=self.control,
            mcp_stdio=mcp_stdio,
            governance=self.governance,
        )
        return _with_openapi(model)

    # -- header --------------------------------------------------------------------------------

    def _check_version(self) -> bool:
        if not isinstance(self.spec.data, dict):
            self.error("not-naftiko", "expected a YAML mapping with a 'naftiko' version key", ())
            return False
        version = self.data.get("naftiko")
        if version is None:
            self.error("not-naftiko", "no 'naftiko' key: this is not a Naftiko capability", ())
            return False
        if isinstance(version, dict):
            self.error(
                "version-mapping",
                f"'naftiko' must be a version string such as {SUPPORTED_VERSIONS[1]!r}, "
                "not a mapping",
                ("naftiko",),
            )
            return False
        if str(version) not in SUPPORTED_VERSIONS:
            self.error(
                "unsupported-version",
                f"unsupported naftiko version {str(version)!r}; supported: "
                + ", ".join(SUPPORTED_VERSIONS),
                ("naftiko",),
            )
            return False
        return True

    # -- binds and secrets ---------------------------------------------------------------------

    def _binds(self, data: dict[str, Any]) -> None:
        """Root binds, then ``capability.binds`` (§7.17: both count, the later one wins)."""
        groups: list[tuple[PathKey, Any]] = [(("binds",), data.get("binds"))]
        capability = data.get("capability")
        if isinstance(capability, dict):
            groups.append((("capability", "binds"), capability.get("binds")))
        for base, binds in groups:
            if not isinstance(binds, list):
                continue
            for i, bind in enumerate(binds):
                where = (*base, i)
                # Shorthands in real specs: '- VAR' and '- {name: VAR, env: ENV_VAR}'.
                if isinstance(bind, str):
                    self._add_secret(bind, bind, "env")
                    continue
                if isinstance(bind, dict) and "name" in bind and "keys" not in bind:
                    name = str(bind["name"])
                    self._add_secret(name, str(bind.get("env") or name), "env")
                    continue
                if not isinstance(bind, dict):
                    continue
                namespace = str(bind.get("namespace") or "env")
                bind_file = self._bind_file(bind.get("location"), (*where, "location"))
                if bind_file is False:
                    continue
                keys = bind.get("keys") or {}
                if not isinstance(keys, dict):
                    continue
                for variable, provider in keys.items():
                    env_var = str(provider) if provider else str(variable)
                    path = bind_file if isinstance(bind_file, str) and bind_file else None
                    self._add_secret(str(variable), env_var, namespace, path)

    def _bind_file(self, location: Any, where: PathKey) -> str | bool:
        """A bind ``location`` is a JSON or YAML file read at start-up (never at build time):
        ``file:///abs``, ``file:///./rel`` or a plain path (relative to the working directory,
        as in the engine). ``""`` when there is none, ``False`` after an error."""
        if not location:
            return ""
        text = str(location)
        if text.startswith("file://"):
            text = text[len("file://") :]
            if text.startswith(("/./", "/../")):
                text = text[1:]
        elif re.match(r"^[a-z][a-z0-9+.-]*://", text):
            self.error(
                "bind-location",
                f"bind location {location!r} is not a file; only file paths are read",
                where,
            )
            return False
        return text

    def _add_secret(
        self, variable: str, env_var: str, namespace: str, bind_file: str | None = None
    ) -> Secret:
        existing = self.secrets.get(variable)
        if existing is not None and (existing.env_var, existing.bind_file) == (env_var, bind_file):
            return existing
        field_name = (
            existing.field
            if existing
            else naming.unique(naming.snake(variable), self.secret_fields)
        )
        override = f"{naming.env_prefix(namespace)}_BIND_FILE" if bind_file else None
        secret = Secret(variable, env_var, field_name, namespace, bind_file, override)
        self.secrets[variable] = secret
        return secret

    def secret_expr(self, template: str, where: PathKey) -> str | None:
        """Python expression for a text that may embed secrets: ``{{VAR}}``, ``{{env.VAR}}``,
        ``{{<bindNamespace>.VAR}}`` or ``${VAR}`` (§7.1). ``None`` when a placeholder is not a
        secret (it is then a parameter reference, which callers handle)."""
        parts: list[str] = []
        position = 0
        pattern = re.compile(f"{_MUSTACHE.pattern}|{_DOLLAR.pattern}")
        for match in pattern.finditer(template):
            if match.start() > position:
                parts.append(py(template[position : match.start()]))
            name = (match.group(1) or match.group(2)).strip()
            if name in self.scope:
                scoped, self.scope = self.scope, {k: v for k, v in self.scope.items() if k != name}
                try:
                    expr = self.secret_expr(scoped[name], where)
                finally:
                    self.scope = scoped
                if expr is None:
                    return None
                parts.append(f"({expr})" if "+" in expr else expr)
                position = match.end()
                continue
            secret = self._resolve_secret(name, where)
            if secret is None:
                return None
            parts.append(f"{self.secret_root}.{secret.field}")
            position = match.end()
        if position < len(template):
            parts.append(py(template[position:]))
        return " + ".join(parts) if parts else py("")

    def _resolve_secret(self, name: str, where: PathKey) -> Secret | None:
        if name in self.secrets:
            return self.secrets[name]
        if "." in name:
            namespace, variable = name.split(".", 1)
            secret = self.secrets.get(variable)
            if secret is not None and namespace in (secret.bind_namespace, "env"):
                return secret
            if namespace == "env" and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", variable):
                self.warning(
                    "undeclared-variable",
                    f"{{{{{name}}}}} is not declared in any bind; it is read from the environment "
                    f"variable {variable} at start-up",
                    where,
                )
                return self._add_secret(variable, variable, "env")
            return None
        if re.fullmatch(r"[A-Z_][A-Z0-9_]*", name):
            self.warning(
                "undeclared-variable",
                f"{{{{{name}}}}} is not declared in any bind; it is read from the environment "
                f"variable {name} at start-up",
                where,
            )
            return self._add_secret(name, name, "env")
        return None

    # -- consumes ------------------------------------------------------------------------------

    def _consumes(self, capability: dict[str, Any]) -> None:
        consumes = capability.get("consumes") or []
        if not isinstance(consumes, list):
            return
        for i, entry in enumerate(consumes):
            where: PathKey = ("capability", "consumes", i)
            if not isinstance(entry, dict):
                continue
            if entry.get("openapi") and not entry.get("import"):
                self._openapi_entry(entry, where)
                continue
            if entry.get("location") or entry.get("import"):
                imported = self._import(entry, where)
                if imported is None:
                    for key in ("as", "import", "namespace"):
                        if entry.get(key):
                            self.refused_namespaces.add(str(entry[key]))
                    continue
                source, entry, where = imported
                with self._source(source):
                    self._http_entry(entry, where)
                continue
            self._http_entry(entry, where)
        for key in ("import", "imports"):
            entries = self.data.get(key)
            for i, item in enumerate(entries if isinstance(entries, list) else []):
                # alpha1 files list imports at the top: {name: alias, location: file}, or just
                # a file name, meaning every namespace that file consumes.
                if isinstance(item, str):
                    item = {"location": item, "all": True}
                if not isinstance(item, dict):
                    continue
                request = {
                    "location": item.get("location") or item.get("url"),
                    "as": item.get("name") or item.get("namespace"),
                    "all": item.get("all"),
                }
                if item.get("name"):
                    self.refused_namespaces.add(str(item["name"]))
                if not request["location"]:
                    self.error(
                        "bad-import",
                        "a top-level import needs 'location' (or 'url'), the file to import; "
                        f"this one has {', '.join(repr(str(k)) for k in item) or 'no key'}",
                        (key, i),
                        "write `- {name: <namespace>, location: ./shared/file.yaml}`, or just "
                        "the file name to import every namespace it declares",
                    )
                    continue
                for source, copied, copied_where in self._import_all(request, (key, i)):
                    with self._source(source):
                        self._http_entry(copied, copied_where)

    def _openapi_entry(self, entry: dict[str, Any], where: PathKey) -> None:
        """``{openapi: ns, location: x.yml}``: a consumes entry naming an OpenAPI document, which
        states no Naftiko operation naftiko-gen could generate; refused, naming the file."""
        name = str(entry["openapi"])
        location = str(entry.get("location") or "")
        exists = bool(location) and _import_path(location, Path(self.spec.file).parent).is_file()
        where_file = f" ({location!r}{'' if exists else ', not found'})" if location else ""
        self.error(
            "openapi-consumes",
            f"consumes entry {name!r} points at an OpenAPI document{where_file}, not at Naftiko "
            "consumes; naftiko-gen generates from `type: http` entries only",
            (*where, "openapi"),
            f"declare the operations the exposes call under `- type: http`, `namespace: {name}`, "
            "with a baseUri and resources",
        )
        self.refused_namespaces.add(name)

    @contextmanager
    def _source(self, spec: LoadedSpec) -> Iterator[None]:
        """Report problems against ``spec`` (an imported file) while the block runs."""
        previous, self.spec = self.spec, spec
        try:
            yield
        finally:
            self.spec = previous

    def _import_all(
        self, entry: dict[str, Any], where: PathKey
    ) -> list[tuple[LoadedSpec, dict[str, Any], PathKey]]:
        if not entry.get("all"):
            imported = self._import(entry, where)
            return [imported] if imported else []
        location = str(entry.get("location") or "")
        target = self._load_import(location, location, where)
        if target is None:
            return []
        found = []
        for base, entries in _consumes_places(target):
            for j, candidate in enumerate(_as_list(entries)):
                if isinstance(candidate, dict) and candidate.get("namespace"):
                    found.append((target, dict(candidate), (*base, j)))
        if found:
            with self._source(target):
                self._binds(target.data if isinstance(target.data, dict) else {})
        return found

    def _load_import(self, name: str, location: str, where: PathKey) -> LoadedSpec | None:
        path = _import_path(location, Path(self.spec.file).parent)
        try:
            return load_spec(path, display_name=str(path))
        except SpecError as exc:
            self.error(
                "import-unreadable",
                f"cannot import {name!r} from {location!r}: {exc.diagnostics[0].format()}",
                (*where, "location"),
            )
            return None

    def _import(
        self, entry: dict[str, Any], where: PathKey
    ) -> tuple[LoadedSpec, dict[str, Any], PathKey] | None:
        """``{import: ns, location: file, as?: alias}``: a copy of the ``type: http`` entry named
        ``ns`` in that file's root ``consumes`` (or its ``capability.consumes``), with its binds."""
        name = str(entry.get("import") or "")
        location = str(entry.get("location") or "")
        alias = str(entry.get("as") or "")
        if not (name or alias) or not location:
            self.error(
                "bad-import",
                "an imported consumes entry needs 'import' (the namespace) and 'location' (a file)",
                where,
            )
            return None
        target = self._load_import(name or alias, location, where)
        if target is None:
            return None
        data = target.data if isinstance(target.data, dict) else {}
        places = _consumes_places(target)
        if not name:
            # A top-level import names only the alias: the namespace of that name, else the
            # file's only one.
            declared = [
                str(c.get("namespace"))
                for _, entries in places
                for c in (entries if isinstance(entries, list) else [])
                if isinstance(c, dict) and c.get("namespace")
            ]
            name = alias if alias in declared or len(declared) != 1 else declared[0]
        for base, entries in places:
            for j, candidate in enumerate(entries if isinstance(entries, list) else []):
                if not isinstance(candidate, dict) or candidate.get("namespace") != name:
                    continue
                if candidate.get("location") or candidate.get("import"):
                    self.error(
                        "nested-import",
                        f"{location!r} imports {name!r} in turn; import the file that defines it",
                        (*where, "location"),
                    )
                    return None
                with self._source(target):
                    self._binds(data)
                copy = dict(candidate)
                if entry.get("as"):
                    copy["namespace"] = str(entry["as"])
                return target, copy, (*base, j)
        declared = sorted(
            {
                str(c.get("namespace"))
                for _, entries in places
                for c in _as_list(entries)
                if isinstance(c, dict) and c.get("namespace")
            }
        )
        self.error(
            "import-not-found",
            f"{location!r} declares no consumes namespace {name!r} (it declares: "
            + (", ".join(declared) or "none")
            + ")",
            (*where, "import"),
            (
                f"write import: {declared[0]}, and call {declared[0]}.<operation>"
                if len(declared) == 1
                else ""
            ),
        )
        return None

    def _http_entry(self, entry: dict[str, Any], where: PathKey) -> None:
        """One ``type: http`` consumes entry (inline, or copied from an imported file)."""
        name = str(entry.get("namespace") or "")
        if not name:
            self.error("missing-namespace", "consumes entry has no 'namespace'", where)
            return
        auth_key = "authentication" if "authentication" in entry else "auth"
        if name in self.namespaces:
            self._merge_namespace(self.namespaces[name], entry, where, auth_key)
            return
        base_uri = str(entry.get("baseUri") or "").rstrip("/")
        if not base_uri:
            self.warning(
                "empty-base-uri",
                f"consumes namespace {name!r} has no baseUri; the package reads it from "
                f"{naming.env_prefix(name)}_BASE_URI at start-up",
                (*where, "baseUri") if "baseUri" in entry else where,
            )
        # '{token}' filled by an apikey with 'placement: path' is no run-time setting.
        path_key = _apikey_path_key(entry.get(auth_key))
        filled = "{" + path_key + "}" if path_key else None
        variables = self._base_uri_variables(name, base_uri, (*where, "baseUri"), filled)
        if variables is None:
            self.refused_namespaces.add(name)
            return
        literal = base_uri
        for token in [*(t for t, _ in variables), *([filled] if filled else [])]:
            literal = literal.replace(token, "x")
        if base_uri and not re.match(r"^(https?://[^/\s]+|x)", literal):
            self.error(
                "bad-base-uri",
                f"baseUri {base_uri!r} must be an absolute http(s) URL",
                (*where, "baseUri"),
            )
            self.refused_namespaces.add(name)
            return
        self.scope = {}
        params = consumed_params.adapter_params(self, entry.get("inputParameters"), where)
        self.auth_cookies, self.auth_path, self.auth_body = [], None, None
        headers, query = self._auth(entry.get(auth_key), (*where, auth_key))
        params.cookies[:0] = self.auth_cookies
        self.scope = {}
        failed: set[str] = set()
        duplicates: set[str] = set()
        ops = self._consumed_ops(name, entry.get("resources"), where, failed, duplicates)
        base_uri_secrets = self._path_key(name, base_uri, ops, (*where, auth_key))
        self.namespaces[name] = _Namespace(
            name=name,
            base_uri=base_uri,
            base_uri_variables=variables,
            description=str(entry.get("description") or ""),
            headers=headers + tuple(params.headers),
            query=query + tuple(params.query),
            ops=ops,
            where=where,
            attr=naming.unique(naming.snake(name), self.secret_fields),
            failed=failed,
            duplicates=duplicates,
            entry=entry,
            auth=self.upstream_auth.get((self.spec.file, (*where, auth_key))),
            params=params,
            path_key=self.auth_path,
            body_key=self.auth_body,
            base_uri_secrets=base_uri_secrets,
            placement_where=_placement_where(entry.get(auth_key), (*where, auth_key)),
            source=self.spec,
        )

    def _merge_namespace(
        self, ns: _Namespace, entry: dict[str, Any], where: PathKey, auth_key: str
    ) -> None:
        """Real specs split one API over several consumes entries with the same namespace, base
        URI and authentication: merge their operations. Anything else is ambiguous: refuse."""
        first = ns.entry
        same = str(entry.get("baseUri") or "").rstrip("/") == ns.base_uri and entry.get(
            auth_key
        ) == first.get("authentication", first.get("auth"))
        if not same or entry.get("inputParameters") != first.get("inputParameters"):
            self.error(
                "duplicate-namespace",
                f"consumes namespace {ns.name!r} is declared twice with a different baseUri, "
                "authentication or parameters",
                (*where, "namespace"),
            )
            return
        self.warning(
            "merged-namespace",
            f"consumes namespace {ns.name!r} is declared again; its operations are merged "
            "into the first declaration",
            (*where, "namespace"),
        )
        for name, op in self._consumed_ops(
            ns.name, entry.get("resources"), where, ns.failed, ns.duplicates
        ).items():
            if name in ns.ops:
                ns.duplicates.add(name)
                self.warning(
                    "duplicate-operation",
                    f"operation {name!r} is declared twice in {ns.name!r}; calls resolve to the "
                    "first",
                    (*op.where, "name"),
                )
                continue
            ns.ops[name] = op

    def _base_uri_variables(
        self, namespace: str, base_uri: str, where: PathKey, filled: str | None = None
    ) -> tuple[tuple[str, str], ...] | None:
        """Placeholders in a baseUri become run-time configuration: ``{{VAR}}``/``${VAR}`` read a
        bind (or the variable ``VAR``), ``{x}`` reads ``<NS>_X``; ``filled`` (the ``{key}`` of an
        apikey with ``placement: path``) is the key itself. ``None`` after an error."""
        variables: list[tuple[str, str]] = []
        pattern = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}|\$\{(\w+)\}|\{([^{}/\s]+)\}")
        for match in pattern.finditer(base_uri):
            mustache, dollar, single = match.groups()
            if match.group(0) == filled:
                continue
            if single is not None:
                env_var = f"{naming.env_prefix(namespace)}_{naming.snake(single).upper()}"
            else:
                name = (mustache or dollar).strip()
                variable = name.split(".", 1)[1] if name.startswith("env.") else name
                if variable in self.secrets:
                    env_var = self.secrets[variable].env_var
                elif re.fullmatch(r"\w+", variable):
                    env_var = variable
                else:
                    self.error(
                        "bad-base-uri",
                        f"baseUri placeholder {match.group(0)!r} is not a variable name",
                        where,
                    )
                    return None
            if (match.group(0), env_var) not in variables:
                variables.append((match.group(0), env_var))
        return tuple(variables)

    def _path_key(
        self, namespace: str, base_uri: str, ops: dict[str, _ConsumedOp], where: PathKey
    ) -> tuple[tuple[str, str], ...]:
        """apikey ``placement: path``: the key's value fills ``{key}`` in the baseUri and in the
        consumed paths (one encoded segment's content, read at run time like every secret).
        The baseUri fillings, as (placeholder, value expression over ``settings``)."""
        if self.auth_path is None:
            return ()
        key, value = self.auth_path
        placeholder = "{" + key + "}"
        in_paths = any(
            (m.group(1) or m.group(2)) == key
            for op in ops.values()
            for m in _PLACEHOLDER.finditer(op.path)
        )
        if placeholder not in base_uri and not in_paths:
            self.error(
                "apikey-path-placeholder",
                f"apikey {key!r} has placement 'path', but neither the baseUri {base_uri!r} nor "
                f"a path of namespace {namespace!r} has a {placeholder} placeholder for it",
                (*where, "placement"),
                f"write {placeholder} where the key goes (baseUri: https://api.example.com/"
                f"bot{placeholder}), or use placement: header or query",
            )
            self.auth_path = None
            return ()
        expr = self.secret_expr(value, (*where, "value"))
        if expr is None:
            self.error(
                "unsupported-template",
                f"value {value!r} references something that is not a bind variable",
                (*where, "value"),
            )
            self.auth_path = None
            return ()
        return ((placeholder, expr),) if placeholder in base_uri else ()

    def _auth(
        self, auth: Any, where: PathKey
    ) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
        if auth is None:
            return (), ()
        if not isinstance(auth, dict):
            return (), ()
        kind = auth.get("type")
        if isinstance(kind, str) and kind.lower().replace("_", "-") in ("apikey", "api-key"):
            kind = "apikey"  # 'apiKey', 'api_key': the OpenAPI spellings
        if kind in auth_types.TYPES:
            signing = auth_types.consumed_auth(self, auth, where)
            if signing is not None:
                self.upstream_auth[(self.spec.file, where)] = signing
            return (), ()

        def secret(key: str) -> str:
            expr = self.secret_expr(str(auth.get(key) or ""), (*where, key))
            if expr is None:
                self.error(
                    "unsupported-template",
                    f"{key} {auth.get(key)!r} references something that is not a bind variable",
                    (*where, key),
                )
                return py("")
            return expr

        if kind == "bearer":
            return ((py("Authorization"), f"{py('Bearer ')} + {secret('token')}"),), ()
        if kind == "basic":
            credentials = f"({secret('username')} + {py(':')} + {secret('password')})"
            value = f"{py('Basic ')} + base64.b64encode({credentials}.encode()).decode()"
            return ((py("Authorization"), value),), ()
        if kind == "apikey" and isinstance(auth.get("headers"), dict) and not auth.get("key"):
            # Several API-key headers at once (Datadog's DD-API-KEY + DD-APPLICATION-KEY).
            pairs = []
            for header, value in auth["headers"].items():
                if problem := _header_problem(str(header), value):
                    self.error("bad-header", problem, (*where, "headers", header))
                    continue
                expr = self.secret_expr(str(value), (*where, "headers", header))
                if expr is None:
                    self.error(
                        "unsupported-template",
                        f"header {header!r} value {value!r} is not a bind variable",
                        (*where, "headers", header),
                    )
                    continue
                pairs.append((py(str(header)), expr))
            return tuple(pairs), ()
        if kind == "apikey":
            key, placement = apikey_spelling(auth)  # also 'header: Authorization' (dialect)
            if not key:
                self.error(
                    "apikey-key", "apikey authentication needs 'key' (or 'name', 'header')", where
                )
                return (), ()
            if placement not in APIKEY_PLACEMENTS:
                self.error(
                    "apikey-placement",
                    f"apikey placement {placement!r} is not one of " + ", ".join(APIKEY_PLACEMENTS),
                    _placement_where(auth, where),
                )
                return (), ()
            if placement == "path":
                # Checked against the baseUri and paths, and filled, by _path_key.
                self.auth_path = (str(key), str(auth.get("value") or ""))
                return (), ()
            pair = ((py(str(key)), secret("value")),)
            if placement == "body":
                self.auth_body = pair[0]
                return (), ()
            if placement == "query":
                return (), pair
            if placement == "cookie":
                if problem := consumed_params.cookie_name_problem(str(key)):
                    self.error("bad-cookie", problem, where)
                else:
                    self.auth_cookies.extend(pair)
                return (), ()
            if problem := _header_problem(str(key)):
                self.error("bad-header", problem, where)
                return (), ()
            return pair, ()
        self.error(
            "unsupported-auth",
            f"authentication type {kind!r} is not supported yet (supported: bearer, basic, "
            "digest, apikey, oauth1, oauth2, aws-sig-v4, certificate)",
            (*where, "type"),
        )
        return (), ()

    def _consumed_ops(
        self,
        namespace: str,
        resources: Any,
        where: PathKey,
        failed: set[str],
        duplicates: set[str],
    ) -> dict[str, _ConsumedOp]:
        ops: dict[str, _ConsumedOp] = {}
        for r, resource in enumerate(resources if isinstance(resources, list) else []):
            if not isinstance(resource, dict):
                continue
            rpath = str(resource.get("path") or "")
            for o, op in enumerate(resource.get("operations") or []):
                opwhere = (*where, "resources", r, "operations", o)
                if not isinstance(op, dict):
                    continue
                # Some real specs write 'id' for the name and a 'path' per operation.
                name = str(op.get("name") or op.get("id") or "")
                op_path = rpath + str(op["path"]) if isinstance(op.get("path"), str) else rpath
                if opwhere in self.broken_units and self.spec is self.root_spec:
                    if name:
                        failed.add(name)
                    continue
                if not name:
                    self.warning("unnamed-operation", "consumed operation has no 'name'", opwhere)
                    continue
                if name in ops:
                    duplicates.add(name)
                    self.warning(
                        "duplicate-operation",
                        f"operation {name!r} is declared twice in {namespace!r}; "
                        "calls resolve to the first",
                        (*opwhere, "name"),
                    )
                    continue
                method = str(op.get("method") or "GET").upper()
                params = [p for p in op.get("inputParameters") or [] if isinstance(p, dict)]
                ops[name] = _ConsumedOp(
                    namespace,
                    name,
                    method,
                    op_path,
                    params,
                    str(op.get("description") or ""),
                    opwhere,
                    self.spec,
                    op.get("body"),
                    op,
                    op.get("outputParameters"),
                )
        return ops

    def _resolve_call(self, call: Any, where: PathKey) -> tuple[_Namespace, _ConsumedOp] | None:
        if not isinstance(call, str) or "." not in call:
            self.error("bad-call", f"call {call!r} must be written 'namespace.operation'", where)
            return None
        namespace, op_name = call.split(".", 1)
        # Namespaces may contain dots themselves ('openapi.yml'): the longest declared one wins.
        dotted = [n for n in self.namespaces if call.startswith(f"{n}.") and "." in n]
        if dotted:
            namespace = max(dotted, key=len)
            op_name = call[len(namespace) + 1 :]
        ns = self.namespaces.get(namespace)
        if ns is None and namespace in self.refused_namespaces:
            return None
        if ns is None:
            ns = self._guess_namespace(call, namespace, op_name, where)
            if ns is None:
                return None
        op = ns.ops.get(op_name)
        same = _matching_operations(ns, op_name)
        if op is None and op_name not in ns.failed and len(same) == 1:
            # 'getAccessTokenMetadata' for the declared 'getaccesstokenmetadata': the only
            # operation of the namespace whose name differs only in case.
            self.warning(
                "call-operation-case",
                f"call {call!r}: {ns.name!r} has no operation {op_name!r}; calling "
                f"{ns.name}.{same[0]}, the only one whose name differs only in case",
                where,
                f"write call: {ns.name}.{same[0]}",
            )
            op_name = same[0]
            op = ns.ops.get(op_name)
        if op is None and op_name in ns.failed:
            self.error(
                "broken-operation",
                f"call {call!r}: {op_name!r} has problems reported above",
                where,
            )
            return None
        if op is None:
            close = difflib.get_close_matches(op_name, list(ns.ops), n=1)
            self.error(
                "unknown-operation",
                f"call {call!r}: namespace {namespace!r} has no operation {op_name!r}",
                where,
                f"did you mean {namespace}.{close[0]}?" if close else "",
            )
            return None
        return ns, op

    def _guess_namespace(
        self, call: str, namespace: str, op_name: str, where: PathKey
    ) -> _Namespace | None:
        """``call: x.op`` where ``x`` is no consumes namespace. Real specs write the exposing
        adapter's namespace (``x-mcp.getUser``) or a shortened or respelt consumes namespace
        (``youtube-live`` for ``youtube-live-streaming``, ``oauth`` for ``oauth-api``): when
        exactly one consumes namespace declares ``op`` (once) and ``x`` is one of those, that
        operation is called, with a warning. Anything else is ``unknown-namespace``."""
        owners = [n for n in self.namespaces.values() if _matching_operations(n, op_name)]
        reason = ""
        if len(owners) == 1 and len(_matching_operations(owners[0], op_name)) == 1:
            if namespace in self.all_namespaces:
                reason = f"{namespace!r} is not a consumes namespace"
            elif close := _close_namespace(namespace, owners[0].name):
                reason = f"{namespace!r} is no namespace, but {close}"
        if reason:
            owner = owners[0]
            matched = _matching_operations(owner, op_name)[0]
            case = "" if matched == op_name else " (ignoring case)"
            self.warning(
                "call-namespace-guessed",
                f"call {call!r}: {reason}; calling {owner.name}, the only consumes namespace "
                f"with an operation {op_name!r}{case}",
                where,
                f"write call: {owner.name}.{matched}",
            )
            return owner
        known = ", ".join(sorted(self.namespaces)) or "none"
        why, hint = "", ""
        if len(owners) > 1:
            names = ", ".join(sorted(n.name for n in owners))
            why = f"; several consumes namespaces declare {op_name!r} ({names}), none is guessed"
            hint = f"write the namespace you mean: one of {names}"
        elif owners and len(_matching_operations(owners[0], op_name)) > 1:
            why = f"; {owners[0].name!r} declares {op_name!r} more than once, so it is not guessed"
            hint = f"give each operation of {owners[0].name!r} its own name and call it"
        elif owners:
            why = (
                f"; {owners[0].name!r} declares {op_name!r}, but {namespace!r} is not close to "
                "that name, so it is not guessed"
            )
            hint = f"write call: {owners[0].name}.{op_name} if that is the operation meant"
        self.error(
            "unknown-namespace",
            f"call {call!r}: no consumes namespace {namespace!r} (declared: {known}){why}",
            where,
            hint,
        )
        return None

    def _build_operation(
        self, ns: _Namespace, op: _ConsumedOp, caller: PathKey
    ) -> UpstreamOperation | None:
        """Build (once) the client method for a consumed operation that something calls; when
        it cannot be built, every caller after the first is told so (and left out too)."""
        if op.name in ns.built:
            return ns.built[op.name]
        if op.name in ns.failed:
            self.error(
                "broken-operation",
                f"{ns.name}.{op.name} cannot be generated (see the problems reported for it)",
                caller,
            )
            return None
        start = len(self.diagnostics)
        with self._source(op.source):
            operation = self._build_new_operation(ns, op)
        if any(d.level is Level.ERROR for d in self.diagnostics[start:]):
            ns.failed.add(op.name)
            ns.built.pop(op.name, None)
            return None
        return operation

    def _build_new_operation(self, ns: _Namespace, op: _ConsumedOp) -> UpstreamOperation:
        self.scope = dict(ns.params.scope)
        self.secret_root = "self._vars"
        try:
            return self._build_operation_in_scope(ns, op)
        finally:
            self.scope = {}
            self.secret_root = "settings"

    def _build_operation_in_scope(self, ns: _Namespace, op: _ConsumedOp) -> UpstreamOperation:
        """Parameters (§2.5: the adapter's, then the operation's), path and body of one client
        method; values are computed in the method (bind variables through ``self._vars``)."""
        args: set[str] = set(naming.RESERVED_CLIENT_ARGS)
        params: list[UpstreamParam] = []
        declared = [(raw, (*op.where, "inputParameters", j)) for j, raw in enumerate(op.params)]
        names = {(str(raw.get("name")), raw.get("in")) for raw, _ in declared}
        placeholders = {(m.group(1) or m.group(2)).lower() for m in _PLACEHOLDER.finditer(op.path)}
        adapter = [
            (raw, where)
            for raw, where in ns.params.per_operation
            if (str(raw.get("name")), raw.get("in")) not in names
            # An adapter-level path parameter only concerns paths that name it.
            and (raw.get("in") != "path" or str(raw.get("name")).lower() in placeholders)
        ]
        computed: list[tuple[dict[str, Any], PathKey, UpstreamParam]] = []
        for raw, pwhere in [*adapter, *declared]:
            if raw.get("in") == consumed_params.ENVIRONMENT:
                consumed_params.environment_scope(self, raw, pwhere, self.scope)
        for raw, pwhere in [*adapter, *declared]:
            name = str(raw.get("name") or "")
            location = str(raw.get("in") or "query")
            if location == consumed_params.ENVIRONMENT:
                continue
            if not name:
                self.warning(
                    "unnamed-parameter", "parameter has no 'name'; it is never sent", pwhere
                )
                continue
            if location not in consumed_params.OPERATION_LOCATIONS:
                self.error(
                    "unsupported-parameter-location",
                    f"parameter {name!r}: 'in: {location}' is not supported "
                    "(supported: path, query, header, cookie, body, formData, environment)",
                    (*pwhere, "in"),
                )
                continue
            if location == "header" and (problem := _header_problem(name)):
                self.error("bad-header", problem, pwhere)
                continue
            if location == "cookie" and (problem := consumed_params.cookie_name_problem(name)):
                self.error("bad-cookie", problem, (*pwhere, "name"))
                continue
            json_type = _json_type(raw.get("type"), "object" if location == "body" else "string")
            param = UpstreamParam(
                name=name,
                location=cast(UpstreamLocation, consumed_params.OPERATION_LOCATIONS[location]),
                arg=naming.unique(naming.snake(name), args),
                json_type=json_type,
                required=bool(raw.get("required", location == "path")),
                description=str(raw.get("description") or ""),
            )
            value = consumed_params.value_of(raw)
            if value is not None and self._computed_value(value):
                computed.append((raw, pwhere, param))
            params.append(param)
        for raw, pwhere, param in computed:
            # Rendered in the client method once every plain parameter is known (§2.4: earlier
            # parameters' values are in scope).
            value = consumed_params.value_of(raw)
            expr = self._value_expr(value, params, args, (*pwhere, "value"))
            index = params.index(param)
            params[index] = replace(param, value_expr=expr, required=False)
        path_expr = self._path_expr(op, params, args, ns.path_key)
        body = self._body(op, params, args)
        operation = UpstreamOperation(
            name=op.name,
            method_name=naming.unique(naming.snake(op.name), ns.method_names),
            http_method=op.method,
            path_template=op.path,
            path_expr=path_expr,
            params=tuple(params),
            description=op.description,
            body=body,
            output=self._output_format(ns, op),
        )
        ns.built[op.name] = operation
        return operation

    def _computed_value(self, value: Any) -> bool:
        """A parameter value other than a whole ``{{input}}`` reference is computed in the
        client: a literal, bind variables, or a template over inputs (``trace-{{requestId}}``)."""
        if not isinstance(value, str):
            return True
        whole = _input_placeholder(value, "", self.all_namespaces)
        if whole is None:
            return True
        return (
            whole in self.scope
            or whole in self.secrets
            or bool(re.fullmatch(r"[A-Z_][A-Z0-9_]*", whole))
        )

    def _value_expr(
        self, value: Any, params: list[UpstreamParam], args: set[str], where: PathKey
    ) -> str:
        if not isinstance(value, str):
            return py(str(value).lower() if isinstance(value, bool) else str(value))

        def resolve(name: str, whole: bool) -> str:
            return self._body_placeholder(name, whole, params, args, where)

        return text_expr(value, resolve)

    def _output_format(self, ns: _Namespace, op: _ConsumedOp) -> OutputFormat | None:
        """``outputRawFormat``/``outputSchema``: how the client decodes the answer (formats.py)."""

        def warn(problem: FormatProblem) -> None:
            self.warning(problem.code, problem.message, (*op.where, problem.key))

        try:
            plan = plan_output(
                op.raw.get("outputRawFormat"),
                op.raw.get("outputSchema"),
                Path(op.source.file).parent,
                warn,
            )
        except FormatProblem as problem:
            self.error(problem.code, problem.message, (*op.where, problem.key))
            return None
        if plan is not None and any(
            name.strip("'\"").lower() == "accept" for name, _ in ns.headers
        ):
            plan = replace(plan, accept=None)  # the spec's own Accept header is sent instead
        return plan

    def _body(
        self, op: _ConsumedOp, params: list[UpstreamParam], args: set[str]
    ) -> BodyPlan | None:
        """The request body: the operation's ``body`` template, else its ``in: body``
        parameters — one named ``body`` (or the only one) is the whole body, several are the
        members of a JSON object (§7.5)."""
        fields = [p for p in params if p.location == "body"]
        if op.body is not None:

            def resolve(name: str, whole: bool) -> str:
                return self._body_placeholder(name, whole, params, args, (*op.where, "body"))

            try:
                return plan_body(op.body, resolve)
            except BodyProblem as problem:
                self.error(problem.code, problem.message, (*op.where, "body"))
                return None
        if len(fields) == 1 and (
            fields[0].name.lower() == "body" or fields[0].json_type in ("object", "array")
        ):
            return BodyPlan("json", fields[0].expr, "application/json")
        parts = [p for p in params if p.location == "form"]
        if parts:
            # 'in: formData' parameters: the parts of a multipart/form-data body.
            items = ", ".join(f"({py(p.name)}, {p.expr}, None, None)" for p in parts)
            return BodyPlan("multipart", f"[{items}]", "multipart/form-data")
        if fields:
            members = ", ".join(f"{py(p.name)}: {p.expr}" for p in fields)
            expr = f"{{k: v for k, v in {{{members}}}.items() if v is not None}}"
            return BodyPlan("json", expr, "application/json")
        return None

    def _body_placeholder(
        self,
        name: str,
        whole: bool,
        params: list[UpstreamParam],
        args: set[str],
        where: PathKey,
    ) -> str:
        """``{{tools.x}}``/``{{rest.x}}``/``{{x}}`` in a body is the caller's input ``x``;
        ``{{VAR}}``/``{{env.VAR}}`` a bind variable; ``{{name}}`` of an ``in: environment``
        parameter its value (which may use inputs too)."""
        prefix, _, rest = name.partition(".")
        if name in self.scope:
            scoped = self.scope
            self.scope = {k: v for k, v in scoped.items() if k != name}
            try:
                return text_expr(
                    scoped[name],
                    lambda inner, _: self._body_placeholder(inner, False, params, args, where),
                )
            finally:
                self.scope = scoped
        if rest and (prefix in REFERENCE_PREFIXES or prefix in self.all_namespaces):
            name = rest
        else:
            secret = self.secret_expr("{{" + name + "}}", where)
            if secret is not None:
                return secret
        param = _find(params, name, lambda p: p.name)
        if param is None:
            param = UpstreamParam(
                name=name,
                location="template",
                arg=naming.unique(naming.snake(name), args),
                json_type="any" if whole else "string",
                required=False,
                description="",
            )
            params.append(param)
        return str(param.expr)

    def _path_expr(
        self,
        op: _ConsumedOp,
        params: list[UpstreamParam],
        args: set[str],
        path_key: tuple[str, str] | None = None,
    ) -> str:
        """``{x}`` and ``{{x}}`` both substitute (§7.3), matched case-insensitively when unique;
        an undeclared placeholder becomes a required string path parameter. ``path_key``: the
        placeholder an apikey with ``placement: path`` fills (key, value template)."""
        path = op.path if op.path.startswith("/") else f"/{op.path}"
        parts: list[str] = []
        position = 0
        for match in _PLACEHOLDER.finditer(path):
            name = match.group(1) or match.group(2)
            if path_key is not None and name == path_key[0]:
                key = self.secret_expr(path_key[1], (*op.where, "path"))
                if key is not None:
                    if match.start() > position:
                        parts.append(py(path[position : match.start()]))
                    parts.append(f"quote_segment({key})")
                    position = match.end()
                    continue
            prefix, _, rest = name.partition(".")
            if rest and (prefix in REFERENCE_PREFIXES or prefix in self.all_namespaces):
                name = rest  # '{{tools.x}}' in a consumed path is the input x
            elif match.group(1) and (
                secret := self.secret_expr(match.group(0), (*op.where, "path"))
            ):
                if match.start() > position:
                    parts.append(py(path[position : match.start()]))
                parts.append(f"quote_segment({secret})")
                position = match.end()
                continue
            param = _find(params, name, lambda p: p.name)
            if param is None and name in self.scope:
                # An adapter-level path value, or an environment value.
                scoped = self.secret_expr("{{" + name + "}}", (*op.where, "path"))
                if scoped is not None:
                    if match.start() > position:
                        parts.append(py(path[position : match.start()]))
                    parts.append(f"quote_segment({scoped})")
                    position = match.end()
                    continue
            if param is None:
                param = UpstreamParam(
                    name=name,
                    location="path",
                    arg=naming.unique(naming.snake(name), args),
                    json_type="string",
                    required=True,
                    description="",
                )
                params.append(param)
            elif param.location != "path":
                index = params.index(param)
                param = replace(param, location="path", required=param.value_expr is None)
                params[index] = param
            if match.start() > position:
                parts.append(py(path[position : match.start()]))
            parts.append(f"quote_segment({param.expr})")
            position = match.end()
        if position < len(path):
            parts.append(py(path[position:]))
        for j, param in enumerate(params):
            if param.location == "path" and f"quote_segment({param.expr})" not in parts:
                self.warning(
                    "unused-path-parameter",
                    f"path parameter {param.name!r} does not appear in path {op.path!r}; "
                    "it is sent as a query parameter",
                    (*op.where, "inputParameters"),
                )
                params[j] = replace(param, location="query")
        return " + ".join(parts) if parts else py("")

    def _upstream(self, ns: _Namespace, used: set[tuple[str, str]]) -> Upstream:
        operations = tuple(op for op in ns.built.values() if (ns.attr, op.name) in used)
        if ns.body_key is not None:
            self._body_key_in_query(ns, operations)
        return Upstream(
            namespace=ns.name,
            class_name=naming.unique(f"{naming.pascal(ns.name)}Client", self.client_classes),
            attr=ns.attr,
            env_prefix=naming.env_prefix(ns.name),
            base_uri=ns.base_uri,
            base_uri_variables=ns.base_uri_variables,
            headers=ns.headers,
            query=ns.query,
            cookies=tuple(ns.params.cookies),
            auth=ns.auth,
            operations=operations,
            description=ns.description,
            body_key=ns.body_key,
            base_uri_secrets=ns.base_uri_secrets,
        )

    def _body_key_in_query(self, ns: _Namespace, operations: tuple[UpstreamOperation, ...]) -> None:
        """apikey ``placement: body`` goes in the JSON object or form a request sends; a request
        with no such body carries it in the query string (the APIs that take the key in the
        body take it there too). Said once, naming those operations."""
        bodiless = [
            f"{op.name} ({op.http_method} {op.path_template})"
            for op in operations
            if op.body is None
            or (op.body.kind == "text" and op.body.content_type != FORM_CONTENT_TYPE)
        ]
        if not bodiless or ns.source is None:
            return
        with self._source(ns.source):
            self.warning(
                "apikey-body-in-query",
                f"apikey placement 'body' of namespace {ns.name!r}: "
                + ", ".join(bodiless)
                + (" sends" if len(bodiless) == 1 else " send")
                + " no JSON or form body, so the key goes in the query string",
                ns.placement_where,
            )

    # -- exposes -------------------------------------------------------------------------------

    def _exposes(
        self, capability: dict[str, Any]
    ) -> tuple[RestAdapter | None, McpAdapter | None, SkillAdapter | None]:
        rest: RestAdapter | None = None
        mcp: McpAdapter | None = None
        skill_entries: list[tuple[dict[str, Any], PathKey]] = []
        exposes = capability.get("exposes") or []
        if not isinstance(exposes, list):
            exposes = []
        for i, adapter in enumerate(exposes):
            where: PathKey = ("capability", "exposes", i)
            if not isinstance(adapter, dict) or where in self.broken_units:
                continue
            kind = adapter.get("type")
            if kind == "rest":
                if rest is not None:
                    self.warning(
                        "multiple-rest",
                        "only one REST adapter per capability is generated; this one is left out",
                        where,
                    )
                    continue
                rest = self._rest(adapter, where)
            elif kind == "mcp":
                if mcp is not None and self._stdio_twin(exposes, i):
                    twin = self._mcp(adapter, where)
                    if adapter.get("transport") == "stdio":
                        self._mcp_stdio_twin = twin
                    else:
                        self._mcp_stdio_twin, mcp = mcp, twin
                    continue
                if mcp is not None:
                    self.warning(
                        "multiple-mcp",
                        "only one MCP adapter per capability is generated; this one is left out",
                        where,
                    )
                    continue
                mcp = self._mcp(adapter, where)
            elif kind == "skill":
                if skill_entries:
                    self.error(
                        "multiple-skill",
                        "only one skill adapter per capability is supported; "
                        "put every skill in the first one",
                        where,
                    )
                    continue
                skill_entries.append((adapter, where))
            elif kind == "control":
                if self.control is not None:
                    self.warning(
                        "multiple-control",
                        "only one control adapter per capability is generated; this one is left "
                        "out",
                        where,
                    )
                    continue
                version = str(self.data.get("naftiko"))
                self.control = control.control_adapter(self, adapter, where, version)
            elif kind == "agent-skill":
                self.warning(
                    "unsupported-adapter",
                    "exposes type 'agent-skill' is not a Naftiko adapter and is left out; to serve "
                    "the skill, write it as 'type: skill' with 'skills: [{name, description, "
                    "location}]' (location: the folder holding the skill file)",
                    (*where, "type"),
                )
            else:
                self.warning(
                    "unsupported-adapter",
                    f"exposes type {kind!r} is not generated yet; it is left out",
                    (*where, "type"),
                )
        # Skills point at sibling adapters, so they are read once those are built.
        skill = self._skill(skill_entries, exposes, rest, mcp)
        return rest, mcp, skill

    def _stdio_twin(self, exposes: list[Any], index: int) -> bool:
        """The MCP adapter at ``index`` and the first one are an http + stdio pair (real specs
        publish the same server both ways): both are generated, ``serve`` the http one and
        ``mcp-stdio`` the stdio one. Any other second MCP adapter is left out."""
        adapters = [
            (j, a) for j, a in enumerate(exposes) if isinstance(a, dict) and a.get("type") == "mcp"
        ]
        if len(adapters) != 2 or adapters[1][0] != index:
            return False
        transports = {str(a.get("transport") or "http") == "stdio" for _, a in adapters}
        return transports == {True, False}

    def _skill(
        self,
        entries: list[tuple[dict[str, Any], PathKey]],
        exposes: list[Any],
        rest: RestAdapter | None,
        mcp: McpAdapter | None,
    ) -> SkillAdapter | None:
        """The ``type: skill`` adapter (see :mod:`naftiko_gen.skills`)."""
        if not entries:
            return None
        adapter, where = entries[0]
        return skills.skill_adapter(self, adapter, where, skills.siblings(exposes, rest, mcp))

    def _rest(self, adapter: dict[str, Any], where: PathKey) -> RestAdapter | None:
        namespace = str(adapter.get("namespace") or "rest")
        operations: list[RestOperation] = []
        handlers: set[str] = set(naming.RESERVED_REST_HANDLERS)
        op_ids: set[str] = set()
        routes: dict[tuple[str, str], PathKey] = {}
        forwards: list[Forward] = []
        forward_handlers: set[str] = set(naming.RESERVED_REST_HANDLERS)
        for r, resource in enumerate(adapter.get("resources") or []):
            rwhere = (*where, "resources", r)
            if not isinstance(resource, dict):
                continue
            raw_path = str(resource.get("path") or "")
            if resource.get("forward") is not None:
                with self._left_out(f"forward {raw_path}") as failed:
                    rule = forward.forward_rule(self, resource, rwhere, raw_path, forward_handlers)
                if rule is not None and not failed[0]:
                    forwards.append(rule)
            path, placeholders = _rest_path(raw_path)
            for o, op in enumerate(resource.get("operations") or []):
                owhere = (*rwhere, "operations", o)
                if not isinstance(op, dict) or owhere in self.broken_units:
                    continue
                method = str(op.get("method") or "GET").upper()
                with self._left_out(f"{method} {raw_path}") as failed:
                    built = self._rest_operation(
                        _with_resource_inputs(op, resource),
                        owhere,
                        method,
                        raw_path,
                        path,
                        placeholders,
                        namespace,
                        routes,
                    )
                if built is None or failed[0]:
                    continue
                name, summary, inputs, behaviour, description = built
                description = description or str(resource.get("description") or "")
                operations.append(
                    RestOperation(
                        handler=naming.unique(naming.snake(name), handlers),
                        http_method=method,
                        path=path,
                        operation_id=naming.unique(naming.snake(name), op_ids),
                        summary=summary,
                        description=description,
                        inputs=inputs,
                        behaviour=behaviour,
                    )
                )
        if not operations and not forwards:
            return None
        return RestAdapter(
            namespace=namespace,
            port=_port(adapter.get("port"), 8080),
            description=str(adapter.get("description") or ""),
            operations=tuple(operations),
            forwards=tuple(forwards),
            auth=inbound_auth(self, adapter, where),
        )

    def _rest_operation(
        self,
        op: dict[str, Any],
        owhere: PathKey,
        method: str,
        raw_path: str,
        path: str,
        placeholders: dict[str, str],
        namespace: str,
        routes: dict[tuple[str, str], PathKey],
    ) -> tuple[str, str, tuple[Input, ...], Behaviour, str] | None:
        if method not in HTTP_METHODS:
            self.error("bad-method", f"unknown HTTP method {method!r}", (*owhere, "method"))
            return None
        route = (method, re.sub(r"\{[^}]*\}", "{}", path))
        if route in routes:
            first = self.spec.location(routes[route])
            self.error(
                "duplicate-route",
                f"{method} {raw_path} is declared twice in REST adapter {namespace!r} "
                f"(first at line {first.line})",
                owhere,
            )
            return None
        routes[route] = owhere
        name = str(op.get("name") or f"{method.lower()}-{raw_path}")
        if "ref" in op:
            found = aggregates.exposed(self, op, owhere, namespace, placeholders)
            if found is None:
                return None
            op = found.merged
            name = str(op.get("name") or name)
            inputs, behaviour = found.inputs, found.behaviour
        else:
            built = orchestration.behaviour(self, op, owhere, namespace, placeholders, name)
            if built is None:
                return None
            inputs, behaviour, _ = built
        summary = str(op.get("label") or op.get("description") or name)
        return name, summary, inputs, behaviour, str(op.get("description") or "")

    def _mcp(self, adapter: dict[str, Any], where: PathKey) -> McpAdapter | None:
        namespace = str(adapter.get("namespace") or "mcp")
        tools: list[McpTool] = []
        names: dict[str, PathKey] = {}
        handlers: set[str] = set()
        for t, tool in enumerate(adapter.get("tools") or []):
            twhere = (*where, "tools", t)
            if not isinstance(tool, dict) or twhere in self.broken_units:
                continue
            label = str(tool.get("name") or f"tool #{t + 1}")
            with self._left_out(f"tool {label!r}") as failed:
                built = self._tool(tool, twhere, namespace, names)
            if built is None or failed[0]:
                continue
            name, inputs, behaviour, description, output_schema, hints = built
            title = tool.get("label") or tool.get("title")
            tools.append(
                McpTool(
                    name=name,
                    handler=naming.unique(f"call_{naming.snake(name)}", handlers),
                    title=str(title) if title else None,
                    description=description,
                    annotations=hints,
                    inputs=inputs,
                    behaviour=behaviour,
                    output_schema=output_schema,
                )
            )
        resources = mcp_extras.resources(self, adapter, where, namespace)
        prompts = mcp_extras.prompts(self, adapter, where)
        if not tools and not resources and not prompts:
            return None
        if len(tools) > MAX_TOOLS:
            self.warning(
                "too-many-tools",
                f"MCP adapter {namespace!r} has {len(tools)} tools; many MCP clients use at most "
                f"{MAX_TOOLS}",
                (*where, "tools"),
            )
        return McpAdapter(
            namespace=namespace,
            port=_port(adapter.get("port"), 9090),
            description=str(adapter.get("description") or ""),
            tools=tuple(tools),
            resources=resources,
            prompts=prompts,
            auth=inbound_auth(self, adapter, where),
        )

    def _tool(
        self, tool: dict[str, Any], twhere: PathKey, namespace: str, names: dict[str, PathKey]
    ) -> (
        tuple[str, tuple[Input, ...], Behaviour, str, dict[str, Any] | None, dict[str, bool]] | None
    ):
        raw_name = str(tool.get("name") or "")
        if not raw_name:
            self.error("unnamed-tool", "MCP tool has no 'name'", twhere)
            return None
        name = self._tool_name(raw_name, (*twhere, "name"))
        if name in names:
            first = self.spec.location(names[name])
            self.error(
                "duplicate-tool",
                f"MCP tool name {name!r} is used twice (first at line {first.line})",
                (*twhere, "name"),
            )
            return None
        names[name] = twhere
        if "ref" in tool:
            found = aggregates.exposed(self, tool, twhere, namespace, {})
            if found is None:
                return None
            description = str(found.merged.get("description") or name)
            hints = {**found.hints, **self._hints(tool.get("hints"), (*twhere, "hints"))}
            return name, found.inputs, found.behaviour, description, found.output_schema, hints
        built = orchestration.behaviour(self, tool, twhere, namespace, {}, name)
        if built is None:
            return None
        inputs, behaviour, output_schema = built
        consumed_description = ""
        if isinstance(behaviour, CallPlan):
            consumed_description = behaviour.call.operation.description
        description = str(tool.get("description") or consumed_description or name)
        hints = self._hints(tool.get("hints"), (*twhere, "hints"))
        return name, inputs, behaviour, description, output_schema, hints

    def _tool_name(self, raw: str, where: PathKey) -> str:
        """MCP tool names are ``[A-Za-z0-9_.-]{1,64}`` (clients refuse others): other characters
        become ``-``, and a longer name keeps its start plus a hash of the whole, so it stays
        unique and the same on every build."""
        name = re.sub(r"[^A-Za-z0-9_.\-]", "-", raw)
        if name != raw:
            self.warning(
                "tool-name-sanitised",
                f"MCP tool name {raw!r} is published as {name!r}",
                where,
                "use only letters, digits, '_', '-' and '.' in tool names",
            )
        if len(name) > MAX_TOOL_NAME:
            digest = hashlib.sha256(raw.encode()).hexdigest()[:8]
            short = f"{name[: MAX_TOOL_NAME - 9]}-{digest}"
            self.warning(
                "tool-name-too-long",
                f"MCP tool name {raw!r} has {len(raw)} characters; it is published as {short!r}",
                where,
            )
            name = short
        return name

    def _hints(self, hints: Any, where: PathKey) -> dict[str, bool]:
        annotations: dict[str, bool] = {}
        if not isinstance(hints, dict):
            return annotations
        for key, value in hints.items():
            wire = HINTS.get(key, key if key in HINTS.values() else None)
            if wire is None:
                self.warning("unknown-hint", f"unknown MCP hint {key!r} is ignored", (*where, key))
                continue
            if isinstance(value, bool):
                annotations[wire] = value
        return annotations

    def _declared_inputs(
        self, params: Any, where: PathKey, placeholders: dict[str, str]
    ) -> dict[str, Input]:
        declared: dict[str, Input] = {}
        for j, raw in enumerate(params if isinstance(params, list) else []):
            if not isinstance(raw, dict) or not raw.get("name"):
                continue
            name = str(raw["name"])
            location = str(raw.get("in") or "query")
            key = _match_placeholder(placeholders, name)
            source: RestSource = "path" if key else ("body" if name == "body" else "query")
            if source == "query" and location == "body":
                source = "field"  # one member of the JSON body, not the whole body (§3.3)
            declared[name] = Input(
                name=name,
                json_type=_json_type(raw.get("type"), "string"),
                required=bool(raw.get("required", True)) or source == "path",
                description=str(raw.get("description") or ""),
                rest_source=source,
                rest_key=key or name,
                pattern=self._input_pattern(raw.get("pattern"), (*where, "inputParameters", j)),
            )
            if location == "path" and not key and placeholders:
                self.warning(
                    "unknown-path-parameter",
                    f"input {name!r} is declared 'in: path' but the path has no {{{name}}}",
                    (*where, "inputParameters", j),
                )
        return declared

    def _input_pattern(self, pattern: Any, where: PathKey) -> str | None:
        """An input's ``pattern``, validated by the generated JSON Schema validator; one that
        does not compile is dropped with a warning rather than failing every call."""
        if pattern is None:
            return None
        try:
            re.compile(str(pattern))
        except re.error as exc:
            self.warning(
                "bad-pattern",
                f"pattern {str(pattern)!r} is not a regular expression ({exc}); it is not checked",
                (*where, "pattern"),
            )
            return None
        return str(pattern)

    def _bindings(
        self,
        resolved: tuple[_Namespace, _ConsumedOp],
        operation: UpstreamOperation,
        with_map: Any,
        declared: dict[str, Input],
        where: PathKey,
        adapter_ns: str,
        placeholders: dict[str, str],
    ) -> tuple[tuple[Input, ...], tuple[Binding, ...]]:
        """Fill every consumed parameter from ``with``, a fixed value, or a same-named input."""
        ns, consumed = resolved
        with_items = with_map if isinstance(with_map, dict) else {}
        inputs: dict[str, Input] = {}
        bindings: list[Binding] = []
        used_keys: set[str] = set()
        raw_by_name = {str(p.get("name")): p for p in consumed.params}
        for raw, _ in ns.params.per_operation:
            raw_by_name.setdefault(str(raw.get("name")), raw)
        for param in operation.params:
            if param.value_expr is not None:
                continue  # computed by the client method from its value
            key = _find(list(with_items), param.name, lambda k: str(k))
            raw = raw_by_name.get(param.name, {})
            if key is not None:
                used_keys.add(key)
                value = with_items[key]
                reference = _reference(value, adapter_ns, self.all_namespaces)
                whole = None
                templated = isinstance(value, str) and ("{{" in value or "${" in value)
                if reference is None and templated:
                    self.secret_root = "upstreams.settings"
                    try:
                        expr = self.secret_expr(value, (*where, key))
                    finally:
                        self.secret_root = "settings"
                    whole = _input_placeholder(value, adapter_ns, self.all_namespaces)
                    if expr is None and whole is None:
                        # '{{imo}} x', '{{get-ship.imo}}': rendered from the inputs (and step
                        # outputs) at run time.
                        expr = shaping.template_expr(self, value, (*where, key), adapter_ns)
                        if expr is None:
                            continue
                    if expr is not None:
                        bindings.append(Binding(param.arg, None, expr, True))
                        continue
                if whole is not None:
                    input_name = whole
                elif reference is None:
                    if isinstance(value, dict | list) or value is None:
                        self.error(
                            "bad-with-value",
                            f"with value for {key!r} must be a reference or a scalar",
                            (*where, key),
                        )
                        continue
                    if param.location == "header" and (
                        problem := _header_problem(param.name, value)
                    ):
                        self.error("bad-header", problem, (*where, key))
                        continue
                    bindings.append(Binding(param.arg, None, py(value), True))
                    continue
                else:
                    prefix, input_name = reference
                    if prefix not in (*REFERENCE_PREFIXES, adapter_ns):
                        # Another declared namespace: something this adapter cannot see.
                        self.error(
                            "unknown-with-source",
                            f"with value {value!r}: {prefix!r} is not this adapter's namespace "
                            f"({adapter_ns!r}) nor one of rest, tools, mcp",
                            (*where, key),
                        )
                        continue
            elif consumed_params.value_of(raw) is not None:
                # value: '{{userId}}' is the caller's input userId (the engine's parameter map);
                # any other value is computed by the client method.
                fixed = consumed_params.value_of(raw)
                whole = _input_placeholder(fixed, adapter_ns, self.all_namespaces)
                if whole is None:
                    self.error(
                        "unsupported-template",
                        f"parameter {param.name!r} value {fixed!r} is a template naftiko-gen "
                        "cannot resolve yet",
                        where,
                    )
                    continue
                input_name = whole
            elif declared and param.name not in declared and param.location != "template":
                if param.required:
                    self.warning(
                        "unbound-parameter",
                        f"required parameter {param.name!r} of {ns.name}.{consumed.name} is not "
                        "bound by 'with' or an input; it is never sent",
                        where,
                    )
                continue
            else:
                input_name = param.name
            existing = declared.get(input_name) or inputs.get(input_name)
            if existing is None:
                pkey = _match_placeholder(placeholders, input_name)
                source: RestSource = (
                    "path" if pkey else ("body" if input_name == "body" else "query")
                )
                existing = Input(
                    name=input_name,
                    json_type=param.json_type,
                    required=param.required or source == "path",
                    description=param.description,
                    rest_source=source,
                    rest_key=pkey or input_name,
                )
            inputs[input_name] = existing
            bindings.append(Binding(param.arg, input_name, None, existing.required))
        for key in with_items:
            if key not in used_keys:
                self.warning(
                    "unused-with",
                    f"with key {key!r} matches no parameter of {ns.name}.{consumed.name}; ignored",
                    (*where, key),
                )
        for name, declared_input in declared.items():
            inputs.setdefault(name, declared_input)
        return tuple(inputs.values()), tuple(bindings)


def _apikey_path_key(auth: Any) -> str | None:
    """The key of an apikey with ``placement: path`` (its ``{key}`` is no baseUri setting)."""
    if not isinstance(auth, dict):
        return None
    key, placement = apikey_spelling(auth)
    kind = str(auth.get("type") or "").lower().replace("_", "-")
    return str(key) if kind in ("apikey", "api-key") and key and placement == "path" else None


def _placement_where(auth: Any, where: PathKey) -> PathKey:
    if isinstance(auth, dict):
        for key in ("placement", "in"):
            if key in auth:
                return (*where, key)
    return where


def _matching_operations(ns: _Namespace, op_name: str) -> list[str]:
    """The operations of ``ns`` a call to ``op_name`` may mean: that name, else every name equal
    to it ignoring case; a name declared twice is listed twice (so it is never guessed)."""
    names = set(ns.ops) | ns.failed
    if op_name in names:
        return [op_name] * (2 if op_name in ns.duplicates else 1)
    same = sorted(name for name in names if name.lower() == op_name.lower())
    return [*same, *(name for name in same if name in ns.duplicates)]


def _close_namespace(written: str, declared: str) -> str:
    """Why ``written`` may stand for the consumes namespace ``declared`` ('' when it may not):
    one is a prefix of the other at a ``-``/``_``/``.`` boundary, they are equal ignoring
    ``-``, ``_`` and case, or they are similar (difflib ratio at least 0.8)."""
    a, b = written.lower(), declared.lower()
    if a == b:
        return f"it differs from {declared!r} only in case"
    shorter, longer = sorted((a, b), key=len)
    if shorter and longer.startswith(shorter) and longer[len(shorter)] in "-_.":
        which = "a prefix of" if len(a) < len(b) else "an extension of"
        return f"it is {which} {declared!r}"
    if re.sub(r"[-_]", "", a) == re.sub(r"[-_]", "", b):
        return f"it is {declared!r} spelt with other separators"
    ratio = difflib.SequenceMatcher(None, a, b).ratio()
    if ratio >= CLOSE_NAMESPACE_RATIO:
        return f"it is close to {declared!r} (similarity {ratio:.2f})"
    return ""


def _consumes_places(spec: LoadedSpec) -> list[tuple[PathKey, Any]]:
    """An imported file's consumes live at the root (shared files) or under ``capability``."""
    data = spec.data if isinstance(spec.data, dict) else {}
    places: list[tuple[PathKey, Any]] = [(("consumes",), data.get("consumes"))]
    capability = data.get("capability")
    if isinstance(capability, dict):
        places.append((("capability", "consumes"), capability.get("consumes")))
    return places


def _with_resource_inputs(op: dict[str, Any], resource: dict[str, Any]) -> dict[str, Any]:
    """Resource-level ``inputParameters`` belong to every operation of the resource; an
    operation's own parameter of the same name wins."""
    shared = [p for p in _as_list(resource.get("inputParameters")) if isinstance(p, dict)]
    if not shared:
        return op
    own = _as_list(op.get("inputParameters"))
    names = {p.get("name") for p in own if isinstance(p, dict)}
    return {**op, "inputParameters": [*own, *(p for p in shared if p.get("name") not in names)]}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _import_path(location: str, spec_dir: Path) -> Path:
    """Relative paths (and ``file://./x``, ``file:///./x``) are relative to the importing spec;
    ``file:///abs`` is absolute (§7.18: the engine understood only plain paths)."""
    text = location
    if text.startswith("file://"):
        text = text[len("file://") :]
        if text.startswith(("/./", "/../")):
            text = text[1:]
    path = Path(text)
    return path if path.is_absolute() else spec_dir / path


def _declared_namespaces(capability: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for group in ("consumes", "exposes"):
        entries = capability.get(group)
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and entry.get("namespace"):
                names.add(str(entry["namespace"]))
    return names


def _with_openapi(model: Capability) -> Capability:
    from dataclasses import replace

    return replace(model, openapi=openapi_document(model) if model.rest else {})


def _json_type(value: Any, default: JsonType) -> JsonType:
    text: str = str(value).lower() if value is not None else default
    aliases = {"int": "integer", "float": "number", "double": "number", "bool": "boolean"}
    text = aliases.get(text, text)
    return next((t for t in JSON_TYPES if t == text), default)


def _port(value: Any, default: int) -> int:
    return (
        value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else default
    )


def _reference(value: Any, adapter_ns: str, namespaces: set[str]) -> tuple[str, str] | None:
    """``rest.X``/``tools.X``/``mcp.X``/``<ns>.X`` → (prefix, X). A dotted value whose prefix is no
    namespace at all (``"2.0"``, ``"example.com"``) is a literal, as in the engine."""
    if not isinstance(value, str):
        return None
    match = re.fullmatch(r"\s*([A-Za-z0-9_-]+)\.([A-Za-z0-9_.\-]+)\s*", value)
    if not match:
        return None
    prefix, name = match.group(1), match.group(2)
    if prefix in (*REFERENCE_PREFIXES, adapter_ns) or prefix in namespaces:
        return prefix, name
    return None


def _input_placeholder(value: Any, adapter_ns: str, namespaces: set[str]) -> str | None:
    """``'{{x}}'``, ``'{{tools.x}}'``, ``'{{<ns>.x}}'`` as a whole value → the input name ``x``."""
    if not isinstance(value, str):
        return None
    match = re.fullmatch(r"\s*\{\{\s*(?:([A-Za-z0-9_-]+)\.)?([A-Za-z_][\w-]*)\s*\}\}\s*", value)
    if match is None:
        return None
    prefix = match.group(1)
    if prefix and prefix not in (*REFERENCE_PREFIXES, adapter_ns) and prefix not in namespaces:
        return None
    return match.group(2)


def _find(items: list[Any], name: str, key: Any) -> Any:
    """Exact match first; otherwise a case-insensitive match when exactly one candidate exists."""
    for item in items:
        if key(item) == name:
            return item
    candidates = [item for item in items if key(item).lower() == name.lower()]
    return candidates[0] if len(candidates) == 1 else None


def _rest_path(raw: str) -> tuple[str, dict[str, str]]:
    """Starlette route for a REST path with ``{x}`` or ``{{x}}`` placeholders (→ identifiers)."""
    path = raw if raw.startswith("/") else f"/{raw}"
    placeholders: dict[str, str] = {}
    taken: set[str] = set()

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        ident = name if _IDENTIFIER.match(name) else naming.snake(name)
        # A repeated placeholder ('/a/{id}/b/{id}') gets its own route parameter (Starlette
        # refuses duplicates); the input reads the first occurrence.
        ident = naming.unique(ident, taken)
        placeholders.setdefault(name, ident)
        return "{" + ident + "}"

    return _PLACEHOLDER.sub(replace, path), placeholders


def _match_placeholder(placeholders: dict[str, str], name: str) -> str | None:
    found = _find(list(placeholders), name, lambda k: str(k))
    return placeholders[found] if found is not None else None


def normalise(
    spec: LoadedSpec,
    spec_file: str,
    dist: str,
    broken_units: frozenset[PathKey] | set[PathKey] = frozenset(),
) -> tuple[Capability, list[Diagnostic]]:
    """Build the model; raise :class:`SpecError` when an error makes generation impossible."""
    normaliser = Normaliser(spec, spec_file, dist, broken_units)
    model = normaliser.run()
    return model, normaliser.diagnostics
