"""Where the generated REST server spends its time under load: a py-spy sample, summarised.

py-spy is optional (``pip install py-spy``; it needs ptrace, which root has). The raw
collapsed stacks are reduced to the top functions by inclusive and by self samples and to the
share of samples per library (the garbage collector counted apart), which is what decides what
to optimise.
"""

from __future__ import annotations

import collections
import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from bench.procs import VENV_BIN

# "func (path/to/file.py:123)" → library = first path component ("starlette", "uvicorn", ...)
FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^:()]*)(?::(?P<line>\d+))?\)$")
# Entry-point frames under every stack: 100 % inclusive by construction, so not informative.
ENTRY_FILES = ("web-sessions", "web_sessions/cli.py", "uvloop/__init__.py", "asyncio/runners.py")


@dataclass
class Profile:
    """Summary of one py-spy recording (sample counts, not seconds)."""

    samples: int = 0
    inclusive: list[tuple[str, int]] = field(default_factory=list)
    self_time: list[tuple[str, int]] = field(default_factory=list)
    libraries: list[tuple[str, int]] = field(default_factory=list)
    note: str = ""
    native: bool = False  # C frames were sampled too (py-spy --native)
    gc_samples: int = 0  # samples inside the cyclic garbage collector (native only)


def py_spy() -> str | None:
    return shutil.which("py-spy", path=str(VENV_BIN)) or shutil.which("py-spy")


def record(pid: int, seconds: float, top: int = 12) -> Profile:
    """Sample ``pid`` for ``seconds`` (call it while load is running) and summarise.

    ``--native`` first: it shows time in C (the garbage collector above all), which the Python
    view charges to whichever line happened to allocate; plain Python stacks if that fails.
    """
    binary = py_spy()
    if binary is None:
        return Profile(note="py-spy not installed (pip install py-spy): no profile")
    out = Path(tempfile.mkdtemp(prefix="naftiko-bench-prof-")) / "stacks.txt"
    argv = [binary, "record", "-d", str(max(1, round(seconds))), "-r", "250", "-f", "raw"]
    argv += ["-o", str(out), "--pid", str(pid)]
    problem = ""
    for extra in (["--native"], ["--nonblocking"]):
        done = subprocess.run(argv + extra, capture_output=True, text=True, timeout=seconds + 30)
        if done.returncode == 0 and out.exists():
            return summarise(out.read_text(), top, native=extra == ["--native"])
        problem = done.stderr.strip()[-300:]
    return Profile(note=f"py-spy failed: {problem}")


GC_LABEL = "garbage collection (CPython gc_collect_main)"


def summarise(raw: str, top: int, native: bool = False) -> Profile:
    inclusive: collections.Counter[str] = collections.Counter()
    self_time: collections.Counter[str] = collections.Counter()
    libraries: collections.Counter[str] = collections.Counter()
    samples = gc_samples = 0
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        samples += count
        frames = stack.split(";")
        in_gc = any("gc_collect" in frame for frame in frames)
        python = [frame for frame in frames if _is_python(frame)]
        names = {_short(frame) for frame in python if not _is_entry(frame)}
        if in_gc:
            gc_samples += count
            names.add(GC_LABEL)
            self_time[GC_LABEL] += count
            libraries["gc (the garbage collector)"] += count
        elif python:
            self_time[_short(python[-1], line=True)] += count
            libraries[_library(python[-1])] += count
        else:
            self_time["native code without a Python frame"] += count
            libraries["native"] += count
        for name in names:
            inclusive[name] += count
    return Profile(
        samples=samples,
        inclusive=inclusive.most_common(top),
        self_time=self_time.most_common(top),
        libraries=libraries.most_common(top),
        native=native,
        gc_samples=gc_samples,
    )


def _is_python(frame: str) -> bool:
    """Python frames name a ``.py`` file (or the console script); native ones a .so/.c/?."""
    match = FRAME.match(frame)
    if not match:
        return False
    path = match.group("file")
    if path.endswith(".py"):
        return True
    return "/" not in path and "." not in path and not path.startswith(("?", "["))


def _short(frame: str, line: bool = False) -> str:
    """``func (file)``, or ``func (file:line)`` for self time, where the line says what it is."""
    match = FRAME.match(frame)
    if not match:
        return frame
    where = match.group("file")
    if line and match.group("line"):
        where += ":" + match.group("line")
    return f"{match.group('func')} ({where})"


def _is_entry(frame: str) -> bool:
    match = FRAME.match(frame)
    return match is not None and match.group("file") in ENTRY_FILES


def _library(frame: str) -> str:
    """The package a leaf frame belongs to (its file's first path part), e.g. ``aiohttp``."""
    match = FRAME.match(frame)
    if not match:
        return "?"
    path = match.group("file")
    if path.startswith("<"):
        return path
    first = path.split("/")[0]
    return first.removesuffix(".py") or "?"


# Run in a fresh interpreter: import what a server imports, then time full collections.
GC_PROBE = """
import gc, importlib, inspect, json, statistics, sys, time
module = importlib.import_module(sys.argv[1])
freezes = "gc.freeze()" in inspect.getsource(module)
gc.collect()
pauses = []
for _ in range(5):
    started = time.perf_counter()
    gc.collect()
    pauses.append((time.perf_counter() - started) * 1000)
print(json.dumps({"objects": len(gc.get_objects()), "ms": statistics.median(pauses),
                  "freezes": freezes}))
"""


@dataclass(frozen=True)
class GcPause:
    """How long one full (generation 2) collection takes once a server's imports are loaded:
    a full collection stops the event loop, so it shows up in p99 latency, not in p50."""

    module: str
    objects: int
    full_collection_ms: float
    freezes: bool  # the server calls gc.freeze() after start-up: these objects are then skipped


def gc_pause(module: str) -> GcPause | None:
    done = subprocess.run(
        [sys.executable, "-c", GC_PROBE, module], capture_output=True, text=True, timeout=120
    )
    if done.returncode != 0:
        return None
    data = json.loads(done.stdout.strip().splitlines()[-1])
    return GcPause(module, int(data["objects"]), float(data["ms"]), bool(data["freezes"]))
