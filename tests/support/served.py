"""Run a generated package's console script as a real process and wait for it to be ready.

Readiness is the ``<prog> ready: rest=URL mcp=URL skill=URL`` line the generated CLI prints once
every listener has started; nothing here sleeps.
"""

from __future__ import annotations

import os
import queue
import subprocess
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

READY_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class Served:
    process: subprocess.Popen[str]
    urls: dict[str, str]
    stderr_path: Path

    @property
    def rest(self) -> str:
        return self.urls["rest"]

    @property
    def mcp(self) -> str:
        return self.urls["mcp"]

    @property
    def skill(self) -> str:
        return self.urls["skill"]

    def stderr(self) -> str:
        return self.stderr_path.read_text("utf-8", errors="replace")


def _first_line(process: subprocess.Popen[str], timeout: float) -> str:
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout
    threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
    try:
        return lines.get(timeout=timeout)
    except queue.Empty:
        return ""


@contextmanager
def serve(
    command: Path,
    env: Mapping[str, str],
    workdir: Path,
    *args: str,
    options: Sequence[str] = (),
) -> Iterator[Served]:
    """Start ``command OPTIONS serve ARGS`` and stop it (SIGTERM) afterwards."""
    stderr_path = workdir / f"{command.name}-{os.getpid()}-{id(env)}.stderr"
    with open(stderr_path, "w", encoding="utf-8") as stderr:
        process = subprocess.Popen(
            [str(command), *options, "serve", *args],
            env=dict(env),
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    try:
        line = _first_line(process, READY_TIMEOUT_SECONDS)
        if " ready: " not in line:
            process.kill()
            process.wait()
            raise AssertionError(
                f"{command.name} did not become ready: {line!r}\n"
                + stderr_path.read_text("utf-8", errors="replace")
            )
        urls = dict(part.split("=", 1) for part in line.split(" ready: ", 1)[1].split())
        yield Served(process, urls, stderr_path)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stdout is not None:
            process.stdout.close()
