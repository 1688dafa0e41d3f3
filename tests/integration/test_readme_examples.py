"""Every ``curl`` line of a generated README, run against the served package (real uvicorn) in
front of a recording upstream: each must pass input validation and reach the upstream.

The lines are parsed with ``shlex`` and sent with urllib, so the test needs no ``curl`` binary.
"""

from __future__ import annotations

import re
import shlex
import urllib.request
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.integration.conftest import package_env
from tests.integration.test_web_sessions import http_request
from tests.support.packages import build_and_install
from tests.support.paths import GENERATED
from tests.support.recording_upstream import RecordingUpstream
from tests.support.served import serve

COMMITTED = sorted(p.name for p in GENERATED.iterdir() if (p / "README.md").is_file())
CURL = re.compile(r"^curl -sS -X ")

TYPED_SPEC = """\
naftiko: 1.0.0-alpha2
info: {label: Typed inputs}
capability:
  consumes:
  - type: http
    namespace: api
    baseUri: https://api.example.test
    resources:
    - name: items
      path: /items/{itemId}
      operations:
      - name: get-item
        method: GET
        inputParameters:
        - {name: itemId, in: path}
        - {name: limit, in: query}
        - {name: verbose, in: query}
        - {name: tag, in: query}
      - name: delete-item
        method: DELETE
        inputParameters: [{name: itemId, in: path}]
      - name: replace-item
        method: PUT
        inputParameters: [{name: itemId, in: path}, {name: body, in: body}]
    - name: search
      path: /search
      operations:
      - name: search
        method: POST
        inputParameters: [{name: query, in: query}, {name: page, in: query}]
  exposes:
  - type: rest
    namespace: typed-rest
    port: 8080
    resources:
    - path: /v1/items/{itemId}
      operations:
      - method: GET
        name: get-item
        call: api.get-item
        inputParameters:
        - {name: itemId, in: path, type: string, required: true}
        - {name: limit, in: query, type: integer, required: true}
        - {name: verbose, in: query, type: boolean, required: true}
        - {name: tag, in: query, type: string, required: false}
        with: {itemId: typed-rest.itemId, limit: typed-rest.limit, verbose: typed-rest.verbose,
               tag: typed-rest.tag}
      - method: DELETE
        name: delete-item
        call: api.delete-item
        inputParameters: [{name: itemId, in: path, type: string, required: true}]
        with: {itemId: typed-rest.itemId}
      - method: PUT
        name: replace-item
        call: api.replace-item
        inputParameters:
        - {name: itemId, in: path, type: string, required: true}
        - {name: body, in: body, type: object, required: true}
        with: {itemId: typed-rest.itemId, body: typed-rest.body}
    - path: /v1/search
      operations:
      - method: POST
        name: search
        call: api.search
        inputParameters:
        - {name: query, type: string, required: true}
        - {name: page, type: integer, required: true}
        with: {query: typed-rest.query, page: typed-rest.page}
"""


def curl_lines(readme: Path) -> list[list[str]]:
    return [
        shlex.split(line) for line in readme.read_text("utf-8").splitlines() if CURL.match(line)
    ]


def run_curl(argv: list[str], rest: str) -> tuple[str, int]:
    """Send what ``curl -sS -X METHOD URL [-H H] [-d BODY]`` would, to the served REST port."""
    assert argv[:3] == ["curl", "-sS", "-X"], argv
    method, url, rest_args = argv[3], argv[4], argv[5:]
    headers: dict[str, str] = {}
    body: bytes | None = None
    while rest_args:
        flag, value, *rest_args = rest_args
        if flag == "-H":
            name, _, header = value.partition(": ")
            headers[name] = header
        elif flag == "-d":
            body = value.encode()
        else:
            raise AssertionError(f"unexpected curl flag {flag}")
    parts = urlsplit(url)
    target = rest + parts.path + (f"?{parts.query}" if parts.query else "")
    request = urllib.request.Request(target, data=body, headers=headers, method=method)
    status, _, _ = http_request(request)
    return method, status


@pytest.fixture(scope="module")
def typed_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_and_install(TYPED_SPEC, "typed-inputs", tmp_path_factory.mktemp("typed"))


def exercise(
    command: Path,
    env: Callable[[str], dict[str, str]],
    readme: Path,
    workdir: Path,
    *args: str,
) -> None:
    """Serve REST with its upstream at a recording server; run every curl line of ``readme``."""
    lines = curl_lines(readme)
    assert lines, readme
    with (
        RecordingUpstream() as upstream,
        serve(command, env(upstream.base_url), workdir, "--rest-port", "0", *args) as s,
    ):
        for argv in lines:
            before = len(upstream.requests)
            method, status = run_curl(argv, s.rest)
            assert status == 200, (shlex.join(argv), status)
            assert len(upstream.requests) == before + 1, shlex.join(argv)
            assert upstream.requests[-1].method == method


def test_every_readme_curl_example_of_a_committed_package_reaches_the_upstream(
    installed: Path, tmp_path: Path
) -> None:
    for package in COMMITTED:

        def env(base_url: str, prefix: str = package.upper()) -> dict[str, str]:
            return package_env(
                installed, INTERACTIVE_BROKERS_API_KEY="token", **{f"{prefix}_BASE_URI": base_url}
            )

        command = installed / "bin" / package.replace("_", "-")
        exercise(command, env, GENERATED / package / "README.md", tmp_path, "--only", "rest")


def test_typed_path_query_and_body_examples_pass_validation(
    typed_site: Path, tmp_path: Path
) -> None:
    readme = typed_site.parent / "out" / "README.md"
    lines = {argv[3]: argv for argv in curl_lines(readme) if "/items/" in argv[4]}
    search = [argv for argv in curl_lines(readme) if "/search" in argv[4]]

    assert lines["GET"][4] == (
        "http://127.0.0.1:8080/v1/items/ITEM_ID?limit=1&verbose=true&tag=TAG"
    )
    assert lines["PUT"][-2:] == ["-d", "{}"]
    assert search[0][-2:] == ["-d", '{"query": "QUERY", "page": 1}']
    exercise(
        typed_site / "bin" / "typed-inputs",
        lambda base_url: package_env(typed_site, API_BASE_URI=base_url),
        readme,
        tmp_path,
    )
