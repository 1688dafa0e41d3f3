"""Shared start-up of the competitor servers: port 0, one readiness line, token from env."""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
from typing import Any

import uvicorn

ROUTE = "/v1/iserver/auth/status"
UPSTREAM_PATH = "/iserver/auth/status"


def options(description: str | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--upstream", required=True, help="base URI, e.g. http://127.0.0.1:P/v1/api"
    )
    return parser.parse_args()


def auth_headers() -> dict[str, str]:
    """The same bearer token the generated server sends, so every proxy does the same work."""
    return {"Authorization": "Bearer " + os.environ.get("INTERACTIVE_BROKERS_API_KEY", "bench")}


def listen() -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def announce(sock: socket.socket) -> None:
    print(f"ready http://127.0.0.1:{sock.getsockname()[1]}", flush=True)


def run_uvicorn(app: Any, *, tuned: bool) -> None:
    """uvicorn on a port-0 socket. ``tuned``: uvloop + httptools, no access log, no lifespan
    probing; otherwise uvicorn's defaults (auto loop/http) with only the log level raised."""
    sock = listen()
    if tuned:
        config = uvicorn.Config(
            app, loop="uvloop", http="httptools", access_log=False, log_level="warning"
        )
    else:
        config = uvicorn.Config(app, log_level="warning")
    server = uvicorn.Server(config)

    async def serve() -> None:
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started and not task.done():
            await asyncio.sleep(0.01)
        if server.started:
            announce(sock)
        await task

    with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
        runner.run(serve())
