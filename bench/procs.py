"""Child processes for the bench: own process group, readiness line, /proc accounting, cleanup.

Every server the bench starts goes through :class:`Procs`, so one ``finally`` stops them all, even
on Ctrl-C or an exception. Children also get ``PR_SET_PDEATHSIG`` so a killed orchestrator does
not leave servers behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
VENV_BIN = Path(sys.executable).parent


class BenchError(RuntimeError):
    """A server did not start or answered wrongly: the section is reported as failed."""


try:
    _LIBC: ctypes.CDLL | None = ctypes.CDLL(None, use_errno=True)
except OSError:
    _LIBC = None


def _die_with_parent() -> None:
    """Runs in the child between fork and exec: SIGKILL it when the bench dies (Linux)."""
    if _LIBC is not None:
        _LIBC.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


@dataclass
class Proc:
    """One started child (the leader of its own process group) and its captured output."""

    name: str
    popen: subprocess.Popen[str]
    stderr_path: Path
    lines: queue.Queue[str | None] = field(default_factory=queue.Queue)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def wait_line(self, pattern: str, timeout: float) -> re.Match[str]:
        """Block until stdout prints a line matching ``pattern`` (the readiness signal)."""
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BenchError(f"{self.name}: no line matching {pattern!r} in {timeout:g} s")
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                raise BenchError(f"{self.name} exited ({self.popen.poll()}): {self.tail()}")
            match = regex.search(line)
            if match:
                return match

    def tail(self, chars: int = 600) -> str:
        with contextlib.suppress(OSError):
            return self.stderr_path.read_text(errors="replace")[-chars:].strip()
        return ""

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM the whole group, SIGKILL what is left after ``grace`` seconds."""
        for signum, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 2.0)):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signum)
            try:
                self.popen.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                continue
            # the leader is gone; make sure no forked worker of its group survives it
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGKILL)
            return


class Procs:
    """Starts children and stops every one of them on exit (use as a context manager)."""

    def __init__(self) -> None:
        self._procs: list[Proc] = []
        self._logdir = Path(tempfile.mkdtemp(prefix="naftiko-bench-logs-"))

    def __enter__(self) -> Procs:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_all()

    def start(
        self,
        name: str,
        argv: Sequence[str],
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> Proc:
        stderr_path = self._logdir / f"{name}.{len(self._procs)}.log"
        with stderr_path.open("w") as stderr:
            popen = subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
                env={**os.environ, **(env or {})},
                cwd=cwd,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        proc = Proc(name, popen, stderr_path)
        self._procs.append(proc)
        threading.Thread(target=_pump, args=(popen, proc.lines), daemon=True).start()
        return proc

    def stop(self, proc: Proc) -> None:
        proc.stop()
        with contextlib.suppress(ValueError):
            self._procs.remove(proc)

    def stop_all(self) -> None:
        while self._procs:
            self._procs.pop().stop()


def _pump(popen: subprocess.Popen[str], lines: queue.Queue[str | None]) -> None:
    """Drain stdout forever so a chatty child never blocks on a full pipe."""
    assert popen.stdout is not None
    for line in popen.stdout:
        lines.put(line.rstrip("\n"))
    lines.put(None)


def free_port() -> int:
    """A port that was free a moment ago, for servers (nginx) that cannot report port 0."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_status(url: str, method: str = "GET", timeout: float = 2.0) -> int:
    """Status of one request, 0 when nothing answered; used for readiness and checks."""
    data = b"" if method == "POST" else None
    request = urllib.request.Request(url, data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return 0


def wait_http(url: str, method: str, timeout: float, proc: Proc | None = None) -> float:
    """Poll until ``url`` answers 200; returns seconds waited (readiness for silent servers)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if http_status(url, method, timeout=1.0) == 200:
            return time.monotonic() - started
        if proc is not None and proc.popen.poll() is not None:
            raise BenchError(f"{proc.name} exited ({proc.popen.poll()}): {proc.tail()}")
        time.sleep(0.01)
    raise BenchError(f"{url} did not answer 200 within {timeout:g} s")


def tree(pid: int) -> list[int]:
    """``pid`` and all its descendants, from one scan of /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def _all_cpu_ticks() -> dict[int, int]:
    """utime + stime (ticks) of every process on the machine, by pid."""
    found: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                found[int(entry)] = int(fields[11]) + int(fields[12])
    return found


def cpu_by_pid(pid: int) -> dict[int, float]:
    """CPU seconds of each live process of the tree rooted at ``pid`` (per-worker split)."""
    ticks = _all_cpu_ticks()
    return {member: ticks[member] / CLOCK_TICKS for member in tree(pid) if member in ticks}


def _steal_ticks() -> int:
    """CPU time the hypervisor gave to other guests (``steal`` in /proc/stat), in ticks."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    return int(fields[8]) if len(fields) > 8 else 0


class ForeignLoad:
    """Samples, once a second, the CPU used by processes that are not ours (other work on a
    shared machine) and the hypervisor's steal time, so the report can say how quiet the
    machine was during each section."""

    def __init__(self, interval: float = 1.0) -> None:
        self._interval = interval
        self._stop = threading.Event()
        # (monotonic time, foreign cores, stolen cores)
        self.timeline: list[tuple[float, float, float]] = []
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        previous, steal, last = _all_cpu_ticks(), _steal_ticks(), time.monotonic()
        while not self._stop.wait(self._interval):
            current, stolen, now = _all_cpu_ticks(), _steal_ticks(), time.monotonic()
            ours = set(tree(os.getpid()))
            foreign = sum(
                ticks - previous.get(pid, 0) for pid, ticks in current.items() if pid not in ours
            )
            seconds = CLOCK_TICKS * (now - last)
            self.timeline.append((now, foreign / seconds, (stolen - steal) / seconds))
            previous, steal, last = current, stolen, now

    def mean(self, start: float, end: float, column: int = 1) -> float | None:
        """Average foreign (column 1) or stolen (column 2) cores between two monotonic times."""
        values = [row[column] for row in self.timeline if start < row[0] <= end + self._interval]
        return sum(values) / len(values) if values else None

    def __enter__(self) -> ForeignLoad:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid`` and its live descendants (threads included), in seconds."""
    total = 0
    for member in tree(pid):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and its descendants (VmRSS summed), in MB."""
    total_kb = 0
    for member in tree(pid):
        with contextlib.suppress(OSError, IndexError, ValueError):
            total_kb += int(Path(f"/proc/{member}/statm").read_text().split()[1]) * PAGE_KB
    return total_kb / 1024


class RssSampler:
    """Samples the peak tree RSS of a server in a background thread while load runs."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        self._pid = pid
        self._interval = interval
        self._stop = threading.Event()
        self.peak_mb = 0.0
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, rss_mb(self._pid))
            self._stop.wait(self._interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt so ``finally`` blocks stop the children."""

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
