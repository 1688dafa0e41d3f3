"""Warnings where a spec leaves the official alpha2 schema: naftiko-gen accepts the real dialect,
but the Naftiko engine and other tools may not, so authors are told once per kind (with a count),
not once per occurrence (a real spec repeats the same deviation hundreds of times)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from naftiko_gen.diagnostics import Diagnostic, Level
from naftiko_gen.loader import LoadedSpec, PathKey

_REFERENCE = re.compile(r"^\s*(rest|tools|mcp)\.[A-Za-z0-9_.\-]+\s*$")
_WIRE_HINTS = ("readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint")


def official_shape(spec: LoadedSpec) -> list[Diagnostic]:
    found: dict[str, tuple[PathKey, int]] = {}
    for kind, path in _deviations(spec.data if isinstance(spec.data, dict) else {}):
        first, count = found.get(kind, (path, 0))
        found[kind] = (first, count + 1)
    diagnostics = []
    for kind, (path, count) in found.items():
        more = f" ({count} places; the first is shown)" if count > 1 else ""
        diagnostics.append(
            spec.diagnostic(Level.WARNING, "official-shape", f"{kind}{more}", path, _FIXES[kind])
        )
    return diagnostics


# Non-standard capability keys some real specs carry: naftiko-gen accepts them (they are not
# typos) but nothing in a generated package can act on them, so the author is told.
_NO_EFFECT = ("governance", "orchestration", "tools")


def ignored_keywords(spec: LoadedSpec) -> list[Diagnostic]:
    """A warning per non-standard key that has no effect in the generated package."""
    capability = spec.data.get("capability") if isinstance(spec.data, dict) else None
    if not isinstance(capability, dict):
        return []
    return [
        spec.diagnostic(
            Level.WARNING,
            "ignored-keyword",
            f"capability.{key} is not part of Naftiko; the generated package ignores it",
            ("capability", key),
            "remove it, or move what it describes into exposes/consumes",
        )
        for key in _NO_EFFECT
        if key in capability
    ]


_FIXES = {
    "info.title is not in the official schema": "rename it to info.label",
    "a REST adapter's 'description' is not in the official schema": "remove it, or move it to "
    "info.description",
    "consumed parameters take only name, in and value": "remove type/description/required from "
    "consumed inputParameters; declare caller inputs on the REST operation or MCP tool",
    "'rest.x'/'tools.x'/'mcp.x' references are not official": "write the exposing adapter's "
    "namespace: '<namespace>.x'",
    "an object/array output needs 'properties'/'items' in the official schema": "add properties "
    "or items, or accept that other tools will reject it",
    "apikey written OpenAPI-style ('in'/'name')": "write key: <name> and placement: header|query",
    "apikey written with 'header: NAME'": "write key: NAME and placement: header",
    "apikey placement 'path' or 'body' is not in the official schema": "keep it for naftiko-gen, "
    "or use placement: header or query if the API accepts the key there",
    "HTTP method HEAD is not in the official schema": "use GET, or keep HEAD for naftiko-gen only",
    "a missing 'method' is not official (naftiko-gen uses GET)": "write method: GET",
    "MCP hints are written without the 'Hint' suffix in Naftiko": "write readOnly, destructive, "
    "idempotent, openWorld",
    "placeholders in baseUri are not official": "use a fixed baseUri; naftiko-gen reads "
    "placeholders from the environment (the {key} of an apikey with placement: path from its "
    "value)",
    "MCP tools and their inputs need a 'description'": "describe each tool and input; clients "
    "show it to the model",
    "'auth' is not official": "rename it to 'authentication'",
    "client-credentials keys on a consumed oauth2 are naftiko-gen's (the engine sends no token)": (
        "keep them for naftiko-gen, or fetch the token elsewhere and use bearer with a bind"
    ),
    "'in: formData' is not official": "use a multipartForm body with a part per field",
}


def _deviations(data: dict[str, Any]) -> Iterator[tuple[str, PathKey]]:
    info = data.get("info")
    if isinstance(info, dict) and "title" in info and "label" not in info:
        yield "info.title is not in the official schema", ("info", "title")
    capability = data.get("capability")
    if not isinstance(capability, dict):
        return
    for i, entry in _items(capability.get("consumes")):
        where: PathKey = ("capability", "consumes", i)
        yield from _consumed(entry, where)
    for i, adapter in _items(capability.get("exposes")):
        where = ("capability", "exposes", i)
        if adapter.get("type") == "rest":
            if "description" in adapter:
                yield "a REST adapter's 'description' is not in the official schema", (
                    *where,
                    "description",
                )
            for r, resource in _items(adapter.get("resources")):
                for o, op in _items(resource.get("operations")):
                    yield from _exposed(op, (*where, "resources", r, "operations", o))
        elif adapter.get("type") == "mcp":
            for t, tool in _items(adapter.get("tools")):
                twhere = (*where, "tools", t)
                undescribed = "description" not in tool or any(
                    "description" not in p for _, p in _items(tool.get("inputParameters"))
                )
                if undescribed:
                    yield "MCP tools and their inputs need a 'description'", twhere
                hints = tool.get("hints")
                if isinstance(hints, dict) and any(key in _WIRE_HINTS for key in hints):
                    yield "MCP hints are written without the 'Hint' suffix in Naftiko", (
                        *twhere,
                        "hints",
                    )
                yield from _exposed(tool, twhere)


def _consumed(entry: dict[str, Any], where: PathKey) -> Iterator[tuple[str, PathKey]]:
    if "auth" in entry and "authentication" not in entry:
        yield "'auth' is not official", (*where, "auth")
    auth = entry.get("authentication")
    if isinstance(auth, dict) and auth.get("type") == "apikey" and ("in" in auth or "name" in auth):
        yield "apikey written OpenAPI-style ('in'/'name')", (*where, "authentication")
    if isinstance(auth, dict) and auth.get("type") in ("apikey", "apiKey"):
        if "header" in auth:
            yield "apikey written with 'header: NAME'", (*where, "authentication", "header")
        if auth.get("placement") in ("path", "body"):
            yield "apikey placement 'path' or 'body' is not in the official schema", (
                *where,
                "authentication",
                "placement",
            )
    if isinstance(auth, dict) and auth.get("type") == "oauth2" and "clientId" in auth:
        yield (
            "client-credentials keys on a consumed oauth2 are naftiko-gen's (the engine sends no "
            "token)",
            (*where, "authentication"),
        )
    if re.search(r"\{[^}]*\}|\$\{", str(entry.get("baseUri") or "")):
        yield "placeholders in baseUri are not official", (*where, "baseUri")
    for r, resource in _items(entry.get("resources")):
        for o, op in _items(resource.get("operations")):
            owhere = (*where, "resources", r, "operations", o)
            if "method" not in op:
                yield "a missing 'method' is not official (naftiko-gen uses GET)", owhere
            elif str(op.get("method")).upper() == "HEAD":
                yield "HTTP method HEAD is not in the official schema", (*owhere, "method")
            for p, param in _items(op.get("inputParameters")):
                if param.get("in") == "formData":
                    yield "'in: formData' is not official", (*owhere, "inputParameters", p, "in")
                if any(key in param for key in ("type", "description", "required")):
                    yield "consumed parameters take only name, in and value", (
                        *owhere,
                        "inputParameters",
                        p,
                    )


def _exposed(op: dict[str, Any], where: PathKey) -> Iterator[tuple[str, PathKey]]:
    with_map = op.get("with")
    if isinstance(with_map, dict):
        for key, value in with_map.items():
            if isinstance(value, str) and _REFERENCE.match(value):
                yield "'rest.x'/'tools.x'/'mcp.x' references are not official", (
                    *where,
                    "with",
                    key,
                )
                break
    for k, output in _items(op.get("outputParameters")):
        if (
            output.get("type") in ("object", "array")
            and "mapping" in output
            and not output.get("properties")
            and not output.get("items")
        ):
            yield "an object/array output needs 'properties'/'items' in the official schema", (
                *where,
                "outputParameters",
                k,
            )


def _items(value: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    for i, item in enumerate(value if isinstance(value, list) else []):
        if isinstance(item, dict):
            yield i, item
