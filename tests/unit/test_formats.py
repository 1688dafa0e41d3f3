"""``outputRawFormat`` / ``outputSchema``: what the generator accepts, refuses (one case per
diagnostic code) and emits, and the generated decoders' shapes on small inputs (semantics §2.9)."""

from __future__ import annotations

import importlib.util
import io
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import fastavro
import pytest
from naftiko_gen.build import generate, validate
from naftiko_gen.diagnostics import Diagnostic, Level, SpecError
from naftiko_gen.formats import plan_output

SPEC = """\
naftiko: 1.0.0-alpha2
info: {{label: Formats}}
capability:
  consumes:
  - type: http
    namespace: api
    baseUri: https://api.example.test
{headers}\
    resources:
    - name: items
      path: /items
      operations:
      - {{name: get-items, method: GET, {output}}}
  exposes:
  - type: mcp
    namespace: formats-mcp
    port: 9090
    tools:
    - {{name: get-items, description: Items, call: api.get-items}}
    - {{name: still-there, description: Another tool, call: api.get-other}}
"""
OTHER = "      - {name: get-other, method: GET, path: /other}\n"
AVSC = {"type": "record", "name": "Item", "fields": [{"name": "id", "type": "string"}]}
PROTO = """\
syntax = "proto3";
package shop;
import "google/protobuf/timestamp.proto";
message Item {
  string id = 1;
  int64 count = 2;
  Kind kind = 3;
  bytes tag = 4;
  repeated Item parts = 5;
  map<string, int64> stock = 6;
  google.protobuf.Timestamp seen = 7;
}
enum Kind { KIND_UNKNOWN = 0; KIND_BOX = 1; }
"""


def spec_file(tmp_path: Path, output: str, headers: str = "") -> Path:
    text = SPEC.format(output=output, headers=headers).replace(
        "  exposes:", OTHER + "  exposes:", 1
    )
    (tmp_path / "item.avsc").write_text(json.dumps(AVSC), "utf-8")
    (tmp_path / "broken.avsc").write_text('{"type": "record"}', "utf-8")
    (tmp_path / "not-json.avsc").write_text("record Item {", "utf-8")
    (tmp_path / "item.proto").write_text(PROTO, "utf-8")
    (tmp_path / "bad.proto").write_text('syntax = "proto3";\nmessage {}\n', "utf-8")
    (tmp_path / "empty.proto").write_text('syntax = "proto3";\n', "utf-8")
    spec = tmp_path / "formats.yaml"
    spec.write_text(text, "utf-8")
    return spec


def diagnostics(tmp_path: Path, output: str) -> list[Diagnostic]:
    try:
        return validate(spec_file(tmp_path, output))[1]
    except SpecError as exc:
        return exc.diagnostics


CASES = {
    "unsupported-output-format": "outputRawFormat: INI",
    "unsupported-output-format-protobuf": "outputRawFormat: protobuf, outputSchema: item.proto",
    "output-schema-invalid": "outputRawFormat: protobuf, outputSchema: bad.proto",
    "output-schema-missing": "outputRawFormat: avro",
    "output-schema-unreadable": "outputRawFormat: avro, outputSchema: missing.avsc",
}


@pytest.mark.parametrize("code", sorted(CASES))
def test_an_unusable_output_format_leaves_only_its_callers_out(
    code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if code == "unsupported-output-format-protobuf":  # naftiko-gen without its protobuf extra
        find_spec = importlib.util.find_spec
        monkeypatch.setattr(
            importlib.util,
            "find_spec",
            lambda name, *args: None if name == "grpc_tools" else find_spec(name, *args),
        )
    model, found = validate(spec_file(tmp_path, CASES[code]))

    problem = next(d for d in found if d.code == code)
    assert problem.level is Level.WARNING  # the tool is left out, the rest is generated
    assert problem.hint
    assert problem.location.line == 12
    assert "get-items is left out" in problem.message or "'get-items' is left out" in (
        problem.message
    )
    assert model.mcp is not None
    assert [tool.name for tool in model.mcp.tools] == ["still-there"]


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ("outputRawFormat: avro, outputSchema: not-json.avsc", "is not JSON"),
        ("outputRawFormat: avro, outputSchema: broken.avsc", "not an Avro schema"),
        ("outputRawFormat: html, outputSchema: 'table[class='", "not a CSS selector"),
        ("outputRawFormat: protobuf, outputSchema: bad.proto", "Expected message name"),
        ("outputRawFormat: protobuf, outputSchema: empty.proto", "declares no message"),
        ("outputRawFormat: protobuf", "needs outputSchema"),
    ],
)
def test_a_bad_output_schema_is_reported_as_invalid(
    output: str, message: str, tmp_path: Path
) -> None:
    found = [
        d
        for d in diagnostics(tmp_path, output)
        if d.code in ("output-schema-invalid", "output-schema-missing")
    ]

    assert found and message in found[0].message


def test_an_output_schema_the_format_does_not_read_is_a_warning(tmp_path: Path) -> None:
    model, found = validate(spec_file(tmp_path, "outputRawFormat: csv, outputSchema: x.avsc"))

    assert [d.code for d in found] == ["output-schema-ignored"]
    assert found[0].level is Level.WARNING
    assert model.decodes("csv")


def test_labels_are_case_insensitive_as_in_the_engine(tmp_path: Path) -> None:
    model, found = validate(spec_file(tmp_path, "outputRawFormat: XML"))

    assert found == []
    assert model.decodes("xml")


def test_json_and_binary_generate_no_decoder_module(tmp_path: Path) -> None:
    for output in ("outputRawFormat: json", "outputRawFormat: binary"):
        files = generate(spec_file(tmp_path, output)).files

        assert "formats/formats.py" not in files
        assert "def json(self)" not in files["formats/upstream.py"]
        assert "UpstreamBadAnswer" not in files["formats/upstream.py"]
    assert 'accept="*/*"' in files["formats/upstream.py"]


def test_only_the_decoders_and_libraries_a_spec_uses_are_emitted(tmp_path: Path) -> None:
    files = generate(spec_file(tmp_path, "outputRawFormat: csv")).files

    decoders = files["formats/formats.py"]
    assert "def from_csv(" in decoders
    for absent in ("from_tsv", "from_xml", "from_yaml", "from_html", "from_markdown", "avro"):
        assert absent not in decoders
    pyproject = files["pyproject.toml"]
    for library in ("defusedxml", "pyyaml", "beautifulsoup4", "markdown-it-py", "fastavro"):
        assert library not in pyproject


def test_a_markdown_decoder_brings_pyyaml_for_its_front_matter(tmp_path: Path) -> None:
    pyproject = generate(spec_file(tmp_path, "outputRawFormat: markdown")).files["pyproject.toml"]

    assert '"markdown-it-py>=3,<5"' in pyproject
    assert '"pyyaml>=6,<7"' in pyproject


def test_an_avro_schema_is_read_at_build_time_and_embedded(tmp_path: Path) -> None:
    files = generate(spec_file(tmp_path, "outputRawFormat: avro, outputSchema: item.avsc")).files

    upstream = files["formats/upstream.py"]
    assert "GET_ITEMS_SCHEMA = formats.avro_schema(" in upstream
    assert '"name": "Item"' in upstream
    assert '"fastavro>=1.9,<2"' in files["pyproject.toml"]


def test_the_specs_own_accept_header_wins_over_the_formats(tmp_path: Path) -> None:
    headers = "    inputParameters:\n    - {name: Accept, in: header, value: text/x-custom}\n"
    spec = spec_file(tmp_path, "outputRawFormat: csv", headers)

    upstream = generate(spec).files["formats/upstream.py"]

    assert 'accept="text/csv"' not in upstream
    assert '"Accept": "text/x-custom"' in upstream


# -- the generated decoders ---------------------------------------------------------------------

ALL_FORMATS = """\
      - {name: get-xml, method: GET, outputRawFormat: xml}
      - {name: get-yaml, method: GET, outputRawFormat: yaml}
      - {name: get-csv, method: GET, outputRawFormat: csv}
      - {name: get-tsv, method: GET, outputRawFormat: tsv}
      - {name: get-psv, method: GET, outputRawFormat: psv}
      - {name: get-html, method: GET, outputRawFormat: html}
      - {name: get-md, method: GET, outputRawFormat: markdown}
      - {name: get-avro, method: GET, outputRawFormat: avro, outputSchema: item.avsc}
      - {name: get-proto, method: GET, outputRawFormat: protobuf, outputSchema: item.proto}
"""


@pytest.fixture(scope="module")
def formats(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    """The ``formats.py`` of a package that uses every decoder, imported on its own."""
    tmp_path = tmp_path_factory.mktemp("decoders")
    spec = spec_file(tmp_path, "outputRawFormat: json")
    text = spec.read_text("utf-8").replace(OTHER, OTHER + ALL_FORMATS)
    tools = "".join(
        f"    - {{name: {name}, description: d, call: api.{name}}}\n"
        for name in re.findall(r"name: (get-[a-z]+), method", ALL_FORMATS)
    )
    spec.write_text(text + tools, "utf-8")
    module_file = tmp_path / "decoders.py"
    module_file.write_text(generate(spec).files["formats/formats.py"], "utf-8")
    loader = importlib.util.spec_from_file_location("generated_decoders", module_file)
    assert loader is not None and loader.loader is not None
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    return module


def test_xml_repeated_elements_become_arrays_and_every_value_is_text(formats: Any) -> None:
    xml = b'<r><a>1</a><b x="y">t</b><a>2</a><c/><a><d>3</d></a></r>'

    assert formats.from_xml(xml) == {"a": ["1", "2", {"d": "3"}], "b": {"x": "y", "": "t"}, "c": ""}


def test_xml_drops_namespaces_and_the_root_element(formats: Any) -> None:
    xml = b'<p:list xmlns:p="urn:p"><p:item id="7">x</p:item></p:list>'

    assert formats.from_xml(xml) == {"item": {"id": "7", "": "x"}}
    assert formats.from_xml(b"<only>text</only>") == {"": "text"}
    assert formats.from_xml(b"<empty/>") == {}


def test_xml_external_entities_are_refused(formats: Any) -> None:
    xml = b'<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]><r>&e;</r>'

    with pytest.raises(formats.DecodeError, match="refused"):
        formats.from_xml(xml)


def test_yaml_keeps_types_and_leaves_timestamps_as_text(formats: Any) -> None:
    value = formats.from_yaml(
        b"n: 1\nf: 1.5\nb: true\nz: null\nd: 2024-01-02\nt: 2024-01-02T03:04:05Z\n"
    )

    assert value == {
        "n": 1,
        "f": 1.5,
        "b": True,
        "z": None,
        "d": "2024-01-02",
        "t": "2024-01-02T03:04:05Z",
    }


def test_a_self_referencing_yaml_alias_is_refused(formats: Any) -> None:
    with pytest.raises(formats.DecodeError, match="expands YAML aliases"):
        formats.from_yaml(b"a: &a [*a]\n")


def test_yaml_with_two_documents_is_an_error(formats: Any) -> None:
    with pytest.raises(formats.DecodeError, match="not valid YAML"):
        formats.from_yaml(b"a: 1\n---\nb: 2\n")


def test_delimited_rows_are_objects_of_strings(formats: Any) -> None:
    assert formats.from_csv(b"\xef\xbb\xbfid,n\n1,2\n3\n") == [{"id": "1", "n": "2"}, {"id": "3"}]
    assert formats.from_tsv(b'a\tb\n"x\ty"\tz\n') == [{"a": "x\ty", "b": "z"}]
    assert formats.from_psv(b"") == []


def test_html_headers_fall_back_to_the_first_rows_th_cells(formats: Any) -> None:
    html = b"""<table><tr><th>A</th><th>B</th></tr><tr><td>1</td><td>2</td></tr>
    <tr><th>x</th><td>skipped: holds a th</td></tr><tr><td>3</td></tr></table>
    <table><tr><td>no header</td></tr></table>"""

    assert formats.from_html(html) == {"tables": [[{"A": "1", "B": "2"}, {"A": "3", "B": ""}]]}


def test_an_html_selector_narrows_the_tables_and_finds_them_inside_containers(
    formats: Any,
) -> None:
    html = b"""<div id="keep"><table><thead><tr><th>K</th></tr></thead><tbody>
    <tr><td>v</td></tr></tbody></table></div><table><tr><th>Other</th></tr><tr><td>o</td></tr></table>"""

    assert formats.from_html(html, "#keep") == {"tables": [[{"K": "v"}]]}
    assert len(formats.from_html(html)["tables"]) == 2


def test_markdown_sections_can_be_filtered_by_heading_prefix(formats: Any) -> None:
    markdown = (
        b"# API v1\nold\n\n# API v2\nnew  \nline\n\n```\ncode\n```\n<div>html</div>\n\n# Notes\n"
    )

    decoded = formats.from_markdown(markdown, "API")

    assert decoded["frontMatter"] == {} and decoded["tables"] == []
    assert decoded["sections"] == [
        {"heading": "API v1", "level": 1, "content": "old"},
        {"heading": "API v2", "level": 1, "content": "new\nline"},
    ]


def test_markdown_front_matter_that_is_not_a_mapping_is_empty(formats: Any) -> None:
    decoded = formats.from_markdown(b"---\n- a\n- b\n---\n## Title\n")

    assert decoded["frontMatter"] == {}
    assert decoded["sections"] == [{"heading": "Title", "level": 2, "content": ""}]


def test_avro_decodes_one_record_of_the_embedded_schema(formats: Any) -> None:
    schema = formats.avro_schema(AVSC)
    out = io.BytesIO()
    fastavro.schemaless_writer(out, fastavro.parse_schema(AVSC), {"id": "i-1"})

    assert formats.from_avro(out.getvalue(), schema) == {"id": "i-1"}
    with pytest.raises(formats.DecodeError, match="ends too early"):
        formats.from_avro(b"", schema)


def test_protobuf_decodes_the_first_message_of_the_compiled_proto(
    formats: Any, tmp_path: Path
) -> None:
    (tmp_path / "item.proto").write_text(PROTO, "utf-8")
    plan = plan_output("protobuf", "item.proto", tmp_path, lambda problem: None)
    assert plan is not None and plan.schema_expr is not None
    message_class = eval(plan.schema_expr, {"formats": formats})  # what the client class runs
    item = message_class(id="i-1", count=2**40, kind=1, tag=b"\x00\xff")
    item.parts.add(id="p")
    item.stock["a"] = 3
    item.seen.seconds = 5

    decoded = formats.from_protobuf(item.SerializeToString(), message_class)

    assert decoded == {
        "id": "i-1",
        "count": 2**40,
        "kind": "KIND_BOX",
        "tag": "AP8=",
        "parts": [{"id": "p"}],
        "stock": {"a": 3},
        "seen": {"seconds": 5},
    }
    with pytest.raises(formats.DecodeError, match=r"not a shop\.Item"):
        formats.from_protobuf(b"\xff\xff\xff", message_class)
