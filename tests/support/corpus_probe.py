"""Does a generated package work? Import it and ask its adapters what they serve.

``make corpus`` calls :func:`probe` for every spec that builds. A build that renders and formats
can still be broken: a name that shadows a module, an import cycle, a route Starlette rejects, a
tool schema pydantic refuses. So the package is written to a temporary folder, imported, and its
REST app and MCP server are constructed exactly as ``<package> serve`` constructs them, without
network (constructing ``Upstreams`` opens nothing; only ``async with`` does). The routes the app
lists and the tools the server's ``tools/list`` handler answers must equal what the model says.

Packages are imported in the calling process, which keeps ``mcp``, Starlette and pydantic loaded
across thousands of specs, and are purged from ``sys.modules`` afterwards. A package whose name is
already taken in this process (``tests``, ``mcp``...) is probed in a fresh interpreter instead.

Only the standard library is imported at module level: the fresh interpreter runs this file as a
script in isolated mode, where the repository (and its ``tests`` package) is not on the path.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import importlib
import importlib.util
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from naftiko_gen.build import Generated

# Any URI works: nothing is sent. Port 9 (discard) makes an accidental request fail fast.
DUMMY_BASE_URI = "http://127.0.0.1:9"
DUMMY_SECRET = "corpus-probe-dummy"
# Routes every generated REST app serves besides the spec's operations.
BUILT_IN_ROUTES = [("GET", "/openapi.json"), ("GET", "/healthz")]
# What the generated forward.py routes for each REST ``forward`` rule (HEAD rides on GET).
FORWARD_METHODS = ("DELETE", "GET", "OPTIONS", "PATCH", "POST", "PUT")


@dataclass(frozen=True)
class ProbeResult:
    """``problem`` is empty when the package imported and served exactly the expected surface."""

    problem: str
    routes: int
    tools: int


class ProbeFailed(Exception):
    """The generated package could not be imported or its adapters could not be built."""


def expected_surface(generated: Generated) -> tuple[list[tuple[str, str]] | None, list[str] | None]:
    """``(method, path)`` per REST operation and forward rule, and MCP tool names; ``None`` for a
    missing adapter."""
    model = generated.model
    routes = None
    if model.rest is not None:
        routes = [(op.http_method.upper(), op.path) for op in model.rest.operations]
        routes += [(m, rule.route) for rule in model.rest.forwards for m in FORWARD_METHODS]
    tools = None if model.mcp is None else [tool.name for tool in model.mcp.tools]
    return routes, tools


def probe(generated: Generated, timeout: float = 120.0) -> ProbeResult:
    """Write, import and interrogate one generated package; never raises for a broken package."""
    routes, tools = expected_surface(generated)
    package = generated.model.package
    with tempfile.TemporaryDirectory(prefix="corpus-probe-") as tmp:
        for relpath, text in generated.files.items():
            target = Path(tmp, relpath)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        # The package sits beside pyproject.toml in the generated tree: find its folder.
        init = next(Path(tmp).rglob(f"{package}/__init__.py"), None)
        if init is None:
            return ProbeResult(f"no {package}/__init__.py among the generated files", 0, 0)
        root = str(init.parent.parent)
        try:
            if package in sys.stdlib_module_names:
                raise ProbeFailed(
                    f"package name {package!r} is a standard-library module: "
                    "installed, it could never be imported"
                )
            if package in sys.modules or importlib.util.find_spec(package) is not None:
                actual = _inspect_in_subprocess(
                    root, package, routes is not None, tools is not None, timeout
                )
            else:
                actual = _inspect_here(root, package, routes is not None, tools is not None)
        except ProbeFailed as exc:
            return ProbeResult(str(exc), 0, 0)
    return _compare(routes, tools, actual)


def _compare(
    routes: list[tuple[str, str]] | None, tools: list[str] | None, actual: dict[str, Any]
) -> ProbeResult:
    """Multisets, so a route or tool listed twice is a mismatch too."""
    problems = []
    if routes is not None:
        want = collections.Counter([*routes, *BUILT_IN_ROUTES])
        got = collections.Counter((m, p) for m, p in actual["routes"])
        problems += _difference("route", want, got)
    if tools is not None:
        want_tools = collections.Counter(tools)
        problems += _difference("tool", want_tools, collections.Counter(actual["tools"]))
    return ProbeResult("; ".join(problems), len(routes or ()), len(tools or ()))


def _difference(
    kind: str, want: collections.Counter[Any], got: collections.Counter[Any]
) -> list[str]:
    def show(items: collections.Counter[Any]) -> str:
        names = sorted(" ".join(i) if isinstance(i, tuple) else str(i) for i in items.elements())
        return ", ".join(names[:5]) + (f" (+{len(names) - 5} more)" if len(names) > 5 else "")

    problems = []
    if missing := want - got:
        problems.append(f"{kind}s missing: {show(missing)}")
    if extra := got - want:
        problems.append(f"unexpected {kind}s: {show(extra)}")
    return problems


def _inspect_here(root: str, package: str, rest: bool, mcp: bool) -> dict[str, Any]:
    """Import from ``root`` in this process, then forget the package: the next one starts clean."""
    sys.path.insert(0, root)
    importlib.invalidate_caches()
    try:
        return inspect_package(package, rest, mcp)
    except ProbeFailed:
        raise
    except Exception as exc:
        raise ProbeFailed(f"{type(exc).__name__}: {exc}") from None
    finally:
        sys.path.remove(root)
        sys.path_importer_cache.pop(root, None)
        for name in [n for n in sys.modules if n == package or n.startswith(f"{package}.")]:
            del sys.modules[name]


def _inspect_in_subprocess(
    root: str, package: str, rest: bool, mcp: bool, timeout: float
) -> dict[str, Any]:
    """``python -I this_file ROOT PACKAGE REST MCP``: nothing of ours on the path but ``root``."""
    command = [sys.executable, "-I", __file__, root, package, str(rest), str(mcp)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise ProbeFailed(f"probe subprocess did not finish in {timeout:.0f} s") from None
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or [f"exit status {done.returncode}"]
        raise ProbeFailed(f"in a fresh interpreter: {lines[-1]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def inspect_package(package: str, rest: bool, mcp: bool) -> dict[str, Any]:
    """Build the adapters the way the generated ``cli.serve`` does; list routes and tools.

    Importing ``<package>.cli`` first imports every module ``serve`` needs, so an import error
    anywhere in the package shows here. Settings are made from the package's own ``Settings``
    dataclass rather than from environment variable names, which are the generator's business.
    """
    importlib.import_module(f"{package}.cli")
    settings_module = importlib.import_module(f"{package}.settings")
    upstream_module = importlib.import_module(f"{package}.upstream")
    upstreams = upstream_module.Upstreams(_dummy(settings_module.Settings, vars(settings_module)))
    result: dict[str, Any] = {"routes": None, "tools": None}
    if rest:
        app = importlib.import_module(f"{package}.rest_app").build_app(upstreams)
        result["routes"] = [
            (method, route.path) for route in app.routes for method in _methods(route)
        ]
    if mcp:
        server = importlib.import_module(f"{package}.mcp_server").build_server(upstreams)
        result["tools"] = asyncio.run(_list_tools(server))
    return result


def _methods(route: Any) -> list[str]:
    """Starlette adds HEAD to every GET route; the spec did not ask for it."""
    methods = set(getattr(route, "methods", None) or ())
    if "GET" in methods:
        methods.discard("HEAD")
    return sorted(methods)


async def _list_tools(server: Any) -> list[str]:
    """Call the registered ``tools/list`` handler directly and serialise its answer as the wire
    would, following pagination. The generated handler does not use the request context."""
    entry = server.get_request_handler("tools/list")
    if entry is None:
        raise ProbeFailed("the MCP server has no tools/list handler")
    names: list[str] = []
    params = None
    while True:
        listed = await entry.handler(None, params)
        listed.model_dump_json(by_alias=True, exclude_none=True)
        names += [tool.name for tool in listed.tools]
        if not listed.next_cursor:
            return names
        params = entry.params_type.model_validate({"cursor": listed.next_cursor})


def _dummy(cls: Any, namespace: dict[str, Any]) -> Any:
    """An instance of a settings dataclass with harmless values for every field without default."""
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise ProbeFailed(f"{getattr(cls, '__name__', cls)} is not a dataclass")
    values = {}
    for field in dataclasses.fields(cls):
        if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            values[field.name] = _dummy_value(field.name, field.type, namespace)
    return cls(**values)


def _dummy_value(name: str, annotation: Any, namespace: dict[str, Any]) -> Any:
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    if dataclasses.is_dataclass(namespace.get(text)):
        return _dummy(namespace[text], namespace)
    if "None" in text:
        return None
    if text.startswith("tuple"):
        return ()
    if text == "bool":
        return True
    if text in ("int", "float"):
        return 30
    if name.endswith(("uri", "url")):
        return DUMMY_BASE_URI
    return DUMMY_SECRET


def _main(argv: list[str]) -> int:
    """Subprocess entry point: print the JSON :func:`inspect_package` returns."""
    root, package, rest, mcp = argv
    sys.path.insert(0, root)
    print(json.dumps(inspect_package(package, rest == "True", mcp == "True")))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
