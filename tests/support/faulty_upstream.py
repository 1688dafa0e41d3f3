"""A real HTTP/1.1 upstream on 127.0.0.1 that fails on purpose, written on raw asyncio streams so
every failure is exact: ``GET|POST /fault/<mode>?key=K&n=N``.

Modes: ``ok``; ``slow-headers`` (never answers; closes when the client does); ``slow-body``
(headers, then part of the body, then nothing); ``truncated`` (announces 100 bytes, sends 10,
closes); ``invalid-json``; ``status-503``; ``flaky`` (503 for the first ``n`` requests of key K,
then 200; without ``n``: always); ``ratelimited`` (429 with ``Retry-After: 0``, like flaky);
``drop`` (closes without answering, like flaky); ``slow`` (answers after ``n`` milliseconds);
``hold`` (answers when the test calls :meth:`FaultyUpstream.release`).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import Counter
from dataclasses import dataclass, field
from types import TracebackType
from urllib.parse import parse_qsl, urlsplit


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]


@dataclass
class FaultyUpstream:
    requests: list[Seen] = field(default_factory=list)
    port: int = 0

    def __post_init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._counts: Counter[str] = Counter()
        self._held: asyncio.Event | None = None
        self.holding = threading.Event()
        self._server: asyncio.Server | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def count(self, mode: str) -> int:
        return sum(1 for seen in self.requests if seen.path == f"/fault/{mode}")

    def release(self) -> None:
        """Let every ``hold`` request answer."""

        def set_event() -> None:
            assert self._held is not None
            self._held.set()

        self._loop.call_soon_threadsafe(set_event)

    async def _start(self) -> None:
        self._held = asyncio.Event()
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in asyncio.all_tasks():
            if task is not asyncio.current_task():
                task.cancel()

    def __enter__(self) -> FaultyUpstream:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while await self._one(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Serve one request; ``False`` closes the connection."""
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = {
            k.strip().lower(): v.strip()
            for k, _, v in (line.partition(":") for line in lines[1:] if line)
        }
        if int(headers.get("content-length") or 0):
            await reader.readexactly(int(headers["content-length"]))
        url = urlsplit(target)
        query = dict(parse_qsl(url.query))
        self.requests.append(Seen(method, url.path, query, headers))
        mode = url.path.removeprefix("/fault/")
        key = f"{mode}:{query.get('key', '')}"
        self._counts[key] += 1
        n = int(query.get("n", 10**9))  # without n: fail every time
        if mode == "slow-headers":
            await reader.read()  # until the client gives up and closes
            return False
        if mode == "slow-body":
            writer.write(_head(200, 100) + b'{"partial"')
            await writer.drain()
            await reader.read()
            return False
        if mode == "truncated":
            writer.write(_head(200, 100) + b'{"ok": tru')
            await writer.drain()
            return False
        if mode == "drop" and self._counts[key] <= n:
            return False
        if mode == "slow":
            await asyncio.sleep(n / 1000)
        if mode == "hold":
            self.holding.set()
            assert self._held is not None
            await self._held.wait()
        status, extra, body = 200, b"", json.dumps({"ok": True, "mode": mode}).encode()
        if mode == "invalid-json":
            body = b'{"not json'
        elif mode == "status-503" or (mode == "flaky" and self._counts[key] <= n):
            status, body = 503, b'{"error": "unavailable"}'
        elif mode == "ratelimited" and self._counts[key] <= n:
            status, extra, body = 429, b"Retry-After: 0\r\n", b'{"error": "slow down"}'
        writer.write(_head(status, len(body), extra) + body)
        await writer.drain()
        return True


def _head(status: int, length: int, extra: bytes = b"") -> bytes:
    return (
        f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\n".encode() + extra + b"\r\n"
    )
