"""The official Naftiko examples (``../shared/corpus/naftiko-framework/v1.0.0-alpha2``), staged
with their original folder layout so relative imports resolve, and what each one promises.

The corpus stores ``tutorial/shared/x.yaml`` as ``tutorial__shared__x.yaml``; staging turns every
``__`` back into ``/``. What an example promises is read from the spec itself (tool names, whether
a unit calls the upstream or is a mock), never from the generated code under test.
"""

from __future__ import annotations

import base64
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.support.paths import ROOT

FRAMEWORK = ROOT.parent / "shared" / "corpus" / "naftiko-framework" / "v1.0.0-alpha2"
DUMMY_SECRET = "stand-in-secret-7c1e"
# The value every string argument gets (an IMO number, so the shipyard examples look up a ship).
ARGUMENT = "IMO-9321483"


def example_names() -> list[str]:
    """Runnable examples (files with a ``capability``) as staged paths; [] without the corpus."""
    if not FRAMEWORK.is_dir():
        return []
    names = []
    for path in sorted(FRAMEWORK.iterdir()):
        data = yaml.safe_load(path.read_text("utf-8"))
        if isinstance(data, dict) and isinstance(data.get("capability"), dict):
            names.append(path.name.replace("__", "/"))
    return names


def stage(target: Path) -> Path:
    """Copy every example into ``target`` with its original layout; return ``target``."""
    for path in FRAMEWORK.iterdir():
        destination = target / path.name.replace("__", "/")
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination)
    return target


@dataclass(frozen=True)
class Unit:
    """An exposed MCP tool or REST operation as the spec declares it."""

    name: str
    reaches_upstream: bool


def _aggregate_functions(capability: dict[str, Any]) -> dict[str, dict[str, Any]]:
    functions: dict[str, dict[str, Any]] = {}
    for aggregate in capability.get("aggregates") or []:
        for function in aggregate.get("functions") or []:
            functions[f"{aggregate.get('namespace')}.{function.get('name')}"] = function
    return functions


def _reaches_upstream(unit: dict[str, Any], functions: dict[str, dict[str, Any]]) -> bool:
    if "ref" in unit and unit["ref"] in functions:
        return _reaches_upstream(functions[unit["ref"]], functions)
    steps = unit.get("steps") or []
    return "call" in unit or any(step.get("type") == "call" for step in steps)


def declares(spec: dict[str, Any], adapter_type: str) -> bool:
    """Whether the spec has an exposes adapter of that type."""
    return any(a.get("type") == adapter_type for a in spec["capability"].get("exposes") or [])


def mcp_tools(spec: dict[str, Any]) -> list[Unit]:
    capability = spec["capability"]
    functions = _aggregate_functions(capability)
    tools = []
    for adapter in capability.get("exposes") or []:
        if adapter.get("type") == "mcp":
            for tool in adapter.get("tools") or []:
                name = tool.get("name") or functions.get(tool.get("ref", ""), {}).get("name")
                tools.append(Unit(str(name), _reaches_upstream(tool, functions)))
    return tools


def inbound_headers(spec: dict[str, Any], adapter_type: str) -> dict[str, str]:
    """The credentials a caller needs for an adapter with inbound ``authentication``: every bind
    variable is set to :data:`DUMMY_SECRET`, so the expected secret is always that value."""
    for adapter in spec["capability"].get("exposes") or []:
        if adapter.get("type") != adapter_type:
            continue
        auth = adapter.get("authentication") or {}
        kind = auth.get("type")
        if kind == "bearer":
            return {"Authorization": f"Bearer {DUMMY_SECRET}"}
        if kind == "apikey" and auth.get("placement", "header") == "header":
            return {str(auth.get("key") or auth.get("name")): DUMMY_SECRET}
        if kind == "basic":
            pair = base64.b64encode(f"{DUMMY_SECRET}:{DUMMY_SECRET}".encode()).decode()
            return {"Authorization": f"Basic {pair}"}
    return {}


def example_arguments(schema: dict[str, Any]) -> dict[str, Any]:
    """A value for every declared argument, shaped by its JSON type."""
    values: dict[str, Any] = {
        "string": ARGUMENT,
        "integer": 1,
        "number": 1,
        "boolean": True,
        "object": {},
        "array": [],
    }
    properties: dict[str, Any] = schema.get("properties") or {}
    return {
        name: values.get(str(prop.get("type", "string")), ARGUMENT)
        for name, prop in properties.items()
    }


def rest_bodies(spec: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """(method, OpenAPI path) -> a JSON body with a value for every ``in: body`` input the spec
    declares for that REST operation (the OpenAPI path writes ``{{p}}`` as ``{p}``)."""
    bodies: dict[tuple[str, str], dict[str, Any]] = {}
    for adapter in spec["capability"].get("exposes") or []:
        if adapter.get("type") != "rest":
            continue
        for resource in adapter.get("resources") or []:
            path = str(resource.get("path", "")).replace("{{", "{").replace("}}", "}")
            for operation in resource.get("operations") or []:
                properties = {
                    str(p["name"]): p
                    for p in operation.get("inputParameters") or []
                    if p.get("in") == "body"
                }
                method = str(operation.get("method", "GET")).lower()
                bodies[method, path] = example_arguments({"properties": properties})
    return bodies
