"""Load and shutdown: 50 concurrent clients against a slow upstream with no unexpected error and
bounded memory; SIGTERM lets an in-flight request finish, then the server exits 0."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest
from mcp import Client

from tests.integration.test_web_sessions import http
from tests.support.faults import SPEC, faults_env
from tests.support.faulty_upstream import FaultyUpstream
from tests.support.packages import build_and_install
from tests.support.served import Served, serve

REST_CLIENTS = 40
MCP_CLIENTS = 10
CALLS_PER_CLIENT = 15
UPSTREAM_DELAY_MS = 50
RSS_GROWTH_LIMIT_BYTES = 20 * 1024 * 1024


@pytest.fixture(scope="module")
def upstream() -> Iterator[FaultyUpstream]:
    with FaultyUpstream() as running:
        yield running


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_and_install(SPEC, "faults", tmp_path_factory.mktemp("load"))


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


async def rest_client(session: aiohttp.ClientSession, url: str) -> Counter[Any]:
    outcomes: Counter[Any] = Counter()
    for _ in range(CALLS_PER_CLIENT):
        async with session.get(url) as response:
            body = await response.read()
        outcomes[(response.status, json.loads(body).get("mode"))] += 1
    return outcomes


async def mcp_client(url: str) -> Counter[Any]:
    outcomes: Counter[Any] = Counter()
    async with Client(url) as client:
        for _ in range(CALLS_PER_CLIENT):
            result = await client.call_tool("plain-get", {"mode": "slow", "n": UPSTREAM_DELAY_MS})
            outcomes[("mcp", result.is_error)] += 1
    return outcomes


async def round_of_load(served: Served) -> Counter[Any]:
    url = f"{served.rest}/plain/slow?n={UPSTREAM_DELAY_MS}"
    connector = aiohttp.TCPConnector(limit=REST_CLIENTS)
    async with aiohttp.ClientSession(connector=connector) as session:
        results = await asyncio.gather(
            *(rest_client(session, url) for _ in range(REST_CLIENTS)),
            *(mcp_client(served.mcp) for _ in range(MCP_CLIENTS)),
        )
    return sum(results, Counter())


@pytest.mark.anyio
async def test_fifty_concurrent_clients_see_no_error_and_memory_stays_bounded(
    site: Path, upstream: FaultyUpstream, tmp_path: Path
) -> None:
    env = faults_env(site, tmp_path, upstream.base_url)
    args = ("--rest-port", "0", "--mcp-port", "0")
    with serve(site / "bin" / "faults", env, tmp_path, *args) as served:
        warm_up = await round_of_load(served)  # pools, caches and lazy imports reach steady size
        before = rss_bytes(served.process.pid)
        started = time.monotonic()
        measured = await round_of_load(served) + await round_of_load(served)
        elapsed = time.monotonic() - started
        after = rss_bytes(served.process.pid)
        stderr = served.stderr()

    per_round = {
        (200, "slow"): REST_CLIENTS * CALLS_PER_CLIENT,
        ("mcp", False): MCP_CLIENTS * CALLS_PER_CLIENT,
    }
    assert warm_up == per_round
    assert measured == {key: 2 * count for key, count in per_round.items()}
    assert after - before < RSS_GROWTH_LIMIT_BYTES, (before, after)
    assert "Traceback" not in stderr and "ERROR" not in stderr
    print(  # the numbers docs/security.md quotes (pytest -s shows them)
        f"load: {sum(measured.values())} calls in {elapsed:.1f} s, "
        f"RSS {before / 2**20:.1f} → {after / 2**20:.1f} MiB"
    )


def refuses_connections(url: str) -> bool:
    target = urlsplit(url)
    try:
        with socket.create_connection((target.hostname or "", target.port or 80), timeout=1):
            return False
    except OSError:
        return True


def test_sigterm_lets_the_in_flight_request_finish_then_exits_0(
    site: Path, upstream: FaultyUpstream, tmp_path: Path
) -> None:
    env = faults_env(site, tmp_path, upstream.base_url)
    answer: list[tuple[int, dict[str, str], bytes]] = []
    with serve(
        site / "bin" / "faults", env, tmp_path, "--only", "rest", "--rest-port", "0"
    ) as served:
        in_flight = threading.Thread(
            target=lambda: answer.append(http("GET", served.rest + "/plain/hold")), daemon=True
        )
        in_flight.start()
        assert upstream.holding.wait(timeout=30), "the request never reached the upstream"

        served.process.send_signal(signal.SIGTERM)
        for _ in range(3000):  # shutting down: the listener closes first (bounded wait)
            if refuses_connections(served.rest):
                break
            threading.Event().wait(0.01)
        else:
            raise AssertionError("the server kept accepting connections after SIGTERM")
        running_while_draining = served.process.poll() is None
        upstream.release()
        in_flight.join(timeout=30)
        code = served.process.wait(timeout=30)

    assert running_while_draining
    assert [(status, json.loads(body)) for status, _, body in answer] == [
        (200, {"ok": True, "mode": "hold"})
    ]
    assert code == 0
    assert "Traceback" not in served.stderr()
