"""Structural validation against the project's own JSON Schema, reported as located diagnostics.

The schema (``schema/naftiko-capability.schema.json``) describes the dialect real specs are written
in, not the official alpha2 schema that almost none of them pass. Discriminated unions are written
with ``if``/``then`` so each error points at the real leaf problem.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from naftiko_gen.diagnostics import Diagnostic, Level
from naftiko_gen.loader import LoadedSpec, PathKey

SCHEMA_RESOURCE = "naftiko-capability.schema.json"


@cache
def schema() -> dict[str, Any]:
    text = resources.files("naftiko_gen.schema").joinpath(SCHEMA_RESOURCE).read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(schema())


@dataclass
class SchemaResult:
    """Schema findings, sorted into what stops the build and what only leaves an operation out."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    # Operations, tools and consumed operations with a schema error: the normaliser leaves
    # them out (the error is reported here as a warning, or as an error under --strict).
    broken_units: set[PathKey] = field(default_factory=set)


def check_schema(spec: LoadedSpec) -> SchemaResult:
    """Every schema violation in ``spec``, one diagnostic per leaf error, in document order.

    Unknown keys are warnings (they are ignored, and a near-miss spelling is named); a problem
    inside one operation or tool is a warning that leaves that operation out; anything else is
    an error, because nothing sensible can be generated around it."""
    found: dict[tuple[PathKey, str], Diagnostic] = {}
    result = SchemaResult()
    for error in _leaf_errors(_validator().iter_errors(spec.data)):
        path = tuple(error.absolute_path)
        code, message, hint = _describe(error)
        if code == "unknown-key":
            diagnostic = spec.diagnostic(Level.WARNING, code, message, path, hint)
        else:
            diagnostic = spec.diagnostic(Level.ERROR, code, message, path, hint)
            unit = operation_unit(path)
            if unit is not None:
                result.broken_units.add(unit)
                what = (
                    "this operation"
                    if "operations" in unit
                    else "this tool" if "tools" in unit else _adapter(spec, unit)
                )
                diagnostic = replace(
                    diagnostic, level=Level.WARNING, message=f"{message}; {what} is left out"
                )
        found.setdefault((path, message), diagnostic)
    result.diagnostics = sorted(
        found.values(), key=lambda d: (d.location.line, d.location.column, d.message)
    )
    return result


_UNITS: tuple[tuple[str | type, ...], ...] = (
    ("capability", "exposes", int, "resources", int, "operations", int),
    ("capability", "exposes", int, "tools", int),
    ("capability", "exposes", int, "skills", int, "tools", int),
    ("capability", "consumes", int, "resources", int, "operations", int),
    # Anything else wrong inside one exposes adapter (a skill adapter without 'skills', a REST
    # adapter without 'resources'): that adapter is left out, the others are generated.
    ("capability", "exposes", int),
)


def _adapter(spec: LoadedSpec, unit: PathKey) -> str:
    """``this skill adapter ('ns')``: the exposes adapter at ``unit``, as the author knows it."""
    node: Any = spec.data
    for part in unit:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return "this adapter"
    if not isinstance(node, dict):
        return "this adapter"
    kind = node.get("type")
    known = isinstance(kind, str) and re.fullmatch(r"[A-Za-z][\w-]{0,40}", kind)
    text = f"this {kind} adapter" if known else "this adapter"
    namespace = node.get("namespace")
    return f"{text} ({str(namespace)!r})" if namespace else text


def operation_unit(path: PathKey) -> PathKey | None:
    """The operation, tool or exposes adapter that ``path`` lies inside, if any (the unit a
    problem leaves out)."""
    for pattern in _UNITS:
        if len(path) < len(pattern):
            continue
        prefix = path[: len(pattern)]
        if all(
            (isinstance(part, int) and not isinstance(part, bool)) if want is int else part == want
            for part, want in zip(prefix, pattern, strict=True)
        ):
            return prefix
    return None


def _leaf_errors(errors: Any) -> list[ValidationError]:
    leaves: list[ValidationError] = []
    for error in errors:
        if error.context:
            leaves.extend(_leaf_errors(error.context))
        elif error.validator not in ("if", "allOf"):
            leaves.append(error)
    return leaves


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _describe(error: ValidationError) -> tuple[str, str, str]:
    """Code, message and hint in words a spec author uses, not the validator's internal repr."""
    kind = error.validator
    expected: Any = error.validator_value
    instance: Any = error.instance
    subschema: Any = error.schema
    if kind == "required":
        missing = [key for key in expected if key not in (instance or {})]
        keys = ", ".join(repr(k) for k in missing)
        return "missing-key", f"missing required key {keys}", f"add {keys} here"
    if kind == "additionalProperties":
        allowed = sorted(subschema.get("properties", {}))
        extras = sorted(set(instance) - set(allowed))
        matches = {
            extra: match[0]
            for extra in extras
            if (match := difflib.get_close_matches(extra, allowed, n=1, cutoff=0.6))
        }
        guesses = [f"{extra!r} → {known!r}" for extra, known in matches.items()]
        hint = f"did you mean {', '.join(guesses)}? " if guesses else ""
        hint += f"allowed keys: {', '.join(allowed)}" if allowed else "remove it"
        misspelt = [extra for extra, known in matches.items() if known not in instance]
        if misspelt:
            # 'baseUrl' where 'baseUri' is missing: a typo, not an extra key to ignore.
            keys = ", ".join(repr(k) for k in misspelt)
            return "misspelt-key", f"unknown key {keys} (a misspelling?)", hint
        return (
            "unknown-key",
            f"unexpected key {', '.join(repr(k) for k in extras)} is ignored",
            hint,
        )
    if kind == "type":
        kinds = expected if isinstance(expected, list) else [expected]
        wanted = " or ".join(kinds)
        return (
            "wrong-type",
            f"expected {wanted}, got {_json_type(instance)} {_short(instance)}",
            f"write a {wanted} here",
        )
    if kind == "enum":
        choices = ", ".join(str(v) for v in expected)
        guess = difflib.get_close_matches(str(instance), [str(v) for v in expected], n=1)
        hint = f"did you mean {guess[0]!r}? " if guess else ""
        return "bad-value", f"{_short(instance)} is not one of {choices}", hint + f"use {choices}"
    if kind == "const":
        return "bad-value", f"expected {_short(expected)}, got {_short(instance)}", ""
    if kind == "minItems":
        plural = "s" if expected != 1 else ""
        return "empty-value", f"must contain at least {expected} item{plural}", ""
    if kind == "minLength":
        return "empty-value", "must not be empty", "write a value, or remove the key"
    if kind == "not":
        return "bad-value", f"{_short(instance)} is not allowed here", ""
    if kind == "pattern":
        what = subschema.get("description") or f"the pattern {expected}"
        return "bad-value", f"{_short(instance)} is not valid here: expected {what}", ""
    message = error.message if len(error.message) <= 160 else error.message[:157] + "..."
    return "schema", message, ""


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"
