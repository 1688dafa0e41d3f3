"""The single escaping path: every value that comes from a spec enters generated code through here.

``repr`` of a ``str`` is a valid Python literal for any text (quotes, backslashes, newlines, NUL,
U+2028, template braces); JSON-like data is rendered recursively with the same rule. Nothing from a
spec is ever interpolated into code as raw text.
"""

from __future__ import annotations

from typing import Any


def py(value: Any) -> str:
    """A Python literal for a JSON-like value (dict, list, str, int, float, bool, None)."""
    if value is None or isinstance(value, bool | int):
        return repr(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("non-finite numbers have no JSON meaning")
        return repr(value)
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, tuple):
        return "(" + ", ".join(py(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, list):
        return "[" + ", ".join(py(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{py(str(k))}: {py(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot render {type(value).__name__} as a literal")


def docstring_text(text: str) -> str:
    """Text safe inside a generated docstring: one line, no quotes or backslashes that
    could end it or start an escape. Docstrings are for humans; the exact text is kept in literals.
    """
    cleaned = _printable(text)
    cleaned = cleaned.replace("\\", "/").replace('"""', "'''").replace('"', "'")
    return cleaned.strip() or "-"


def comment_text(text: str) -> str:
    """Text safe on a single ``#`` comment line."""
    return _printable(text) or "-"


def _printable(text: str) -> str:
    """Collapse whitespace (including U+2028) and drop control characters such as NUL."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
