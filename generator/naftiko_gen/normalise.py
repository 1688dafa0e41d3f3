"""Spec data → :class:`~naftiko_gen.model.Capability`, resolving the real dialect in one place.

This is also where the semantic checks live (every ``call`` resolves, every ``with`` source exists,
names are unique): resolving a reference and checking it are the same work, so each problem is
reported once, located, while the model is built. Policy follows ``naftiko-semantics.md`` §7.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from naftiko_gen import __version__, naming
from naftiko_gen import auth as auth_types
from naftiko_gen.diagnostics import Diagnostic, Level, SpecError
from naftiko_gen.loader import LoadedSpec, PathKey, load_spec
from naftiko_gen.model import (
    Binding,
    Call,
    Capability,
    Input,
    JsonType,
    McpAdapter,
    McpTool,
    RestAdapter,
    RestOperation,
    RestSource,
    Secret,
    Upstream,
    UpstreamAuth,
    UpstreamLocation,
    UpstreamOperation,
    UpstreamParam,
)
from naftiko_gen.openapi import openapi_document
from naftiko_gen.pyliteral import py

SUPPORTED_VERSIONS = ("1.0.0-alpha1", "1.0.0-alpha2", "1.0.0-alpha3")
PACKAGE_VERSION = "0.1.0"
JSON_TYPES: tuple[JsonType, ...] = ("string", "integer", "number", "boolean", "object", "array")
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
REFERENCE_PREFIXES = ("rest", "tools", "mcp")
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
    method_names: set[str] = field(default_factory=set)
    auth: UpstreamAuth | None = None


class Normaliser:
    def __init__(self, spec: LoadedSpec, spec_file: str, dist: str) -> None:
        self.spec = spec
        self.data: dict[str, Any] = spec.data if isinstance(spec.data, dict) else {}
        self.spec_file = spec_file
        self.dist = dist
        self.diagnostics: list[Diagnostic] = []
        self.secrets: dict[str, Secret] = {}
        self.secret_fields: set[str] = set()
        self.namespaces: dict[str, _Namespace] = {}
        self.all_namespaces: set[str] = set()
        # Namespaces whose consumes entry was refused: calls to them are not reported again.
        self.refused_namespaces: set[str] = set()
        # Signing / client-certificate auth by (spec file, path of the authentication mapping).
        self.upstream_auth: dict[tuple[str, PathKey], UpstreamAuth] = {}

    # -- reporting ---------------------------------------------------------------------------

    def error(self, code: str, message: str, path: PathKey) -> None:
        self.diagnostics.append(self.spec.diagnostic(Level.ERROR, code, message, path))

    def warning(self, code: str, message: str, path: PathKey) -> None:
        self.diagnostics.append(self.spec.diagnostic(Level.WARNING, code, message, path))

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
        self.all_namespaces = _declared_namespaces(capability)
        self._binds(self.data)
        self._consumes(capability)
        rest, mcp = self._exposes(capability)
        if not self.failed and rest is None and mcp is None:
            self.error(
                "nothing-to-expose",
                "the capability exposes no REST operation and no MCP tool",
                ("capability", "exposes"),
            )
        if self.failed:
            raise SpecError(self.diagnostics)
        package = naming.package_name(self.dist)
        upstreams = tuple(self._upstream(ns) for ns in self.namespaces.values() if ns.built)
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
                if not isinstance(bind, dict):
                    continue
                if bind.get("location"):
                    self.error(
                        "unsupported-bind-location",
                        "binds read from a 'location' file are not supported yet; "
                        "use environment variables (remove 'location')",
                        (*where, "location"),
                    )
                    continue
                namespace = str(bind.get("namespace") or "env")
                keys = bind.get("keys") or {}
                if not isinstance(keys, dict):
                    continue
                for variable, provider in keys.items():
                    env_var = str(provider) if provider else str(variable)
                    self._add_secret(str(variable), env_var, namespace)

    def _add_secret(self, variable: str, env_var: str, namespace: str) -> Secret:
        existing = self.secrets.get(variable)
        if existing is not None and existing.env_var == env_var:
            return existing
        field_name = (
            existing.field
            if existing
            else naming.unique(naming.snake(variable), self.secret_fields)
        )
        secret = Secret(variable, env_var, field_name, namespace)
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
            secret = self._resolve_secret(name, where)
            if secret is None:
                return None
            parts.append(f"settings.{secret.field}")
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

    @contextmanager
    def _source(self, spec: LoadedSpec) -> Iterator[None]:
        """Report problems against ``spec`` (an imported file) while the block runs."""
        previous, self.spec = self.spec, spec
        try:
            yield
        finally:
            self.spec = previous

    def _import(
        self, entry: dict[str, Any], where: PathKey
    ) -> tuple[LoadedSpec, dict[str, Any], PathKey] | None:
        """``{import: ns, location: file, as?: alias}``: a copy of the ``type: http`` entry named
        ``ns`` in that file's root ``consumes`` (or its ``capability.consumes``), with its binds."""
        name = str(entry.get("import") or "")
        location = str(entry.get("location") or "")
        if not name or not location:
            self.error(
                "bad-import",
                "an imported consumes entry needs 'import' (the namespace) and 'location' (a file)",
                where,
            )
            return None
        path = _import_path(location, Path(self.spec.file).parent)
        try:
            target = load_spec(path, display_name=str(path))
        except SpecError as exc:
            self.error(
                "import-unreadable",
                f"cannot import {name!r} from {location!r}: {exc.diagnostics[0].format()}",
                (*where, "location"),
            )
            return None
        data = target.data if isinstance(target.data, dict) else {}
        capability = data.get("capability")
        places: list[tuple[PathKey, Any]] = [(("consumes",), data.get("consumes"))]
        if isinstance(capability, dict):
            places.append((("capability", "consumes"), capability.get("consumes")))
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
        self.error(
            "import-not-found",
            f"{location!r} declares no consumes namespace {name!r}",
            (*where, "import"),
        )
        return None

    def _http_entry(self, entry: dict[str, Any], where: PathKey) -> None:
        """One ``type: http`` consumes entry (inline, or copied from an imported file)."""
        name = str(entry.get("namespace") or "")
        if not name:
            self.error("missing-namespace", "consumes entry has no 'namespace'", where)
            return
        if name in self.namespaces:
            self.error(
                "duplicate-namespace",
                f"consumes namespace {name!r} is declared twice",
                (*where, "namespace"),
            )
            return
        base_uri = str(entry.get("baseUri") or "").rstrip("/")
        variables = self._base_uri_variables(name, base_uri, (*where, "baseUri"))
        if variables is None:
            self.refused_namespaces.add(name)
            return
        literal = base_uri
        for token, _ in variables:
            literal = literal.replace(token, "x")
        if not re.match(r"^(https?://[^/\s]+|x)", literal):
            self.error(
                "bad-base-uri",
                f"baseUri {base_uri!r} must be an absolute http(s) URL",
                (*where, "baseUri"),
            )
            self.refused_namespaces.add(name)
            return
        headers, query = self._auth(entry.get("authentication"), (*where, "authentication"))
        static_headers = self._adapter_params(entry.get("inputParameters"), where)
        ops = self._consumed_ops(name, entry.get("resources"), where)
        self.namespaces[name] = _Namespace(
            name=name,
            base_uri=base_uri,
            base_uri_variables=variables,
            description=str(entry.get("description") or ""),
            headers=headers + static_headers,
            query=query,
            ops=ops,
            where=where,
            attr=naming.unique(naming.snake(name), self.secret_fields),
            auth=self.upstream_auth.get((self.spec.file, (*where, "authentication"))),
        )

    def _base_uri_variables(
        self, namespace: str, base_uri: str, where: PathKey
    ) -> tuple[tuple[str, str], ...] | None:
        """Placeholders in a baseUri become run-time configuration: ``{{VAR}}``/``${VAR}`` read a
        bind (or the variable ``VAR``), ``{x}`` reads ``<NS>_X``. ``None`` after an error."""
        variables: list[tuple[str, str]] = []
        pattern = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}|\$\{(\w+)\}|\{([^{}/\s]+)\}")
        for match in pattern.finditer(base_uri):
            mustache, dollar, single = match.groups()
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

    def _adapter_params(self, params: Any, where: PathKey) -> tuple[tuple[str, str], ...]:
        """Adapter-level header parameters with a value are sent on every request (§7.9)."""
        headers: list[tuple[str, str]] = []
        for j, param in enumerate(params if isinstance(params, list) else []):
            path = (*where, "inputParameters", j)
            if not isinstance(param, dict):
                continue
            value = param.get("value", param.get("template"))
            if param.get("in") == "header" and value is not None:
                expr = self.secret_expr(str(value), (*path, "value"))
                if expr is None:
                    self.error(
                        "unsupported-template",
                        f"header value {value!r} uses a template naftiko-gen cannot resolve yet",
                        (*path, "value"),
                    )
                    continue
                headers.append((py(str(param.get("name"))), expr))
            else:
                self.warning(
                    "ignored-adapter-parameter",
                    "adapter-level parameter is not a header with a value; it is ignored",
                    path,
                )
        return tuple(headers)

    def _auth(
        self, auth: Any, where: PathKey
    ) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
        if auth is None:
            return (), ()
        if not isinstance(auth, dict):
            return (), ()
        kind = auth.get("type")
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
        if kind == "apikey":
            key = auth.get("key") or auth.get("name")
            placement = auth.get("placement") or auth.get("in") or "header"
            if not key:
                self.error("apikey-key", "apikey authentication needs 'key' (or 'name')", where)
                return (), ()
            pair = ((py(str(key)), secret("value")),)
            if placement == "query":
                return (), pair
            return pair, ()
        self.error(
            "unsupported-auth",
            f"authentication type {kind!r} is not supported yet (supported: bearer, basic, "
            "apikey, oauth1, aws-sig-v4, certificate)",
            (*where, "type"),
        )
        return (), ()

    def _consumed_ops(
        self, namespace: str, resources: Any, where: PathKey
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
                name = str(op.get("name") or "")
                if not name:
                    self.warning("unnamed-operation", "consumed operation has no 'name'", opwhere)
                    continue
                if name in ops:
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
                    rpath,
                    params,
                    str(op.get("description") or ""),
                    opwhere,
                    self.spec,
                )
        return ops

    def _resolve_call(self, call: Any, where: PathKey) -> tuple[_Namespace, _ConsumedOp] | None:
        if not isinstance(call, str) or "." not in call:
            self.error("bad-call", f"call {call!r} must be written 'namespace.operation'", where)
            return None
        namespace, op_name = call.split(".", 1)
        ns = self.namespaces.get(namespace)
        if ns is None and namespace in self.refused_namespaces:
            return None
        if ns is None:
            known = ", ".join(sorted(self.namespaces)) or "none"
            self.error(
                "unknown-namespace",
                f"call {call!r}: no consumes namespace {namespace!r} (declared: {known})",
                where,
            )
            return None
        op = ns.ops.get(op_name)
        if op is None:
            self.error(
                "unknown-operation",
                f"call {call!r}: namespace {namespace!r} has no operation {op_name!r}",
                where,
            )
            return None
        return ns, op

    def _build_operation(self, ns: _Namespace, op: _ConsumedOp) -> UpstreamOperation:
        """Build (once) the client method for a consumed operation that something calls."""
        if op.name in ns.built:
            return ns.built[op.name]
        with self._source(op.source):
            return self._build_new_operation(ns, op)

    def _build_new_operation(self, ns: _Namespace, op: _ConsumedOp) -> UpstreamOperation:
        args: set[str] = {"self"}
        params: list[UpstreamParam] = []
        for j, raw in enumerate(op.params):
            pwhere = (*op.where, "inputParameters", j)
            name = str(raw.get("name") or "")
            location = str(raw.get("in") or "query")
            if not name:
                self.error("unnamed-parameter", "parameter has no 'name'", pwhere)
                continue
            if location not in ("path", "query", "header", "body"):
                self.error(
                    "unsupported-parameter-location",
                    f"parameter {name!r}: 'in: {location}' is not supported yet "
                    "(supported: path, query, header, body)",
                    (*pwhere, "in"),
                )
                continue
            if raw.get("value") is not None or raw.get("template") is not None:
                # Fixed-value parameters become constants at the call site (see _bindings).
                pass
            json_type = _json_type(raw.get("type"), "object" if location == "body" else "string")
            if location == "body" and any(p.location == "body" for p in params):
                self.error(
                    "unsupported-body-fields",
                    "several 'in: body' parameters are not supported yet; declare one named 'body'",
                    pwhere,
                )
                continue
            params.append(
                UpstreamParam(
                    name=name,
                    location=cast(UpstreamLocation, location),
                    arg=naming.unique(naming.snake(name), args),
                    json_type=json_type,
                    required=bool(raw.get("required", location == "path")),
                    description=str(raw.get("description") or ""),
                )
            )
        path_expr = self._path_expr(op, params, args)
        operation = UpstreamOperation(
            name=op.name,
            method_name=naming.unique(naming.snake(op.name), ns.method_names),
            http_method=op.method,
            path_template=op.path,
            path_expr=path_expr,
            params=tuple(params),
            description=op.description,
        )
        ns.built[op.name] = operation
        return operation

    def _path_expr(self, op: _ConsumedOp, params: list[UpstreamParam], args: set[str]) -> str:
        """``{x}`` and ``{{x}}`` both substitute (§7.3), matched case-insensitively when unique;
        an undeclared placeholder becomes a required string path parameter."""
        path = op.path if op.path.startswith("/") else f"/{op.path}"
        parts: list[str] = []
        position = 0
        for match in _PLACEHOLDER.finditer(path):
            name = match.group(1) or match.group(2)
            param = _find(params, name, lambda p: p.name)
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
                param = UpstreamParam(
                    param.name, "path", param.arg, param.json_type, True, param.description
                )
                params[index] = param
            if match.start() > position:
                parts.append(py(path[position : match.start()]))
            parts.append(f"quote_segment({param.arg})")
            position = match.end()
        if position < len(path):
            parts.append(py(path[position:]))
        for j, param in enumerate(params):
            if param.location == "path" and f"quote_segment({param.arg})" not in parts:
                self.warning(
                    "unused-path-parameter",
                    f"path parameter {param.name!r} does not appear in path {op.path!r}; "
                    "it is sent as a query parameter",
                    (*op.where, "inputParameters"),
                )
                params[j] = UpstreamParam(
                    param.name,
                    "query",
                    param.arg,
                    param.json_type,
                    param.required,
                    param.description,
                )
        return " + ".join(parts) if parts else py("")

    def _upstream(self, ns: _Namespace) -> Upstream:
        return Upstream(
            namespace=ns.name,
            class_name=f"{naming.pascal(ns.name)}Client",
            attr=ns.attr,
            env_prefix=naming.env_prefix(ns.name),
            base_uri=ns.base_uri,
            base_uri_variables=ns.base_uri_variables,
            headers=ns.headers,
            query=ns.query,
            auth=ns.auth,
            operations=tuple(ns.built.values()),
            description=ns.description,
        )

    # -- exposes -------------------------------------------------------------------------------

    def _exposes(self, capability: dict[str, Any]) -> tuple[RestAdapter | None, McpAdapter | None]:
        rest: RestAdapter | None = None
        mcp: McpAdapter | None = None
        exposes = capability.get("exposes") or []
        for i, adapter in enumerate(exposes if isinstance(exposes, list) else []):
            where: PathKey = ("capability", "exposes", i)
            if not isinstance(adapter, dict):
                continue
            kind = adapter.get("type")
            if kind == "rest":
                if rest is not None:
                    self.error(
                        "multiple-rest", "only one REST adapter per capability is supported", where
                    )
                    continue
                rest = self._rest(adapter, where)
            elif kind == "mcp":
                if mcp is not None:
                    self.error(
                        "multiple-mcp", "only one MCP adapter per capability is supported", where
                    )
                    continue
                mcp = self._mcp(adapter, where)
            else:
                self.warning(
                    "unsupported-adapter",
                    f"exposes type {kind!r} is not generated yet; it is left out",
                    (*where, "type"),
                )
        return rest, mcp

    def _rest(self, adapter: dict[str, Any], where: PathKey) -> RestAdapter | None:
        namespace = str(adapter.get("namespace") or "rest")
        operations: list[RestOperation] = []
        handlers: set[str] = set()
        op_ids: set[str] = set()
        routes: dict[tuple[str, str], PathKey] = {}
        for r, resource in enumerate(adapter.get("resources") or []):
            rwhere = (*where, "resources", r)
            if not isinstance(resource, dict):
                continue
            raw_path = str(resource.get("path") or "")
            path, placeholders = _rest_path(raw_path)
            for o, op in enumerate(resource.get("operations") or []):
                owhere = (*rwhere, "operations", o)
                if not isinstance(op, dict):
                    continue
                method = str(op.get("method") or "GET").upper()
                if method not in HTTP_METHODS:
                    self.error("bad-method", f"unknown HTTP method {method!r}", (*owhere, "method"))
                    continue
                route = (method, re.sub(r"\{[^}]*\}", "{}", path))
                if route in routes:
                    self.error(
                        "duplicate-route",
                        f"{method} {raw_path} is declared twice in REST adapter {namespace!r}",
                        owhere,
                    )
                    continue
                routes[route] = owhere
                if "call" not in op:
                    self.error(
                        "unsupported-operation",
                        "REST operations without 'call' (steps, mocks, ref) are not supported yet",
                        owhere,
                    )
                    continue
                resolved = self._resolve_call(op.get("call"), (*owhere, "call"))
                if resolved is None:
                    continue
                self._check_output(op, owhere)
                declared = self._declared_inputs(op.get("inputParameters"), owhere, placeholders)
                inputs, bindings = self._bindings(
                    resolved, op.get("with"), declared, (*owhere, "with"), namespace, placeholders
                )
                name = str(op.get("name") or f"{method.lower()}-{raw_path}")
                ns, consumed = resolved
                operations.append(
                    RestOperation(
                        handler=naming.unique(naming.snake(name), handlers),
                        http_method=method,
                        path=path,
                        operation_id=naming.unique(naming.snake(name), op_ids),
                        summary=str(op.get("label") or op.get("description") or name),
                        description=str(op.get("description") or ""),
                        inputs=inputs,
                        call=Call(ns.attr, self._build_operation(ns, consumed), bindings),
                    )
                )
        if not operations:
            return None
        return RestAdapter(
            namespace=namespace,
            port=_port(adapter.get("port"), 8080),
            description=str(adapter.get("description") or ""),
            operations=tuple(operations),
        )

    def _mcp(self, adapter: dict[str, Any], where: PathKey) -> McpAdapter | None:
        namespace = str(adapter.get("namespace") or "mcp")
        if adapter.get("resources") or adapter.get("prompts"):
            self.warning(
                "unsupported-mcp-feature",
                "MCP resources and prompts are not generated yet; they are left out",
                where,
            )
        tools: list[McpTool] = []
        names: dict[str, PathKey] = {}
        handlers: set[str] = set()
        for t, tool in enumerate(adapter.get("tools") or []):
            twhere = (*where, "tools", t)
            if not isinstance(tool, dict):
                continue
            name = str(tool.get("name") or "")
            if not name:
                self.error("unnamed-tool", "MCP tool has no 'name'", twhere)
                continue
            if name in names:
                self.error(
                    "duplicate-tool", f"MCP tool {name!r} is declared twice", (*twhere, "name")
                )
                continue
            names[name] = twhere
            if "call" not in tool:
                self.error(
                    "unsupported-tool",
                    "MCP tools without 'call' (steps, mocks, ref) are not supported yet",
                    twhere,
                )
                continue
            resolved = self._resolve_call(tool.get("call"), (*twhere, "call"))
            if resolved is None:
                continue
            self._check_output(tool, twhere)
            declared = self._declared_inputs(tool.get("inputParameters"), twhere, {})
            inputs, bindings = self._bindings(
                resolved, tool.get("with"), declared, (*twhere, "with"), namespace, {}
            )
            ns, consumed = resolved
            label = tool.get("label") or tool.get("title")
            tools.append(
                McpTool(
                    name=name,
                    handler=naming.unique(f"call_{naming.snake(name)}", handlers),
                    title=str(label) if label else None,
                    description=str(tool.get("description") or consumed.description or name),
                    annotations=self._hints(tool.get("hints"), (*twhere, "hints")),
                    inputs=inputs,
                    call=Call(ns.attr, self._build_operation(ns, consumed), bindings),
                )
            )
        if not tools:
            return None
        return McpAdapter(
            namespace=namespace,
            port=_port(adapter.get("port"), 9090),
            description=str(adapter.get("description") or ""),
            tools=tuple(tools),
        )

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

    def _check_output(self, op: dict[str, Any], where: PathKey) -> None:
        """Only pass-through outputs are generated so far (§7.6: ``mapping: $.`` is the body)."""
        outputs = op.get("outputParameters")
        if not outputs:
            return
        for k, output in enumerate(outputs if isinstance(outputs, list) else []):
            if not isinstance(output, dict):
                continue
            mapping = output.get("mapping", output.get("value"))
            if (
                str(mapping).strip() in ("$", "$.")
                and not output.get("properties")
                and not output.get("items")
            ):
                continue
            self.error(
                "unsupported-output",
                "only pass-through outputs ('mapping: $.') are supported yet; "
                "remove the output shaping to return the upstream body unchanged",
                (*where, "outputParameters", k),
            )

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
            declared[name] = Input(
                name=name,
                json_type=_json_type(raw.get("type"), "string"),
                required=bool(raw.get("required", True)) or source == "path",
                description=str(raw.get("description") or ""),
                rest_source=source,
                rest_key=key or name,
            )
            if location == "path" and not key and placeholders:
                self.warning(
                    "unknown-path-parameter",
                    f"input {name!r} is declared 'in: path' but the path has no {{{name}}}",
                    (*where, "inputParameters", j),
                )
        return declared

    def _bindings(
        self,
        resolved: tuple[_Namespace, _ConsumedOp],
        with_map: Any,
        declared: dict[str, Input],
        where: PathKey,
        adapter_ns: str,
        placeholders: dict[str, str],
    ) -> tuple[tuple[Input, ...], tuple[Binding, ...]]:
        """Fill every consumed parameter from ``with``, a fixed value, or a same-named input."""
        ns, consumed = resolved
        operation = self._build_operation(ns, consumed)
        with_items = with_map if isinstance(with_map, dict) else {}
        inputs: dict[str, Input] = {}
        bindings: list[Binding] = []
        used_keys: set[str] = set()
        raw_by_name = {str(p.get("name")): p for p in consumed.params}
        for param in operation.params:
            key = _find(list(with_items), param.name, lambda k: str(k))
            raw = raw_by_name.get(param.name, {})
            if key is not None:
                used_keys.add(key)
                value = with_items[key]
                reference = _reference(value, adapter_ns, self.all_namespaces)
                if reference is None:
                    if isinstance(value, str) and ("{{" in value or "${" in value):
                        expr = self.secret_expr(value, (*where, key))
                        if expr is None:
                            self.error(
                                "unsupported-template",
                                f"with value {value!r}: template not supported yet",
                                (*where, key),
                            )
                            continue
                        bindings.append(Binding(param.arg, None, expr, True))
                        continue
                    if isinstance(value, dict | list) or value is None:
                        self.error(
                            "bad-with-value",
                            f"with value for {key!r} must be a reference or a scalar",
                            (*where, key),
                        )
                        continue
                    bindings.append(Binding(param.arg, None, py(value), True))
                    continue
                prefix, input_name = reference
                if prefix not in (*REFERENCE_PREFIXES, adapter_ns):
                    # Another declared namespace: a reference to something this adapter cannot see.
                    self.error(
                        "unknown-with-source",
                        f"with value {value!r}: {prefix!r} is not this adapter's namespace "
                        f"({adapter_ns!r}) nor one of rest, tools, mcp",
                        (*where, key),
                    )
                    continue
            elif raw.get("value") is not None or raw.get("template") is not None:
                fixed = raw.get("value", raw.get("template"))
                expr = self.secret_expr(str(fixed), where) if isinstance(fixed, str) else py(fixed)
                if expr is None:
                    self.error(
                        "unsupported-template",
                        f"parameter {param.name!r} value {fixed!r} is a template naftiko-gen "
                        "cannot resolve yet",
                        where,
                    )
                    continue
                bindings.append(Binding(param.arg, None, expr, True))
                continue
            elif declared and param.name not in declared:
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
        ident = placeholders.get(name) or naming.unique(ident, taken)
        placeholders[name] = ident
        return "{" + ident + "}"

    return _PLACEHOLDER.sub(replace, path), placeholders


def _match_placeholder(placeholders: dict[str, str], name: str) -> str | None:
    found = _find(list(placeholders), name, lambda k: str(k))
    return placeholders[found] if found is not None else None


def normalise(spec: LoadedSpec, spec_file: str, dist: str) -> tuple[Capability, list[Diagnostic]]:
    """Build the model; raise :class:`SpecError` when an error makes generation impossible."""
    normaliser = Normaliser(spec, spec_file, dist)
    model = normaliser.run()
    return model, normaliser.diagnostics
