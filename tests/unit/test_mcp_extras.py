"""MCP resources and prompts at build time: the model, the package files, and every refusal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from naftiko_gen.build import generate
from naftiko_gen.diagnostics import Level

from tests.unit.test_codes import BASE, diagnostics_for, replaced


def with_mcp(block: str) -> str:
    """BASE with ``block`` (resources/prompts lines, 4-space indented) in its MCP adapter."""
    return replaced("    tools:\n", block + "    tools:\n")


RESOURCE = "    - {name: item, uri: 'data://items/{id}', call: api.get-item}\n"

# Each case: spec text, level, whether the schema check runs first.
CASES: dict[str, tuple[str, Level, bool]] = {
    "resource-incomplete": (
        with_mcp("    resources:\n    - {uri: 'data://x', call: api.get-item}\n"),
        Level.WARNING,
        False,
    ),
    "duplicate-resource": (with_mcp("    resources:\n" + RESOURCE + RESOURCE), Level.WARNING, True),
    "resource-bad-uri": (
        with_mcp("    resources:\n    - {name: b, uri: 'data://{id}/{id}', call: api.get-item}\n"),
        Level.WARNING,
        True,
    ),
    "resource-unbound-parameter": (
        with_mcp("    resources:\n    - {name: u, uri: 'data://items', call: api.get-item}\n"),
        Level.WARNING,
        True,
    ),
    "resource-location-not-found": (
        with_mcp("    resources:\n    - {name: d, uri: 'data://docs', location: ./nowhere}\n"),
        Level.WARNING,
        True,
    ),
    "resource-location-empty": (
        with_mcp("    resources:\n    - {name: d, uri: 'data://docs', location: ./empty}\n"),
        Level.WARNING,
        True,
    ),
    "resource-file-skipped": (
        with_mcp("    resources:\n    - {name: d, uri: 'data://docs', location: ./linked}\n"),
        Level.WARNING,
        True,
    ),
    "resource-location-too-large": (
        with_mcp("    resources:\n    - {name: d, uri: 'data://docs', location: ./big}\n"),
        Level.WARNING,
        True,
    ),
    "prompt-incomplete": (
        with_mcp("    prompts:\n    - {template: [{role: user, content: hi}]}\n"),
        Level.WARNING,
        False,
    ),
    "duplicate-prompt": (
        with_mcp(
            "    prompts:\n    - {name: p, template: [{role: user, content: a}]}\n"
            "    - {name: p, template: [{role: user, content: b}]}\n"
        ),
        Level.WARNING,
        True,
    ),
    "prompt-bad-message": (
        with_mcp("    prompts:\n    - {name: p, template: [{role: system, content: a}]}\n"),
        Level.WARNING,
        False,
    ),
    "prompt-location-not-found": (
        with_mcp("    prompts:\n    - {name: p, location: ./missing.md}\n"),
        Level.WARNING,
        True,
    ),
}


@pytest.fixture
def folders(tmp_path: Path) -> Path:
    (tmp_path / "empty").mkdir()
    (tmp_path / "linked").mkdir()
    (tmp_path / "outside.txt").write_text("secret", encoding="utf-8")
    (tmp_path / "linked" / "ok.txt").write_text("ok", encoding="utf-8")
    (tmp_path / "linked" / "escape.txt").symlink_to(tmp_path / "outside.txt")
    (tmp_path / "big").mkdir()
    (tmp_path / "big" / "huge.bin").write_bytes(b"\0" * (16 * 1024 * 1024 + 1))
    return tmp_path


@pytest.mark.parametrize("code", sorted(CASES))
def test_each_resource_and_prompt_code_is_reported_with_a_hint(code: str, folders: Path) -> None:
    text, level, schema = CASES[code]

    found = [d for d in diagnostics_for(text, folders, schema=schema) if d.code == code]

    assert found, f"no {code} diagnostic"
    assert found[0].level is level
    assert found[0].hint


def build_files(text: str, tmp_path: Path) -> dict[str, str]:
    spec = tmp_path / "demo.yaml"
    spec.write_text(text, encoding="utf-8")
    return generate(spec).files


def test_static_files_are_read_at_build_time_relative_to_the_spec(tmp_path: Path) -> None:
    (tmp_path / "docs" / "sub").mkdir(parents=True)
    (tmp_path / "docs" / "a.md").write_text("# A", encoding="utf-8")
    (tmp_path / "docs" / "sub" / "b.yaml").write_text("b: 1", encoding="utf-8")
    (tmp_path / "docs" / ".hidden").write_text("no", encoding="utf-8")
    text = with_mcp(
        "    resources:\n    - {name: docs, uri: 'data://docs/', location: ./docs, "
        "description: Guides}\n"
    )

    files = build_files(text, tmp_path)

    document = json.loads(files["demo/resources.json"])
    assert [(r["uri"], r["name"], r["mimeType"]) for r in document["resources"]] == [
        ("data://docs/a.md", "a.md", "text/markdown"),
        ("data://docs/sub/b.yaml", "sub/b.yaml", "application/yaml"),
    ]
    assert document["contents"]["data://docs/a.md"] == {"mimeType": "text/markdown", "text": "# A"}
    assert document["templates"] == []


def test_a_spec_mime_type_applies_to_every_file_of_a_static_resource(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# A", encoding="utf-8")
    text = with_mcp(
        "    resources:\n    - {name: docs, uri: 'data://docs', location: ./docs, "
        "mimeType: text/plain}\n"
    )

    document = json.loads(build_files(text, tmp_path)["demo/resources.json"])

    assert document["contents"]["data://docs/a.md"]["mimeType"] == "text/plain"


def test_prompt_arguments_are_required_unless_required_false(tmp_path: Path) -> None:
    text = with_mcp(
        "    prompts:\n    - name: p\n      arguments:\n      - {name: a}\n"
        "      - {name: b, required: false, label: Bee}\n"
        "      template: [{role: user, content: '{{a}} {{b}}'}]\n"
    )

    document = json.loads(build_files(text, tmp_path)["demo/prompts.json"])

    assert document["prompts"] == [
        {
            "name": "p",
            "arguments": [
                {"name": "a", "required": True},
                {"name": "b", "title": "Bee", "required": False},
            ],
        }
    ]
    assert document["messages"] == {"p": [{"role": "user", "content": "{{a}} {{b}}"}]}


def test_prompt_text_reaches_the_package_only_as_data(tmp_path: Path) -> None:
    text = with_mcp(
        "    prompts:\n    - name: p\n      template:\n      - role: user\n        content: |\n"
        '          """\n          import os; os.system("x")  # {{a}}\n'
    )

    files = build_files(text, tmp_path)

    assert "os.system" not in files["demo/prompts.py"]
    assert "os.system" in json.loads(files["demo/prompts.json"])["messages"]["p"][0]["content"]


def test_an_adapter_with_only_prompts_is_still_an_mcp_server(tmp_path: Path) -> None:
    text = replaced(
        "    tools:\n    - {name: get-item, description: Get, call: api.get-item}\n",
        "    prompts:\n    - {name: p, template: [{role: user, content: hi}]}\n",
    ) + (
        "  - type: rest\n    namespace: r\n    port: 8081\n    resources:\n"
        "    - path: /x\n      operations: [{method: GET, call: api.get-item}]\n"
    )

    files = build_files(text, tmp_path)

    assert "demo/prompts.py" in files
    assert "on_get_prompt=get_prompt" in files["demo/mcp_server.py"]
    assert json.loads(files["demo/catalog.json"])["tools"] == []


def test_without_resources_or_prompts_nothing_of_them_is_generated(tmp_path: Path) -> None:
    files = build_files(BASE, tmp_path)

    assert "demo/resources.py" not in files
    assert "demo/prompts.py" not in files
    assert "resource" not in files["demo/mcp_server.py"]
    assert "prompt" not in files["demo/mcp_server.py"]


def test_a_template_variable_matches_one_segment_only(tmp_path: Path) -> None:
    files = build_files(with_mcp("    resources:\n" + RESOURCE), tmp_path)

    assert '"data://items/([^/]+)"' in files["demo/resources.py"]
    assert 'id=arguments["id"]' in files["demo/resources.py"]


def test_an_http_and_a_stdio_mcp_adapter_are_both_generated(tmp_path: Path) -> None:
    stdio = (
        "  - type: mcp\n    namespace: local\n    transport: stdio\n    tools:\n"
        "    - {name: only-here, description: Get, call: api.get-item}\n"
        "    resources:\n" + RESOURCE
    )

    spec = tmp_path / "demo.yaml"
    spec.write_text(BASE + stdio, encoding="utf-8")
    built = generate(spec)
    files = built.files

    assert not [d for d in built.diagnostics if d.code == "multiple-mcp"]
    catalog = json.loads(files["demo/catalog.json"])
    assert [t["name"] for t in catalog["tools"]] == ["get-item"]
    assert [t["name"] for t in catalog["stdio_tools"]] == ["only-here"]
    assert "demo/stdio_resources.py" in files
    assert "demo/resources.py" not in files
    assert "build_http_app" not in files["demo/mcp_stdio_server.py"]
    assert "build_stdio_server(upstreams)" in files["demo/cli.py"]


def test_two_http_mcp_adapters_still_leave_the_second_out(tmp_path: Path) -> None:
    second = (
        "  - type: mcp\n    namespace: m2\n    port: 9091\n    tools:\n"
        + "    - {name: x, call: api.get-item}\n"
    )

    found = [d for d in diagnostics_for(BASE + second, tmp_path) if d.code == "multiple-mcp"]

    assert found


SHAPED_RESOURCE = (
    "    - name: item-name\n      uri: 'data://items/{id}/name'\n      call: api.get-item\n"
    "      outputParameters: [{type: string, mapping: $.name}]\n"
)


def test_a_pass_through_resource_is_read_inline_without_operations_py(tmp_path: Path) -> None:
    files = build_files(with_mcp("    resources:\n" + RESOURCE), tmp_path)

    assert "async def read_item(" in files["demo/resources.py"]
    assert "demo/operations.py" not in files
    assert "import operations" not in files["demo/resources.py"]


def test_a_shaped_resource_reads_through_one_function_of_operations_py(tmp_path: Path) -> None:
    stdio = (
        "  - type: mcp\n    namespace: local\n    transport: stdio\n"
        "    resources:\n" + SHAPED_RESOURCE
    )
    spec = tmp_path / "demo.yaml"
    spec.write_text(with_mcp("    resources:\n" + SHAPED_RESOURCE) + stdio, encoding="utf-8")

    built = generate(spec)
    files = built.files

    assert not [d for d in built.diagnostics if d.level is Level.ERROR]
    assert files["demo/operations.py"].count("async def read_item_name(") == 1
    for module in ("demo/resources.py", "demo/stdio_resources.py"):
        assert "operations.read_item_name," in files[module]
        assert "async def read_item_name(" not in files[module]
        assert "from demo.shaping import Shaped" in files[module]


def test_a_resource_with_steps_emits_the_operations_only_its_steps_call(tmp_path: Path) -> None:
    text = replaced(
        "      - {name: add-item, method: POST, inputParameters: [{name: body, in: body}]}\n",
        "      - {name: add-item, method: POST, inputParameters: [{name: body, in: body}]}\n"
        "    - {name: owners, path: /owners, operations: [{name: list-owners, method: GET}]}\n",
    )
    text = text.replace(
        "    tools:\n",
        "    resources:\n    - name: owned\n      uri: 'data://items/{id}/owner'\n      steps:\n"
        "      - {type: call, name: item, call: api.get-item}\n"
        "      - {type: call, name: owners, call: api.list-owners}\n"
        "      - {type: lookup, name: owner, index: owners, match: id, "
        "lookupValue: $.item.ownerId, outputParameters: [name]}\n"
        "      mappings: [{targetName: owner, value: $.owner}]\n"
        "    tools:\n",
        1,
    )

    files = build_files(text, tmp_path)

    assert "async def list_owners(" in files["demo/upstream.py"]
    assert "async def read_owned(" in files["demo/operations.py"]
    assert "operations.read_owned," in files["demo/resources.py"]


def test_a_required_parameter_no_step_of_a_resource_binds_is_reported(tmp_path: Path) -> None:
    text = with_mcp(
        "    resources:\n    - name: s\n      uri: data://s\n      steps:\n"
        "      - {type: call, name: one, call: api.get-item}\n"
    )

    found = [d for d in diagnostics_for(text, tmp_path) if d.code == "resource-unbound-parameter"]

    assert found and "'id'" in found[0].message
