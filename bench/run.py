"""Benchmark orchestrator: ``python -m bench.run [--quick] [--rounds N]`` (``make bench``).

Runs every section in a fixed order under one wall-clock budget, the slow whole-corpus build
last with whatever time is left, and writes ``bench/results.md``. All children live in process
groups owned by one :class:`~bench.procs.Procs`, so Ctrl-C, SIGTERM or an exception stops them.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

from bench import footprint, generation, mcp_load, profile, report, servers, upstream
from bench.procs import ForeignLoad, Procs, RssSampler, cpu_by_pid, sigterm_as_interrupt
from bench.report import CONCURRENCIES, Corpus, Results, ScaleRun
from bench.wrk import Wrk, wrk_binary

ROOT = Path(__file__).resolve().parent.parent
TOTAL_BUDGET_S = 540.0  # the whole `make bench` must stay under 10 minutes
REST_TARGETS = ("upstream", "generated", "fastapi_httpx", "starlette_aiohttp", "aiohttp_web")
SEED_SPEC = ROOT / "specs" / "web-sessions.yaml"
# What each server process imports: the heap a full garbage collection has to walk.
GC_MODULES = (
    "web_sessions.cli",
    "bench.competitors.starlette_aiohttp",
    "bench.competitors.aiohttp_web",
    "bench.competitors.fastapi_httpx",
    "bench.competitors.fastmcp_openapi",
)
LARGEST_CORPUS_SPEC = Path("corpus/api-evangelist/cloudflare/cloudflare-accounts.yaml")


def options(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1 round, 2 s runs, no corpus")
    parser.add_argument("--rounds", type=int, help="rounds per measurement (default 3, quick 1)")
    parser.add_argument("--seconds", type=float, help="duration of each load run (default 5)")
    parser.add_argument(
        "--corpus-budget",
        type=float,
        help="seconds for the whole-corpus build (default: what remains of the 10 minutes)",
    )
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results.md")
    args = parser.parse_args(argv)
    args.rounds = args.rounds or (1 if args.quick else 3)
    args.seconds = args.seconds or (2.0 if args.quick else 5.0)
    return args


def main(argv: list[str] | None = None) -> int:
    args = options(argv)
    started = time.monotonic()
    os.environ["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])
    )
    binary = wrk_binary()
    results = Results(args.quick, args.rounds, args.seconds, machine(), versions(binary))
    interrupted = False
    try:
        with sigterm_as_interrupt(), ForeignLoad() as foreign, Procs() as procs:
            results.foreign = foreign
            if binary is None:
                results.notes.append("wrk is not installed and apt-get failed: no REST numbers")
            else:
                wrk = Wrk(binary)
                _section(results, "servers", lambda: _servers_sections(procs, wrk, args, results))
            _section(results, "generation", lambda: _generation(args, results, started))
            _section(results, "corpus", lambda: _corpus(args, results, started))
    except KeyboardInterrupt:
        interrupted = True
        results.notes.append("interrupted: the results below are partial")
        print("\ninterrupted; servers stopped", file=sys.stderr)
    results.machine["load average at end"] = _loadavg()
    results.machine["CPU speed at end"] = _cpu_speed()
    results.elapsed_s = time.monotonic() - started
    text = report.render(results)
    args.output.write_text(text)
    print(text)
    print(f"wrote {args.output} in {results.elapsed_s:.0f} s")
    return 130 if interrupted else 0


def _section(results: Results, name: str, body: Callable[[], None]) -> None:
    """Run one section; a failure is reported and the bench goes on with the next one."""
    print(f"[bench] {name} ...", file=sys.stderr, flush=True)
    began = time.monotonic()
    try:
        body()
    except KeyboardInterrupt:
        raise
    except Exception as exc:
        results.notes.append(f"section {name} failed: {type(exc).__name__}: {exc}")
        traceback.print_exc()
    finally:
        results.sections.append((name, began, time.monotonic()))
    print(f"[bench] {name}: {time.monotonic() - began:.0f} s", file=sys.stderr, flush=True)


def _servers_sections(procs: Procs, wrk: Wrk, args: argparse.Namespace, results: Results) -> None:
    up = upstream.start(procs)
    results.upstream_kind = up.kind
    if up.kind != "nginx":
        results.notes.append(f"upstream: {up.kind}")
    started: dict[str, servers.Served] = {}

    def start_all() -> None:
        started["generated"] = servers.start_generated(procs, up)
        for name in REST_TARGETS[2:]:
            started[name] = servers.start_competitor(procs, name, up)
        started["fastmcp_openapi"] = servers.start_competitor(
            procs, "fastmcp_openapi", up, mcp=True
        )

    _section(results, "start servers", start_all)
    urls = {name: s.rest_url for name, s in started.items() if s.rest_url}
    urls["upstream"] = up.url
    _section(results, "REST", lambda: _rest(wrk, urls, started, args, results))
    _section(results, "MCP", lambda: _mcp(started, args, results))
    _section(results, "profile", lambda: _profile(wrk, started, args, results))
    for served in started.values():
        procs.stop(served.proc)
    _section(results, "scale-out", lambda: _scale(procs, wrk, up, args, results))
    _section(results, "footprint", lambda: _footprint(procs, up, args, results))


def _rest(
    wrk: Wrk,
    urls: dict[str, str],
    started: dict[str, servers.Served],
    args: argparse.Namespace,
    results: Results,
) -> None:
    """Rounds × targets × concurrencies; targets interleaved so drift hits all of them."""
    peak = 0.0
    for round_no in range(args.rounds):
        for name in REST_TARGETS:
            if name not in urls:
                continue
            wrk.run(urls[name], 16, 1)  # warm-up: connections, caches, JIT-free Python paths
            sampler = RssSampler(started[name].proc.pid) if name == "generated" else None
            for c in CONCURRENCIES:
                if sampler is not None and c == 64:
                    with sampler:
                        run = wrk.run(urls[name], c, args.seconds)
                    peak = max(peak, sampler.peak_mb)
                else:
                    run = wrk.run(urls[name], c, args.seconds)
                results.rest.setdefault(name, {}).setdefault(c, []).append(run)
                print(
                    f"  round {round_no + 1} {name:18} c={c:<3} {run.rps:9.0f} req/s "
                    f"p50 {run.p50_ms:6.2f} p99 {run.p99_ms:7.2f} ms errors {run.errors}",
                    file=sys.stderr,
                    flush=True,
                )
    if peak:
        results.rss_load_mb["REST c=64"] = peak


def _mcp(started: dict[str, servers.Served], args: argparse.Namespace, results: Results) -> None:
    tools = {"generated": servers.GENERATED_TOOL, "fastmcp_openapi": "get_authentication_status"}
    peak = 0.0
    for round_no in range(args.rounds):
        for name, tool in tools.items():
            served = started.get(name)
            if served is None or served.mcp_url is None:
                continue
            with RssSampler(served.proc.pid) as sampler:
                run = mcp_load.measure(served.mcp_url, tool, served.proc.pid, 16, args.seconds)
            if name == "generated":
                peak = max(peak, sampler.peak_mb)
            results.mcp.setdefault(name, []).append(run)
            print(
                f"  round {round_no + 1} {name:18} c=16  {run.rps:9.0f} calls/s "
                f"p50 {run.p50_ms:6.1f} p99 {run.p99_ms:7.1f} ms "
                f"cpu {run.cpu_ms_per_call:.2f} ms/call errors {run.errors}",
                file=sys.stderr,
                flush=True,
            )
    if peak:
        results.rss_load_mb["MCP c=16"] = peak


def _profile(
    wrk: Wrk, started: dict[str, servers.Served], args: argparse.Namespace, results: Results
) -> None:
    served = started.get("generated")
    if served is None or served.rest_url is None:
        return
    seconds = max(2.0, args.seconds)
    load = threading.Thread(target=wrk.run, args=(served.rest_url, 64, seconds + 2), daemon=True)
    load.start()
    time.sleep(0.5)  # let wrk open its connections before sampling starts
    results.profile = profile.record(served.proc.pid, seconds)
    load.join()
    for module in GC_MODULES:
        pause = profile.gc_pause(module)
        if pause is not None:
            results.gc_pauses.append(pause)


def _scale(
    procs: Procs, wrk: Wrk, up: upstream.Upstream, args: argparse.Namespace, results: Results
) -> None:
    if not servers.workers_supported():
        results.scale_note = "`web-sessions serve --workers` does not exist in this package yet"
        return
    running = {n: servers.start_generated(procs, up, workers=n, only="rest") for n in (1, 2)}
    try:
        for round_no in range(args.rounds):
            for workers, served in running.items():
                assert served.rest_url is not None
                wrk.run(served.rest_url, 64, 1)
                before, began = cpu_by_pid(served.proc.pid), time.monotonic()
                run = wrk.run(served.rest_url, 64, args.seconds)
                after, took = cpu_by_pid(served.proc.pid), time.monotonic() - began
                # per process, in cores; the parent of a multi-worker server only waits
                cores = [(after[p] - before.get(p, 0.0)) / took for p in after]
                busy = sorted((c for c in cores if c > 0.01), reverse=True)
                results.scale.setdefault(workers, []).append(run)
                results.scale_cores.setdefault(workers, []).append(ScaleRun(sum(cores), busy))
                print(
                    f"  round {round_no + 1} workers={workers} c=64 {run.rps:9.0f} req/s "
                    f"p99 {run.p99_ms:7.2f} ms errors {run.errors} "
                    f"cores {' + '.join(f'{c:.2f}' for c in busy)}",
                    file=sys.stderr,
                    flush=True,
                )
    finally:
        for served in running.values():
            procs.stop(served.proc)
    results.scale_note = (
        f"The {os.cpu_count()} cores are shared by the workers, wrk (1 thread) and nginx "
        "(1 worker)."
    )


def _footprint(
    procs: Procs, up: upstream.Upstream, args: argparse.Namespace, results: Results
) -> None:
    for _ in range(args.rounds):
        results.startup.append(footprint.startup(procs, up))


def _generation(args: argparse.Namespace, results: Results, started: float) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="naftiko-bench-gen-"))
    specs: dict[str, tuple[Path, int, int]] = {"seed": (SEED_SPEC, 1, args.rounds)}
    for ops in (10, 100, 1000):
        path = tmp / f"synthetic-{ops}.yaml"
        path.write_text(generation.synthetic_spec(ops))
        specs[f"synthetic-{ops}"] = (path, ops, args.rounds)
    largest = args.shared / LARGEST_CORPUS_SPEC
    if args.quick:
        results.notes.append("quick mode: the 740-operation corpus spec and the corpus are skipped")
    elif largest.is_file():
        specs["cloudflare-accounts (largest corpus spec)"] = (largest, 740, 1)
        results.notes.append("the 740-operation corpus spec is built once (it takes tens of s)")
    else:
        results.notes.append(f"{largest} is absent: largest-corpus-spec build skipped")
    for round_no in range(args.rounds):
        for label, (path, ops, rounds) in specs.items():
            if round_no >= rounds:
                continue
            left = TOTAL_BUDGET_S - (time.monotonic() - started) - 15
            if round_no > 0 and left < 60:
                results.notes.append(f"generation round {round_no + 1} skipped: time budget")
                return
            run = generation.build([path], tmp / f"out-{round_no}-{ops}", budget=max(left, 30))
            results.generation.setdefault(label, []).append(run)
            results.generation_ops[label] = ops
            print(
                f"  round {round_no + 1} {label:20} {run.seconds:7.2f} s "
                f"{run.peak_rss_mb:6.0f} MB exit {run.code}",
                file=sys.stderr,
                flush=True,
            )
            if run.code != 0:
                what = "hit its time budget" if run.code is None else f"exited {run.code}"
                results.notes.append(f"build of {label} {what}: {run.stderr_tail}")


def _corpus(args: argparse.Namespace, results: Results, started: float) -> None:
    corpus = args.shared / "corpus"
    if args.quick:
        results.corpus_note = "Skipped (quick mode)."
        return
    if not corpus.is_dir():
        results.corpus_note = f"Skipped: {corpus} is absent."
        return
    left = TOTAL_BUDGET_S - (time.monotonic() - started)
    budget = args.corpus_budget if args.corpus_budget is not None else left
    if budget < 10:
        results.corpus_note = f"Skipped: only {max(0.0, budget):.0f} s of the budget left."
        return
    files = generation.corpus_files(corpus)
    out = Path(tempfile.mkdtemp(prefix="naftiko-bench-corpus-")) / "out"
    print(f"  {len(files)} corpus files, budget {budget:.0f} s", file=sys.stderr, flush=True)
    results.corpus = Corpus(len(files), budget, generation.build(files, out, budget=budget))


def machine() -> dict[str, str]:
    model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    meminfo = Path("/proc/meminfo").read_text().split()
    mem_gib = int(meminfo[meminfo.index("MemTotal:") + 1]) / 1024 / 1024
    return {
        "CPU": model,
        "cores": str(os.cpu_count()),
        "memory": f"{mem_gib:.0f} GiB",
        "kernel": platform.release(),
        "OS": _os_name(),
        "load average at start": _loadavg(),
        "CPU speed at start": _cpu_speed(),
        "PYTHONDONTWRITEBYTECODE": os.environ.get("PYTHONDONTWRITEBYTECODE", "unset"),
    }


def versions(wrk: str | None) -> dict[str, str]:
    found = {"python": platform.python_version()}
    for dist in (
        "naftiko-gen",
        "web-sessions",
        "mcp",
        "fastmcp",
        "aiohttp",
        "httpx",
        "httpx2",
        "fastapi",
        "starlette",
        "uvicorn",
        "uvloop",
        "httptools",
    ):
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            found[dist] = "not installed"
    found["naftiko-gen commit"] = _git_head()
    found["wrk"] = Wrk(wrk).version() if wrk else "not installed"
    found["nginx"] = _nginx_version()
    found["py-spy"] = _first_line([profile.py_spy() or "py-spy", "--version"])
    return found


def _nginx_version() -> str:
    binary = upstream.nginx_binary()
    if binary is None:
        return "not installed"
    out = subprocess.run([binary, "-v"], capture_output=True, text=True)
    return (out.stderr or out.stdout).strip().removeprefix("nginx version: ")


def _first_line(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    except OSError:
        return "not installed"
    return (out.stdout or out.stderr).strip().splitlines()[0] if out.returncode == 0 else "?"


def _git_head() -> str:
    """Read-only: the commit the generator was at (``git rev-parse`` changes nothing)."""
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except OSError:
        return "unknown"
    return out.stdout.strip() or "unknown"


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return platform.system()


def _cpu_speed() -> str:
    """A pure-Python loop as a yardstick: cold starts and builds scale with it, and it drifts
    between runs on a shared virtual machine even when no other process is visible."""
    best = float("inf")
    for _ in range(3):
        began = time.perf_counter()
        total = 0
        for i in range(1_000_000):
            total += i
        best = min(best, time.perf_counter() - began)
    return f"{1 / best:.1f} M loop iterations/s (pure Python, best of 3)"


def _loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


if __name__ == "__main__":
    sys.exit(main())
