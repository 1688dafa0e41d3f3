"""The ``naftiko-gen`` command line: validate, build and check capability specs."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import click

from naftiko_gen import __version__
from naftiko_gen.build import default_output, generate, validate
from naftiko_gen.diagnostics import Diagnostic, SpecError
from naftiko_gen.formatting import TemplateBug
from naftiko_gen.writer import OutputError, diff_tree, write_tree

SPECS = click.argument(
    "specs", nargs=-1, required=True, type=click.Path(path_type=Path, exists=True)
)
OUTPUT = click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for the generated package (one spec) or parent folder (several specs). "
    "Default: generated/<package>.",
)
STRICT = click.option("--strict", is_flag=True, help="Treat every warning as an error.")
FORMAT = click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    help="Diagnostics as compiler-style text (stderr) or one JSON document (stdout).",
)

# Exit codes: 0 ok (warnings allowed), 1 a spec is invalid (or output is stale), 2 usage or I/O,
# 3 a bug in naftiko-gen itself (reported in one line, never as a traceback).
EXIT_INVALID = 1
EXIT_IO = 2
EXIT_BUG = 3


def _expand(specs: tuple[Path, ...]) -> tuple[Path, ...]:
    """A folder stands for the ``*.yaml``/``*.yml`` specs directly inside it, in name order."""
    expanded: list[Path] = []
    for spec in specs:
        if spec.is_dir():
            expanded.extend(sorted(p for p in spec.iterdir() if p.suffix in (".yaml", ".yml")))
        else:
            expanded.append(spec)
    return tuple(expanded)


class _Report:
    """Collects what each spec produced so ``--format json`` can print one document at the end;
    in text mode each diagnostic is printed as soon as it is known."""

    def __init__(self, output_format: str) -> None:
        self.json = output_format == "json"
        self.specs: list[dict[str, Any]] = []

    def spec(
        self, spec: Path, status: str, diagnostics: Sequence[Diagnostic], **extra: Any
    ) -> None:
        if self.json:
            records = [d.to_json() for d in diagnostics]
            self.specs.append(
                {"spec": str(spec), "status": status, "diagnostics": records, **extra}
            )
            return
        for diagnostic in diagnostics:
            click.echo(diagnostic.format(), err=True)

    def note(self, message: str) -> None:
        if not self.json:
            click.echo(message, err=True)

    def finish(self, code: int) -> NoReturn:
        if self.json:
            click.echo(json.dumps({"exit_code": code, "specs": self.specs}, indent=2))
        sys.exit(code)


def _target(spec: Path, output: Path | None, many: bool) -> Path:
    if output is None:
        return default_output(spec, Path("generated"))
    return default_output(spec, output) if many else output


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="naftiko-gen")
def main() -> None:
    """Generate typed Python REST + MCP packages from Naftiko capability specs."""


@main.command("validate")
@SPECS
@STRICT
@FORMAT
def validate_command(specs: tuple[Path, ...], strict: bool, output_format: str) -> None:
    """Check specs against the schema and the semantic rules; exit 1 on any error."""
    report = _Report(output_format)
    code = 0
    for spec in _expand(specs):
        try:
            _, diagnostics = validate(spec, strict=strict)
        except SpecError as exc:
            report.spec(spec, "invalid", exc.diagnostics)
            code = max(code, _failure_code(exc.diagnostics))
            continue
        report.spec(spec, "ok", diagnostics)
        report.note(f"{spec}: ok" + (f" ({len(diagnostics)} warnings)" if diagnostics else ""))
    report.finish(code)


def _failure_code(diagnostics: Sequence[Diagnostic]) -> int:
    """A file that cannot be read at all is an I/O problem (2), not an invalid spec (1)."""
    return EXIT_IO if any(d.code == "unreadable" for d in diagnostics) else EXIT_INVALID


@main.command("build")
@SPECS
@OUTPUT
@STRICT
@FORMAT
@click.option("--force", is_flag=True, help="Overwrite output edited by hand or not ours.")
def build_command(
    specs: tuple[Path, ...], output: Path | None, strict: bool, output_format: str, force: bool
) -> None:
    """Generate a package for each spec (all specs are checked before anything is written)."""
    report = _Report(output_format)
    specs = _expand(specs)
    results = []
    code = 0
    for spec in specs:
        try:
            generated = generate(spec, strict=strict)
        except SpecError as exc:
            report.spec(spec, "invalid", exc.diagnostics)
            code = max(code, _failure_code(exc.diagnostics))
            continue
        except TemplateBug as exc:
            report.note(f"{spec}: internal error: {exc}")
            code = max(code, EXIT_INVALID)
            continue
        results.append(generated)
    if code:
        report.note("nothing written: fix the errors above")
        report.finish(code)
    for generated in results:
        target = _target(generated.spec, output, len(specs) > 1)
        try:
            write_tree(target, generated.files, force=force)
        except (OutputError, OSError) as exc:
            report.spec(generated.spec, "not-written", generated.diagnostics, error=str(exc))
            report.note(f"{generated.spec}: error: {exc}")
            report.finish(EXIT_IO)
        report.spec(generated.spec, "built", generated.diagnostics, output=str(target))
        report.note(f"{generated.spec} → {target} ({len(generated.files)} files)")
    report.finish(0)


@main.command("check")
@SPECS
@OUTPUT
def check_command(specs: tuple[Path, ...], output: Path | None) -> None:
    """Exit 1 if committed output differs from a fresh build (the CI regeneration step)."""
    specs = _expand(specs)
    stale = False
    for spec in specs:
        try:
            generated = generate(spec)
        except SpecError as exc:
            for diagnostic in exc.diagnostics:
                click.echo(diagnostic.format(), err=True)
            sys.exit(EXIT_IO)
        target = _target(spec, output, len(specs) > 1)
        diff = diff_tree(target, generated.files)
        if diff.clean:
            click.echo(f"{spec}: {target} is up to date", err=True)
            continue
        stale = True
        click.echo(f"{spec}: {target} is stale; run: naftiko-gen build {spec}", err=True)
        for label, paths in (
            ("changed", diff.changed),
            ("missing", diff.missing),
            ("extra", diff.extra),
        ):
            for path in paths:
                click.echo(f"  {label}: {target / path}", err=True)
    sys.exit(1 if stale else 0)


def entry() -> None:
    """The console script: a bug in naftiko-gen is one line asking for a report, not a traceback
    (``NAFTIKO_GEN_DEBUG=1`` shows the traceback)."""
    try:
        main()
    except Exception as exc:
        if os.environ.get("NAFTIKO_GEN_DEBUG"):
            raise
        click.echo(
            f"naftiko-gen: internal error ({type(exc).__name__}: {exc}); this is a naftiko-gen "
            "bug: please report it with the spec (NAFTIKO_GEN_DEBUG=1 shows the traceback)",
            err=True,
        )
        sys.exit(EXIT_BUG)
