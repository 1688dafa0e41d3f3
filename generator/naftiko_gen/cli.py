"""The ``naftiko-gen`` command line: validate, build and check capability specs."""

from __future__ import annotations

import sys
from pathlib import Path

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


def _expand(specs: tuple[Path, ...]) -> tuple[Path, ...]:
    """A folder stands for the ``*.yaml``/``*.yml`` specs directly inside it, in name order."""
    expanded: list[Path] = []
    for spec in specs:
        if spec.is_dir():
            expanded.extend(sorted(p for p in spec.iterdir() if p.suffix in (".yaml", ".yml")))
        else:
            expanded.append(spec)
    return tuple(expanded)


def _print(diagnostics: list[Diagnostic] | tuple[Diagnostic, ...]) -> None:
    for diagnostic in diagnostics:
        click.echo(diagnostic.format(), err=True)


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
def validate_command(specs: tuple[Path, ...], strict: bool) -> None:
    """Check specs against the schema and the semantic rules; exit 1 on any error."""
    specs = _expand(specs)
    failed = False
    for spec in specs:
        try:
            _, diagnostics = validate(spec, strict=strict)
        except SpecError as exc:
            _print(exc.diagnostics)
            failed = True
            continue
        _print(diagnostics)
        click.echo(f"{spec}: ok", err=True)
    sys.exit(1 if failed else 0)


@main.command("build")
@SPECS
@OUTPUT
@STRICT
@click.option("--force", is_flag=True, help="Overwrite output edited by hand or not ours.")
def build_command(specs: tuple[Path, ...], output: Path | None, strict: bool, force: bool) -> None:
    """Generate a package for each spec (all specs are checked before anything is written)."""
    specs = _expand(specs)
    results = []
    failed = False
    for spec in specs:
        try:
            generated = generate(spec, strict=strict)
        except SpecError as exc:
            _print(exc.diagnostics)
            failed = True
            continue
        except TemplateBug as exc:
            click.echo(f"{spec}: internal error: {exc}", err=True)
            failed = True
            continue
        _print(generated.diagnostics)
        results.append(generated)
    if failed:
        click.echo("nothing written: fix the errors above", err=True)
        sys.exit(1)
    for generated in results:
        target = _target(generated.spec, output, len(specs) > 1)
        try:
            write_tree(target, generated.files, force=force)
        except (OutputError, OSError) as exc:
            click.echo(f"{generated.spec}: error: {exc}", err=True)
            sys.exit(1)
        click.echo(f"{generated.spec} → {target} ({len(generated.files)} files)", err=True)


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
            _print(exc.diagnostics)
            sys.exit(2)
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
