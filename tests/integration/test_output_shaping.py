"""Output shaping (semantics §2.10, §7.6, §7.15): exposed ``outputParameters`` applied to a real
upstream's JSON with RFC 9535 JSONPath, through REST and through the MCP SDK client."""

from __future__ import annotations

import json
import subprocess
import sys
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

SHIP = {
    "imo_number": "IMO-9321483",
    "vessel_name": "Northern Star",
    "operational_status": "active",
    "year_built": 2015,
    "gross_tonnage": 42000,
    "dimensions": {"length_overall": 229.5, "beam": 32},
    "owner": {"name": "Nordic Lines", "user": {"id": "u-1"}},
    "crew_counts": {"deck": {"n": 7}, "engine": {"n": 5}},
    "notes": "a very long remark about the ship",
}
SHIPS = [
    {"imo_number": "IMO-1", "vessel_name": "Aurora", "operational_status": "active"},
    {"imo_number": "IMO-2", "vessel_name": "Borealis", "operational_status": "laid_up"},
]

SPEC = """\
naftiko: 1.0.0-alpha2
info: {label: Shaping}
capability:
  consumes:
  - type: http
    namespace: registry
    baseUri: https://registry.example.test
    resources:
    - path: /ships
      operations:
      - {name: list-ships, method: GET}
    - path: /ships/{{imo_number}}
      operations:
      - {name: get-ship, method: GET, inputParameters: [{name: imo_number, in: path}]}
  exposes:
  - type: rest
    namespace: shipyard-api
    port: 8080
    resources:
    - path: /ships/{imo}
      operations:
      - name: get-ship
        method: GET
        inputParameters: [{name: imo, in: path, type: string, description: IMO number}]
        call: registry.get-ship
        with: {imo_number: shipyard-api.imo}
        outputParameters: &ship
        - type: object
          properties:
            imo: {type: string, mapping: $.imo_number}
            name: {type: string, mapping: $.vessel_name}
            status: {type: string, mapping: $.operational_status}
            label: {type: string, value: 'ship {{imo}}'}
            notes: {type: string, mapping: $.notes, maxLength: 6}
            specs:
              type: object
              properties:
                yearBuilt: {type: number, mapping: $.year_built}
                tonnage: {type: number, mapping: $.gross_tonnage}
                length: {type: number, mapping: $.dimensions.length_overall}
            crew: {type: object, mapping: $.crew_counts, values: {type: number, mapping: $.n}}
            missing: {type: string, mapping: $.nope}
    - path: /ships
      operations:
      - name: list-active
        method: GET
        call: registry.list-ships
        outputParameters: &active
        - type: array
          mapping: "$[?@.operational_status == 'active']"
          items:
            type: object
            properties:
              imo: {type: string, mapping: $.imo_number}
              name: {type: string, mapping: $.vessel_name}
    - path: /ships/{imo}/owner
      operations:
      - name: get-owner-id
        method: GET
        inputParameters: [{name: imo, in: path, type: string, description: IMO number}]
        call: registry.get-ship
        with: {imo_number: shipyard-api.imo}
        outputParameters: &first
        - {type: string, mapping: $.owner.missing}
        - {type: string, mapping: $.owner.user.id}
    - path: /ships/{imo}/dimensions
      operations:
      - name: get-dimensions
        method: GET
        inputParameters: [{name: imo, in: path, type: string, description: IMO number}]
        call: registry.get-ship
        with: {imo_number: shipyard-api.imo}
        outputParameters: &dimensions
        - {type: object, mapping: $.dimensions}
    - path: /ships/{imo}/raw
      operations:
      - name: get-raw
        method: GET
        inputParameters: [{name: imo, in: path, type: string, description: IMO number}]
        call: registry.get-ship
        with: {imo_number: shipyard-api.imo}
        outputParameters: [{type: string, mapping: $.nope}, {type: object, mapping: $.gone}]
  - type: mcp
    namespace: shipyard-tools
    port: 9090
    tools:
    - name: get-ship
      description: One ship
      inputParameters: [{name: imo, type: string, description: IMO number}]
      call: registry.get-ship
      with: {imo_number: shipyard-tools.imo}
      outputParameters: *ship
    - name: list-active
      description: Active ships
      call: registry.list-ships
      outputParameters: *active
    - name: get-owner-id
      description: The owner's user id
      inputParameters: [{name: imo, type: string, description: IMO number}]
      call: registry.get-ship
      with: {imo_number: shipyard-tools.imo}
      outputParameters: *first
    - name: get-dimensions
      description: Dimensions
      inputParameters: [{name: imo, type: string, description: IMO number}]
      call: registry.get-ship
      with: {imo_number: shipyard-tools.imo}
      outputParameters: *dimensions
"""

EXPECTED_SHIP = {
    "imo": "IMO-9321483",
    "name": "Northern Star",
    "status": "active",
    "label": "ship IMO-9321483",
    "notes": "a very",
    "specs": {"yearBuilt": 2015, "tonnage": 42000, "length": 229.5},
    "crew": {"deck": 7, "engine": 5},
    "missing": None,
}


@pytest.fixture(scope="module")
def upstream() -> Iterator[RoutedUpstream]:
    routes = {
        "/ships": answer(SHIPS),
        "/ships/IMO-9321483": answer(SHIP),
        "/ships/IMO-404": answer({"error": "no such ship", "code": 404}, 404),
        "/ships/IMO-HTML": answer(b"<html>not json</html>"),
    }
    with RoutedUpstream(routes) as running:
        yield running


@pytest.fixture(scope="module")
def shipyard(
    upstream: RoutedUpstream, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    workdir = tmp_path_factory.mktemp("shaping")
    target = build_and_install(SPEC, "shaping", workdir)
    env = package_env(target, REGISTRY_BASE_URI=upstream.base_url)
    with serve(
        target / "bin" / "shaping", env, workdir, "--rest-port", "0", "--mcp-port", "0"
    ) as served:
        yield served


def get(url: str) -> tuple[int, Any]:
    status, _, body = http_request(urllib.request.Request(url))
    return status, body


async def call(served: Served, name: str, arguments: dict[str, Any]) -> Any:
    async with Client(served.mcp) as client:
        return await client.call_tool(name, arguments)


def test_rest_builds_nested_objects_values_maps_and_templates_from_the_answer(
    shipyard: Served, upstream: RoutedUpstream
) -> None:
    status, body = get(shipyard.rest + "/ships/IMO-9321483")

    assert status == 200, body
    assert json.loads(body) == EXPECTED_SHIP
    assert upstream.requests[-1].path == "/ships/IMO-9321483"


@pytest.mark.anyio
async def test_mcp_returns_the_same_shape_as_text_and_structured_content(
    shipyard: Served, upstream: RoutedUpstream
) -> None:
    result = await call(shipyard, "get-ship", {"imo": "IMO-9321483"})

    assert not result.is_error
    assert json.loads(result.content[0].text) == EXPECTED_SHIP
    assert result.structured_content == EXPECTED_SHIP
    assert upstream.requests[-1].path == "/ships/IMO-9321483"


@pytest.mark.anyio
async def test_only_object_results_advertise_an_output_schema(shipyard: Served) -> None:
    async with Client(shipyard.mcp) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}

    schema = tools["get-ship"].output_schema
    assert schema is not None
    assert schema["properties"]["specs"]["properties"].keys() == {"yearBuilt", "tonnage", "length"}
    assert tools["list-active"].output_schema is None
    assert tools["get-dimensions"].output_schema is None


def test_a_filter_path_selects_array_elements_and_items_shape_each_one(
    shipyard: Served, upstream: RoutedUpstream
) -> None:
    status, body = get(shipyard.rest + "/ships")

    assert status == 200, body
    assert json.loads(body) == [{"imo": "IMO-1", "name": "Aurora"}]
    assert upstream.requests[-1].path == "/ships"


@pytest.mark.anyio
async def test_the_first_output_that_is_not_null_is_the_answer(shipyard: Served) -> None:
    status, body = get(shipyard.rest + "/ships/IMO-9321483/owner")
    result = await call(shipyard, "get-owner-id", {"imo": "IMO-9321483"})

    assert (status, json.loads(body)) == (200, "u-1")
    assert result.content[0].text == '"u-1"'
    assert result.structured_content is None


def test_when_every_output_is_null_the_raw_answer_is_returned(shipyard: Served) -> None:
    status, body = get(shipyard.rest + "/ships/IMO-9321483/raw")

    assert (status, json.loads(body)) == (200, SHIP)


@pytest.mark.anyio
async def test_an_object_without_properties_is_the_node_at_its_mapping(shipyard: Served) -> None:
    status, body = get(shipyard.rest + "/ships/IMO-9321483/dimensions")
    result = await call(shipyard, "get-dimensions", {"imo": "IMO-9321483"})

    assert (status, json.loads(body)) == (200, {"length_overall": 229.5, "beam": 32})
    assert result.structured_content == {"length_overall": 229.5, "beam": 32}


@pytest.mark.anyio
async def test_an_upstream_error_keeps_its_status_and_raw_body_instead_of_a_null_mapping(
    shipyard: Served, upstream: RoutedUpstream
) -> None:
    status, body = get(shipyard.rest + "/ships/IMO-404")
    result = await call(shipyard, "get-ship", {"imo": "IMO-404"})

    assert status == 404
    assert json.loads(body) == {"error": "no such ship", "code": 404}
    assert result.is_error
    assert "no such ship" in result.content[0].text
    assert upstream.requests[-1].path == "/ships/IMO-404"


def test_a_non_json_answer_passes_through_rest_instead_of_failing(shipyard: Served) -> None:
    status, body = get(shipyard.rest + "/ships/IMO-HTML")

    assert (status, body) == (200, b"<html>not json</html>")


@pytest.mark.anyio
async def test_a_non_json_answer_to_a_tool_with_an_output_schema_is_an_error_result(
    shipyard: Served,
) -> None:
    shaped_tool = await call(shipyard, "get-ship", {"imo": "IMO-HTML"})
    plain_tool = await call(shipyard, "get-owner-id", {"imo": "IMO-HTML"})

    assert shaped_tool.is_error
    assert "not JSON" in shaped_tool.content[0].text
    assert "<html>not json</html>" in shaped_tool.content[0].text
    assert not plain_tool.is_error
    assert plain_tool.content[0].text == "<html>not json</html>"


def test_the_generated_shaping_code_passes_mypy_strict(tmp_path: Path) -> None:
    target = build_and_install(SPEC, "shaping", tmp_path)
    module = tmp_path / "out" / "shaping"

    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", str(module)],
        capture_output=True,
        text=True,
        env={"MYPYPATH": str(target), "PATH": ""},
    )

    assert result.returncode == 0, result.stdout
    operations = (module / "operations.py").read_text()
    assert "path(\"$[?@.operational_status == 'active']\")" in operations
    assert "mocked" not in (module / "shaping.py").read_text()
