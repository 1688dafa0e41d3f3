"""Consumed ``inputParameters``: where each ``in`` sends a value, and where the value comes from
(semantics §2.5, §2.6; policy §7.5, §7.9).

The engine applies the adapter-level list, then the operation-level one, to every request; each
value is ``value`` (Mustache-rendered), else ``template``, else the parameter of the same name,
else (``in: environment`` only) the environment variable of that name. What naftiko-gen makes of
that:

* adapter level (``consumes[].inputParameters``), sent on every request of the namespace:
  a ``header``/``query``/``cookie`` with a value is rendered once at start-up, with binds in scope
  (§7.9); a ``path`` value fills ``{name}``/``{{name}}`` in every consumed path (the engine leaves
  it unused); without a value, the parameter is added to every operation as an optional
  argument (the engine's "parameter of the same name");
* ``in: environment`` (both levels) puts a value in template scope and sends nothing: without
  ``value`` it is the environment variable ``name``, read at start-up like a bind variable; with
  ``value`` it is that value. ``{{name}}`` then works in bodies, headers, query values and
  authentication (at alpha2 the engine's only way to reach a secret, §2.8);
* ``in: cookie`` values are joined into one ``Cookie`` header, each value percent-encoded outside
  the RFC 6265 cookie-octets;
* ``in: formData`` (real-world dialect) parameters are the parts of a multipart/form-data body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from naftiko_gen.loader import PathKey
from naftiko_gen.pyliteral import py

if TYPE_CHECKING:
    from naftiko_gen.normalise import Normaliser

ENVIRONMENT = "environment"
# What an operation-level ``in`` becomes in the model (``formData`` parts form the body).
OPERATION_LOCATIONS = {
    "path": "path",
    "query": "query",
    "header": "header",
    "cookie": "cookie",
    "body": "body",
    "formData": "form",
}
# RFC 9110 §5.1: a field name is a token; §5.5: a value never holds CR, LF or NUL (other controls
# are refused too). aiohttp would send a name such as 'X:' as is, moving text into the value.
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_HEADER_VALUE_FORBIDDEN = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# RFC 6265 §4.1.1: a cookie name is an HTTP token too.
_COOKIE_NAME = _HEADER_NAME


@dataclass
class AdapterParams:
    """What ``consumes[].inputParameters`` adds to every request of one namespace."""

    headers: list[tuple[str, str]] = field(default_factory=list)
    query: list[tuple[str, str]] = field(default_factory=list)
    cookies: list[tuple[str, str]] = field(default_factory=list)
    # Template scope: ``{{name}}`` → template text (``in: environment`` and ``in: path`` values).
    scope: dict[str, str] = field(default_factory=dict)
    # Parameters without a value: added to every operation (raw mapping, where it is written).
    per_operation: list[tuple[dict[str, Any], PathKey]] = field(default_factory=list)


def value_of(raw: dict[str, Any]) -> Any:
    """``value``, else ``template`` (the legacy spelling), else ``None``."""
    value = raw.get("value")
    return raw.get("template") if value is None else value


def cookie_name_problem(name: str) -> str | None:
    if not _COOKIE_NAME.fullmatch(name):
        return f"cookie name {name!r} is not an HTTP token"
    return None


def environment_scope(
    normaliser: Normaliser, raw: dict[str, Any], where: PathKey, scope: dict[str, str]
) -> None:
    """Put one ``in: environment`` parameter in ``scope`` (or register its variable)."""
    name = str(raw.get("name") or "")
    value = value_of(raw)
    if value is not None:
        scope[name] = str(value)
    elif not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        normaliser.error(
            "bad-environment-parameter",
            f"environment parameter {name!r} has no value and is no environment variable name",
            (*where, "name"),
        )
    else:
        normaliser._add_secret(name, name, "env")


def adapter_params(normaliser: Normaliser, params: Any, where: PathKey) -> AdapterParams:
    """Read ``consumes[].inputParameters``; problems are located errors (or warnings for what is
    left unused)."""
    found = AdapterParams()
    items = [
        (raw, (*where, "inputParameters", j))
        for j, raw in enumerate(params if isinstance(params, list) else [])
        if isinstance(raw, dict)
    ]
    # Environment values first: later values, headers and the authentication may use them.
    for raw, path in items:
        if raw.get("in") == ENVIRONMENT:
            environment_scope(normaliser, raw, path, found.scope)
    normaliser.scope.update(found.scope)
    for raw, path in items:
        location = str(raw.get("in") or "query")
        name = str(raw.get("name") or "")
        value = value_of(raw)
        if location == ENVIRONMENT:
            continue
        if not name:
            normaliser.warning(
                "unnamed-parameter", "parameter has no 'name'; it is never sent", path
            )
            continue
        if location not in ("header", "query", "cookie", "path"):
            normaliser.warning(
                "ignored-adapter-parameter",
                f"adapter-level parameter {name!r}: 'in: {location}' cannot be sent on every "
                "request; it is ignored",
                (*path, "in"),
            )
            continue
        if value is None or (isinstance(value, str) and _names_inputs(normaliser, value)):
            # The caller's parameter of that name (or a template over caller inputs): every
            # operation gets it.
            found.per_operation.append((raw, path))
            continue
        if location == "path":
            found.scope[name] = str(value)
            normaliser.scope[name] = str(value)
            continue
        if location == "header" and (problem := header_problem(name, value)):
            normaliser.error("bad-header", problem, path)
            continue
        if location == "cookie" and (problem := cookie_name_problem(name)):
            normaliser.error("bad-cookie", problem, (*path, "name"))
            continue
        expr = (
            normaliser.secret_expr(value, (*path, "value"))
            if isinstance(value, str)
            else py(str(value).lower() if isinstance(value, bool) else str(value))
        )
        if expr is None:
            normaliser.error(
                "unsupported-template",
                f"{location} value {value!r} uses a template naftiko-gen cannot resolve yet",
                (*path, "value"),
            )
            continue
        target = {"header": found.headers, "query": found.query, "cookie": found.cookies}
        target[location].append((py(name), expr))
    return found


def _names_inputs(normaliser: Normaliser, template: str) -> bool:
    """Whether a template names something other than bind variables and scope values (so it
    depends on each call's inputs). Checked without reporting anything."""
    for match in re.finditer(r"\{\{\s*([^{}]+?)\s*\}\}", template):
        name = match.group(1)
        prefix, _, rest = name.partition(".")
        if rest and prefix in ("rest", "tools", "mcp"):
            return True
        if name in normaliser.scope or name in normaliser.secrets:
            continue
        if rest and rest in normaliser.secrets:
            continue
        if re.fullmatch(r"(env\.)?[A-Z_][A-Z0-9_]*", name):
            continue
        return True
    return False


def header_problem(name: str, value: Any = None) -> str | None:
    """Why a header with this name (and fixed value) can never be sent, or ``None``."""
    if not _HEADER_NAME.fullmatch(name):
        return f"header name {name!r} is not an HTTP token"
    if isinstance(value, str) and _HEADER_VALUE_FORBIDDEN.search(value):
        return f"the value of header {name!r} holds a line break or another control character"
    return None
