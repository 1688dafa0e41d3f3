"""Where the generated REST server spends its time under load: a py-spy sample, summarised.

py-spy is optional (``pip install py-spy``; it needs ptrace, which root has). The raw
collapsed stacks are reduced to the top functions by inclusive and by self samples and to the
share of samples per library, which is what decides what to optimise.
"""

from __future__ import annotations

import collections
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from bench.procs import VENV_BIN

# "func (path/to/file.py:123)" → library = first path component ("starlette", "uvicorn", ...)
FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^:()]*)(?::\d+)?\)$")


@dataclass
class Profile:
    """Summary of one py-spy recording (sample counts, not seconds)."""

    samples: int = 0
    inclusive: list[tuple[str, int]] = field(default_factory=list)
    self_time: list[tuple[str, int]] = field(default_factory=list)
    libraries: list[tuple[str, int]] = field(default_factory=list)
    note: str = ""


def py_spy() -> str | None:
    return shutil.which("py-spy", path=str(VENV_BIN)) or shutil.which("py-spy")


def record(pid: int, seconds: float, top: int = 12) -> Profile:
    """Sample ``pid`` for ``seconds`` (call it while load is running) and summarise."""
    binary = py_spy()
    if binary is None:
        return Profile(note="py-spy not installed (pip install py-spy): no profile")
    out = Path(tempfile.mkdtemp(prefix="naftiko-bench-prof-")) / "stacks.txt"
    argv = [binary, "record", "-d", str(max(1, round(seconds))), "-r", "250", "-f", "raw"]
    argv += ["-o", str(out), "--pid", str(pid), "--nonblocking"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 30)
    if done.returncode != 0 or not out.exists():
        return Profile(note=f"py-spy failed: {done.stderr.strip()[-300:]}")
    return summarise(out.read_text(), top)


def summarise(raw: str, top: int) -> Profile:
    inclusive: collections.Counter[str] = collections.Counter()
    self_time: collections.Counter[str] = collections.Counter()
    libraries: collections.Counter[str] = collections.Counter()
    samples = 0
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        samples += count
        frames = [_short(frame) for frame in stack.split(";")]
        for name in set(frames):
            inclusive[name] += count
        self_time[frames[-1]] += count
        libraries[_library(stack.split(";")[-1])] += count
    return Profile(
        samples=samples,
        inclusive=inclusive.most_common(top),
        self_time=self_time.most_common(top),
        libraries=libraries.most_common(top),
    )


def _short(frame: str) -> str:
    match = FRAME.match(frame)
    if not match:
        return frame
    return f"{match.group('func')} ({match.group('file')})"


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
