"""Turns the measurements into ``bench/results.md`` and the PASS/MISS target lines.

Every figure is a median over rounds with its min–max spread; every ratio is computed per round
(both sides measured minutes apart on the same machine) and then summarised the same way, so
noise from the shared machine hits both sides of a ratio alike.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.footprint import StartupRun
from bench.generation import BuildRun
from bench.mcp_load import McpResult
from bench.procs import ForeignLoad
from bench.profile import GcPause, Profile
from bench.wrk import LoadResult

REST_LABELS = {
    "upstream": "(a) upstream directly (nginx)",
    "generated": "**naftiko-gen generated REST app**",
    "fastapi_httpx": "(b) FastAPI + httpx, uvicorn defaults",
    "starlette_aiohttp": "(c1) Starlette + aiohttp client, uvicorn uvloop/httptools",
    "aiohttp_web": "(c2) aiohttp.web + aiohttp client, uvloop",
}
MCP_LABELS = {
    "generated": "**naftiko-gen generated MCP server**",
    "fastmcp_openapi": "FastMCP.from_openapi (stateless, JSON responses)",
}
CONCURRENCIES = (1, 16, 64)


@dataclass
class Corpus:
    """The whole-corpus build: one invocation, possibly stopped at its time budget."""

    files: int
    budget_s: float
    run: BuildRun


@dataclass(frozen=True)
class ScaleRun:
    """CPU the server used during one scale-out run: total cores and each busy process."""

    cores: float
    per_process: list[float]


@dataclass
class Results:
    quick: bool
    rounds: int
    seconds: float
    machine: dict[str, str]
    versions: dict[str, str]
    upstream_kind: str = "not started"
    rest: dict[str, dict[int, list[LoadResult]]] = field(default_factory=dict)
    mcp: dict[str, list[McpResult]] = field(default_factory=dict)
    scale: dict[int, list[LoadResult]] = field(default_factory=dict)
    scale_note: str = ""
    scale_cores: dict[int, list[ScaleRun]] = field(default_factory=dict)
    gc_pauses: list[GcPause] = field(default_factory=list)
    sections: list[tuple[str, float, float]] = field(default_factory=list)
    foreign: ForeignLoad | None = None
    startup: list[StartupRun] = field(default_factory=list)
    rss_load_mb: dict[str, float] = field(default_factory=dict)
    generation: dict[str, list[BuildRun]] = field(default_factory=dict)
    generation_ops: dict[str, int] = field(default_factory=dict)
    corpus: Corpus | None = None
    corpus_note: str = ""
    profile: Profile | None = None
    notes: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def spread(values: Sequence[float], digits: int = 0, unit: str = "") -> str:
    """``median (min–max)``, or just the value for one round."""
    if not values:
        return "–"
    fmt = f"{{:,.{digits}f}}"
    mid = fmt.format(median(values)) + unit
    if len(values) == 1:
        return mid
    return f"{mid} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def ratios(top: Sequence[Any], bottom: Sequence[Any], key: Callable[[Any], float]) -> list[float]:
    """Per-round ratios top/bottom (same round index → measured close together)."""
    return [key(a) / key(b) for a, b in zip(top, bottom, strict=False) if key(b) > 0]


def fastest_c(results: Results, concurrency: int) -> str | None:
    """(c) is whichever hand-tuned proxy had the higher median throughput at that concurrency."""
    candidates = [
        name
        for name in ("starlette_aiohttp", "aiohttp_web")
        if results.rest.get(name, {}).get(concurrency)
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda n: median([r.rps for r in results.rest[n][concurrency]]))


@dataclass(frozen=True)
class Target:
    ok: bool | None  # None: could not be measured
    text: str
    value: str

    def line(self) -> str:
        verdict = {True: "PASS", False: "MISS", None: "N/A "}[self.ok]
        return f"{verdict} {self.text}: {self.value}"


def targets(results: Results) -> list[Target]:
    found: list[Target] = []
    gen = results.rest.get("generated", {})
    for c in (16, 64):
        fastapi = results.rest.get("fastapi_httpx", {}).get(c, [])
        ratio = ratios(gen.get(c, []), fastapi, lambda r: r.rps)
        found.append(_at_least(f"REST ≥ 4× (b) FastAPI+httpx throughput at c={c}", ratio, 4.0))
        best = fastest_c(results, c)
        tuned = results.rest.get(best, {}).get(c, []) if best else []
        label = f"(c) = {best}" if best else "(c)"
        ratio = ratios(gen.get(c, []), tuned, lambda r: r.rps)
        found.append(_at_least(f"REST ≥ 1.0× {label} throughput at c={c}", ratio, 1.0))
        ratio = ratios(gen.get(c, []), tuned, lambda r: r.p99_ms)
        found.append(_at_most(f"REST p99 ≤ {label} p99 at c={c} (ours ÷ theirs)", ratio, 1.0))
    ours, theirs = results.mcp.get("generated", []), results.mcp.get("fastmcp_openapi", [])
    ratio = ratios(ours, theirs, lambda r: r.rps)
    found.append(_at_least("MCP ≥ 2.5× FastMCP.from_openapi throughput (c=16)", ratio, 2.5))
    ratio = ratios(ours, theirs, lambda r: r.cpu_ms_per_call)
    found.append(_at_most("MCP server CPU/call ≤ 0.5× FastMCP.from_openapi", ratio, 0.5))
    if results.scale.get(1) and results.scale.get(2):
        ratio = ratios(results.scale[2], results.scale[1], lambda r: r.rps)
        found.append(_at_least("2 workers ≥ 1.6× 1 worker (REST, c=64)", ratio, 1.6))
    else:
        note = results.scale_note or "not measured"
        found.append(Target(None, "2 workers ≥ 1.6× 1 worker (REST, c=64)", note))
    gen_runs = results.generation
    found.append(_at_most_abs("generation: seed spec ≤ 1 s cold", gen_runs.get("seed"), 1.0, "s"))
    found.append(
        _at_most_abs("generation: 1,000 operations ≤ 10 s", gen_runs.get("synthetic-1000"), 10, "s")
    )
    ratio = ratios(
        gen_runs.get("synthetic-1000", []), gen_runs.get("synthetic-100", []), lambda r: r.seconds
    )
    found.append(_at_most("generation: 1,000-op time ≤ 12× 100-op time (linear)", ratio, 12.0))
    starts = [s.first_answer_s for s in results.startup]
    found.append(_at_most_values("start-up ≤ 2.5 s to first answered request", starts, 2.5, " s"))
    idle = [s.rss_idle_mb for s in results.startup]
    found.append(_at_most_values("RSS idle ≤ 100 MB (REST + MCP process)", idle, 100, " MB"))
    return found


def _at_least(text: str, values: list[float], bound: float) -> Target:
    if not values:
        return Target(None, text, "not measured")
    return Target(median(values) >= bound, text, spread(values, 2, "×"))


def _at_most(text: str, values: list[float], bound: float) -> Target:
    if not values:
        return Target(None, text, "not measured")
    return Target(median(values) <= bound, text, spread(values, 2, "×"))


def _at_most_abs(text: str, runs: list[BuildRun] | None, bound: float, unit: str) -> Target:
    if not runs or any(r.code != 0 for r in runs):
        return Target(None, text, "build failed or not measured")
    return _at_most_values(text, [r.seconds for r in runs], bound, " " + unit)


def _at_most_values(text: str, values: list[float], bound: float, unit: str) -> Target:
    if not values:
        return Target(None, text, "not measured")
    return Target(median(values) <= bound, text, spread(values, 2, unit))


ANALYSIS = Path(__file__).with_name("analysis.md")


def render(results: Results) -> str:
    """The whole of ``bench/results.md``."""
    out: list[str] = []
    mode = "quick (smoke run, numbers indicative only)" if results.quick else "full"
    out += [
        "# naftiko-gen benchmark results",
        "",
        f"Written by `make bench` (`python -m bench.run`), {mode}: {results.rounds} round(s), "
        f"{results.seconds:g} s per load run after a warm-up; whole run took "
        f"{results.elapsed_s:.0f} s. Loopback only. Figures are *median (min–max)* over rounds; "
        "ratios are computed within each round, then summarised the same way.",
        "",
        *([warning, ""] if (warning := foreign_warning(results)) else []),
        "## Machine and versions",
        "",
        "| | |",
        "|---|---|",
        *(f"| {k} | {v} |" for k, v in {**results.machine, **results.versions}.items()),
        f"| upstream | {results.upstream_kind} |",
        "",
        "## Targets",
        "",
        "```",
        *(t.line() for t in targets(results)),
        "```",
        "",
    ]
    if ANALYSIS.is_file():  # the hand-written explanation of misses survives every rerun
        out += [ANALYSIS.read_text("utf-8").rstrip(), ""]
    out += _rest_section(results)
    out += _mcp_section(results)
    out += _scale_section(results)
    out += _footprint_section(results)
    out += _generation_section(results)
    out += _profile_section(results)
    out += _sections_table(results)
    out += _method_section(results)
    return "\n".join(out) + "\n"


def _rest_section(results: Results) -> list[str]:
    out = [
        "## REST: `POST /v1/iserver/auth/status` (wrk, 1 thread)",
        "",
        "| path | c | requests/s | p50 ms | p99 ms | errors | generated ÷ this (req/s) |",
        "|---|---|---|---|---|---|---|",
    ]
    gen = results.rest.get("generated", {})
    for name, label in REST_LABELS.items():
        for c in CONCURRENCIES:
            runs = results.rest.get(name, {}).get(c, [])
            if not runs:
                continue
            versus = "" if name == "generated" else spread(ratios(gen.get(c, []), runs, _rps), 2)
            out.append(
                f"| {label} | {c} | {spread([r.rps for r in runs])} | "
                f"{spread([r.p50_ms for r in runs], 2)} | {spread([r.p99_ms for r in runs], 2)} | "
                f"{sum(r.errors for r in runs)} | {versus}{'×' if versus else ''} |"
            )
    picks = {c: fastest_c(results, c) for c in CONCURRENCIES}
    out += [
        "",
        "(c) is the faster hand-tuned proxy per concurrency: "
        + ", ".join(f"c={c}: {name}" for c, name in picks.items() if name)
        + ".",
        "",
    ]
    return out


def _rps(run: LoadResult | McpResult) -> float:
    return run.rps


def _mcp_section(results: Results) -> list[str]:
    out = [
        "## MCP: `tools/call` get-authentication-status, c=16 (raw JSON-RPC over aiohttp)",
        "",
        "| server | calls/s | p50 ms | p99 ms | server CPU ms/call | errors |",
        "|---|---|---|---|---|---|",
    ]
    for name, label in MCP_LABELS.items():
        runs = results.mcp.get(name, [])
        if runs:
            out.append(
                f"| {label} | {spread([r.rps for r in runs])} | "
                f"{spread([r.p50_ms for r in runs], 1)} | {spread([r.p99_ms for r in runs], 1)} | "
                f"{spread([r.cpu_ms_per_call for r in runs], 2)} | {sum(r.errors for r in runs)} |"
            )
    ours, theirs = results.mcp.get("generated", []), results.mcp.get("fastmcp_openapi", [])
    if ours and theirs:
        out += [
            "",
            f"Generated ÷ FastMCP: throughput {spread(ratios(ours, theirs, _rps), 2, '×')}, "
            f"server CPU per call "
            f"{spread(ratios(ours, theirs, lambda r: r.cpu_ms_per_call), 2, '×')}.",
        ]
    return [*out, ""]


def _scale_section(results: Results) -> list[str]:
    out = ["## Scale-out: `web-sessions serve --only rest --workers N` (wrk c=64)", ""]
    if not (results.scale.get(1) and results.scale.get(2)):
        return [*out, f"Not available: {results.scale_note or 'not measured'}.", ""]
    out += [
        "| workers | requests/s | p50 ms | p99 ms | errors | server CPU, cores | per worker, "
        "each round |",
        "|---|---|---|---|---|---|---|",
    ]
    for workers, runs in sorted(results.scale.items()):
        cores = results.scale_cores.get(workers, [])
        split = "; ".join(" + ".join(f"{c:.2f}" for c in r.per_process) for r in cores)
        out.append(
            f"| {workers} | {spread([r.rps for r in runs])} | {spread([r.p50_ms for r in runs], 2)}"
            f" | {spread([r.p99_ms for r in runs], 2)} | {sum(r.errors for r in runs)} | "
            f"{spread([r.cores for r in cores], 2)} | {split} |"
        )
    ratio = ratios(results.scale[2], results.scale[1], _rps)
    out += [
        "",
        f"2 workers ÷ 1 worker: {spread(ratio, 2, '×')}. {results.scale_note} "
        "Server CPU is the utime+stime of the server's process tree over the run: when two "
        "workers together get little more than one core, the machine, not the design, is the "
        "limit; a lopsided split means the kernel handed most keep-alive connections to one "
        "worker (they share one listening socket).",
        "",
    ]
    return out


def _footprint_section(results: Results) -> list[str]:
    starts = results.startup
    out = ["## Footprint of the generated server (`web-sessions serve`, REST + MCP)", ""]
    out += ["| measure | value |", "|---|---|"]
    if starts:
        out += [
            f"| spawn → readiness line | {spread([s.ready_s for s in starts], 2, ' s')} |",
            f"| spawn → first 200 on the REST route | "
            f"{spread([s.first_answer_s for s in starts], 2, ' s')} |",
            f"| RSS idle (process tree) | {spread([s.rss_idle_mb for s in starts], 1, ' MB')} |",
        ]
    for label, value in results.rss_load_mb.items():
        out.append(f"| RSS peak under load, {label} | {value:.1f} MB |")
    return [*out, ""]


def _generation_section(results: Results) -> list[str]:
    out = [
        "## Generation: `naftiko-gen build` as a cold process",
        "",
        "| spec | operations | wall time s | peak RSS MB | exit |",
        "|---|---|---|---|---|",
    ]
    for label, runs in results.generation.items():
        ops = results.generation_ops.get(label, 0)
        codes = sorted({str(r.code) for r in runs})
        out.append(
            f"| {label} | {ops:,} | {spread([r.seconds for r in runs], 2)} | "
            f"{spread([r.peak_rss_mb for r in runs], 0)} | {'/'.join(codes)} |"
        )
    small, big = results.generation.get("synthetic-100"), results.generation.get("synthetic-1000")
    if small and big:
        ratio = ratios(big, small, lambda r: r.seconds)
        per_op = [(b.seconds - s.seconds) / 900 * 1000 for b, s in zip(big, small, strict=False)]
        out += [
            "",
            f"Growth: 1,000-op ÷ 100-op time = {spread(ratio, 2, '×')} (10× the operations; "
            f"≤ 10× means linear or better, with the fixed start-up cost amortised); marginal "
            f"cost {spread(per_op, 1, ' ms')} per operation.",
        ]
    out.append("")
    corpus = results.corpus
    out += ["### Whole corpus in one invocation", ""]
    if corpus is None:
        return [*out, results.corpus_note or "Not run.", ""]
    run = corpus.run
    if run.code is None:
        seen = run.files_seen
        rate = seen / run.seconds if seen else 0.0
        total = f"≈ {corpus.files / rate / 60:.0f} min" if rate else "unknown"
        out.append(
            f"Stopped at its {corpus.budget_s:.0f} s budget (killed after {run.seconds:.0f} s): "
            f"at least {seen:,} of {corpus.files:,} files processed (the last file named on "
            f"stderr), i.e. ≥ {rate:.2f} files/s; extrapolated whole-corpus time {total}. "
            f"Peak RSS so far {run.peak_rss_mb:.0f} MB. This is an extrapolation, not a "
            "measurement of the full build."
        )
    else:
        out.append(
            f"{corpus.files:,} files in {run.seconds:.1f} s ({corpus.files / run.seconds:.1f} "
            f"files/s), peak RSS {run.peak_rss_mb:.0f} MB, exit code {run.code} (1 is expected: "
            "some corpus specs are refused, so nothing is written)."
        )
    if results.corpus_note:
        out.append(results.corpus_note)
    return [*out, ""]


def _profile_section(results: Results) -> list[str]:
    profile = results.profile
    out = ["## Where the generated REST server spends its time (py-spy, wrk c=64)", ""]
    out += _gc_table(results)
    if profile is None or not profile.samples:
        return [*out, (profile.note if profile else "") or "Not profiled.", ""]
    if profile.native:
        how = (
            f"{profile.samples:,} samples with native frames (py-spy --native); "
            f"{profile.gc_samples / profile.samples:.0%} of them inside CPython's cyclic garbage "
            "collector. Other samples are charged to their innermost Python frame."
        )
    else:
        how = (
            f"{profile.samples:,} samples of Python stacks (C code, the garbage collector "
            "included, is charged to the Python line that called it or allocated)."
        )
    out += [
        how + " Share of samples:",
        "",
        "| library of the innermost frame | share |",
        "|---|---|",
        *(f"| {lib} | {n / profile.samples:.0%} |" for lib, n in profile.libraries),
        "",
        "| top functions, self | share | | top functions, inclusive | share |",
        "|---|---|---|---|---|",
    ]
    rows = max(len(profile.self_time), len(profile.inclusive))
    for i in range(rows):
        left = profile.self_time[i] if i < len(profile.self_time) else ("", 0)
        right = profile.inclusive[i] if i < len(profile.inclusive) else ("", 0)
        out.append(
            f"| `{left[0]}` | {left[1] / profile.samples:.0%} | | `{right[0]}` | "
            f"{right[1] / profile.samples:.0%} |"
        )
    return [*out, ""]


def _gc_table(results: Results) -> list[str]:
    if not results.gc_pauses:
        return []
    return [
        "A full garbage collection stops the event loop for as long as it takes to walk every "
        "tracked object, so a big import set shows up in p99 rather than p50, unless the server "
        "moves its start-up objects out of the collector's reach with `gc.freeze()`. Measured in "
        "a fresh interpreter after importing what each server imports (median of 5 "
        "`gc.collect()`, before any freeze):",
        "",
        "| server imports | objects tracked | one full collection | `gc.freeze()` at start-up |",
        "|---|---|---|---|",
        *(
            f"| `{p.module}` | {p.objects:,} | {p.full_collection_ms:.1f} ms | "
            f"{'yes' if p.freezes else 'no'} |"
            for p in results.gc_pauses
        ),
        "",
    ]


def _sections_table(results: Results) -> list[str]:
    """Wall time per section and how busy the rest of the machine was meanwhile."""
    if not results.sections:
        return []
    out = [
        "## Sections and machine noise",
        "",
        "Other processes' CPU = CPU used by processes outside the bench (other work on this "
        "shared machine); steal = CPU the hypervisor gave to other virtual machines (from "
        "/proc/stat). Both sampled every second; on 2 cores, 1.0 means half the machine was "
        "taken.",
        "",
        "| section | wall time | other processes' CPU, cores (mean) | steal, cores (mean) |",
        "|---|---|---|---|",
    ]
    for name, start, end in results.sections:
        load = results.foreign.mean(start, end) if results.foreign else None
        steal = results.foreign.mean(start, end, 2) if results.foreign else None
        out.append(
            f"| {name} | {end - start:.0f} s | {'–' if load is None else f'{load:.2f}'} | "
            f"{'–' if steal is None else f'{steal:.2f}'} |"
        )
    return [*out, ""]


def foreign_warning(results: Results) -> str | None:
    """A sentence for the top of the report when the machine was busy with other work."""
    if results.foreign is None or not results.foreign.timeline:
        return None
    values = [row[1] + row[2] for row in results.foreign.timeline]
    mean = sum(values) / len(values)
    if mean < 0.25:
        return None
    return (
        f"**Warning: other work (processes or other VMs) took {mean:.2f} cores on average during "
        "this run** (see "
        "Sections and machine noise): absolute numbers are depressed and noisier than on a "
        "quiet machine; read the in-round ratios and CPU per call first."
    )


def _method_section(results: Results) -> list[str]:
    out = [
        "## Method and notes",
        "",
        "- Every server runs as its own process on 127.0.0.1 and is checked with one real request "
        "before it is measured; runs with errors are reported in the errors column.",
        "- REST load: wrk 1 thread, POST with `Content-Length: 0`, connections = c, fixed "
        "duration, one warm-up run per server and round; targets are interleaved within a round.",
        "- MCP load: `python -m bench.mcp_load`, one pooled aiohttp session, raw JSON-RPC "
        "`tools/call` (`MCP-Protocol-Version: 2025-11-25`, no initialize: both servers are "
        "stateless with JSON responses); a call counts only if it is a non-error result "
        "carrying the upstream JSON. FastMCP names the tool `get_authentication_status` "
        "(it slugifies operationIds). Server CPU per call = (utime + stime) of the server's "
        "process tree over the measured window ÷ calls, from `/proc/<pid>/stat`.",
        "- Generation: each build is a new `naftiko-gen build SPEC -o <new tmp dir>` process; "
        "peak RSS from `os.wait4` rusage. Synthetic specs: per operation a GET with two query "
        "parameters, a REST route and an MCP tool (modelled on `specs/web-market-data.yaml`).",
        "- The machine is shared with other work; load average at start and end is in the "
        "machine table. CPU per call and in-round ratios are the steadiest figures.",
    ]
    out += [f"- {note}" for note in results.notes]
    return [*out, ""]
