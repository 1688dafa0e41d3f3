"""(b) A FastAPI + httpx proxy of the seed route, written the way the docs teach it.

One shared ``httpx.AsyncClient`` opened in the lifespan (a per-request client would be a straw
man), the upstream body and status passed through, uvicorn with its default settings.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Response

from bench.competitors._serve import ROUTE, UPSTREAM_PATH, auth_headers, options, run_uvicorn


def build(upstream: str) -> FastAPI:
    state: dict[str, httpx.AsyncClient] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with httpx.AsyncClient(base_url=upstream, headers=auth_headers()) as client:
            state["client"] = client
            yield

    app = FastAPI(lifespan=lifespan)

    @app.post(ROUTE)
    async def auth_status() -> Response:
        answer = await state["client"].post(UPSTREAM_PATH)
        return Response(
            answer.content,
            status_code=answer.status_code,
            media_type=answer.headers.get("content-type"),
        )

    return app


if __name__ == "__main__":
    run_uvicorn(build(options(__doc__).upstream), tuned=False)
