"""Structural validation against the project's own JSON Schema, reported as located diagnostics.

The schema (``schema/naftiko-capability.schema.json``) describes the dialect real specs are written
in, not the official alpha2 schema that almost none of them pass. Discriminated unions are written
with ``if``/``then`` so each error points at the real leaf problem.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from naftiko_gen.diagnostics import Diagnostic, Level
from naftiko_gen.loader import LoadedSpec

SCHEMA_RESOURCE = "naftiko-capability.schema.json"


@cache
def schema() -> dict[str, Any]:
    text = resources.files("naftiko_gen.schema").joinpath(SCHEMA_RESOURCE).read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(schema())


def check_schema(spec: LoadedSpec) -> list[Diagnostic]:
    """Every schema violation in ``spec``, one diagnostic per leaf error, in document order."""
    found: dict[tuple[tuple[str | int, ...], str], Diagnostic] = {}
    for error in _leaf_errors(_validator().iter_errors(spec.data)):
        path = tuple(error.absolute_path)
        message = _describe(error)
        found.setdefault((path, message), spec.diagnostic(Level.ERROR, "schema", message, path))
    return sorted(found.values(), key=lambda d: (d.location.line, d.location.column, d.message))


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


def _describe(error: ValidationError) -> str:
    """Say what is wrong in words a spec author uses, not the validator's internal repr."""
    kind = error.validator
    expected: Any = error.validator_value
    instance: Any = error.instance
    subschema: Any = error.schema
    if kind == "required":
        missing = [key for key in expected if key not in (instance or {})]
        return f"missing required key {', '.join(repr(k) for k in missing)}"
    if kind == "additionalProperties":
        allowed = sorted(subschema.get("properties", {}))
        extras = sorted(set(instance) - set(allowed))
        hint = f"; allowed keys: {', '.join(allowed)}" if allowed else ""
        return f"unexpected key {', '.join(repr(k) for k in extras)}{hint}"
    if kind == "type":
        kinds = expected if isinstance(expected, list) else [expected]
        return f"expected {' or '.join(kinds)}, got {_json_type(instance)} {_short(instance)}"
    if kind == "enum":
        return f"{_short(instance)} is not one of {', '.join(str(v) for v in expected)}"
    if kind == "const":
        return f"expected {_short(expected)}, got {_short(instance)}"
    if kind == "minItems":
        return f"must contain at least {expected} item{'s' if expected != 1 else ''}"
    if kind == "minLength":
        return "must not be empty"
    if kind == "not":
        return f"{_short(instance)} is not allowed here"
    return error.message if len(error.message) <= 160 else error.message[:157] + "..."


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
