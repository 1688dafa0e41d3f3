"""Exposed inputs: ``pattern`` is enforced before anything is sent, and resource-level
``inputParameters`` belong to every operation of the resource."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator

import pytest
from mcp import Client

from tests.integration.conftest import package_env
from tests.integration.test_web_sessions import http_request
from tests.support.packages import build_and_install
from tests.support.recording_upstream import RecordingUpstream
from tests.support.served import Served, serve

SPEC = """\
naftiko: 1.0.0-alpha2
info: {label: Ships}
capability:
  consumes:
  - type: http
    namespace: registry
    baseUri: https://registry.example.test
    resources:
    - name: ship
      path: /ships/{imo}
      operations:
      - name: get-ship
        method: GET
        inputParameters:
        - {name: imo, in: path}
        - {name: region, in: query}
    - name: voyages
      path: /voyages
      operations:
      - name: create-voyage
        method: POST
        body:
          type: json
          data: {ship: '{{shipImo}}', crew: '{{crewIds}}'}
  exposes:
  - type: rest
    namespace: fleet
    port: 8080
    resources:
    - path: /ships/{imo}
      description: One ship of the fleet.
      inputParameters:
      - {name: region, in: query, type: string, required: false, pattern: '^[a-z]{2}$'}
      operations:
      - method: GET
        name: get-ship
        call: registry.get-ship
        inputParameters:
        - {name: imo, in: path, type: string, pattern: '^IMO[0-9]{7}$'}
    - path: /voyages
      operations:
      - method: POST
        name: create-voyage
        call: registry.create-voyage
        inputParameters:
        - {name: shipImo, in: body, type: string}
        - {name: crewIds, in: body, type: array}
        with: {shipImo: fleet.shipImo, crewIds: fleet.crewIds}
  - type: mcp
    namespace: fleet-tools
    port: 9090
    tools:
    - name: get-ship
      description: One ship.
      call: registry.get-ship
      inputParameters:
      - {name: imo, type: string, description: IMO number, pattern: '^IMO[0-9]{7}$'}
"""


@pytest.fixture(scope="module")
def upstream() -> Iterator[RecordingUpstream]:
    with RecordingUpstream() as running:
        yield running


@pytest.fixture(scope="module")
def fleet(
    upstream: RecordingUpstream, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    workdir = tmp_path_factory.mktemp("inputs")
    target = build_and_install(SPEC, "ships", workdir)
    env = package_env(target, REGISTRY_BASE_URI=upstream.base_url)
    with serve(target / "bin" / "ships", env, workdir, "--rest-port", "0", "--mcp-port", "0") as s:
        yield s


def get(url: str) -> tuple[int, bytes]:
    status, _, body = http_request(urllib.request.Request(url))
    return status, body


def test_a_path_input_that_breaks_its_pattern_is_400_and_nothing_is_sent(
    fleet: Served, upstream: RecordingUpstream
) -> None:
    before = len(upstream.requests)
    status, body = get(fleet.rest + "/ships/9321483")
    assert status == 400
    assert b"imo" in body
    assert len(upstream.requests) == before


def test_a_resource_level_query_input_reaches_the_upstream_and_is_checked_too(
    fleet: Served, upstream: RecordingUpstream
) -> None:
    status, _ = get(fleet.rest + "/ships/IMO9321483?region=no")
    assert status == 200
    assert upstream.requests[-1].path == "/ships/IMO9321483"
    assert upstream.requests[-1].query == [("region", "no")]

    before = len(upstream.requests)
    status, body = get(fleet.rest + "/ships/IMO9321483?region=Norway")
    assert status == 400
    assert b"region" in body
    assert len(upstream.requests) == before


def test_the_openapi_document_carries_the_pattern_and_the_resource_description(
    fleet: Served,
) -> None:
    status, body = get(fleet.rest + "/openapi.json")
    operation = json.loads(body)["paths"]["/ships/{imo}"]["get"]
    patterns = {p["name"]: p["schema"].get("pattern") for p in operation["parameters"]}
    assert status == 200
    assert patterns == {"imo": "^IMO[0-9]{7}$", "region": "^[a-z]{2}$"}
    assert operation["description"] == "One ship of the fleet."


@pytest.mark.anyio
async def test_an_mcp_argument_that_breaks_its_pattern_is_an_error_result(
    fleet: Served, upstream: RecordingUpstream
) -> None:
    before = len(upstream.requests)
    async with Client(fleet.mcp) as client:
        listed = (await client.list_tools()).tools[0]
        refused = await client.call_tool("get-ship", {"imo": "9321483"})
        accepted = await client.call_tool("get-ship", {"imo": "IMO9321483"})
    assert listed.input_schema["properties"]["imo"]["pattern"] == "^IMO[0-9]{7}$"
    assert refused.is_error
    assert len(upstream.requests) == before + 1
    assert not accepted.is_error


def test_inputs_declared_in_body_are_members_of_the_json_body(
    fleet: Served, upstream: RecordingUpstream
) -> None:
    request = urllib.request.Request(
        fleet.rest + "/voyages?crewIds=ignored",
        data=json.dumps({"shipImo": "IMO9321483", "crewIds": ["C-1", "C-2"]}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    status, _, body = http_request(request)
    assert status == 200, body
    assert upstream.requests[-1].json() == {"ship": "IMO9321483", "crew": ["C-1", "C-2"]}


def test_the_openapi_request_body_lists_every_body_input(fleet: Served) -> None:
    status, body = get(fleet.rest + "/openapi.json")
    operation = json.loads(body)["paths"]["/voyages"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert status == 200
    assert schema["properties"] == {"shipImo": {"type": "string"}, "crewIds": {"type": "array"}}
    assert "parameters" not in operation
