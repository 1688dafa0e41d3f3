"""Two MCP adapters, one ``transport: http`` and one ``transport: stdio`` (how real specs publish
one server both ways): ``serve`` answers with the http adapter, ``mcp-stdio`` with the stdio one,
each with its own tools, resources and prompts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import mcp_types as types
import pytest
from mcp import Client, StdioServerParameters

from tests.integration.conftest import package_env
from tests.support.packages import build_and_install
from tests.support.recording_upstream import RecordingUpstream
from tests.support.served import serve

SPEC = """\
naftiko: 1.0.0-alpha2
info:
  label: Twin servers
capability:
  consumes:
  - type: http
    namespace: api
    baseUri: https://api.example.test
    resources:
    - path: /items
      operations:
      - {name: list-items, method: GET}
    - path: /items/{id}
      operations:
      - {name: get-item, method: GET}
  exposes:
  - type: mcp
    namespace: twin-stdio
    transport: stdio
    description: Local use
    tools:
    - {name: get-item, description: One item, call: api.get-item}
    prompts:
    - {name: local-help, template: [{role: user, content: 'Help with {{topic}}'}]}
  - type: mcp
    namespace: twin-http
    transport: http
    port: 9091
    tools:
    - {name: list-items, description: All items, call: api.list-items}
    - {name: get-item, description: One item, call: api.get-item}
    resources:
    - {name: items, uri: 'data://items', call: api.list-items}
"""


@pytest.fixture(scope="module")
def upstream() -> Iterator[RecordingUpstream]:
    with RecordingUpstream() as running:
        yield running


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_and_install(SPEC, "twin", tmp_path_factory.mktemp("twin"))


@pytest.mark.anyio
async def test_serve_answers_with_the_http_adapter(
    installed: Path, upstream: RecordingUpstream, tmp_path: Path
) -> None:
    env = package_env(installed, API_BASE_URI=upstream.base_url)
    with serve(installed / "bin" / "twin", env, tmp_path, "--mcp-port", "0") as served:
        async with Client(served.mcp, mode="legacy") as client:
            tools = await client.list_tools()
            server = client.server_info
            capabilities = client.server_capabilities
            read = await client.read_resource("data://items")

    assert [t.name for t in tools.tools] == ["list-items", "get-item"]
    assert server is not None and server.name == "twin-http"
    assert capabilities is not None and capabilities.prompts is None
    assert isinstance(read.contents[0], types.TextResourceContents)
    assert upstream.last.path == "/items"


@pytest.mark.anyio
async def test_mcp_stdio_answers_with_the_stdio_adapter(
    installed: Path, upstream: RecordingUpstream
) -> None:
    env = package_env(installed, API_BASE_URI=upstream.base_url)
    params = StdioServerParameters(
        command=str(installed / "bin" / "twin"), args=["mcp-stdio"], env=env
    )

    async with Client(params, mode="legacy") as client:
        tools = await client.list_tools()
        server = client.server_info
        capabilities = client.server_capabilities
        prompt = await client.get_prompt("local-help", {"topic": "orders"})
        result = await client.call_tool("get-item", {"id": "7"})

    assert [t.name for t in tools.tools] == ["get-item"]
    assert server is not None and server.name == "twin-stdio"
    assert capabilities is not None and capabilities.resources is None
    assert isinstance(prompt.messages[0].content, types.TextContent)
    assert prompt.messages[0].content.text == "Help with orders"
    assert result.is_error is False
    assert upstream.last.path == "/items/7"
