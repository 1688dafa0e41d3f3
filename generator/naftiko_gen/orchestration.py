"""What an exposed REST operation or MCP tool does: the behaviour union of the model.

``call`` (one upstream call, its answer shaped by ``outputParameters``), a mock (no ``call``, no
``steps``: the outputs' ``value``s, §5.3) or ``steps`` (call, lookup and script steps whose
outputs ``mappings`` assemble, §3.6; scripts are read in :mod:`naftiko_gen.script_steps`). ``ref``
to an aggregate function is resolved in :mod:`naftiko_gen.aggregates` and ends up here too.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from naftiko_gen import naming, script_steps, shaping
from naftiko_gen.loader import PathKey
from naftiko_gen.model import (
    Behaviour,
    Call,
    CallPlan,
    CallStep,
    Input,
    LookupStep,
    MockPlan,
    ScriptStep,
    StepsPlan,
)
from naftiko_gen.pyliteral import py

if TYPE_CHECKING:
    from naftiko_gen.normalise import Normaliser


def behaviour(
    n: Normaliser,
    op: dict[str, Any],
    where: PathKey,
    adapter_ns: str,
    placeholders: dict[str, str],
    name: str,
    *,
    shared: bool = False,
) -> tuple[tuple[Input, ...], Behaviour, dict[str, Any] | None] | None:
    """Inputs, behaviour and (when known) the result's JSON schema of one exposed operation;
    ``None`` after a located error. A behaviour equal to one already built (the same tool on
    REST and MCP) is that one: operations.py defines it once."""
    built = _behaviour(n, op, where, adapter_ns, placeholders, "", shared=shared)
    if built is None:
        return None
    inputs, plan, schema = built
    for known in n.behaviour_pool:
        if replace(known, function="") == plan:
            return inputs, known, schema
    if plan.inline:
        return inputs, plan, schema
    named = replace(plan, function=function_name(name, n.operation_functions))
    n.behaviour_pool.append(named)
    return inputs, named, schema


def _behaviour(
    n: Normaliser,
    op: dict[str, Any],
    where: PathKey,
    adapter_ns: str,
    placeholders: dict[str, str],
    function: str,
    *,
    shared: bool = False,
) -> tuple[tuple[Input, ...], Behaviour, dict[str, Any] | None] | None:
    declared = n._declared_inputs(op.get("inputParameters"), where, placeholders)
    builder = shaping.OutputBuilder(n)
    outputs = op.get("outputParameters")
    if "steps" in op:
        return _steps(n, op, where, adapter_ns, placeholders, function, declared)
    if "call" in op:
        resolved = n._resolve_call(op.get("call"), (*where, "call"))
        if resolved is None:
            return None
        ns, consumed = resolved
        operation = n._build_operation(ns, consumed, (*where, "call"))
        if operation is None:
            return None
        inputs, bindings = n._bindings(
            resolved,
            operation,
            op.get("with"),
            declared,
            (*where, "with"),
            adapter_ns,
            placeholders,
        )
        call = Call(ns.attr, operation, bindings)
        if shaping.is_pass_through(outputs):
            return inputs, CallPlan(function, call, None, shared), None
        built = builder.outputs(outputs, (*where, "outputParameters"))
        if builder.failed:
            return None
        return inputs, CallPlan(function, call, built.expr, shared), built.output_schema
    if not shaping.has_values(outputs):
        n.error(
            "no-behaviour",
            "the operation has no 'call', 'steps' or 'ref', and no output 'value' to answer "
            "with as a mock",
            where,
        )
        return None
    built = builder.outputs(outputs, (*where, "outputParameters"))
    if builder.failed:
        return None
    return tuple(declared.values()), MockPlan(function, built.expr), None


def _steps(
    n: Normaliser,
    op: dict[str, Any],
    where: PathKey,
    adapter_ns: str,
    placeholders: dict[str, str],
    function: str,
    declared: dict[str, Input],
) -> tuple[tuple[Input, ...], Behaviour, dict[str, Any] | None] | None:
    raw_steps = op.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        n.error("bad-step", "'steps' must be a non-empty list of steps", (*where, "steps"))
        return None
    builder = shaping.OutputBuilder(n)
    inputs: dict[str, Input] = dict(declared)
    steps: list[CallStep | LookupStep | ScriptStep] = []
    names: set[str] = set()
    failed = False
    for s, step in enumerate(raw_steps):
        swhere = (*where, "steps", s)
        if not isinstance(step, dict) or not step.get("name"):
            n.error("bad-step", "a step needs a 'name' (the key of its output)", swhere)
            failed = True
            continue
        name = str(step["name"])
        kind = str(step.get("type") or ("call" if "call" in step else ""))
        if name in names:
            n.error("bad-step", f"step name {name!r} is used twice", (*swhere, "name"))
            failed = True
            continue
        names.add(name)
        if kind == "call":
            built_step = _call_step(n, step, swhere, adapter_ns, placeholders, declared, builder)
            if built_step is None:
                failed = True
                continue
            step_inputs, call_step = built_step
            for found in step_inputs:
                inputs.setdefault(found.name, found)
            steps.append(call_step)
        elif kind == "lookup":
            lookup = _lookup_step(n, step, swhere, name, [s.name for s in steps], builder)
            if lookup is None:
                failed = True
                continue
            steps.append(lookup)
        elif kind == "script":
            script = script_steps.script_step(n, step, swhere, name, n.governance, adapter_ns)
            if script is None:
                failed = True
                continue
            steps.append(script)
        else:
            n.error("bad-step", f"step type {kind!r} is not call, lookup or script", swhere)
            failed = True
    if failed:
        return None
    if not any(isinstance(step, CallStep | ScriptStep) for step in steps):
        n.error(
            "bad-step",
            "orchestrated steps need at least one 'call' or 'script' step",
            (*where, "steps"),
        )
        return None
    mappings = _mappings(n, op.get("mappings"), (*where, "mappings"), builder)
    if mappings is None or builder.failed:
        return None
    return tuple(inputs.values()), StepsPlan(function, tuple(steps), mappings), None


def _call_step(
    n: Normaliser,
    step: dict[str, Any],
    where: PathKey,
    adapter_ns: str,
    placeholders: dict[str, str],
    declared: dict[str, Input],
    builder: shaping.OutputBuilder,
) -> tuple[tuple[Input, ...], CallStep] | None:
    resolved = n._resolve_call(step.get("call"), (*where, "call"))
    if resolved is None:
        return None
    ns, consumed = resolved
    operation = n._build_operation(ns, consumed, (*where, "call"))
    if operation is None:
        return None
    inputs, bindings = n._bindings(
        resolved,
        operation,
        step.get("with"),
        declared,
        (*where, "with"),
        adapter_ns,
        placeholders,
    )
    projection = consumed.outputs
    projection_expr = None
    if isinstance(projection, list) and projection:
        with n._source(consumed.source):
            projection_expr = builder.outputs(
                projection, (*consumed.where, "outputParameters")
            ).expr
    call = Call(ns.attr, operation, bindings)
    return inputs, CallStep(str(step["name"]), call, projection_expr)


def _lookup_step(
    n: Normaliser,
    step: dict[str, Any],
    where: PathKey,
    name: str,
    earlier: list[str],
    builder: shaping.OutputBuilder,
) -> LookupStep | None:
    index = str(step.get("index") or "")
    if index not in earlier:
        known = ", ".join(earlier) or "none"
        n.error(
            "unknown-step",
            f"lookup step {name!r}: index {index!r} is not an earlier step (earlier: {known})",
            (*where, "index"),
        )
        return None
    match = step.get("match")
    if not isinstance(match, str) or not match:
        n.error("bad-step", "a lookup step needs 'match' (the field compared)", where)
        return None
    fields = step.get("outputParameters")
    names = [str(f.get("name") if isinstance(f, dict) else f) for f in _list(fields)]
    value = step.get("lookupValue")
    if not isinstance(value, str) or not value.strip():
        n.error("bad-step", "a lookup step needs 'lookupValue'", where)
        return None
    value = value.strip()
    if value.startswith("$"):
        return LookupStep(
            name, index, match, builder.path(value, (*where, "lookupValue")), None, tuple(names)
        )
    if problem := shaping.template_problem(value):
        n.error("bad-template", problem, (*where, "lookupValue"))
        return None
    elif (whole := shaping.whole_placeholder(value)) is not None:
        value_expr = f"resolve(arguments, {py(whole)})"
    else:
        value_expr = f"render({py(value)}, arguments)"
    return LookupStep(name, index, match, None, value_expr, tuple(names))


def _mappings(
    n: Normaliser, mappings: Any, where: PathKey, builder: shaping.OutputBuilder
) -> str | None:
    """``mappings`` → a tuple of ``((target, parts), path(...))`` pairs."""
    pairs = []
    for m, mapping in enumerate(_list(mappings)):
        mwhere = (*where, m)
        if not isinstance(mapping, dict) or not mapping.get("targetName"):
            n.error("bad-mapping", "a mapping needs 'targetName' and 'value'", mwhere)
            return None
        value = mapping.get("value")
        if not isinstance(value, str) or not value.strip().startswith("$"):
            n.error(
                "bad-mapping",
                f"mapping value {value!r} must be a path into the step outputs such as "
                "'$.step.field'",
                (*mwhere, "value"),
            )
            return None
        target = tuple(str(mapping["targetName"]).split("."))
        query = builder.path(value, (*mwhere, "value"))
        pairs.append(f"({py(target)}, path({py(query)}))")
    return "(" + "".join(f"{p}, " for p in pairs) + ")"


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def function_name(name: str, taken: set[str]) -> str:
    return naming.unique(naming.snake(name) or "operation", taken)
