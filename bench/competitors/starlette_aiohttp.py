"""(c1) Hand-tuned proxy: bare Starlette route + one pooled aiohttp client, uvicorn on
uvloop/httptools without access log: the same stack as ours minus everything generated."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench.competitors._serve import ROUTE, UPSTREAM_PATH, auth_headers, options, run_uvicorn


def build(upstream: str) -> Starlette:
    url = upstream + UPSTREAM_PATH
    state: dict[str, aiohttp.ClientSession] = {}

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        connector = aiohttp.TCPConnector(limit=256)
        async with aiohttp.ClientSession(connector=connector, headers=auth_headers()) as session:
            state["session"] = session
            yield

    async def auth_status(request: Request) -> Response:
        async with state["session"].post(url, data=b"") as answer:
            body = await answer.read()
            return Response(body, answer.status, media_type=answer.content_type)

    return Starlette(routes=[Route(ROUTE, auth_status, methods=["POST"])], lifespan=lifespan)


if __name__ == "__main__":
    run_uvicorn(build(options(__doc__).upstream), tuned=True)
