"""REST ``forward`` (proxy) rules, semantics §3.8: spec → :class:`~naftiko_gen.model.Forward`.

``path: /notion/{{path}}`` with ``forward: {targetNamespace: notion, trustedHeaders: [...]}``
sends every request under ``/notion/`` to the namespace's base URI plus the rest of the path,
with the same method, query and body, the trusted headers (an allow-list) and the namespace's own
headers and authentication; the answer streams back. Where we differ from the engine: the query
string is passed on (the engine drops it), hop-by-hop headers are never copied, and an
unreachable upstream is 502 / a timeout 504 (§7.12) instead of a 500.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from naftiko_gen import naming
from naftiko_gen.loader import PathKey
from naftiko_gen.model import Forward

if TYPE_CHECKING:
    from naftiko_gen.normalise import Normaliser

# RFC 9110 §7.6.1 hop-by-hop fields, and fields the proxy sets itself: never copied from callers.
NOT_FORWARDED = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_PLACEHOLDER = re.compile(r"\{\{\s*([^{}\s]+)\s*\}\}|\{([^{}\s]+)\}")


def forward_rule(
    n: Normaliser,
    resource: dict[str, Any],
    where: PathKey,
    raw_path: str,
    handlers: set[str],
) -> Forward | None:
    """The forward rule of one exposed REST resource; ``None`` after a (located) error."""
    rule = resource.get("forward")
    fwhere = (*where, "forward")
    if not isinstance(rule, dict):
        n.error("bad-forward", "'forward' must be a mapping with 'targetNamespace'", fwhere)
        return None
    target = str(rule.get("targetNamespace") or "")
    ns = n.namespaces.get(target)
    if ns is None:
        if target not in n.refused_namespaces:
            known = ", ".join(sorted(n.namespaces)) or "none"
            n.error(
                "unknown-namespace",
                f"forward target {target!r} is not a consumes namespace (declared: {known})",
                (*fwhere, "targetNamespace"),
            )
        return None
    route = _route(n, raw_path, (*where, "path"))
    if route is None:
        return None
    prefix, tail = route
    trusted: list[str] = []
    raw_headers = rule.get("trustedHeaders")
    for h, header in enumerate(raw_headers if isinstance(raw_headers, list) else []):
        name = str(header).strip().lower()
        if not _HEADER_NAME.fullmatch(name):
            n.error(
                "bad-header",
                f"trusted header {header!r} is not an HTTP field name",
                (*fwhere, "trustedHeaders", h),
            )
            return None
        if name in NOT_FORWARDED:
            n.warning(
                "forward-header-dropped",
                f"trusted header {header!r} is a hop-by-hop or proxy-set field; it is never "
                "forwarded",
                (*fwhere, "trustedHeaders", h),
            )
            continue
        if name not in trusted:
            trusted.append(name)
    # The engine copies the trusted headers, then applies the namespace's authentication: the
    # caller's Authorization reaches the upstream only when the namespace has none.
    entry = ns.entry
    has_auth = bool(entry.get("authentication") or entry.get("auth"))
    if has_auth and "authorization" in trusted:
        trusted.remove("authorization")
    if not has_auth and "authorization" not in trusted:
        trusted.append("authorization")
    handler = naming.unique(f"forward_{naming.snake(ns.name)}", handlers)
    return Forward(
        route=prefix + "{path:path}" if tail else prefix or "/",
        tail=tail,
        upstream_attr=ns.attr,
        namespace=ns.name,
        prefix=prefix,
        handler=handler,
        trusted_headers=tuple(sorted(trusted)),
    )


def _route(n: Normaliser, raw_path: str, where: PathKey) -> tuple[str, bool] | None:
    """``/notion/{{path}}`` → (``/notion/``, True); ``/proxy`` → (``/proxy``, False). Only a
    final ``{path}`` is supported: the engine appends that variable, and nothing else, upstream."""
    path = raw_path if raw_path.startswith("/") else f"/{raw_path}"
    matches = list(_PLACEHOLDER.finditer(path))
    if not matches:
        return path, False
    last = matches[-1]
    name = last.group(1) or last.group(2)
    if (
        len(matches) > 1
        or name != "path"
        or last.end() != len(path)
        or not path[: last.start()].endswith("/")
    ):
        n.error(
            "unsupported-forward-path",
            f"forward path {raw_path!r}: only a final '/{{{{path}}}}' segment is supported (it "
            "is appended to the namespace's baseUri)",
            where,
        )
        return None
    return path[: last.start()], True


def openapi_paths(rules: tuple[Forward, ...]) -> dict[str, dict[str, Any]]:
    """OpenAPI path items for forward rules: every method, any body, the upstream's answer."""
    paths: dict[str, dict[str, Any]] = {}
    for rule in rules:
        path = rule.route.replace("{path:path}", "{path}")
        item: dict[str, Any] = {}
        for method in ("get", "post", "put", "patch", "delete"):
            operation: dict[str, Any] = {
                "operationId": f"{rule.handler}_{method}",
                "summary": f"Forwarded to upstream {rule.namespace}",
                "responses": {
                    "default": {
                        "description": "The upstream's answer, streamed back unchanged.",
                        "content": {"*/*": {"schema": {}}},
                    },
                    "502": {"description": "The upstream could not be reached."},
                    "504": {"description": "The upstream did not answer in time."},
                },
            }
            if rule.tail:
                operation["parameters"] = [
                    {
                        "name": "path",
                        "in": "path",
                        "required": True,
                        "description": "The rest of the path (may hold '/'), appended upstream.",
                        "schema": {"type": "string"},
                    }
                ]
            if method != "get":
                operation["requestBody"] = {
                    "required": False,
                    "content": {"*/*": {"schema": {}}},
                }
            item[method] = operation
        paths[path] = item
    return paths
