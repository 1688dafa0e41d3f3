"""Failing upstreams, each injected for real on loopback: every failure is a documented status
(REST) or ``isError`` result (MCP), the server never crashes, leaks no socket, and retries only
idempotent calls, only when ``<NS>_RETRIES`` asks for it."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from mcp import Client

from tests.integration.test_web_sessions import http
from tests.support.faults import SPEC, TOKEN, faults_env
from tests.support.faulty_upstream import FaultyUpstream
from tests.support.packages import build_and_install
from tests.support.served import Served, serve

# (REST path, status, error code or exact body). Documented in docs/security.md.
FAILURES = [
    ("/refused/ok", 502, "upstream_unavailable"),
    ("/named/ok", 502, "upstream_unavailable"),
    ("/plain/slow-headers", 504, "upstream_timeout"),
    ("/plain/slow-body", 504, "upstream_timeout"),
    ("/plain/truncated", 502, "upstream_unavailable"),
    ("/plain/invalid-json", 200, b'{"not json'),
    ("/plain/status-503", 503, b'{"error": "unavailable"}'),
    ("/plain/ratelimited?key=rest", 429, b'{"error": "slow down"}'),
]


@pytest.fixture(scope="module")
def upstream() -> Iterator[FaultyUpstream]:
    with FaultyUpstream() as running:
        yield running


@pytest.fixture(scope="module")
def faults(upstream: FaultyUpstream, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    workdir = tmp_path_factory.mktemp("faults")
    site = build_and_install(SPEC, "faults", workdir)
    env = faults_env(site, workdir, upstream.base_url)
    args = ("--rest-port", "0", "--mcp-port", "0")
    with serve(site / "bin" / "faults", env, workdir, *args, options=("--log-level", "debug")) as s:
        yield s


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


@pytest.mark.parametrize(("path", "status", "expected"), FAILURES, ids=lambda v: str(v))
def test_each_failure_is_a_documented_rest_status(
    faults: Served, path: str, status: int, expected: str | bytes
) -> None:
    got, headers, body = http("GET", faults.rest + path)

    assert got == status
    if isinstance(expected, bytes):
        assert body == expected  # the upstream's answer, unchanged
    else:
        assert headers["content-type"] == "application/json"
        assert json.loads(body)["error"] == expected
    if status == 429:
        assert headers["retry-after"] == "0"


@pytest.mark.anyio
async def test_each_failure_is_an_mcp_error_result_and_invalid_json_is_text(
    faults: Served,
) -> None:
    cases = {
        ("refused-get", "ok"): "upstream 'refused' is unreachable",
        ("named-get", "ok"): "upstream 'named' is unreachable",
        ("plain-get", "slow-headers"): "upstream 'plain' did not answer within 1 s",
        ("plain-get", "slow-body"): "upstream 'plain' did not answer within 1 s",
        ("plain-get", "truncated"): "upstream 'plain' is unreachable",
        ("plain-get", "status-503"): 'upstream answered HTTP 503: {"error": "unavailable"}',
        ("plain-get", "ratelimited"): 'upstream answered HTTP 429: {"error": "slow down"}',
    }
    async with Client(faults.mcp) as client:
        results = {
            case: await client.call_tool(case[0], {"mode": case[1], "key": "mcp"}) for case in cases
        }
        invalid = await client.call_tool("plain-get", {"mode": "invalid-json"})

    for case, message in cases.items():
        assert results[case].is_error is True, case
        assert results[case].content[0].text == message  # type: ignore[union-attr]
    assert invalid.is_error is False
    assert invalid.content[0].text == '{"not json'  # type: ignore[union-attr]
    assert invalid.structured_content is None


def test_retries_are_off_by_default(faults: Served, upstream: FaultyUpstream) -> None:
    status, _, _ = http("GET", faults.rest + "/plain/flaky?key=off&n=1")

    assert status == 503
    assert [r.query.get("key") for r in upstream.requests].count("off") == 1


@pytest.mark.parametrize(
    ("method", "query", "status", "sent"),
    [
        ("GET", "mode=flaky&key=two&n=2", 200, 3),  # 503, 503, then 200
        ("GET", "mode=flaky&key=always&n=9", 503, 3),  # bounded: 1 + RETRYING_RETRIES
        ("GET", "mode=drop&key=dropped&n=1", 200, 2),  # connection closed, then 200
        ("GET", "mode=ratelimited&key=limited&n=1", 200, 2),  # 429 Retry-After: 0, then 200
        ("POST", "mode=flaky&key=post&n=1", 503, 1),  # never retried: not idempotent
    ],
    ids=["503-then-ok", "bounded", "dropped-connection", "retry-after", "post-not-retried"],
)
def test_retries_are_bounded_and_only_for_idempotent_methods(
    faults: Served, upstream: FaultyUpstream, method: str, query: str, status: int, sent: int
) -> None:
    params = dict(part.split("=") for part in query.split("&"))
    url = f"{faults.rest}/retrying/{params.pop('mode')}?key={params['key']}&n={params['n']}"

    got, _, _ = http(method, url, b"" if method == "POST" else None)

    assert got == status
    assert [r.query.get("key") for r in upstream.requests].count(params["key"]) == sent


def test_failures_leak_no_socket_and_never_crash_the_server(faults: Served) -> None:
    paths = [path for path, _, _ in FAILURES] * 10
    pid = faults.process.pid

    def run_all() -> list[int]:
        with ThreadPoolExecutor(max_workers=len(FAILURES) * 2) as pool:
            return list(pool.map(lambda path: http("GET", faults.rest + path)[0], paths))

    run_all()  # warm-up: the upstream connection pool reaches its steady size
    before = open_fds(pid)
    statuses = run_all() + run_all()
    status, _, _ = http("GET", faults.rest + "/plain/ok")
    after = open_fds(pid)

    assert statuses == [expected for _, expected, _ in FAILURES] * 20
    assert status == 200
    # A leak adds one descriptor per failed request (160 here); idle pooled upstream connections
    # (at most the 16 concurrent ones, closed after aiohttp's keep-alive time) are the only slack.
    assert after <= before + 5, (before, after)
    assert faults.process.poll() is None
    assert "Traceback" not in faults.stderr()


def test_the_token_is_in_no_failure_answer_and_not_in_the_debug_log(
    faults: Served, upstream: FaultyUpstream
) -> None:
    answers = [http("GET", faults.rest + path) for path, _, _ in FAILURES]

    assert upstream.requests[-1].headers["authorization"] == f"Bearer {TOKEN}"
    assert not [a for a in answers if TOKEN in str(a[1]) or TOKEN.encode() in a[2]]
    log = faults.stderr()
    assert "DEBUG" in log
    assert TOKEN not in log
