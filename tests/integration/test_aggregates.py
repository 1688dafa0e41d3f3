"""Aggregates and ``ref`` (semantics §5.4, §4.4): a function defined once, exposed by REST
operations and MCP tools, generated once."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from tests.integration.conftest import package_env
from tests.integration.test_web_sessions import http_request
from tests.support.packages import build_and_install
from tests.support.routed_upstream import RoutedUpstream, answer
from tests.support.served import Served, serve

SPEC = """\
naftiko: 1.0.0-alpha2
info: {label: Aggregates}
capability:
  aggregates:
  - label: Greeting
    namespace: greeting
    functions:
    - name: hello
      description: Builds a greeting payload from input parameters.
      inputParameters: [{name: name, type: string, description: Name to greet}]
      outputParameters:
      - {name: message, type: string, value: 'Hello, {{name}}!'}
      - {name: source, type: string, value: aggregate-mock}
  - label: Forecast
    namespace: forecast
    functions:
    - name: get-forecast
      description: Fetch current weather forecast for a location.
      semantics: {safe: true, idempotent: true, cacheable: true}
      inputParameters: [{name: location, type: string, description: City}]
      call: weather-api.get-forecast
      with: {location: forecast.location}
      outputParameters: [{type: string, mapping: $.forecast}]
    - name: get-voyage-manifest
      description: Assemble a voyage manifest using an orchestrated step.
      semantics: {safe: false}
      inputParameters: [{name: voyage-id, type: string, description: Voyage}]
      steps:
      - name: fetch-voyage
        type: call
        call: weather-api.get-voyage
        with: {voyage-id: forecast.voyage-id}
      mappings:
      - {targetName: voyage-id, value: $.fetch-voyage.voyageId}
  consumes:
  - type: http
    namespace: weather-api
    baseUri: https://weather.example.test
    resources:
    - path: /forecast
      operations:
      - name: get-forecast
        method: GET
        inputParameters: [{name: location, in: query}]
    - path: /voyages/{{voyage-id}}
      operations:
      - {name: get-voyage, method: GET}
  exposes:
  - type: mcp
    namespace: forecast-mcp
    port: 9090
    tools:
    - {name: hello, description: Return greeting payload., ref: greeting.hello}
    - {name: get-forecast, description: Get the weather forecast., ref: forecast.get-forecast}
    - {name: get-forecast-inherited, ref: forecast.get-forecast}
    - name: get-forecast-overridden
      ref: forecast.get-forecast
      hints: {readOnly: false, destructive: true, openWorld: false}
    - {name: get-voyage-manifest, ref: forecast.get-voyage-manifest}
  - type: rest
    namespace: forecast-rest
    port: 8080
    resources:
    - path: /hello
      operations:
      - {method: GET, name: hello, ref: greeting.hello}
    - path: /forecast/{location}
      operations:
      - {method: GET, ref: forecast.get-forecast}
"""


@pytest.fixture(scope="module")
def upstream() -> Iterator[RoutedUpstream]:
    routes = {
        "/forecast": answer({"forecast": "sunny", "wind": 3}),
        "/voyages/VOY-2026-042": answer({"voyageId": "VOY-2026-042"}),
    }
    with RoutedUpstream(routes) as running:
        yield running


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    workdir = tmp_path_factory.mktemp("aggregates")
    return workdir, build_and_install(SPEC, "aggregates", workdir)


@pytest.fixture(scope="module")
def served(upstream: RoutedUpstream, package: tuple[Path, Path]) -> Iterator[Served]:
    workdir, target = package
    env = package_env(target, WEATHER_API_BASE_URI=upstream.base_url)
    with serve(
        target / "bin" / "aggregates", env, workdir, "--rest-port", "0", "--mcp-port", "0"
    ) as running:
        yield running


async def call(served: Served, name: str, arguments: dict[str, Any]) -> Any:
    async with Client(served.mcp) as client:
        return await client.call_tool(name, arguments)


@pytest.mark.anyio
async def test_a_shared_mock_function_answers_the_same_on_mcp_and_rest(served: Served) -> None:
    result = await call(served, "hello", {"name": "Nina"})
    status, _, body = http_request(urllib.request.Request(served.rest + "/hello?name=Nina"))

    expected = {"message": "Hello, Nina!", "source": "aggregate-mock"}
    assert json.loads(result.content[0].text) == expected
    assert (status, json.loads(body)) == (200, expected)


@pytest.mark.anyio
async def test_a_ref_call_uses_the_function_mapping_and_its_namespace_qualified_with(
    served: Served, upstream: RoutedUpstream
) -> None:
    result = await call(served, "get-forecast-inherited", {"location": "Oslo"})

    assert result.content[0].text == '"sunny"'
    assert upstream.requests[-1].path == "/forecast"
    assert upstream.requests[-1].query == [("location", "Oslo")]


def test_a_rest_ref_reads_the_function_input_from_the_path(
    served: Served, upstream: RoutedUpstream
) -> None:
    status, _, body = http_request(urllib.request.Request(served.rest + "/forecast/Bergen"))

    assert (status, json.loads(body)) == (200, "sunny")
    assert upstream.requests[-1].query == [("location", "Bergen")]


@pytest.mark.anyio
async def test_ref_tools_inherit_descriptions_and_derive_hints_from_semantics(
    served: Served,
) -> None:
    async with Client(served.mcp) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}

    inherited = tools["get-forecast-inherited"]
    assert inherited.description == "Fetch current weather forecast for a location."
    assert tools["get-forecast"].description == "Get the weather forecast."
    assert inherited.input_schema["properties"].keys() == {"location"}
    assert inherited.annotations is not None
    assert inherited.annotations.model_dump(exclude_none=True) == {
        "read_only_hint": True,
        "destructive_hint": False,
        "idempotent_hint": True,
    }
    overridden = tools["get-forecast-overridden"].annotations
    assert overridden is not None
    assert overridden.model_dump(exclude_none=True) == {
        "read_only_hint": False,
        "destructive_hint": True,
        "idempotent_hint": True,
        "open_world_hint": False,
    }
    assert tools["hello"].annotations is None
    assert tools["get-voyage-manifest"].annotations is not None
    assert tools["get-voyage-manifest"].annotations.read_only_hint is False


@pytest.mark.anyio
async def test_an_aggregate_step_with_reads_the_caller_value_through_the_aggregate_namespace(
    served: Served, upstream: RoutedUpstream
) -> None:
    result = await call(served, "get-voyage-manifest", {"voyage-id": "VOY-2026-042"})

    assert upstream.requests[-1].path == "/voyages/VOY-2026-042"
    assert json.loads(result.content[0].text) == {"voyage-id": "VOY-2026-042"}


def test_an_aggregate_function_is_generated_once_for_all_its_exposures(
    package: tuple[Path, Path],
) -> None:
    workdir, _ = package
    operations = (workdir / "out" / "aggregates" / "operations.py").read_text()

    assert operations.count("async def forecast_get_forecast(") == 1
    assert operations.count("async def ") == 3
