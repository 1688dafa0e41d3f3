"""Dynamic MCP resources with a behaviour beyond pass-through (semantics §4.7): ``outputParameters``
shaping an object and ``steps`` + ``mappings``, their template variables being the inputs; read
through the real MCP SDK client, over Streamable HTTP and over the stdio twin adapter, against a
real upstream on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import mcp_types as types
import pytest
from mcp import Client, MCPError, StdioServerParameters

from tests.integration.conftest import package_env
from tests.support.packages import build_and_install
from tests.support.routed_upstream import RoutedUpstream, answer
from tests.support.served import Served, serve

SHIP_CARD = """\
    - name: ship-card
      label: Ship card
      uri: fleet://ships/{imo}/card
      call: fleet.get-ship
      outputParameters:
      - type: object
        properties:
          name: {type: string, mapping: $.vessel_name}
          length: {type: number, mapping: $.dimensions.length_overall}
          crewCount: {type: number, mapping: $.crewCount}
          caption: {type: string, value: 'Ship {{imo}}'}
"""

SPEC = (
    """\
naftiko: 1.0.0-alpha2
info:
  label: Resource behaviours
capability:
  consumes:
  - type: http
    namespace: fleet
    baseUri: https://fleet.example.test
    resources:
    - path: /ships/{{imo}}
      name: ships
      operations:
      - {name: get-ship, method: GET}
    - path: /crew
      name: crew
      operations:
      - {name: list-crew, method: GET}
  exposes:
  - type: mcp
    namespace: fleet-local
    transport: stdio
    resources:
"""
    + SHIP_CARD
    + """\
  - type: mcp
    namespace: fleet-mcp
    port: 9097
    resources:
"""
    + SHIP_CARD
    + """\
    - name: ship-crew
      uri: fleet://ships/{imo}/crew
      mimeType: application/vnd.fleet+json
      steps:
      - name: get-ship
        type: call
        call: fleet.get-ship
        with: {imo: '{{imo}}'}
      - {name: list-crew, type: call, call: fleet.list-crew}
      - name: resolve-crew
        type: lookup
        index: list-crew
        match: crewId
        lookupValue: $.get-ship.assignedCrew
        outputParameters: [fullName, role]
      mappings:
      - {targetName: ship.imo, value: $.get-ship.imo_number}
      - {targetName: ship.name, value: $.get-ship.vessel_name}
      - {targetName: crew, value: $.resolve-crew}
"""
)

SHIP = {
    "imo_number": "IMO-1",
    "vessel_name": "Aurora",
    "dimensions": {"length_overall": 229},
    "assignedCrew": ["C2", "C9", "C1"],
}
CARD = {"name": "Aurora", "length": 229, "crewCount": None, "caption": "Ship IMO-1"}
CREW = [
    {"crewId": "C1", "fullName": "Bo Vik", "role": "engineer", "salary": 1},
    {"crewId": "C2", "fullName": "Ann Lee", "role": "captain", "salary": 2},
]


@pytest.fixture(scope="module")
def upstream() -> Iterator[RoutedUpstream]:
    routes = {
        "/ships/IMO-1": answer(SHIP),
        "/ships/SUNK": answer({"error": "no such ship"}, 404),
        "/crew": answer(CREW),
    }
    with RoutedUpstream(routes) as running:
        yield running


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_and_install(SPEC, "resource-behaviours", tmp_path_factory.mktemp("behaviours"))


@pytest.fixture(scope="module")
def served(
    installed: Path, upstream: RoutedUpstream, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    env = package_env(installed, FLEET_BASE_URI=upstream.base_url)
    workdir = tmp_path_factory.mktemp("behaviours-run")
    with serve(
        installed / "bin" / "resource-behaviours", env, workdir, "--mcp-port", "0"
    ) as running:
        yield running


def text_of(result: types.ReadResourceResult) -> types.TextResourceContents:
    assert len(result.contents) == 1
    content = result.contents[0]
    assert isinstance(content, types.TextResourceContents)
    return content


@pytest.mark.anyio
async def test_shaped_and_orchestrated_resources_are_listed_as_templates(served: Served) -> None:
    async with Client(served.mcp) as client:
        templates = await client.list_resource_templates()
        listed = await client.list_resources()

    assert [(t.uri_template, t.name, t.mime_type) for t in templates.resource_templates] == [
        ("fleet://ships/{imo}/card", "ship-card", None),
        ("fleet://ships/{imo}/crew", "ship-crew", "application/vnd.fleet+json"),
    ]
    assert listed.resources == []


@pytest.mark.anyio
async def test_an_object_shaped_resource_reads_the_object_its_outputs_build(
    served: Served, upstream: RoutedUpstream
) -> None:
    before = len(upstream.requests)
    async with Client(served.mcp) as client:
        result = await client.read_resource("fleet://ships/IMO-1/card")

    content = text_of(result)
    assert content.uri == "fleet://ships/IMO-1/card"
    assert content.mime_type == "application/json"
    # The template variable is an input: it fills the upstream path and the output 'value'.
    assert json.loads(content.text) == CARD
    assert [(r.method, r.path) for r in upstream.requests[before:]] == [("GET", "/ships/IMO-1")]


@pytest.mark.anyio
async def test_a_resource_with_steps_reads_what_its_mappings_assemble(
    served: Served, upstream: RoutedUpstream
) -> None:
    before = len(upstream.requests)
    async with Client(served.mcp) as client:
        result = await client.read_resource("fleet://ships/IMO-1/crew")

    content = text_of(result)
    assert content.mime_type == "application/vnd.fleet+json"
    assert json.loads(content.text) == {
        "ship": {"imo": "IMO-1", "name": "Aurora"},
        "crew": [
            {"fullName": "Ann Lee", "role": "captain"},
            {"fullName": "Bo Vik", "role": "engineer"},
        ],
    }
    assert upstream.paths()[before:] == ["/ships/IMO-1", "/crew"]


@pytest.mark.anyio
async def test_an_upstream_error_under_a_shaped_resource_is_an_internal_error(
    served: Served, upstream: RoutedUpstream
) -> None:
    async with Client(served.mcp) as client:
        with pytest.raises(MCPError) as raised:
            await client.read_resource("fleet://ships/SUNK/card")

    assert raised.value.error.code == types.INTERNAL_ERROR
    assert "HTTP 404" in raised.value.error.message
    assert "no such ship" in raised.value.error.message
    assert upstream.paths()[-1] == "/ships/SUNK"


@pytest.mark.anyio
async def test_the_stdio_twin_reads_its_own_shaped_resource(
    installed: Path, upstream: RoutedUpstream
) -> None:
    env = package_env(installed, FLEET_BASE_URI=upstream.base_url)
    params = StdioServerParameters(
        command=str(installed / "bin" / "resource-behaviours"), args=["mcp-stdio"], env=env
    )

    before = len(upstream.requests)
    async with Client(params) as client:
        templates = await client.list_resource_templates()
        result = await client.read_resource("fleet://ships/IMO-1/card")

    assert [t.name for t in templates.resource_templates] == ["ship-card"]
    assert json.loads(text_of(result).text) == CARD
    assert upstream.paths()[before:] == ["/ships/IMO-1"]
