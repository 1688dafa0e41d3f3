"""The pipeline: load → schema → normalise (semantic checks) → render → format."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from naftiko_gen import __version__, naming
from naftiko_gen.diagnostics import Diagnostic, Level, SpecError
from naftiko_gen.formatting import format_files
from naftiko_gen.loader import load_spec
from naftiko_gen.model import Capability
from naftiko_gen.normalise import normalise
from naftiko_gen.official_shape import ignored_keywords, official_shape
from naftiko_gen.render import render_package
from naftiko_gen.schema_check import check_schema
from naftiko_gen.writer import with_manifest


@dataclass(frozen=True)
class Generated:
    spec: Path
    model: Capability
    files: dict[str, str]
    diagnostics: tuple[Diagnostic, ...]


def validate(spec_path: Path, *, strict: bool = False) -> tuple[Capability, list[Diagnostic]]:
    """Check a spec fully; raise :class:`SpecError` listing every problem if it cannot build."""
    spec = load_spec(spec_path, display_name=str(spec_path))
    schema = check_schema(spec)
    try:
        model, diagnostics = normalise(
            spec,
            spec_file=spec_path.name,
            dist=naming.dist_name(spec_path.stem),
            broken_units=schema.broken_units,
        )
    except SpecError as exc:
        raise SpecError(_merge(schema.diagnostics, exc.diagnostics, strict)) from None
    diagnostics = _merge(
        schema.diagnostics + official_shape(spec) + ignored_keywords(spec), diagnostics, strict
    )
    if any(d.level is Level.ERROR for d in diagnostics):
        raise SpecError(diagnostics)
    return model, diagnostics


def generate(spec_path: Path, *, strict: bool = False) -> Generated:
    model, diagnostics = validate(spec_path, strict=strict)
    files = format_files(render_package(model))
    files = with_manifest(files, f"naftiko-gen {__version__}", model.spec_file)
    return Generated(spec_path, model, files, tuple(diagnostics))


def default_output(spec_path: Path, root: Path) -> Path:
    """``generated/<import package>`` for a spec, e.g. ``generated/web_sessions``."""
    return root / naming.package_name(naming.dist_name(spec_path.stem))


def _merge(first: list[Diagnostic], second: list[Diagnostic], strict: bool) -> list[Diagnostic]:
    """One sorted list without repeats; under ``--strict`` every warning is an error."""
    seen: set[str] = set()
    merged = []
    for diagnostic in [*first, *second]:
        if strict and diagnostic.level is Level.WARNING:
            diagnostic = replace(diagnostic, level=Level.ERROR)
        key = diagnostic.format()
        if key not in seen:
            seen.add(key)
            merged.append(diagnostic)
    return sorted(merged, key=lambda d: (d.location.line, d.location.column))
