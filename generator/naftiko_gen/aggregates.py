"""``capability.aggregates`` and ``ref`` (semantics §5.4).

A function is defined once under an aggregate namespace and exposed by REST operations and MCP
tools with ``ref: <aggregateNamespace>.<function>``. It is built once (one function of the
generated operations.py, whoever exposes it); the exposing operation or tool inherits its name
and description, takes its inputs when it declares none, and an MCP tool derives its hints from
the function's ``semantics`` (explicit ``hints`` win, key by key).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from naftiko_gen import orchestration
from naftiko_gen.loader import PathKey
from naftiko_gen.model import Behaviour, Input

if TYPE_CHECKING:
    from naftiko_gen.normalise import Normaliser


@dataclass
class _Function:
    namespace: str
    name: str
    spec: dict[str, Any]
    where: PathKey
    # Built on first use: (inputs, behaviour, output schema), or None after an error.
    built: tuple[tuple[Input, ...], Behaviour, dict[str, Any] | None] | None = None
    tried: bool = False


@dataclass
class Index:
    functions: dict[str, _Function] = field(default_factory=dict)


@dataclass(frozen=True)
class Exposed:
    """What a ``ref`` operation or tool becomes."""

    merged: dict[str, Any]
    inputs: tuple[Input, ...]
    behaviour: Behaviour
    output_schema: dict[str, Any] | None
    hints: dict[str, bool]


def namespaces(capability: dict[str, Any]) -> set[str]:
    entries = capability.get("aggregates")
    return {
        str(entry["namespace"])
        for entry in (entries if isinstance(entries, list) else [])
        if isinstance(entry, dict) and entry.get("namespace")
    }


def index(n: Normaliser, capability: dict[str, Any]) -> Index:
    """Every function by ``namespace.name``; a duplicate key is an error (the engine fails)."""
    found = Index()
    entries = capability.get("aggregates")
    for a, entry in enumerate(entries if isinstance(entries, list) else []):
        where: PathKey = ("capability", "aggregates", a)
        if not isinstance(entry, dict):
            continue
        namespace = str(entry.get("namespace") or "")
        if not namespace:
            n.error("missing-namespace", "aggregate has no 'namespace'", where)
            continue
        functions = entry.get("functions")
        for f, function in enumerate(functions if isinstance(functions, list) else []):
            fwhere = (*where, "functions", f)
            if not isinstance(function, dict) or not function.get("name"):
                n.error("bad-aggregate-function", "aggregate function has no 'name'", fwhere)
                continue
            key = f"{namespace}.{function['name']}"
            if key in found.functions:
                first = n.spec.location(found.functions[key].where)
                n.error(
                    "duplicate-aggregate-function",
                    f"aggregate function {key!r} is declared twice (first at line {first.line})",
                    (*fwhere, "name"),
                )
                continue
            found.functions[key] = _Function(namespace, str(function["name"]), function, fwhere)
    return found


def exposed(
    n: Normaliser, op: dict[str, Any], where: PathKey, adapter_ns: str, placeholders: dict[str, str]
) -> Exposed | None:
    ref = str(op.get("ref") or "")
    function = n.aggregates.functions.get(ref)
    if function is None:
        close = difflib.get_close_matches(ref, list(n.aggregates.functions), n=1)
        n.error(
            "unknown-ref",
            f"ref {ref!r} names no aggregate function (write '<aggregateNamespace>.<function>')",
            (*where, "ref"),
            f"did you mean {close[0]}?" if close else "",
        )
        return None
    for key in ("call", "steps", "with", "mappings", "outputParameters"):
        if key in op:
            n.warning(
                "ref-overrides-ignored",
                f"{key!r} next to 'ref' is ignored: the aggregate function {ref!r} defines "
                "what the operation does",
                (*where, key),
            )
    built = _build(n, function)
    if built is None:
        n.error(
            "broken-aggregate-function",
            f"aggregate function {ref!r} cannot be generated (see the problems reported for it)",
            (*where, "ref"),
        )
        return None
    inputs, behaviour, output_schema = built
    merged = dict(op)
    for key in ("name", "description"):
        if not merged.get(key) and function.spec.get(key):
            merged[key] = function.spec[key]
    if op.get("inputParameters"):
        own = n._declared_inputs(op.get("inputParameters"), where, placeholders)
        inputs = tuple({**{i.name: i for i in inputs}, **own}.values())
    else:
        inputs = tuple(_placed(i, placeholders) for i in inputs)
    return Exposed(merged, inputs, behaviour, output_schema, hints(function.spec.get("semantics")))


def _build(
    n: Normaliser, function: _Function
) -> tuple[tuple[Input, ...], Behaviour, dict[str, Any] | None] | None:
    """The function's behaviour, built once with the aggregate namespace as its ``with``
    qualifier; its errors are reported once, at the function."""
    if not function.tried:
        function.tried = True
        name = f"{function.namespace}_{function.name}"
        function.built = orchestration.behaviour(
            n, function.spec, function.where, function.namespace, {}, name, shared=True
        )
    return function.built


def _placed(found: Input, placeholders: dict[str, str]) -> Input:
    """A function input read from the exposing REST route: a path variable when the path has it."""
    from naftiko_gen.normalise import _match_placeholder

    key = _match_placeholder(placeholders, found.name)
    if key is None:
        return found
    return replace(found, rest_source="path", rest_key=key, required=True)


def hints(semantics: Any) -> dict[str, bool]:
    """MCP hints from ``semantics``: ``safe`` gives readOnly (and not destructive when safe),
    ``idempotent`` is copied; ``cacheable`` and ``openWorld`` are not derived (§4.4)."""
    derived: dict[str, bool] = {}
    if not isinstance(semantics, dict):
        return derived
    safe = semantics.get("safe")
    if isinstance(safe, bool):
        derived["readOnlyHint"] = safe
        if safe:
            derived["destructiveHint"] = False
    if isinstance(semantics.get("idempotent"), bool):
        derived["idempotentHint"] = semantics["idempotent"]
    return derived
