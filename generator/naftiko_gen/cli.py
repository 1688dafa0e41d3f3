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
from naftiko_gen.diagnostics import Diagnostic, Level, SpecError
from naftiko_gen.formatting import TemplateBug
from naftiko_gen.render import openapi_text
from naftiko_gen.scaffold import METHODS, ScaffoldError, scaffold
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
QUIET = click.option(
    "-q", "--quiet", is_flag=True, help="Print errors only (no warnings, progress or summary)."
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


def _stderr_is_tty() -> bool:
    return sys.stderr.isatty()


class _Progress:
    """A one-line bar on stderr, redrawn in place; only on a terminal (never in logs or pipes)."""

    WIDTH = 24

    def __init__(self, total: int, enabled: bool) -> None:
        self.total = total
        self.enabled = enabled and total > 1
        self.shown = False

    def step(self, done: int, label: str) -> None:
        if not self.enabled:
            return
        filled = self.WIDTH * done // self.total
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        sys.stderr.write(f"\r\x1b[K[{bar}] {done}/{self.total} {label}")
        sys.stderr.flush()
        self.shown = True

    def clear(self) -> None:
        """Erase the bar before anything else is printed on stderr."""
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
            self.shown = False


class _Report:
    """Collects what each spec produced so ``--format json`` can print one document at the end;
    in text mode each diagnostic is printed as soon as it is known (with ``--quiet``, errors
    only)."""

    def __init__(self, output_format: str, quiet: bool = False, total: int = 0) -> None:
        self.json = output_format == "json"
        self.quiet = quiet
        self.specs: list[dict[str, Any]] = []
        self.rows: list[tuple[str, str, str, str, str]] = []
        self.progress = _Progress(total, enabled=not quiet and _stderr_is_tty())

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
            if not self.quiet or diagnostic.level is Level.ERROR:
                self._echo(diagnostic.format())

    def note(self, message: str, *, error: bool = False) -> None:
        """A line for people (stderr, text mode); ``--quiet`` keeps only error lines."""
        if not self.json and (error or not self.quiet):
            self._echo(message)

    def row(self, spec: Path, status: str, files: int | None, warnings: int, output: str) -> None:
        self.rows.append(
            (str(spec), status, "" if files is None else str(files), str(warnings), output)
        )

    def summary(self) -> None:
        """The table ``build`` ends with when it was given several specs."""
        if self.json or self.quiet or len(self.rows) < 2:
            return
        header = ("spec", "status", "files", "warnings", "output")
        widths = [max(len(r[i]) for r in [header, *self.rows]) for i in range(len(header))]
        right = (False, False, True, True, False)

        def line(cells: Sequence[str]) -> str:
            return "  ".join(
                cell.rjust(w) if r else cell.ljust(w)
                for cell, w, r in zip(cells, widths, right, strict=True)
            ).rstrip()

        counts: dict[str, int] = {}
        for r in self.rows:
            counts[r[1]] = counts.get(r[1], 0) + 1
        warnings = sum(int(r[3]) for r in self.rows)
        self._echo(line(header))
        for r in self.rows:
            self._echo(line(r))
        tally = ", ".join(f"{n} {status}" for status, n in counts.items())
        self._echo(f"{len(self.rows)} specs: {tally}; {warnings} warnings")

    def _echo(self, message: str) -> None:
        self.progress.clear()
        click.echo(message, err=True)

    def finish(self, code: int) -> NoReturn:
        self.progress.clear()
        if self.json:
            click.echo(json.dumps({"exit_code": code, "specs": self.specs}, indent=2))
        sys.exit(code)


def _warnings(diagnostics: Sequence[Diagnostic]) -> int:
    return sum(d.level is Level.WARNING for d in diagnostics)


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
@QUIET
def validate_command(
    specs: tuple[Path, ...], strict: bool, output_format: str, quiet: bool
) -> None:
    """Check specs against the schema and the semantic rules; exit 1 on any error."""
    report = _Report(output_format, quiet)
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
@QUIET
@click.option("--force", is_flag=True, help="Overwrite output edited by hand or not ours.")
def build_command(
    specs: tuple[Path, ...],
    output: Path | None,
    strict: bool,
    output_format: str,
    quiet: bool,
    force: bool,
) -> None:
    """Generate a package for each spec (all specs are checked before anything is written).

    With several specs, a progress bar (on a terminal) and a summary table end the run."""
    specs = _expand(specs)
    report = _Report(output_format, quiet, total=len(specs))
    many = len(specs) > 1
    results = []
    rows: dict[Path, tuple[str, int]] = {}
    code = 0
    for done, spec in enumerate(specs):
        report.progress.step(done, spec.name)
        try:
            generated = generate(spec, strict=strict)
        except SpecError as exc:
            report.spec(spec, "invalid", exc.diagnostics)
            code = max(code, _failure_code(exc.diagnostics))
            rows[spec] = ("invalid", _warnings(exc.diagnostics))
            continue
        except TemplateBug as exc:
            report.note(f"{spec}: internal error: {exc}", error=True)
            code = max(code, EXIT_INVALID)
            rows[spec] = ("error", 0)
            continue
        results.append(generated)
    report.progress.step(len(specs), "")
    if code:
        for generated in results:
            report.spec(generated.spec, "not-written", generated.diagnostics)
            rows[generated.spec] = ("not written", _warnings(generated.diagnostics))
        for spec in specs:
            status, warnings = rows[spec]
            report.row(spec, status, None, warnings, "")
        report.summary()
        report.note("nothing written: fix the errors above", error=True)
        report.finish(code)
    for generated in results:
        target = _target(generated.spec, output, many)
        try:
            write_tree(target, generated.files, force=force)
        except (OutputError, OSError) as exc:
            report.spec(generated.spec, "not-written", generated.diagnostics, error=str(exc))
            report.note(f"{generated.spec}: error: {exc}", error=True)
            report.finish(EXIT_IO)
        files = len(generated.files)
        report.spec(generated.spec, "built", generated.diagnostics, output=str(target), files=files)
        if not many:
            report.note(f"{generated.spec} → {target} ({files} files)")
        report.row(generated.spec, "built", files, _warnings(generated.diagnostics), str(target))
    report.summary()
    report.finish(0)


@main.command("check")
@SPECS
@OUTPUT
@QUIET
def check_command(specs: tuple[Path, ...], output: Path | None, quiet: bool) -> None:
    """Exit 1 if committed output differs from a fresh build (the CI regeneration step)."""
    specs = _expand(specs)
    stale = False
    for spec in specs:
        try:
            generated = generate(spec)
        except SpecError as exc:
            for diagnostic in exc.diagnostics:
                if not quiet or diagnostic.level is Level.ERROR:
                    click.echo(diagnostic.format(), err=True)
            sys.exit(EXIT_IO)
        target = _target(spec, output, len(specs) > 1)
        diff = diff_tree(target, generated.files)
        if diff.clean:
            if not quiet:
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


@main.command("export-openapi")
@click.argument("spec", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="File to write (default: standard output).",
)
@STRICT
@QUIET
def export_openapi_command(spec: Path, output: Path | None, strict: bool, quiet: bool) -> None:
    """Write the OpenAPI 3.1 document of the spec's REST adapter (the package's openapi.json)."""
    try:
        model, diagnostics = validate(spec, strict=strict)
    except SpecError as exc:
        for diagnostic in exc.diagnostics:
            if not quiet or diagnostic.level is Level.ERROR:
                click.echo(diagnostic.format(), err=True)
        sys.exit(_failure_code(exc.diagnostics))
    if not quiet:
        for diagnostic in diagnostics:
            click.echo(diagnostic.format(), err=True)
    if model.rest is None:
        click.echo(
            f"{spec}: error: the spec exposes no REST adapter: no OpenAPI document", err=True
        )
        sys.exit(EXIT_INVALID)
    text = openapi_text(model)
    if output is None:
        click.echo(text, nl=False)
        sys.exit(0)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8", newline="\n")
    except OSError as exc:
        click.echo(f"{output}: error: {exc.strerror or exc}", err=True)
        sys.exit(EXIT_IO)
    if not quiet:
        click.echo(f"{spec} → {output}", err=True)


def _stdin_is_tty() -> bool:
    return sys.stdin.isatty()


def _operation_answer(text: str) -> tuple[str, str]:
    parts = text.split()
    if len(parts) != 2:
        raise click.BadParameter("write METHOD PATH, e.g. GET /items/{id}")
    return parts[0], parts[1]


@main.command("init")
@click.option("--name", help="Capability name, e.g. 'Pet Store' (the spec file is pet-store.yaml).")
@click.option("--base-uri", help="Base URI of the API the capability consumes.")
@click.option(
    "--operation",
    "operations",
    type=(str, str),
    multiple=True,
    metavar="METHOD PATH",
    help=f"An operation to consume and expose ({'/'.join(METHODS)} and a path such as "
    "/items/{id}); repeatable. Default: GET /.",
)
@click.option("--description", default="", help="One sentence on what the capability is for.")
@click.option(
    "--bearer-env",
    metavar="VAR",
    help="Send a bearer token read from environment variable VAR (a bind of the spec).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Spec file to write (default: <name>.yaml in the current folder).",
)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init_command(
    name: str | None,
    base_uri: str | None,
    operations: tuple[tuple[str, str], ...],
    description: str,
    bearer_env: str | None,
    output: Path | None,
    force: bool,
) -> None:
    """Scaffold a new capability spec that validates and builds as it is.

    Without --name or --base-uri, asks for them (and for operations) on a terminal; with them,
    asks nothing."""
    ops = list(operations)
    if name is None or base_uri is None:
        if not _stdin_is_tty():
            raise click.UsageError("give --name and --base-uri (or run on a terminal to be asked)")
        name = name or click.prompt("Capability name", type=str)
        base_uri = base_uri or click.prompt("Base URI of the API", type=str)
        while not operations and (
            answer := click.prompt(
                "Operation (METHOD /path; empty to finish)", default="", show_default=False
            ).strip()
        ):
            try:
                ops.append(_operation_answer(answer))
            except click.BadParameter as exc:
                click.echo(f"  {exc.message}", err=True)
        if bearer_env is None:
            bearer_env = (
                click.prompt(
                    "Environment variable holding a bearer token (empty: none)",
                    default="",
                    show_default=False,
                ).strip()
                or None
            )
    try:
        file_name, text = scaffold(
            name, base_uri, ops, description=description, bearer_env=bearer_env
        )
    except ScaffoldError as exc:
        raise click.UsageError(str(exc)) from None
    target = output or Path(file_name)
    if target.exists() and not force:
        click.echo(f"{target}: error: exists; pass --force to overwrite", err=True)
        sys.exit(EXIT_IO)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8", newline="\n")
    except OSError as exc:
        click.echo(f"{target}: error: {exc.strerror or exc}", err=True)
        sys.exit(EXIT_IO)
    click.echo(f"wrote {target}; next: naftiko-gen build {target}", err=True)


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
