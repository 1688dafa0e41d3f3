"""The upstream every proxy forwards to: nginx answering the IBKR auth-status JSON.

nginx (one worker, no access log, endless keep-alive) is an order of magnitude faster than any
Python proxy in front of it, so it is never the bottleneck. When nginx cannot be installed the
bench falls back to the aiohttp.web app below (``python -m bench.upstream``) and says so.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.procs import Proc, Procs, free_port, wait_http

ROUTE = "/v1/api/iserver/auth/status"
# The authenticated answer documented by IBKR (shared/docs/ibkr-gateway.md §2).
AUTH_STATUS_JSON = (
    '{"authenticated":true,"competing":false,"connected":true,"message":"",'
    '"MAC":"12:B:B3:23:BF:A0","serverInfo":{"serverName":"JifN19053",'
    '"serverVersion":"Build 10.25.0p, Dec 5, 2023 5:48:12 PM"},'
    '"hardware_info":"3b0679ee|98:A2:B3:23:BC:A0","fail":""}'
)

NGINX_CONF = """\
worker_processes 1;
daemon off;
master_process on;
{user}
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    keepalive_requests 10000000;
    keepalive_timeout 60s;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location = {route} {{
            default_type application/json;
            return 200 '{body}';
        }}
        location / {{ return 404; }}
    }}
}}
"""


@dataclass(frozen=True)
class Upstream:
    """A running upstream: its process, kind and the base URI the proxies are given."""

    proc: Proc
    kind: str  # "nginx" or "aiohttp.web (fallback: ...)"
    base_uri: str  # http://127.0.0.1:P/v1/api

    @property
    def url(self) -> str:
        return self.base_uri + "/iserver/auth/status"


def nginx_binary() -> str | None:
    """nginx on PATH or in /usr/sbin; installed with apt-get when missing (root only)."""
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if found or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    subprocess.run(
        ["apt-get", "install", "-y", "-q", "nginx"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
        timeout=180,
    )
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")


def start(procs: Procs) -> Upstream:
    """nginx if possible, else the aiohttp.web fallback; both checked with a real request."""
    binary = nginx_binary()
    problem = "nginx not found and could not be installed"
    if binary:
        tmp = Path(tempfile.mkdtemp(prefix="naftiko-bench-nginx-"))
        port = free_port()
        conf = NGINX_CONF.format(
            user="user root;" if os.geteuid() == 0 else "",
            tmp=tmp,
            port=port,
            route=ROUTE,
            body=AUTH_STATUS_JSON,
        )
        (tmp / "nginx.conf").write_text(conf)
        proc = procs.start("nginx", [binary, "-p", str(tmp), "-c", str(tmp / "nginx.conf")])
        base = f"http://127.0.0.1:{port}/v1/api"
        try:
            wait_http(base + "/iserver/auth/status", "POST", timeout=10, proc=proc)
            return Upstream(proc, "nginx", base)
        except Exception as exc:
            procs.stop(proc)
            problem = f"nginx did not start: {exc}"
    proc = procs.start("upstream", [sys.executable, "-m", "bench.upstream"])
    port = int(proc.wait_line(r"ready http://127\.0\.0\.1:(\d+)", timeout=20).group(1))
    return Upstream(proc, f"aiohttp.web (fallback: {problem})", f"http://127.0.0.1:{port}/v1/api")


def main() -> None:
    """The fallback upstream: aiohttp.web on uvloop, fixed JSON body, port 0, one ready line."""
    import asyncio

    import uvloop
    from aiohttp import web

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    body = AUTH_STATUS_JSON.encode()

    async def auth_status(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/json")

    async def serve() -> None:
        app = web.Application()
        app.router.add_route("*", ROUTE, auth_status)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", args.port)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        print(f"ready http://127.0.0.1:{port}", flush=True)
        await asyncio.Event().wait()

    uvloop.run(serve())


if __name__ == "__main__":
    main()
