"""Per-namespace transport settings (semantics §2.11, §7.12): redirects are passed back, not
followed, unless ``<NS>_FOLLOW_REDIRECTS=true``; ``<NS>_MAX_CONNECTIONS`` caps concurrent
requests; ``<NS>_TIMEOUT`` and ``<NS>_CONNECT_TIMEOUT`` bound the wait; all of them are read at
start-up, refused by name when malformed, and listed in the generated README."""

from __future__ import annotations

import importlib
import json
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.integration.conftest import package_env
from tests.integration.test_web_sessions import http
from tests.support.packages import build_and_install
from tests.support.served import Served, serve

SPEC = """\
naftiko: 1.0.0-alpha2
info:
  label: Transport knobs
capability:
  consumes:
  - type: http
    namespace: files
    baseUri: https://files.example.test
    resources:
    - {name: moved, path: /moved, operations: [{name: get-moved, method: GET}]}
    - {name: held, path: /held, operations: [{name: get-held, method: GET}]}
    - {name: slow, path: /slow, operations: [{name: get-slow, method: GET}]}
  exposes:
  - type: rest
    namespace: files-rest
    port: 8080
    resources:
    - path: /moved
      operations: [{method: GET, name: get-moved, call: files.get-moved}]
    - path: /held
      operations: [{method: GET, name: get-held, call: files.get-held}]
    - path: /slow
      operations: [{method: GET, name: get-slow, call: files.get-slow}]
"""


class TransportUpstream:
    """``/moved`` redirects to ``/target``; ``/held`` holds each request until a second one is
    in flight (or 2 s pass) and records the most requests it saw at once; ``/slow`` answers
    after 5 s unless released."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self.released = threading.Event()
        self._changed = threading.Condition()
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                upstream.paths.append(self.path)
                if self.path == "/moved":
                    self._send(302, {"moved": True}, Location="/target")
                elif self.path == "/target":
                    self._send(200, {"here": True})
                elif self.path == "/held":
                    upstream.hold()
                    self._send(200, {"held": True})
                else:
                    upstream.released.wait(5)
                    self._send(200, {"slow": True})

            def _send(self, status: int, payload: Any, **headers: str) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def hold(self) -> None:
        with self._changed:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            self._changed.notify_all()
            self._changed.wait_for(lambda: self.in_flight >= 2, timeout=2)
        with self._changed:
            self.in_flight -= 1

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> TransportUpstream:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.released.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


@pytest.fixture
def upstream() -> Iterator[TransportUpstream]:
    with TransportUpstream() as running:
        yield running


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_and_install(SPEC, "transport-knobs", tmp_path_factory.mktemp("transport"))


def served(package: Path, upstream: TransportUpstream, workdir: Path, **env: str) -> Any:
    environ = package_env(package, FILES_BASE_URI=upstream.base_url, **env)
    return serve(package / "bin" / "transport-knobs", environ, workdir, "--rest-port", "0")


def test_a_redirect_is_passed_back_with_a_warning_not_followed(
    package: Path, upstream: TransportUpstream, tmp_path: Path
) -> None:
    with served(package, upstream, tmp_path) as running:
        status, _, body = http("GET", running.rest + "/moved")
        log = running.stderr()

    assert (status, json.loads(body)) == (302, {"moved": True})
    assert upstream.paths == ["/moved"]
    assert "answered 302 (Location: /target); passed back, not followed" in log
    assert "FILES_FOLLOW_REDIRECTS=true" in log


def test_follow_redirects_true_follows_them(
    package: Path, upstream: TransportUpstream, tmp_path: Path
) -> None:
    with served(package, upstream, tmp_path, FILES_FOLLOW_REDIRECTS="true") as running:
        status, _, body = http("GET", running.rest + "/moved")

    assert (status, json.loads(body)) == (200, {"here": True})
    assert upstream.paths == ["/moved", "/target"]


def concurrently(running: Served, path: str, count: int) -> list[int]:
    with ThreadPoolExecutor(count) as pool:
        return [s for s, _, _ in pool.map(lambda _: http("GET", running.rest + path), range(count))]


def test_max_connections_one_sends_concurrent_calls_one_at_a_time(
    package: Path, upstream: TransportUpstream, tmp_path: Path
) -> None:
    with served(package, upstream, tmp_path, FILES_MAX_CONNECTIONS="1") as running:
        statuses = concurrently(running, "/held", 2)

    assert statuses == [200, 200]
    assert upstream.most_in_flight == 1


def test_by_default_concurrent_calls_reach_the_upstream_together(
    package: Path, upstream: TransportUpstream, tmp_path: Path
) -> None:
    with served(package, upstream, tmp_path) as running:
        statuses = concurrently(running, "/held", 2)

    assert statuses == [200, 200]
    assert upstream.most_in_flight == 2


def test_the_whole_answer_timeout_is_a_504(
    package: Path, upstream: TransportUpstream, tmp_path: Path
) -> None:
    with served(package, upstream, tmp_path, FILES_TIMEOUT="0.5") as running:
        status, _, body = http("GET", running.rest + "/slow")
        upstream.released.set()

    assert status == 504
    assert "did not answer within 0.5 s" in json.loads(body)["message"]


@pytest.fixture
def generated(package: Path) -> Iterator[ModuleType]:
    sys.path.insert(0, str(package))
    try:
        yield importlib.import_module("transport_knobs.upstream")
    finally:
        sys.path.remove(str(package))
        for name in [m for m in sys.modules if m.startswith("transport_knobs")]:
            del sys.modules[name]


@pytest.mark.anyio
async def test_the_settings_reach_the_aiohttp_session(generated: ModuleType) -> None:
    settings_module = sys.modules["transport_knobs.settings"]
    settings = settings_module.load_settings(
        {
            "FILES_TIMEOUT": "20",
            "FILES_CONNECT_TIMEOUT": "2.5",
            "FILES_MAX_CONNECTIONS": "7",
            "FILES_MAX_CONNECTIONS_PER_HOST": "3",
        }
    )
    capped = settings_module.load_settings({"FILES_TIMEOUT": "1", "FILES_CONNECT_TIMEOUT": "9"})

    async with generated.Upstreams(settings) as upstreams:
        session = upstreams.files._session
        assert (session.timeout.total, session.timeout.sock_connect) == (20.0, 2.5)
        assert (session.connector.limit, session.connector.limit_per_host) == (7, 3)
    assert capped.files.connect_timeout == 1.0
    assert settings_module.load_settings({}).files.follow_redirects is False


@pytest.mark.parametrize(
    ("variable", "value", "fragment"),
    [
        (
            "FILES_MAX_CONNECTIONS",
            "0",
            "FILES_MAX_CONNECTIONS must be a whole number of at least 1",
        ),
        ("FILES_FOLLOW_REDIRECTS", "maybe", "FILES_FOLLOW_REDIRECTS must be true or false"),
        ("FILES_CONNECT_TIMEOUT", "-2", "FILES_CONNECT_TIMEOUT must be a positive number"),
        ("FILES_MAX_CONNECTIONS_PER_HOST", "x", "FILES_MAX_CONNECTIONS_PER_HOST must be a whole"),
    ],
)
def test_malformed_transport_settings_are_refused_by_name(
    generated: ModuleType, variable: str, value: str, fragment: str
) -> None:
    settings_module = sys.modules["transport_knobs.settings"]

    with pytest.raises(settings_module.ConfigError) as raised:
        settings_module.load_settings({variable: value})

    assert fragment in str(raised.value)


def test_the_generated_readme_lists_every_transport_variable(package: Path) -> None:
    readme = (package.parent / "out" / "README.md").read_text()

    for name in (
        "FILES_BASE_URI",
        "FILES_TIMEOUT",
        "FILES_CONNECT_TIMEOUT",
        "FILES_RETRIES",
        "FILES_FOLLOW_REDIRECTS",
        "FILES_MAX_CONNECTIONS",
        "FILES_MAX_CONNECTIONS_PER_HOST",
        "TRANSPORT_KNOBS_MAX_BODY_BYTES",
    ):
        assert f"| `{name}` |" in readme
