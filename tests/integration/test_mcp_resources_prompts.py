"""MCP resources and prompts (semantics §4.7) through the real MCP SDK client, over Streamable HTTP
and stdio: static files read at build time, dynamic and template resources calling a real
upstream, prompts with arguments."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import mcp_types as types
import pytest
from mcp import Client, MCPError, StdioServerParameters

from tests.integration.conftest import package_env
from tests.support.packages import build, install
from tests.support.recording_upstream import RecordingUpstream
from tests.support.served import Served, serve

SPEC = """\
naftiko: 1.0.0-alpha2
info:
  label: Resources and prompts
capability:
  consumes:
  - type: http
    namespace: db
    baseUri: https://db.example.test/v1
    inputParameters:
    - {name: X-Client, in: header, value: resources-test}
    resources:
    - path: databases/{{datasource_id}}/query
      name: query
      operations:
      - {name: query-db, method: POST, body: '{"filter": "Committed"}'}
    - path: /users/{{userId}}
      name: users
      operations:
      - name: get-user
        method: GET
        inputParameters:
        - {name: fields, in: query}
  exposes:
  - type: mcp
    namespace: rp-mcp
    port: 9096
    description: Resources and prompts test server
    tools:
    - {name: get-user, label: Get user, description: One user, call: db.get-user}
    resources:
    - name: database-schema
      label: Database Schema
      uri: data://databases/pre-release/schema
      description: Schema of the pre-release database
      mimeType: application/json
      call: db.query-db
      with: {datasource_id: test-db-id-123}
    - name: user-profile
      label: User Profile
      uri: data://users/{userId}/profile
      description: User profile by ID
      call: db.get-user
      with: {userId: '{{userId}}'}
    - name: docs
      label: Documentation
      uri: data://docs
      description: Guides
      location: ./docs
    prompts:
    - name: participant-outreach
      label: Participant Outreach
      description: Draft outreach message
      arguments:
      - {name: participant_name, description: Name of the participant}
      - {name: product_name, description: Name of the product, required: true}
      template:
      - role: user
        content: Draft an email to {{participant_name}} about {{product_name}}.
    - name: summary-prompt
      description: Summarize data
      arguments:
      - {name: data, required: true}
      - {name: format, required: false}
      template:
      - {role: user, content: "Summarize in {{format}} format:\\n\\n{{data}}"}
      - {role: assistant, content: I'll summarize the data for you.}
    - name: from-file
      location: ./prompts/review.md
      arguments:
      - {name: topic}
"""

GUIDE = "# Guide\n\nRead me.\n"
REVIEW = "Review {{topic}} carefully; keep {{unknown}} as is.\n"


@pytest.fixture(scope="module")
def upstream() -> Iterator[RecordingUpstream]:
    answer = {"ok": True, "data": {"name": "Alice"}}
    with RecordingUpstream(answer=answer) as running:
        yield running


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = tmp_path_factory.mktemp("resources")
    (workdir / "docs" / "nested").mkdir(parents=True)
    (workdir / "docs" / "guide.md").write_text(GUIDE, encoding="utf-8")
    (workdir / "docs" / "nested" / "data.json").write_text('{"a": 1}', encoding="utf-8")
    (workdir / "docs" / "logo.bin").write_bytes(b"\xff\xfe\x00\x01")
    (workdir / "docs" / ".secret").write_text("never served", encoding="utf-8")
    (workdir / "prompts").mkdir()
    (workdir / "prompts" / "review.md").write_text(REVIEW, encoding="utf-8")
    package = build(SPEC, "rp-demo", workdir)
    # Build-time copies: the package serves them even once the spec's folder is gone.
    (workdir / "docs" / "guide.md").unlink()
    (workdir / "prompts" / "review.md").unlink()
    return install(package, workdir / "site")


@pytest.fixture(scope="module")
def served(
    installed: Path, upstream: RecordingUpstream, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    env = package_env(installed, DB_BASE_URI=upstream.base_url + "/v1")
    workdir = tmp_path_factory.mktemp("resources-run")
    with serve(installed / "bin" / "rp-demo", env, workdir, "--mcp-port", "0") as running:
        yield running


@pytest.mark.anyio
async def test_server_advertises_resources_and_prompts(served: Served) -> None:
    async with Client(served.mcp, mode="legacy") as client:
        capabilities = client.server_capabilities

    assert capabilities.resources is not None
    assert capabilities.prompts is not None
    assert capabilities.tools is not None


@pytest.mark.anyio
async def test_resources_list_holds_dynamic_resources_and_every_static_file(served: Served) -> None:
    async with Client(served.mcp) as client:
        listed = await client.list_resources()

    by_uri = {r.uri: r for r in listed.resources}
    assert sorted(by_uri) == [
        "data://databases/pre-release/schema",
        "data://docs/guide.md",
        "data://docs/logo.bin",
        "data://docs/nested/data.json",
    ]
    schema = by_uri["data://databases/pre-release/schema"]
    assert (schema.name, schema.title, schema.mime_type) == (
        "database-schema",
        "Database Schema",
        "application/json",
    )
    assert by_uri["data://docs/guide.md"].mime_type == "text/markdown"
    assert by_uri["data://docs/nested/data.json"].mime_type == "application/json"
    assert by_uri["data://docs/guide.md"].title == "Documentation"


@pytest.mark.anyio
async def test_templates_are_listed_apart_with_their_uri_template(served: Served) -> None:
    async with Client(served.mcp) as client:
        templates = await client.list_resource_templates()

    assert [(t.uri_template, t.name, t.title) for t in templates.resource_templates] == [
        ("data://users/{userId}/profile", "user-profile", "User Profile"),
    ]


@pytest.mark.anyio
async def test_reading_a_dynamic_resource_calls_the_upstream_operation(
    served: Served, upstream: RecordingUpstream
) -> None:
    async with Client(served.mcp) as client:
        result = await client.read_resource("data://databases/pre-release/schema")

    content = result.contents[0]
    assert isinstance(content, types.TextResourceContents)
    assert content.mime_type == "application/json"
    assert content.text == '{"ok": true, "data": {"name": "Alice"}}'
    received = upstream.last
    assert (received.method, received.path) == ("POST", "/v1/databases/test-db-id-123/query")
    assert received.json() == {"filter": "Committed"}
    assert received.headers["x-client"] == "resources-test"


@pytest.mark.anyio
async def test_reading_a_template_resource_passes_the_uri_variable_upstream(
    served: Served, upstream: RecordingUpstream
) -> None:
    async with Client(served.mcp) as client:
        result = await client.read_resource("data://users/u-42/profile")

    assert result.contents[0].uri == "data://users/u-42/profile"
    assert upstream.last.path == "/v1/users/u-42"
    assert upstream.last.method == "GET"


@pytest.mark.anyio
async def test_template_variables_never_match_across_a_slash(
    served: Served, upstream: RecordingUpstream
) -> None:
    before = len(upstream.requests)
    async with Client(served.mcp) as client:
        with pytest.raises(MCPError) as raised:
            await client.read_resource("data://users/a/b/profile")

    assert raised.value.error.code == types.INVALID_PARAMS
    assert "Unknown resource URI" in raised.value.error.message
    assert len(upstream.requests) == before


@pytest.mark.anyio
async def test_static_files_are_served_from_the_build_time_copy(served: Served) -> None:
    async with Client(served.mcp) as client:
        guide = await client.read_resource("data://docs/guide.md")
        data = await client.read_resource("data://docs/nested/data.json")
        logo = await client.read_resource("data://docs/logo.bin")

    text = guide.contents[0]
    assert isinstance(text, types.TextResourceContents)
    assert (text.text, text.mime_type) == (GUIDE, "text/markdown")
    assert isinstance(data.contents[0], types.TextResourceContents)
    assert data.contents[0].text == '{"a": 1}'
    blob = logo.contents[0]
    assert isinstance(blob, types.BlobResourceContents)
    assert blob.blob == "//4AAQ=="


@pytest.mark.anyio
@pytest.mark.parametrize(
    "uri", ["data://docs/.secret", "data://docs/../secrets.txt", "data://docs", "data://unknown"]
)
async def test_unknown_hidden_and_escaping_uris_are_invalid_params(
    served: Served, uri: str
) -> None:
    async with Client(served.mcp) as client:
        with pytest.raises(MCPError) as raised:
            await client.read_resource(uri)

    assert raised.value.error.code == types.INVALID_PARAMS


@pytest.mark.anyio
async def test_prompts_list_carries_arguments_with_required_defaulting_to_true(
    served: Served,
) -> None:
    async with Client(served.mcp) as client:
        listed = await client.list_prompts()

    by_name = {p.name: p for p in listed.prompts}
    assert list(by_name) == ["participant-outreach", "summary-prompt", "from-file"]
    outreach = by_name["participant-outreach"]
    assert outreach.title == "Participant Outreach"
    assert [(a.name, a.required, a.description) for a in outreach.arguments or []] == [
        ("participant_name", True, "Name of the participant"),
        ("product_name", True, "Name of the product"),
    ]
    summary = by_name["summary-prompt"]
    assert [(a.name, a.required) for a in summary.arguments or []] == [
        ("data", True),
        ("format", False),
    ]


@pytest.mark.anyio
async def test_get_prompt_renders_the_arguments_once(served: Served) -> None:
    async with Client(served.mcp) as client:
        result = await client.get_prompt(
            "participant-outreach",
            {"participant_name": "Ana {{product_name}} \\1 $0", "product_name": "Nova"},
        )

    assert len(result.messages) == 1
    message = result.messages[0]
    assert message.role == "user"
    assert isinstance(message.content, types.TextContent)
    assert message.content.text == "Draft an email to Ana {{product_name}} \\1 $0 about Nova."


@pytest.mark.anyio
async def test_a_multi_turn_prompt_leaves_a_missing_optional_placeholder(served: Served) -> None:
    async with Client(served.mcp) as client:
        result = await client.get_prompt("summary-prompt", {"data": "a, b"})

    texts = [(m.role, m.content.text) for m in result.messages if m.content.type == "text"]
    assert texts == [
        ("user", "Summarize in {{format}} format:\n\na, b"),
        ("assistant", "I'll summarize the data for you."),
    ]


@pytest.mark.anyio
async def test_a_file_prompt_is_one_user_message_read_at_build_time(served: Served) -> None:
    async with Client(served.mcp) as client:
        result = await client.get_prompt("from-file", {"topic": "the plan"})

    assert [(m.role, m.content.text) for m in result.messages if m.content.type == "text"] == [
        ("user", "Review the plan carefully; keep {{unknown}} as is.\n")
    ]


@pytest.mark.anyio
async def test_a_missing_required_argument_is_invalid_params_naming_it(served: Served) -> None:
    async with Client(served.mcp) as client:
        with pytest.raises(MCPError) as raised:
            await client.get_prompt("participant-outreach", {"participant_name": "Ana"})

    assert raised.value.error.code == types.INVALID_PARAMS
    assert "product_name" in raised.value.error.message


@pytest.mark.anyio
async def test_an_unknown_prompt_is_invalid_params(served: Served) -> None:
    async with Client(served.mcp) as client:
        with pytest.raises(MCPError) as raised:
            await client.get_prompt("nope", {})

    assert raised.value.error.code == types.INVALID_PARAMS


@pytest.mark.anyio
async def test_tools_list_carries_the_label_as_title(served: Served) -> None:
    async with Client(served.mcp) as client:
        tools = await client.list_tools()

    assert [(t.name, t.title) for t in tools.tools] == [("get-user", "Get user")]
    assert tools.tools[0].annotations is not None
    assert tools.tools[0].annotations.title == "Get user"


@pytest.mark.anyio
async def test_resources_and_prompts_work_over_stdio(
    installed: Path, upstream: RecordingUpstream
) -> None:
    env = package_env(installed, DB_BASE_URI=upstream.base_url + "/v1")
    params = StdioServerParameters(
        command=str(installed / "bin" / "rp-demo"), args=["mcp-stdio"], env=env
    )

    async with Client(params) as client:
        resource = await client.read_resource("data://users/u-9/profile")
        guide = await client.read_resource("data://docs/guide.md")
        prompt = await client.get_prompt("summary-prompt", {"data": "x", "format": "table"})

    assert upstream.last.path == "/v1/users/u-9"
    assert isinstance(resource.contents[0], types.TextResourceContents)
    assert isinstance(guide.contents[0], types.TextResourceContents)
    assert guide.contents[0].text == GUIDE
    first = prompt.messages[0].content
    assert isinstance(first, types.TextContent)
    assert first.text == "Summarize in table format:\n\nx"


@pytest.mark.anyio
async def test_a_failing_upstream_makes_the_read_an_internal_error(
    installed: Path, tmp_path: Path
) -> None:
    env = package_env(installed, DB_BASE_URI="http://127.0.0.1:9/v1")
    with serve(installed / "bin" / "rp-demo", env, tmp_path, "--mcp-port", "0") as running:
        async with Client(running.mcp) as client:
            with pytest.raises(MCPError) as raised:
                await client.read_resource("data://users/u-1/profile")

    assert raised.value.error.code == types.INTERNAL_ERROR
    assert "unreachable" in raised.value.error.message
