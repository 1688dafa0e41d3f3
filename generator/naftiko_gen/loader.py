"""Load a YAML spec into plain data plus a table of source positions, refusing what YAML would hide.

PyYAML's composer keeps line/column marks on nodes; we walk the node graph ourselves so that every
value's position is known (for located errors), duplicate keys become errors instead of silently
keeping the last one, and alias expansion is bounded (an alias bomb cannot exhaust memory).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from naftiko_gen.diagnostics import Diagnostic, Level, Location, SpecError, json_path

PathKey = tuple[str | int, ...]

# libyaml's parser is about 3x faster on large specs and keeps the same marks.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_FILE_BYTES = 16 * 1024 * 1024
# The largest real spec we know (1,500 files) has 42,580 values. Composing a node costs about
# 0.5 KiB and 20 µs, so this bounds a load to roughly 150 MiB and a few seconds; the count is
# checked on the event stream before any node exists, and again after alias expansion.
MAX_NODES = 250_000
MAX_DEPTH = 200
MAX_ERRORS = 100  # reporting a hundred thousand duplicate keys helps nobody and costs seconds


@dataclass
class LoadedSpec:
    """A parsed spec: plain JSON-like data and where each value came from."""

    file: str
    text: str
    data: Any
    positions: dict[PathKey, tuple[int, int]] = field(default_factory=dict)

    def location(self, path: PathKey) -> Location:
        """Position of ``path``, or of its nearest ancestor that has one."""
        probe = path
        while True:
            if probe in self.positions:
                line, column = self.positions[probe]
                return Location(self.file, line, column)
            if not probe:
                return Location(self.file)
            probe = probe[:-1]

    def diagnostic(
        self, level: Level, code: str, message: str, path: PathKey, hint: str = ""
    ) -> Diagnostic:
        return Diagnostic(level, code, message, self.location(path), json_path(path), hint)


class _Walker:
    def __init__(self, spec: LoadedSpec, loader: yaml.SafeLoader) -> None:
        self.spec = spec
        self.loader = loader
        self.count = 0
        self.errors: list[Diagnostic] = []

    def fail(self, code: str, message: str, mark: yaml.Mark | None, path: PathKey) -> None:
        location = (
            Location(self.spec.file, mark.line + 1, mark.column + 1)
            if mark
            else Location(self.spec.file)
        )
        self.errors.append(Diagnostic(Level.ERROR, code, message, location, json_path(path)))
        if len(self.errors) >= MAX_ERRORS:
            raise _Stop

    def walk(self, node: yaml.Node, path: PathKey, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _Abort("yaml-too-large", f"more than {MAX_NODES:,} values after alias expansion")
        if depth > MAX_DEPTH:
            raise _Abort("yaml-too-deep", f"nesting deeper than {MAX_DEPTH} levels")
        self.spec.positions.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self.walk(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        return self._scalar(node)

    def _mapping(self, node: yaml.MappingNode, path: PathKey, depth: int) -> dict[str, Any]:
        self.loader.flatten_mapping(node)  # resolves `<<` merge keys the way PyYAML would
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = self._scalar(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str | int | float | bool) or key is None:
                self.fail(
                    "yaml-key", "mapping keys must be plain scalars", key_node.start_mark, path
                )
                continue
            key_text = str(key).lower() if isinstance(key, bool) else str(key)
            if key_text in result:
                self.fail(
                    "duplicate-key",
                    f"duplicate key {key_text!r}: YAML would silently keep only the last value",
                    key_node.start_mark,
                    (*path, key_text),
                )
                continue
            result[key_text] = self.walk(value_node, (*path, key_text), depth + 1)
        return result

    def _scalar(self, node: yaml.Node) -> Any:
        value = self.loader.construct_object(node, deep=True)
        if isinstance(value, _dt.datetime | _dt.date):
            return value.isoformat()
        if isinstance(value, bytes):
            return value.decode("latin-1")
        return value


class _Stop(Exception):
    """Enough errors to report: stop walking."""


class _Abort(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _refusal(code: str, message: str, location: Location) -> SpecError:
    return SpecError([Diagnostic(Level.ERROR, code, message, location)])


def _count_events(text: str) -> None:
    """Refuse a document with too many values before composing it: PyYAML builds the whole node
    graph (and libyaml every mark) first, which for a 16 MiB list of small values is minutes of
    work and gigabytes of memory."""
    values = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.NodeEvent) and not isinstance(event, yaml.AliasEvent):
            values += 1
            if values > MAX_NODES:
                raise _Abort("yaml-too-large", f"more than {MAX_NODES:,} values")


def load_spec(path: Path, display_name: str | None = None) -> LoadedSpec:
    """Read and parse ``path``; raise :class:`SpecError` with located diagnostics on any problem."""
    name = display_name or str(path)
    where = Location(name)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise _refusal("unreadable", f"cannot read file: {reason}", where) from None
    if len(raw) > MAX_FILE_BYTES:
        message = f"file is {len(raw):,} bytes; the limit is {MAX_FILE_BYTES:,}"
        raise _refusal("file-too-large", message, where)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        message = f"file is not UTF-8 text (invalid byte at offset {exc.start})"
        raise _refusal("not-utf8", message, where) from None
    return parse_text(text, name)


def parse_text(text: str, name: str) -> LoadedSpec:
    """Parse YAML text already in memory (used by tests and by ``load_spec``)."""
    spec = LoadedSpec(file=name, text=text, data=None)
    if "\x00" in text:
        raise _refusal("binary", "file contains NUL bytes", Location(name))
    loader = _Loader(text)
    walker = _Walker(spec, loader)
    try:
        _count_events(text)
        node = loader.get_single_node()
        if node is None:
            raise _refusal("empty", "file is empty: expected a YAML mapping", Location(name))
        spec.data = walker.walk(node, (), 0)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        location = Location(name, mark.line + 1, mark.column + 1) if mark else Location(name)
        problem = exc.problem or exc.context or "invalid YAML"
        raise _refusal("yaml", f"invalid YAML: {problem}", location) from None
    except yaml.YAMLError as exc:
        raise _refusal("yaml", f"invalid YAML: {exc}", Location(name)) from None
    except _Abort as exc:
        raise _refusal(exc.code, str(exc), Location(name)) from None
    except RecursionError:
        raise _refusal("yaml-too-deep", "nesting is too deep", Location(name)) from None
    except _Stop:
        pass
    finally:
        loader.dispose()
    if walker.errors:
        raise SpecError(walker.errors)
    return spec
