"""``naftiko-gen init``: a new capability spec, in the official alpha2 shape, from a name, a base
URI and a few operations. The scaffold validates without warnings and builds as it is; authors
then describe inputs and outputs by hand.

The document is built as data and written with ``yaml.safe_dump``: every value given on the
command line is quoted by the YAML emitter, never pasted into YAML text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml

from naftiko_gen import naming

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
BODY_METHODS = ("POST", "PUT", "PATCH")
NAFTIKO_VERSION = "1.0.0-alpha2"
_PARAM = re.compile(r"\{+([^{}]*)\}+")
_NOT_NAME = re.compile(r"[^A-Za-z0-9_]+")


class ScaffoldError(ValueError):
    """A flag or an answer that cannot make a valid spec; the message names it."""


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    name: str
    params: tuple[str, ...]

    @property
    def sends_body(self) -> bool:
        return self.method in BODY_METHODS

    @property
    def read_only(self) -> bool:
        return self.method == "GET"


def operation(method: str, path: str, taken: set[str]) -> Operation:
    """``GET /items/{id}`` → operation ``get-items-id`` with path parameter ``id``."""
    verb = method.strip().upper()
    if verb not in METHODS:
        raise ScaffoldError(f"method {method!r}: use one of {', '.join(METHODS)}")
    text = path.strip()
    if not text or any(ch.isspace() for ch in text) or "?" in text or "#" in text:
        raise ScaffoldError(f"path {path!r}: give a path such as /items/{{id}} (no query)")
    if not text.startswith("/"):
        text = "/" + text
    params: list[str] = []

    def placeholder(match: re.Match[str]) -> str:
        name = _NOT_NAME.sub("_", match.group(1)).strip("_")
        if not name:
            raise ScaffoldError(f"path {path!r}: an empty {{}} placeholder")
        if name[0].isdigit():
            name = f"p{name}"
        if name not in params:
            params.append(name)
        return "{" + name + "}"

    if "{" in _PARAM.sub("", text) or "}" in _PARAM.sub("", text):
        raise ScaffoldError(f"path {path!r}: unbalanced braces")
    text = _PARAM.sub(placeholder, text)
    base = f"{verb.lower()}-{_slug(text)}"[:60].rstrip("-")
    name = base
    n = 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    taken.add(name)
    return Operation(verb, text, name, tuple(params))


def scaffold(
    name: str,
    base_uri: str,
    operations: list[tuple[str, str]],
    *,
    description: str = "",
    bearer_env: str | None = None,
) -> tuple[str, str]:
    """``(file name, YAML text)`` of a new spec; raises :class:`ScaffoldError` on bad input."""
    label = " ".join(name.split())
    if not label:
        raise ScaffoldError("the capability needs a --name")
    uri = base_uri.strip()
    if not re.match(r"^https?://[^\s/?#]+[^\s?#]*$", uri):
        raise ScaffoldError(f"base URI {base_uri!r}: give an http:// or https:// URL")
    if bearer_env is not None and not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", bearer_env):
        raise ScaffoldError(f"--bearer-env {bearer_env!r}: give an environment variable name")
    dist = naming.dist_name(label)
    taken: set[str] = set()
    ops = [operation(method, path, taken) for method, path in operations or [("GET", "/")]]
    routes: set[tuple[str, str]] = set()
    for op in ops:
        route = (op.method, re.sub(r"\{[^}]*\}", "{}", op.path))
        if route in routes:
            raise ScaffoldError(f"operation {op.method} {op.path} is given twice")
        routes.add(route)
    about = " ".join(description.split()) or f"{label}: REST and MCP adapters for {uri}"

    consumes: dict[str, Any] = {
        "type": "http",
        "namespace": dist,
        "baseUri": uri.rstrip("/"),
        "description": f"The {label} API.",
        "resources": _resources(ops, _consumed_operation),
    }
    document: dict[str, Any] = {
        "naftiko": NAFTIKO_VERSION,
        "info": {"label": label, "description": about},
    }
    if bearer_env:
        document["binds"] = [{"namespace": "env", "keys": {bearer_env: bearer_env}}]
        consumes["authentication"] = {"type": "bearer", "token": f"{{{{env.{bearer_env}}}}}"}
    rest_ns, mcp_ns = f"{dist}-rest", f"{dist}-mcp"
    document["capability"] = {
        "consumes": [consumes],
        "exposes": [
            {
                "type": "rest",
                "namespace": rest_ns,
                "port": 8080,
                "resources": _resources(ops, lambda op: _rest_operation(op, dist, rest_ns)),
            },
            {
                "type": "mcp",
                "namespace": mcp_ns,
                "port": 9090,
                "transport": "http",
                "description": about,
                "tools": [_tool(op, dist, mcp_ns) for op in ops],
            },
        ],
    }
    header = (
        "# Scaffolded by naftiko-gen init: describe the inputs and outputs, then run\n"
        "# naftiko-gen validate and naftiko-gen build on this file.\n"
    )
    body = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    return f"{dist}.yaml", header + body


def _summary(op: Operation) -> str:
    return f"{op.method} {op.path}"


def _resources(
    ops: list[Operation], build: Callable[[Operation], dict[str, Any]]
) -> list[dict[str, Any]]:
    """One resource per path (in first-seen order), holding that path's operations."""
    by_path: dict[str, list[Operation]] = {}
    for op in ops:
        by_path.setdefault(op.path, []).append(op)
    return [
        {"name": _slug(path), "path": path, "operations": [build(op) for op in group]}
        for path, group in by_path.items()
    ]


def _slug(path: str) -> str:
    return "-".join(w for w in re.split(r"[^a-z0-9]+", path.lower()) if w)[:60] or "root"


def _consumed_operation(op: Operation) -> dict[str, Any]:
    params = [{"name": p, "in": "path"} for p in op.params]
    if op.sends_body:
        params.append({"name": "body", "in": "body"})
    consumed: dict[str, Any] = {
        "name": op.name,
        "method": op.method,
        "description": _summary(op),
    }
    if params:
        consumed["inputParameters"] = params
    return consumed


def _inputs(op: Operation, rest: bool) -> list[dict[str, Any]]:
    inputs: list[dict[str, Any]] = []
    for p in op.params:
        entry: dict[str, Any] = {"name": p}
        if rest:
            entry["in"] = "path"
        entry.update(type="string", description=f"The {p} path parameter", required=True)
        inputs.append(entry)
    if op.sends_body:
        entry = {"name": "body"}
        if rest:
            entry["in"] = "body"
        entry.update(type="object", description="JSON request body", required=False)
        inputs.append(entry)
    return inputs


def _with(op: Operation, adapter_ns: str) -> dict[str, str]:
    names = [*op.params, *(["body"] if op.sends_body else [])]
    return {name: f"{adapter_ns}.{name}" for name in names}


def _rest_operation(op: Operation, consumes_ns: str, rest_ns: str) -> dict[str, Any]:
    exposed: dict[str, Any] = {
        "method": op.method,
        "name": op.name,
        "description": _summary(op),
        "call": f"{consumes_ns}.{op.name}",
    }
    inputs = _inputs(op, rest=True)
    if inputs:
        exposed["inputParameters"] = inputs
        exposed["with"] = _with(op, rest_ns)
    return exposed


def _tool(op: Operation, consumes_ns: str, mcp_ns: str) -> dict[str, Any]:
    tool: dict[str, Any] = {
        "name": op.name,
        "description": _summary(op),
        "hints": {
            "readOnly": op.read_only,
            "destructive": op.method == "DELETE",
            "idempotent": op.method in ("GET", "PUT", "DELETE"),
        },
        "call": f"{consumes_ns}.{op.name}",
    }
    inputs = _inputs(op, rest=False)
    if inputs:
        tool["inputParameters"] = inputs
        tool["with"] = _with(op, mcp_ns)
    return tool
