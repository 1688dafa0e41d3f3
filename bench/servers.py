"""Starting the systems under test: the generated ``web-sessions serve`` and the competitors.

All of them bind port 0 and print one readiness line; we wait for that line, then check one
real request end to end (a proxy answering 502 would otherwise benchmark its error path).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from bench.procs import VENV_BIN, BenchError, Proc, Procs, http_status
from bench.upstream import Upstream

REST_ROUTE = "/v1/iserver/auth/status"
GENERATED_TOOL = "get-authentication-status"
TOKEN = "bench-token"


@dataclass(frozen=True)
class Served:
    """A running server: its process (tree root) and the URLs the load drivers use."""

    name: str
    proc: Proc
    rest_url: str | None = None  # full URL of the seed REST route
    mcp_url: str | None = None  # the Streamable HTTP endpoint


def generated_env(upstream: Upstream) -> dict[str, str]:
    return {"INTERACTIVE_BROKERS_API_KEY": TOKEN, "WEB_SESSIONS_BASE_URI": upstream.base_uri}


def generated_argv(workers: int = 1, only: str | None = None) -> list[str]:
    argv = [str(VENV_BIN / "web-sessions"), "serve", "--rest-port", "0", "--mcp-port", "0"]
    if only:
        argv += ["--only", only]
    if workers != 1:
        argv += ["--workers", str(workers)]
    return argv


def start_generated(
    procs: Procs,
    upstream: Upstream,
    *,
    workers: int = 1,
    only: str | None = None,
) -> Served:
    """``web-sessions serve`` (REST and MCP unless ``only``), ready when its line is printed."""
    proc = procs.start(
        f"web-sessions-w{workers}",
        generated_argv(workers, only),
        env=generated_env(upstream),
    )
    line = proc.wait_line(r"^web-sessions ready: (.*)$", timeout=60).group(1)
    urls = dict(part.split("=", 1) for part in line.split())
    served = Served(
        "generated",
        proc,
        rest_url=urls["rest"] + REST_ROUTE if "rest" in urls else None,
        mcp_url=urls.get("mcp"),
    )
    if served.rest_url is not None:
        _check(served.name, served.rest_url)
    return served


def workers_supported() -> bool:
    """``--workers`` is new in the generated CLI; older packages do not have it."""
    import subprocess

    out = subprocess.run(
        [str(VENV_BIN / "web-sessions"), "serve", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return "--workers" in out.stdout


def start_competitor(procs: Procs, module: str, upstream: Upstream, *, mcp: bool = False) -> Served:
    """``python -m bench.competitors.<module>``; REST ones are checked with one request."""
    proc = procs.start(
        module,
        [sys.executable, "-m", f"bench.competitors.{module}", "--upstream", upstream.base_uri],
        env={"INTERACTIVE_BROKERS_API_KEY": TOKEN},
    )
    base = proc.wait_line(r"^ready (http://\S+)$", timeout=60).group(1)
    if mcp:
        return Served(module, proc, mcp_url=base + "/mcp")
    served = Served(module, proc, rest_url=base + REST_ROUTE)
    _check(module, base + REST_ROUTE)
    return served


def _check(name: str, url: str) -> None:
    status = http_status(url, "POST", timeout=10)
    if status != 200:
        raise BenchError(f"{name}: POST {url} answered {status or 'nothing'}, expected 200")
