"""MCP load driver: raw JSON-RPC ``tools/call`` POSTs over one pooled aiohttp session.

The same client drives every MCP server, so the difference measured is the server. It runs as
its own process (``python -m bench.mcp_load``) and prints ``MEASURING`` when the timed window
opens and ``DONE {json}`` when it closes, so the orchestrator can read the server's CPU time at
exactly those two moments.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
import uvloop

from bench.procs import BenchError, cpu_seconds

HEADERS = {
    "Content-Type": "application/json",
    "Accept": "application/json, text/event-stream",
    "MCP-Protocol-Version": "2025-11-25",
}


def payload(tool: str, request_id: int) -> bytes:
    body = {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "tools/call",
        "params": {"name": tool, "arguments": {}},
    }
    return json.dumps(body).encode()


def problem(status: int, text: str) -> str | None:
    """Why an answer is not a successful tool result carrying the upstream JSON, or None."""
    if status != 200:
        return f"HTTP {status}: {text[:200]}"
    try:
        answer: dict[str, Any] = json.loads(text)
    except ValueError:
        return f"not JSON: {text[:200]}"
    result = answer.get("result")
    if not isinstance(result, dict) or result.get("isError"):
        return f"not a successful result: {text[:200]}"
    if "authenticated" not in text:
        return f"upstream JSON missing: {text[:200]}"
    return None


async def drive(url: str, tool: str, concurrency: int, warmup: float, seconds: float) -> None:
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, headers=HEADERS) as session:
        async with session.post(url, data=payload(tool, 0)) as response:
            first = problem(response.status, await response.text())
        if first is not None:
            print("DONE " + json.dumps({"fatal": first}), flush=True)
            return
        latencies: list[float] = []
        errors: list[str] = []
        counter = iter(range(1, 10**9))
        state = {"measuring": False}

        async def worker(stop_at: float) -> None:
            while (now := time.perf_counter()) < stop_at:
                try:
                    async with session.post(url, data=payload(tool, next(counter))) as response:
                        text = await response.text()
                        status = response.status
                except aiohttp.ClientError as exc:
                    status, text = 0, repr(exc)
                if not state["measuring"]:
                    continue
                why = problem(status, text)
                if why is None:
                    latencies.append(time.perf_counter() - now)
                else:
                    errors.append(why)

        warm_end = time.perf_counter() + warmup
        await asyncio.gather(*(worker(warm_end) for _ in range(concurrency)))
        state["measuring"] = True
        print("MEASURING", flush=True)
        started = time.perf_counter()
        await asyncio.gather(*(worker(started + seconds) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
        ordered = sorted(latencies) or [0.0]
        result = {
            "calls": len(latencies),
            "errors": len(errors),
            "first_error": errors[0] if errors else None,
            "seconds": elapsed,
            "rps": len(latencies) / elapsed,
            "p50_ms": statistics.median(ordered) * 1000,
            "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
        }
        print("DONE " + json.dumps(result), flush=True)


@dataclass(frozen=True)
class McpResult:
    """One fixed-duration run, plus the server's CPU time per call over exactly that window."""

    rps: float
    p50_ms: float
    p99_ms: float
    calls: int
    errors: int
    cpu_ms_per_call: float


def measure(url: str, tool: str, server_pid: int, concurrency: int, seconds: float) -> McpResult:
    """Run this module as a client process and read the server tree's CPU at window edges."""
    argv = [sys.executable, "-m", "bench.mcp_load", "--url", url, "--tool", tool]
    argv += ["--concurrency", str(concurrency), "--seconds", str(seconds), "--warmup", "1"]
    with subprocess.Popen(
        argv, stdout=subprocess.PIPE, text=True, start_new_session=True
    ) as client:
        try:
            assert client.stdout is not None
            cpu_start = None
            for line in client.stdout:
                if line.startswith("MEASURING"):
                    cpu_start = cpu_seconds(server_pid)
                elif line.startswith("DONE "):
                    cpu_end = cpu_seconds(server_pid)
                    data = json.loads(line[len("DONE ") :])
                    break
            else:
                raise BenchError(f"MCP load client exited ({client.wait()}) without a result")
            client.wait(timeout=30)
        finally:
            if client.poll() is None:
                os.killpg(client.pid, signal.SIGKILL)
    if "fatal" in data or cpu_start is None:
        raise BenchError(f"MCP check call failed: {data.get('fatal')}")
    total = data["calls"] + data["errors"]
    return McpResult(
        rps=data["rps"],
        p50_ms=data["p50_ms"],
        p99_ms=data["p99_ms"],
        calls=data["calls"],
        errors=data["errors"],
        cpu_ms_per_call=(cpu_end - cpu_start) * 1000 / max(1, total),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--tool", required=True)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    uvloop.run(drive(args.url, args.tool, args.concurrency, args.warmup, args.seconds))


if __name__ == "__main__":
    main()
