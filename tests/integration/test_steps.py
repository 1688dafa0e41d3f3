"""Orchestrated ``steps`` (semantics §3.6, §7.20): call and lookup steps, step outputs in scope
for later steps, consumed-output projection and ``mappings``, against a real upstream."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
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
info: {label: Steps}
capability:
  consumes:
  - type: http
    namespace: registry
    baseUri: https://registry.example.test
    resources:
    - path: /users
      operations:
      - name: list-users
        method: GET
        outputParameters: [{name: mail, type: string, value: $.contact.email}]
    - path: /profiles/{{userId}}
      operations:
      - name: get-profile
        method: GET
        outputParameters: [{name: region, type: string, value: $.profile.region}]
    - path: /echo/{{region}}
      operations:
      - {name: echo, method: GET}
    - path: /ships/{{imo_number}}
      operations:
      - {name: get-ship, method: GET}
    - path: /crew
      operations:
      - {name: list-crew, method: GET}
    - path: /voyages/{{voyageId}}
      operations:
      - {name: get-voyage, method: GET}
  exposes:
  - type: mcp
    namespace: shipyard-tools
    port: 9090
    tools:
    - name: user-region
      description: The region of a user found by e-mail
      inputParameters: [{name: targetEmail, type: string, description: e-mail}]
      steps:
      - {name: list-users, type: call, call: registry.list-users}
      - name: find-user
        type: lookup
        index: list-users
        match: mail
        lookupValue: '{{targetEmail}}'
        outputParameters: [id]
      - name: fetch-profile
        type: call
        call: registry.get-profile
        with: {userId: '{{find-user.id}}'}
      - name: echo
        type: call
        call: registry.echo
        with: {region: '{{fetch-profile.region}}'}
      mappings:
      - {targetName: user.id, value: $.find-user.id}
      - {targetName: user.region, value: $.fetch-profile.region}
      - {targetName: echoed, value: $.echo.said}
    - name: get-ship-with-crew
      description: A ship with its crew resolved
      inputParameters: [{name: imo, type: string, description: IMO number}]
      steps: &crew-steps
      - name: get-ship
        type: call
        call: registry.get-ship
        with: {imo_number: '{{imo}}'}
      - {name: list-crew, type: call, call: registry.list-crew}
      - name: resolve-crew
        type: lookup
        index: list-crew
        match: crewId
        lookupValue: $.get-ship.assignedCrew
        outputParameters: [fullName, role]
      mappings: &crew-mappings
      - {targetName: imo, value: $.get-ship.imo_number}
      - {targetName: name, value: $.get-ship.vessel_name}
      - {targetName: length, value: $.get-ship.dimensions.length_overall}
      - {targetName: crew, value: $.resolve-crew}
    - name: get-voyage
      description: A voyage (steps without mappings answer with the last call)
      inputParameters: [{name: voyageId, type: string, description: voyage}]
      steps:
      - name: fetch
        type: call
        call: registry.get-voyage
        with: {voyageId: shipyard-tools.voyageId}
  - type: rest
    namespace: shipyard-api
    port: 8080
    resources:
    - path: /ships/{imo}/crew
      operations:
      - name: get-ship-with-crew
        method: GET
        inputParameters: [{name: imo, in: path, type: string, description: IMO number}]
        steps: *crew-steps
        mappings: *crew-mappings
"""

CREW_RESULT = {
    "imo": "IMO-1",
    "name": "Aurora",
    "length": 229,
    "crew": [
        {"fullName": "Ann Lee", "role": "captain"},
        {"fullName": "Bo Vik", "role": "engineer"},
    ],
}


@pytest.fixture(scope="module")
def upstream() -> Iterator[RoutedUpstream]:
    routes = {
        "/users": answer(
            [
                {"id": "u-1", "contact": {"email": "a@x.test"}},
                {"id": "u-2", "contact": {"email": "b@x.test"}},
            ]
        ),
        "/profiles/u-2": answer({"profile": {"region": "eu", "tier": "gold"}}),
        "/echo/eu": answer({"said": "eu"}),
        "/ships/IMO-1": answer(
            {
                "imo_number": "IMO-1",
                "vessel_name": "Aurora",
                "dimensions": {"length_overall": 229},
                "assignedCrew": ["C2", "C9", "C1"],
            }
        ),
        "/crew": answer(
            [
                {"crewId": "C1", "fullName": "Bo Vik", "role": "engineer", "salary": 1},
                {"crewId": "C2", "fullName": "Ann Lee", "role": "captain", "salary": 2},
            ]
        ),
        "/voyages/VOY-2026-042": answer({"voyageId": "VOY-2026-042", "status": "planned"}, 201),
    }
    with RoutedUpstream(routes) as running:
        yield running


@pytest.fixture(scope="module")
def steps(upstream: RoutedUpstream, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    workdir = tmp_path_factory.mktemp("steps")
    target = build_and_install(SPEC, "steps", workdir)
    env = package_env(target, REGISTRY_BASE_URI=upstream.base_url)
    with serve(
        target / "bin" / "steps", env, workdir, "--rest-port", "0", "--mcp-port", "0"
    ) as served:
        yield served


async def call(served: Served, name: str, arguments: dict[str, Any]) -> Any:
    async with Client(served.mcp) as client:
        return await client.call_tool(name, arguments)


@pytest.mark.anyio
async def test_lookup_and_projected_step_outputs_feed_later_steps_and_the_mappings(
    steps: Served, upstream: RoutedUpstream
) -> None:
    # list-users' elements gain the projected 'mail' the lookup matches on; fetch-profile is
    # projected to {region}; both feed later steps' templates.
    before = len(upstream.requests)

    result = await call(steps, "user-region", {"targetEmail": "b@x.test"})

    assert not result.is_error, result
    assert json.loads(result.content[0].text) == {
        "user": {"id": "u-2", "region": "eu"},
        "echoed": "eu",
    }
    assert upstream.paths()[before:] == ["/users", "/profiles/u-2", "/echo/eu"]


@pytest.mark.anyio
async def test_a_lookup_over_an_array_value_resolves_every_match_in_order(
    steps: Served, upstream: RoutedUpstream
) -> None:
    before = len(upstream.requests)

    result = await call(steps, "get-ship-with-crew", {"imo": "IMO-1"})

    assert json.loads(result.content[0].text) == CREW_RESULT
    assert upstream.paths()[before:] == ["/ships/IMO-1", "/crew"]


def test_rest_runs_the_same_steps_with_the_path_input(
    steps: Served, upstream: RoutedUpstream
) -> None:
    before = len(upstream.requests)

    status, _, body = http_request(urllib.request.Request(steps.rest + "/ships/IMO-1/crew"))

    assert status == 200, body
    assert json.loads(body) == CREW_RESULT
    assert upstream.paths()[before:] == ["/ships/IMO-1", "/crew"]


@pytest.mark.anyio
async def test_a_namespace_qualified_step_with_reads_the_caller_value(
    steps: Served, upstream: RoutedUpstream
) -> None:
    result = await call(steps, "get-voyage", {"voyageId": "VOY-2026-042"})

    assert upstream.requests[-1].path == "/voyages/VOY-2026-042"
    assert json.loads(result.content[0].text) == {"voyageId": "VOY-2026-042", "status": "planned"}
