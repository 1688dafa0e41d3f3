"""REST load driver: wrk with a small Lua script that POSTs and prints one JSON summary line.

wrk is installed with apt-get when missing. One wrk thread is enough (a Python proxy answers a
few thousand requests/s) and leaves the second core to the server and the upstream.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

# wrk.body = "" makes wrk send Content-Length: 0, like a client POSTing no body.
LUA = """\
wrk.method = "POST"
wrk.body = ""
wrk.headers["Accept"] = "application/json"

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


@dataclass(frozen=True)
class LoadResult:
    """One fixed-duration run: throughput, latency percentiles (ms) and failed requests."""

    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


def wrk_binary() -> str | None:
    """wrk on PATH, installed with apt-get when missing (root only)."""
    found = shutil.which("wrk")
    if found or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    subprocess.run(
        ["apt-get", "install", "-y", "-q", "wrk"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
        timeout=180,
    )
    return shutil.which("wrk")


class Wrk:
    """Runs wrk against a URL; the Lua script lives in a temp file for the bench's lifetime."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self._script = Path(tempfile.mkdtemp(prefix="naftiko-bench-wrk-")) / "post.lua"
        self._script.write_text(LUA)

    def version(self) -> str:
        out = subprocess.run([self.binary, "--version"], capture_output=True, text=True)
        first = (out.stdout or out.stderr).splitlines()[0] if (out.stdout or out.stderr) else ""
        return first.split(" Copyright")[0].strip()

    def run(self, url: str, connections: int, seconds: float) -> LoadResult:
        """One bounded run (wrk stops by itself; the subprocess timeout is a safety net)."""
        argv = [
            self.binary,
            "-t1",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "5s",
            "-s",
            str(self._script),
            url,
        ]
        out = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 30)
        line = next((x for x in out.stdout.splitlines() if x.startswith("BENCH ")), None)
        if line is None:
            raise RuntimeError(f"wrk printed no summary: {out.stdout[-300:]} {out.stderr[-300:]}")
        data = json.loads(line[len("BENCH ") :])
        errors = sum(data[k] for k in ("connect", "read", "write", "status", "timeout"))
        seconds_measured = data["duration_us"] / 1e6
        return LoadResult(
            rps=data["requests"] / seconds_measured,
            p50_ms=data["p50_us"] / 1000,
            p99_ms=data["p99_us"] / 1000,
            requests=data["requests"],
            errors=errors,
        )
