"""(c2) Hand-tuned proxy: aiohttp.web server + one pooled aiohttp client on uvloop, the
fastest pure-Python pair the issue measured."""

from __future__ import annotations

import asyncio

import aiohttp
import uvloop
from aiohttp import web

from bench.competitors._serve import (
    ROUTE,
    UPSTREAM_PATH,
    announce,
    auth_headers,
    listen,
    options,
)


async def serve(upstream: str) -> None:
    url = upstream + UPSTREAM_PATH
    connector = aiohttp.TCPConnector(limit=256)
    async with aiohttp.ClientSession(connector=connector, headers=auth_headers()) as session:

        async def auth_status(request: web.Request) -> web.Response:
            async with session.post(url, data=b"") as answer:
                body = await answer.read()
                return web.Response(
                    body=body, status=answer.status, content_type=answer.content_type
                )

        app = web.Application()
        app.router.add_post(ROUTE, auth_status)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        sock = listen()
        site = web.SockSite(runner, sock)
        await site.start()
        announce(sock)
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()


if __name__ == "__main__":
    uvloop.run(serve(options(__doc__).upstream))
