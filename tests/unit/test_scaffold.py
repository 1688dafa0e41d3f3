"""naftiko_gen.scaffold: what ``naftiko-gen init`` writes validates without warnings and builds,
whatever names, paths and methods it is given."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from naftiko_gen.build import generate, validate
from naftiko_gen.scaffold import ScaffoldError, operation, scaffold


def write(tmp_path: Path, name: str, text: str) -> Path:
    spec = tmp_path / name
    spec.write_text(text, encoding="utf-8")
    return spec


@pytest.mark.parametrize(
    ("name", "operations"),
    [
        ("Pet Store", [("GET", "/pets"), ("POST", "/pets"), ("GET", "/pets/{petId}")]),
        ("x", []),
        (
            "Ünïcode: \"quoted\" 'name' #1 {{ jinja }} ${VAR}",
            [("patch", "items/{{item-id}}"), ("DELETE", "/a/{1x}/b/{1x}"), ("PUT", "/")],
        ),
        ("9 lives", [("GET", "/v1/{a}/{b}/{c}"), ("POST", "/v1/{a}/{b}/{c}")]),
    ],
)
@pytest.mark.parametrize("bearer", [None, "API_TOKEN"])
def test_scaffolds_validate_strictly_and_build(
    tmp_path: Path, name: str, operations: list[tuple[str, str]], bearer: str | None
) -> None:
    file_name, text = scaffold(name, "https://api.example.test/v1/", operations, bearer_env=bearer)
    spec = write(tmp_path, file_name, text)

    model, warnings = validate(spec, strict=True)

    assert warnings == []
    assert model.rest is not None and model.mcp is not None
    assert len(model.rest.operations) == len(model.mcp.tools) == max(1, len(operations))
    assert [s.env_var for s in model.secrets] == ([bearer] if bearer else [])
    assert generate(spec).files
    document = yaml.safe_load(text)
    assert document["info"]["label"] == " ".join(name.split())


def test_path_placeholders_become_inputs_and_bodies_are_optional(tmp_path: Path) -> None:
    file_name, text = scaffold(
        "Shop", "http://localhost:8000", [("PUT", "/carts/{cart-id}/items/{sku}")]
    )
    model, _ = validate(write(tmp_path, file_name, text))

    assert model.rest is not None
    (op,) = model.rest.operations
    assert op.path == "/carts/{cart_id}/items/{sku}"
    assert [(i.name, i.rest_source, i.required) for i in op.inputs] == [
        ("cart_id", "path", True),
        ("sku", "path", True),
        ("body", "body", False),
    ]
    (upstream,) = model.upstreams
    assert upstream.base_uri == "http://localhost:8000"


def test_tool_hints_follow_the_method(tmp_path: Path) -> None:
    ops = [("GET", "/a"), ("DELETE", "/a"), ("POST", "/a"), ("PUT", "/a")]
    file_name, text = scaffold("Hints", "https://h.test", ops)
    model, _ = validate(write(tmp_path, file_name, text))

    assert model.mcp is not None
    hints = {tool.name: tool.annotations for tool in model.mcp.tools}
    assert hints["get-a"]["readOnlyHint"] is True
    assert hints["delete-a"]["destructiveHint"] is True
    assert hints["post-a"]["idempotentHint"] is False
    assert hints["put-a"]["idempotentHint"] is True


def test_operation_names_are_unique() -> None:
    taken: set[str] = set()

    names = [operation("GET", "/a-b", taken).name, operation("GET", "/a/b", taken).name]

    assert names == ["get-a-b", "get-a-b-2"]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("", "https://x.test", []), "needs a --name"),
        (("x", "x.test", []), "http:// or https://"),
        (("x", "https://x.test/a b", []), "http:// or https://"),
        (("x", "https://x.test", [("HEAD", "/")]), "method 'HEAD'"),
        (("x", "https://x.test", [("GET", "/a?b=1")]), "no query"),
        (("x", "https://x.test", [("GET", "/a/{}")]), "empty {} placeholder"),
        (("x", "https://x.test", [("GET", "/a/{b")]), "unbalanced braces"),
        (("x", "https://x.test", [("GET", "/a/{b}"), ("get", "a/{c}")]), "given twice"),
    ],
)
def test_bad_input_is_a_scaffold_error(
    args: tuple[str, str, list[tuple[str, str]]], fragment: str
) -> None:
    with pytest.raises(ScaffoldError, match=fragment.replace("{", r"\{").replace("?", r"\?")):
        scaffold(*args)
