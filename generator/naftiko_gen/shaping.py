"""Output shaping at build time: ``outputParameters`` → a literal tree of ``shaping.Output``.

The generated package applies the tree with RFC 9535 JSONPath (``jsonpath-rfc9535``, the one
JSONPath library of generated code). Every path is rewritten from the dialect specs use (``$.``,
``$.get-ship.x``, Jayway's missing ``$``) into RFC 9535 and compiled here with the same library,
so a bad path is a located error at build time, never a surprise at run time.

Rules (semantics §2.10 with the §7.6 policy): ``value`` gives its Mustache-rendered text; an
array takes the node at ``mapping`` and shapes each element with ``items`` (relative to the
element); an object with ``properties`` builds them from the current node (the root, or an array
element), an object with ``values`` maps every entry of the node at ``mapping``, and any other
object or scalar is the node at ``mapping``. Of several top-level outputs the first non-null wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

import jsonpath_rfc9535

from naftiko_gen.loader import PathKey
from naftiko_gen.pyliteral import py

# RFC 9535 §2.5.1.1: member-name-shorthand.
_SHORTHAND = re.compile(r"[A-Za-z_\u0080-\U0010ffff][A-Za-z0-9_\u0080-\U0010ffff]*")
_MUSTACHE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_TEMPLATE_NAME = re.compile(r"[A-Za-z0-9_][\w.\-]*")


class Reporter(Protocol):
    def error(self, code: str, message: str, path: PathKey, hint: str = "") -> None: ...


@dataclass(frozen=True)
class Built:
    """A shaped output list as a Python expression, and what a listing can say about it."""

    expr: str
    output_schema: dict[str, Any] | None


def jsonpath(text: str) -> str:
    """The RFC 9535 spelling of a dialect path; raises ``ValueError`` when there is none."""
    path = text.strip()
    if not path.startswith("$"):
        path = "$." + path  # Jayway reads 'a.b' as '$.a.b'
    if path in ("$", "$."):
        return "$"
    out = ["$"]
    position = 1
    while position < len(path):
        char = path[position]
        if char == "[":
            end = _bracket_end(path, position)
            out.append(path[position:end])
            position = end
        elif path.startswith("..", position):
            out.append("..")
            position += 2
            if position < len(path) and path[position] == "[":
                continue
            member, position = _member(path, position)
            out.append(_quoted(member).removeprefix("."))
        elif char == ".":
            member, position = _member(path, position + 1)
            out.append("." + member if member == "*" else _quoted(member))
        else:
            raise ValueError(f"unexpected {char!r} at position {position}")
    rewritten = "".join(out)
    try:
        jsonpath_rfc9535.compile(rewritten)
    except jsonpath_rfc9535.JSONPathError as exc:
        raise ValueError(str(exc)) from None
    return rewritten


def _member(path: str, position: int) -> tuple[str, int]:
    end = position
    while end < len(path) and path[end] not in ".[":
        end += 1
    member = path[position:end].strip()
    if not member:
        raise ValueError(f"empty member name at position {position}")
    return member, end


def _quoted(member: str) -> str:
    if member == "*" or _SHORTHAND.fullmatch(member):
        return f".{member}" if member != "*" else ".*"
    escaped = member.replace("\\", "\\\\").replace("'", "\\'")
    return f"['{escaped}']"


def _bracket_end(path: str, start: int) -> int:
    quote: str | None = None
    depth = 0
    position = start
    while position < len(path):
        char = path[position]
        if quote:
            if char == "\\":
                position += 1
            elif char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth == 0:
                return position + 1
        position += 1
    raise ValueError("unclosed '['")


def template_problem(text: str) -> str | None:
    """Why a Mustache ``value`` cannot be rendered (only ``{{name}}``/``{{a.b}}`` variables)."""
    for match in _MUSTACHE.finditer(text):
        if not _TEMPLATE_NAME.fullmatch(match.group(1)):
            return (
                f"{match.group(0)!r} is not a variable: only {{{{name}}}} and {{{{step.field}}}} "
                "are rendered (no Mustache sections or partials)"
            )
    return None


def whole_placeholder(text: str) -> str | None:
    """``x`` of a text that is one ``{{x}}`` and nothing else."""
    stripped = text.strip()
    if stripped.startswith("{{") and stripped.endswith("}}") and stripped.count("{{") == 1:
        return stripped[2:-2].strip()
    return None


def template_expr(n: Reporter, value: str, where: PathKey, adapter_ns: str) -> str | None:
    """A ``with`` template as a run-time expression over ``arguments`` (the inputs, and in
    steps the step outputs): ``{{step.field}}`` alone keeps the value's type, anything else
    renders as text. ``{{tools.x}}``/``{{<namespace>.x}}`` name the input ``x``."""
    if problem := template_problem(value):
        n.error("bad-template", problem, where)
        return None
    prefixes = ("rest", "tools", "mcp", adapter_ns)

    def unprefixed(match: re.Match[str]) -> str:
        name = match.group(1)
        head, _, rest = name.partition(".")
        return "{{" + (rest if rest and head in prefixes else name) + "}}"

    template = _MUSTACHE.sub(unprefixed, value)
    whole = whole_placeholder(template)
    if whole is not None:
        return f"resolve(arguments, {py(whole)})"
    return f"render({py(template)}, arguments)"


def mapping_text(output: dict[str, Any]) -> str | None:
    """Where an output reads from: ``mapping``, or a ``value`` that starts with ``$`` (§2.10)."""
    mapping = output.get("mapping")
    if mapping is None and isinstance(output.get("value"), str):
        value = str(output["value"]).strip()
        if value.startswith("$"):
            return value
    return None if mapping is None else str(mapping)


def static_value(output: dict[str, Any]) -> Any:
    """The ``value`` of an output that is not a mapping (``None`` when it has none)."""
    value = output.get("value")
    if value is None:
        return None
    if "mapping" not in output and isinstance(value, str) and value.strip().startswith("$"):
        return None
    return value


def has_values(node: Any) -> bool:
    """Whether any output (recursively) has a static ``value``: what makes a mock (§5.3)."""
    if isinstance(node, list):
        return any(has_values(item) for item in node)
    if not isinstance(node, dict):
        return False
    if static_value(node) is not None:
        return True
    properties = node.get("properties")
    children = list(properties.values()) if isinstance(properties, dict) else []
    return any(has_values(child) for child in [*children, node.get("items"), node.get("values")])


def _maps(node: Any) -> bool:
    """Whether an output description holds its own mapping or value anywhere."""
    if isinstance(node, dict):
        if any(key in node for key in ("mapping", "value")):
            return True
        return any(_maps(value) for value in node.values())
    if isinstance(node, list):
        return any(_maps(value) for value in node)
    return False


def is_pass_through(outputs: Any) -> bool:
    """No outputs, or one whole-body mapping (``mapping: $.``, §7.6) whose nested properties only
    document types: the upstream answer is passed through unchanged."""
    if not outputs:
        return True
    if not isinstance(outputs, list) or len(outputs) != 1 or not isinstance(outputs[0], dict):
        return False
    output = outputs[0]
    mapping = mapping_text(output)
    if mapping is None or static_value(output) is not None or output.get("maxLength"):
        return False
    nested = [output.get(key) for key in ("properties", "items", "values")]
    if any(_maps(part) for part in nested):
        return False
    if _kind(output) == "array" and mapping.strip() not in ("$", "$."):
        return False
    return mapping.strip() in ("$", "$.")


def _kind(output: dict[str, Any]) -> str:
    kind = str(output.get("type") or "").lower()
    if kind == "array" or (not kind and "items" in output):
        return "array"
    if kind == "object" or (not kind and ("properties" in output or "values" in output)):
        return "object"
    return "scalar"


class OutputBuilder:
    """Builds ``Output(...)`` expressions, reporting bad paths and templates where they are."""

    def __init__(self, report: Reporter) -> None:
        self.report = report
        self.failed = False

    def outputs(self, outputs: Any, where: PathKey) -> Built:
        items = outputs if isinstance(outputs, list) else []
        exprs = []
        for k, output in enumerate(items):
            if isinstance(output, dict):
                exprs.append(self.output(output, (*where, k)))
        schema = None
        shaped = [o for o in items if isinstance(o, dict)]
        if len(shaped) == 1 and _kind(shaped[0]) == "object" and shaped[0].get("properties"):
            schema = _schema(shaped[0])
        return Built("(" + "".join(f"{e}, " for e in exprs) + ")", schema)

    def output(self, output: dict[str, Any], where: PathKey, *, item: bool = False) -> str:
        kind = _kind(output)
        args = [py(kind)]
        name = output.get("name")
        if name is not None:
            args.append(f"name={py(str(name))}")
        value = static_value(output)
        mapping = mapping_text(output)
        if value is not None:
            if isinstance(value, str):
                if problem := template_problem(value):
                    self._error("bad-template", problem, (*where, "value"))
                args.append(f"value={py(value)}")
            else:
                args.append(f"constant={py(value)}")
        elif mapping is not None or item:
            where_mapping = (*where, "mapping") if "mapping" in output else (*where, "value")
            args.append(f"mapping=path({py(self.path(mapping or '$', where_mapping))})")
        properties = output.get("properties")
        if kind == "object" and isinstance(properties, dict) and properties:
            children = [
                self.output({**child, "name": key}, (*where, "properties", key))
                for key, child in properties.items()
                if isinstance(child, dict)
            ]
            args.append("properties=(" + "".join(f"{c}, " for c in children) + ")")
        values = output.get("values")
        if kind == "object" and isinstance(values, dict):
            args.append(f"values={self.output(values, (*where, 'values'), item=True)}")
        items = output.get("items")
        if kind == "array" and isinstance(items, dict) and _maps(items):
            args.append(f"items={self.output(items, (*where, 'items'), item=True)}")
        max_length = output.get("maxLength")
        if isinstance(max_length, int) and not isinstance(max_length, bool) and max_length >= 0:
            args.append(f"max_length={max_length}")
        return f"Output({', '.join(args)})"

    def path(self, text: str, where: PathKey) -> str:
        try:
            return jsonpath(text)
        except ValueError as exc:
            self._error("bad-jsonpath", f"{text!r} is not a JSONPath (RFC 9535): {exc}", where)
            return "$"

    def _error(self, code: str, message: str, where: PathKey) -> None:
        self.failed = True
        self.report.error(code, message, where)


def _schema(output: dict[str, Any]) -> dict[str, Any]:
    """The result's structure as an MCP ``outputSchema``: the keys and nesting this package
    builds itself. Leaf types are not promised: mapped values are not coerced (§2.10)."""
    schema: dict[str, Any] = {"type": "object"}
    if output.get("description"):
        schema["description"] = str(output["description"])
    properties = output.get("properties")
    if isinstance(properties, dict):
        built: dict[str, Any] = {}
        for key, child in properties.items():
            if not isinstance(child, dict):
                continue
            if _kind(child) == "object" and child.get("properties"):
                built[str(key)] = _schema(child)
            else:
                leaf: dict[str, Any] = {}
                if child.get("description"):
                    leaf["description"] = str(child["description"])
                built[str(key)] = leaf
        schema["properties"] = built
    return schema
