"""Consumed request bodies → one Python expression the generated client evaluates per call.

The engine renders a body by pasting text into a Mustache template, so a value with a quote breaks
the JSON and an array becomes ``"[a, b]"`` (semantics §2.7, §7.7). Here a JSON template is parsed
once, at build time, into a structure whose placeholders become Python expressions; the generated
code builds the value and ``json.dumps`` it, so every substituted string is escaped and a
placeholder that is a whole JSON value (``"items": "{{tools.items}}"``) keeps its type.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from naftiko_gen.pyliteral import py

BodyKind = Literal["json", "text", "multipart"]
# resolve(name, whole) → Python expression for a placeholder; ``whole`` is True when the
# placeholder is an entire JSON value (so its type is kept), False when it is part of a text.
Resolver = Callable[[str, bool], str]

TEXT_TYPES = {
    "text": "text/plain; charset=utf-8",
    "xml": "application/xml",
    "sparql": "application/sparql-query",
    "formUrlEncoded": "application/x-www-form-urlencoded",
}
# Real-world spellings of the official types.
ALIASES = {"multipart": "multipartForm", "form": "formUrlEncoded"}
MULTIPART = "multipart/form-data"
_PART_KEYS = {"name", "value", "filename", "contentType"}
_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")
_MARK = "@@naftiko-placeholder-{}@@"
_MARK_PATTERN = re.compile(r"@@naftiko-placeholder-(\d+)@@")


@dataclass(frozen=True)
class BodyPlan:
    kind: BodyKind
    expr: str
    content_type: str


class BodyProblem(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def plan_body(body: Any, resolve: Resolver) -> BodyPlan:
    """``body: '<template>'``, ``body: {type, data}`` or a bare structure, as one expression."""
    if isinstance(body, str):
        return _string_body(body, resolve)
    if isinstance(body, dict) and ("data" in body or "type" in body):
        kind = str(body.get("type") or "json")
        kind = ALIASES.get(kind, kind)
        data = body.get("data")
        if kind == "multipartForm":
            return _multipart(data, resolve)
        if kind == "json":
            if isinstance(data, str):
                return _string_body(data, resolve)
            return BodyPlan("json", _value(data, resolve), "application/json")
        if kind == "formUrlEncoded" and isinstance(data, dict):
            pairs = _value(data, resolve)
            return BodyPlan("text", f"_form({pairs})", TEXT_TYPES[kind])
        if kind in TEXT_TYPES:
            text = data if isinstance(data, str) else json.dumps(data)
            return BodyPlan("text", _text(text, resolve), TEXT_TYPES[kind])
        raise BodyProblem(
            "unsupported-body-type",
            f"request body type {kind!r} is not generated yet "
            f"(supported: json, {', '.join(TEXT_TYPES)}, multipartForm)",
        )
    return BodyPlan("json", _value(body, resolve), "application/json")


def _multipart(data: Any, resolve: Resolver) -> BodyPlan:
    """``multipartForm``: one part per member of an object (``{field: value}``), or per item of a
    list of ``{name, value, filename?, contentType?}``. The client builds the parts with aiohttp's
    ``FormData``; a part whose whole-value placeholder is absent is left out."""
    parts: list[tuple[Any, Any, Any, Any]] = []
    if isinstance(data, dict):
        parts = [(name, value, None, None) for name, value in data.items()]
    elif isinstance(data, list) and all(
        isinstance(item, dict) and "name" in item and set(item) <= _PART_KEYS for item in data
    ):
        parts = [
            (item["name"], item.get("value"), item.get("filename"), item.get("contentType"))
            for item in data
        ]
    else:
        raise BodyProblem(
            "unsupported-body-type",
            "a multipartForm body needs 'data' as an object ({field: value}) or a list of "
            "{name, value, filename?, contentType?}",
        )
    exprs = []
    for name, value, filename, content_type in parts:
        if isinstance(value, dict | list):
            value = json.dumps(value)
        part_value = _value(value, resolve) if isinstance(value, str) else py(value)
        file_expr = _text(str(filename), resolve) if filename is not None else "None"
        type_expr = py(str(content_type)) if content_type is not None else "None"
        exprs.append(f"({py(str(name))}, {part_value}, {file_expr}, {type_expr})")
    return BodyPlan("multipart", "[" + ", ".join(exprs) + "]", MULTIPART)


def _string_body(template: str, resolve: Resolver) -> BodyPlan:
    """A JSON text with placeholders becomes a structure; anything else is sent as text."""
    names: list[str] = []

    def mark(match: re.Match[str]) -> str:
        names.append(match.group(1))
        token = _MARK.format(len(names) - 1)
        inside_string = _inside_json_string(template, match.start())
        return token if inside_string else f'"{token}"'

    marked = _PLACEHOLDER.sub(mark, template)
    try:
        parsed = json.loads(marked)
    except ValueError:
        return BodyPlan("text", _text(template, resolve), "text/plain; charset=utf-8")

    def restore(text: str) -> str:
        return _MARK_PATTERN.sub(lambda m: "{{" + names[int(m.group(1))] + "}}", text)

    return BodyPlan("json", _value(_map_strings(parsed, restore), resolve), "application/json")


def _inside_json_string(text: str, position: int) -> bool:
    inside = False
    escaped = False
    for char in text[:position]:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            inside = not inside
    return inside


def _map_strings(node: Any, change: Callable[[str], str]) -> Any:
    if isinstance(node, str):
        return change(node)
    if isinstance(node, dict):
        return {change(str(k)): _map_strings(v, change) for k, v in node.items()}
    if isinstance(node, list):
        return [_map_strings(v, change) for v in node]
    return node


def _value(node: Any, resolve: Resolver) -> str:
    """Expression for a JSON value; object members whose placeholder is absent are left out."""
    if isinstance(node, str):
        whole = _PLACEHOLDER.fullmatch(node.strip())
        if whole:
            return resolve(whole.group(1), True)
        return _text(node, resolve)
    if isinstance(node, dict):
        members = ", ".join(f"{py(str(k))}: {_value(v, resolve)}" for k, v in node.items())
        if any(isinstance(v, str) and _PLACEHOLDER.fullmatch(v.strip()) for v in node.values()):
            return f"{{k: v for k, v in {{{members}}}.items() if v is not None}}"
        return f"{{{members}}}"
    if isinstance(node, list):
        return "[" + ", ".join(_value(v, resolve) for v in node) + "]"
    return py(node)


def text_expr(template: str, resolve: Resolver) -> str:
    """A parameter value: a text with placeholders, or one whole placeholder (its value as is)."""
    whole = _PLACEHOLDER.fullmatch(template.strip())
    return resolve(whole.group(1), False) if whole else _text(template, resolve)


def _text(template: str, resolve: Resolver) -> str:
    """Expression for a text with placeholders; an absent value renders as "" (as the engine)."""
    parts: list[str] = []
    position = 0
    for match in _PLACEHOLDER.finditer(template):
        if match.start() > position:
            parts.append(py(template[position : match.start()]))
        parts.append(f"_text_or_empty({resolve(match.group(1), False)})")
        position = match.end()
    if position < len(template):
        parts.append(py(template[position:]))
    return " + ".join(parts) if parts else py("")
