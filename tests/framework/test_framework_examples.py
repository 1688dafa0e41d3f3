"""Every official alpha2 example either builds into a package that works against a stand-in of
its upstream, or is refused with the code ``expectations.REFUSED`` names.

Run by ``make framework`` (skipped when ``../shared`` is absent). What each example promises (tool
names, which units call the upstream) is read from the spec, not from the generated code.
"""

from __future__ import annotations

import contextlib
import json
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
import yaml
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.types import TextContent
from naftiko_gen.build import generate
from naftiko_gen.diagnostics import SpecError
from naftiko_gen.model import Capability
from naftiko_gen.writer import write_tree

from tests.framework.expectations import (
    KNOWN_GAPS,
    LEFT_OUT,
    REFUSED,
    RESULTS,
    SENT_BODIES,
    SENT_HEADERS,
    TOOL_ERRORS,
    routes_for,
)
from tests.integration.conftest import package_env
from tests.integration.test_web_sessions import http_request
from tests.support.framework_examples import (
    ARGUMENT,
    DUMMY_SECRET,
    example_arguments,
    example_names,
    inbound_headers,
    mcp_tools,
    rest_bodies,
    stage,
)
from tests.support.packages import install
from tests.support.served import Served, serve
from tests.support.stand_in_upstream import StandInUpstream

pytestmark = pytest.mark.framework

EXAMPLES: list[Any] = list(example_names()) or [
    pytest.param("", marks=pytest.mark.skip(reason="../shared/corpus is absent"))
]


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return stage(tmp_path_factory.mktemp("framework"))


def _environment(model: Capability, upstream_url: str, workdir: Path) -> dict[str, str]:
    """Every secret set to DUMMY_SECRET (bind files written), every upstream on the stand-in."""
    env: dict[str, str] = {}
    bind_files: dict[str, dict[str, str]] = {}
    for secret in model.secrets:
        if secret.bind_file and secret.bind_file_override:
            bind_files.setdefault(secret.bind_file_override, {})[secret.env_var] = DUMMY_SECRET
        else:
            env[secret.env_var] = DUMMY_SECRET
    for variable, values in bind_files.items():
        path = workdir / f"{variable.lower()}.json"
        path.write_text(json.dumps(values), encoding="utf-8")
        env[variable] = str(path)
    for upstream in model.upstreams:
        env[f"{upstream.env_prefix}_BASE_URI"] = upstream_url
        for variable, _ in upstream.base_uri_variables:
            env.setdefault(variable, "stand-in")
    return env


def _control(spec: dict[str, Any]) -> dict[str, Any]:
    adapters = spec["capability"].get("exposes") or []
    return next(a for a in adapters if a.get("type") == "control")


def _get(url: str, headers: dict[str, str]) -> tuple[int, bytes]:
    status, _, body = http_request(urllib.request.Request(url, headers=headers))
    return status, body


async def _exercise_mcp(
    name: str,
    spec: dict[str, Any],
    upstream: StandInUpstream,
    target: str | StdioServerParameters,
) -> None:
    """List and call every declared tool over Streamable HTTP (``target`` a URL, with the inbound
    credentials) or over stdio (``target`` the ``mcp-stdio`` command)."""
    async with contextlib.AsyncExitStack() as stack:
        if isinstance(target, StdioServerParameters):
            client = await stack.enter_async_context(Client(target))
        else:
            http = await stack.enter_async_context(
                httpx2.AsyncClient(headers=inbound_headers(spec, "mcp"))
            )
            client = await stack.enter_async_context(
                Client(streamable_http_client(target, http_client=http))
            )
        listed = {tool.name: tool for tool in (await client.list_tools()).tools}
        declared = mcp_tools(spec)
        assert sorted(listed) == sorted(unit.name for unit in declared)
        for unit in declared:
            before = len(upstream.requests)
            result = await client.call_tool(
                unit.name, example_arguments(listed[unit.name].input_schema)
            )
            if (name, unit.name) not in TOOL_ERRORS:
                assert not result.is_error, (unit.name, result.content)
            if (name, unit.name) in RESULTS:
                text = "".join(c.text for c in result.content if isinstance(c, TextContent))
                assert json.loads(text) == RESULTS[name, unit.name], unit.name
            reached = len(upstream.requests) > before
            if (name, unit.name) in SENT_BODIES:
                sent = upstream.requests[-1].body
                assert json.loads(sent) == SENT_BODIES[name, unit.name], unit.name
            assert reached == unit.reaches_upstream, (unit.name, upstream.requests[before:])


def _exercise_rest(name: str, served: Served, spec: dict[str, Any]) -> None:
    headers = inbound_headers(spec, "rest")
    bodies = rest_bodies(spec)
    status, document = _get(served.rest + "/openapi.json", headers)
    assert status == 200, document
    for path, item in json.loads(document)["paths"].items():
        for method, operation in item.items():
            url = served.rest + path
            query = []
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    url = url.replace("{" + parameter["name"] + "}", ARGUMENT)
                elif parameter["in"] == "query" and parameter.get("required"):
                    query.append((parameter["name"], ARGUMENT))
            if query:
                url += "?" + urllib.parse.urlencode(query)
            body = bodies.get((method, path), {})
            data = json.dumps(body).encode() if method in ("post", "put", "patch") else None
            request = urllib.request.Request(
                url,
                data=data,
                method=method.upper(),
                headers={**headers, "Content-Type": "application/json"},
            )
            status, _, answer = http_request(request)
            assert status < 400, (method, path, status, answer)
            if (name, f"{method.upper()} {path}") in RESULTS:
                assert json.loads(answer) == RESULTS[name, f"{method.upper()} {path}"], path


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_builds_and_serves_against_a_stand_in(
    name: str, staged: Path, tmp_path: Path
) -> None:
    """A known generator gap must still fail (xfail, with the bug as reason): once it passes,
    its KNOWN_GAPS entry has to go."""
    if name not in KNOWN_GAPS:
        _check(name, staged, tmp_path)
        return
    symptom, reason = KNOWN_GAPS[name]
    try:
        _check(name, staged, tmp_path)
    except Exception as exc:
        if symptom not in str(exc):
            raise
        pytest.xfail(reason)
    pytest.fail(f"{name} passes now: remove it from KNOWN_GAPS")


def _check(name: str, staged: Path, tmp_path: Path) -> None:
    spec_path = staged / name
    try:
        generated = generate(spec_path)
    except SpecError as exc:
        codes = {d.code for d in exc.diagnostics}
        assert name in REFUSED, f"{name} was refused: " + "; ".join(
            d.format() for d in exc.diagnostics
        )
        assert REFUSED[name] in codes
        return
    assert name not in REFUSED, f"{name} builds but is expected to be refused"
    left_out = [d for d in generated.diagnostics if "left out" in d.message]
    assert [d.code for d in left_out] == LEFT_OUT.get(name, []), "\n".join(
        d.format() for d in left_out
    )
    spec = yaml.safe_load(spec_path.read_text("utf-8"))
    package = tmp_path / "out"
    write_tree(package, generated.files)
    site = install(package, tmp_path / "site")
    model = generated.model
    with StandInUpstream(routes_for(name)) as upstream:
        env = package_env(site, **_environment(model, upstream.base_url, tmp_path))
        ports = [f"--{kind}-port=0" for kind in model.adapter_kinds]
        command = site / "bin" / model.dist_name
        if model.mcp_stdio is not None:
            stdio = StdioServerParameters(command=str(command), args=["mcp-stdio"], env=env)
            anyio.run(_exercise_mcp, name, spec, upstream, stdio)
        if not model.adapter_kinds:
            return
        with serve(command, env, tmp_path, *ports) as served:
            if model.rest is not None:
                _exercise_rest(name, served, spec)
            if model.mcp is not None:
                anyio.run(_exercise_mcp, name, spec, upstream, served.mcp)
            if model.skill is not None:
                status, body = _get(served.skill + "/skills", inbound_headers(spec, "skill"))
                assert status == 200, body
            for received in upstream.requests:
                for header, value in SENT_HEADERS.get(name, {}).items():
                    assert received.headers.get(header) == value, (header, received.path)
            if model.control is not None:
                status, body = _get(served.urls["control"] + "/health/live", {})
                assert status == 200, body
                if model.control.scripting:
                    headers = inbound_headers(spec, "control")
                    status, body = _get(served.urls["control"] + "/scripting", headers)
                    assert status == 200, body
                    declared = _control(spec)["management"]["scripting"]
                    assert json.loads(body)["timeout"] == declared.get("timeout", 60_000)
