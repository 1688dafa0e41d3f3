"""Footprint of the generated server: cold start-up to first answered request, idle RSS.

A fresh ``web-sessions serve`` (REST + MCP, as users run it) is timed from spawn to its readiness
line and to the first 200 on the REST route; idle RSS (VmRSS of the whole process tree) is read
after one second of quiet. RSS under load is sampled during the REST/MCP sections instead.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from bench.procs import Procs, rss_mb, wait_http
from bench.servers import REST_ROUTE, generated_argv, generated_env
from bench.upstream import Upstream


@dataclass(frozen=True)
class StartupRun:
    ready_s: float  # spawn → "web-sessions ready" line
    first_answer_s: float  # spawn → first 200 on POST /v1/iserver/auth/status
    rss_idle_mb: float


def startup(procs: Procs, upstream: Upstream, idle_seconds: float = 1.0) -> StartupRun:
    started = time.monotonic()
    proc = procs.start("web-sessions-startup", generated_argv(), env=generated_env(upstream))
    try:
        match = proc.wait_line(r"^web-sessions ready: rest=(\S+)", timeout=60)
        ready = time.monotonic() - started
        wait_http(match.group(1) + REST_ROUTE, "POST", timeout=30, proc=proc)
        first = time.monotonic() - started
        time.sleep(idle_seconds)
        return StartupRun(ready, first, rss_mb(proc.pid))
    finally:
        procs.stop(proc)
