"""``outputRawFormat`` end to end: a package generated from a spec with one consumed operation per
format, pip-installed and served, calling a real upstream on 127.0.0.1 that answers XML, YAML,
CSV/TSV/PSV, HTML, Markdown, Avro and binary with their own content types. REST and MCP both
answer the JSON tree the reference engine builds (semantics §2.9); a hostile or malformed answer
is a clear upstream error (REST 502, MCP ``isError``), never a traceback.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fastavro
import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from mcp import Client

from tests.integration.conftest import package_env
from tests.integration.test_web_sessions import http_request
from tests.support.format_upstream import Answer, FormatUpstream
from tests.support.packages import build, install
from tests.support.served import Served, serve

FORMATS = ("xml", "yaml", "csv", "tsv", "psv", "html", "markdown", "avro", "protobuf", "binary")
OPERATIONS = "\n".join(
    f"      - {{name: get-{name}, method: GET, path: /{name}, outputRawFormat: {name}}}"
    for name in FORMATS
    if name not in ("html", "avro", "protobuf")
)
SPEC = f"""\
naftiko: 1.0.0-alpha2
info:
  label: Feed formats
capability:
  consumes:
  - type: http
    namespace: feeds
    baseUri: https://feeds.example.test
    resources:
    - name: feeds
      path: /feeds
      operations:
{OPERATIONS}
      - name: get-html
        path: /html
        outputRawFormat: HTML
        outputSchema: table.products
      - name: get-avro
        path: /avro
        outputRawFormat: avro
        outputSchema: records.avsc
      - name: get-protobuf
        path: /protobuf
        outputRawFormat: protobuf
        outputSchema: protos/records.proto
  exposes:
  - type: rest
    namespace: feeds-rest
    port: 8080
    resources:
{"".join(f'''    - path: /{name}
      operations: [{{method: GET, call: feeds.get-{name}}}]
''' for name in FORMATS)}\
    - path: /xml-users
      operations:
      - method: GET
        call: feeds.get-xml
        outputParameters: [{{type: array, mapping: $.user}}]
  - type: mcp
    namespace: feeds-mcp
    port: 9090
    tools:
{"".join(f'''    - {{name: get-{name}, description: The {name} feed, call: feeds.get-{name}}}
''' for name in FORMATS)}\
"""

AVRO_SCHEMA = {
    "type": "record",
    "name": "Records",
    "fields": [
        {
            "name": "records",
            "type": {
                "type": "array",
                "items": {
                    "type": "record",
                    "name": "Record",
                    "fields": [
                        {"name": "id", "type": "string"},
                        {"name": "title", "type": "string"},
                        {"name": "size", "type": "long"},
                        {"name": "digest", "type": "bytes"},
                        {"name": "note", "type": ["null", "string"], "default": None},
                    ],
                },
            },
        }
    ],
}
AVRO_RECORD = {
    "records": [
        {"id": "r1", "title": "First", "size": 10, "digest": b"\x00\xff", "note": None},
        {"id": "r2", "title": "Second", "size": 20, "digest": b"", "note": "two"},
    ]
}
RECORDS_PROTO = """\
syntax = "proto3";
package feeds;
message RecordList {
  repeated Record records = 1;
  int64 total = 2;
}
message Record {
  string id = 1;
  string title = 2;
  Kind kind = 3;
}
enum Kind { KIND_UNKNOWN = 0; KIND_BOOK = 1; }
"""
USERS_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<users xmlns="urn:example:users" count="3">
  <user><id>1</id><name>Ann</name><email>ann@example.test</email></user>
  <user><id>2</id><name>Bo</name><email>bo@example.test</email></user>
  <user><id>3</id><name>Cy</name><email>cy@example.test</email></user>
</users>
"""
XML_USERS = [
    {"id": "1", "name": "Ann", "email": "ann@example.test"},
    {"id": "2", "name": "Bo", "email": "bo@example.test"},
    {"id": "3", "name": "Cy", "email": "cy@example.test"},
]
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lolz><lol>&lol9;</lol></lolz>
"""
YAML_ALIAS_BOMB = b"a: &a [x, x, x, x, x, x, x, x, x, x]\n" + b"".join(
    f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n".encode()
    for p, c in zip("abcdefgh", "bcdefghi", strict=True)
)
PRODUCTS_HTML = b"""<!doctype html>
<html><body>
<table class="nav"><tr><th>Menu</th></tr><tr><td>Home</td></tr></table>
<table class="products">
  <thead><tr><th>Name</th><th>Price</th><th>Stock</th></tr></thead>
  <tbody>
    <tr><td>Widget</td><td>$99</td><td>  12 </td></tr>
    <tr><td>Gadget <b>Pro</b></td><td>$149</td></tr>
  </tbody>
</table>
</body></html>
"""
README_MD = b"""---
title: Feature overview
version: 2
---
# Overview

The *feature* list, with `code`.

| Feature | Status |
|---|---|
| Search | GA |
| Export | **Beta** |

## Limits
- one
"""
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"


def avro_bytes() -> bytes:
    out = io.BytesIO()
    fastavro.schemaless_writer(out, fastavro.parse_schema(AVRO_SCHEMA), AVRO_RECORD)
    return out.getvalue()


def protobuf_bytes(workdir: Path) -> bytes:
    """A ``feeds.RecordList``, built with the protobuf library from the same .proto (compiled
    here by protoc, independently of the generator)."""
    descriptors = workdir / "records.pb"
    protoc = [sys.executable, "-m", "grpc_tools.protoc", f"-I{workdir / 'protos'}"]
    subprocess.run([*protoc, f"--descriptor_set_out={descriptors}", "records.proto"], check=True)
    pool = descriptor_pool.DescriptorPool()
    for file in descriptor_pb2.FileDescriptorSet.FromString(descriptors.read_bytes()).file:
        pool.Add(file)
    record_list = message_factory.GetMessageClass(pool.FindMessageTypeByName("feeds.RecordList"))
    message = record_list(total=2**40)
    message.records.add(id="r1", title="First", kind=1)
    message.records.add(id="r2")
    return bytes(message.SerializeToString())


ANSWERS = {
    "/feeds/xml": Answer("application/xml", USERS_XML),
    "/feeds/yaml": Answer(
        "application/yaml",
        b"users:\n- {id: 1, name: Ann, active: true, score: 4.5, joined: 2024-01-02}\n"
        b"- {id: 2, name: Bo, active: false, score: null, joined: 2024-03-04}\n",
    ),
    "/feeds/csv": Answer("text/csv", b'id,name,email\r\n1,Ann,ann@example.test\r\n2,"Bo, Jr",\r\n'),
    "/feeds/tsv": Answer("text/tab-separated-values", b"id\tname\n1\tAnn\n2\tBo\n"),
    "/feeds/psv": Answer("text/plain", b"id|name\n1|Ann\n\n2|Bo\n"),
    "/feeds/html": Answer("text/html; charset=utf-8", PRODUCTS_HTML),
    "/feeds/markdown": Answer("text/markdown", README_MD),
    "/feeds/avro": Answer("application/avro", avro_bytes()),
    "/feeds/binary": Answer("image/png", PNG),
}
# What REST and MCP must both answer, per format.
EXPECTED: dict[str, Any] = {
    "xml": {"count": "3", "user": XML_USERS},
    "yaml": {
        "users": [
            {"id": 1, "name": "Ann", "active": True, "score": 4.5, "joined": "2024-01-02"},
            {"id": 2, "name": "Bo", "active": False, "score": None, "joined": "2024-03-04"},
        ]
    },
    "csv": [
        {"id": "1", "name": "Ann", "email": "ann@example.test"},
        {"id": "2", "name": "Bo, Jr", "email": ""},
    ],
    "tsv": [{"id": "1", "name": "Ann"}, {"id": "2", "name": "Bo"}],
    "psv": [{"id": "1", "name": "Ann"}, {"id": "2", "name": "Bo"}],
    "html": {
        "tables": [
            [
                {"Name": "Widget", "Price": "$99", "Stock": "12"},
                {"Name": "Gadget Pro", "Price": "$149", "Stock": ""},
            ]
        ]
    },
    "markdown": {
        "frontMatter": {"title": "Feature overview", "version": 2},
        "tables": [
            [{"Feature": "Search", "Status": "GA"}, {"Feature": "Export", "Status": "Beta"}]
        ],
        "sections": [
            {"heading": "Overview", "level": 1, "content": "The feature list, with code."},
            {"heading": "Limits", "level": 2, "content": "one"},
        ],
    },
    "avro": {
        "records": [
            {"id": "r1", "title": "First", "size": 10, "digest": "AP8=", "note": None},
            {"id": "r2", "title": "Second", "size": 20, "digest": "", "note": "two"},
        ]
    },
    "protobuf": {
        "records": [{"id": "r1", "title": "First", "kind": "KIND_BOOK"}, {"id": "r2"}],
        "total": 2**40,
    },
}
ACCEPT = {
    "xml": "application/xml",
    "yaml": "application/yaml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "psv": "text/plain",
    "html": "text/html",
    "markdown": "text/markdown",
    "avro": "application/avro",
    "protobuf": "application/protobuf",
    "binary": "*/*",
}


@pytest.fixture(scope="module")
def upstream() -> Iterator[FormatUpstream]:
    with FormatUpstream() as running:
        yield running


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = tmp_path_factory.mktemp("formats")
    (workdir / "records.avsc").write_text(json.dumps(AVRO_SCHEMA), "utf-8")
    (workdir / "protos").mkdir()
    (workdir / "protos" / "records.proto").write_text(RECORDS_PROTO, "utf-8")
    return build(SPEC, "feed-formats", workdir)


@pytest.fixture(scope="module")
def protobuf_answer(package: Path) -> Answer:
    return Answer("application/protobuf", protobuf_bytes(package.parent))


@pytest.fixture(autouse=True)
def _answers(upstream: FormatUpstream, protobuf_answer: Answer) -> None:
    upstream.answers = {**ANSWERS, "/feeds/protobuf": protobuf_answer}


@pytest.fixture(scope="module")
def feeds(
    package: Path, upstream: FormatUpstream, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    workdir = package.parent
    target = install(package, workdir / "site")
    env = package_env(target, FEEDS_BASE_URI=upstream.base_url)
    with serve(
        target / "bin" / "feed-formats", env, workdir, "--rest-port", "0", "--mcp-port", "0"
    ) as served:
        yield served


def rest_get(served: Served, path: str) -> tuple[int, dict[str, str], bytes]:
    return http_request(urllib.request.Request(served.rest + path))


async def call_tool(served: Served, name: str) -> tuple[bool, str]:
    async with Client(served.mcp) as client:
        result = await client.call_tool(name, {})
    content = result.content[0]
    assert content.type == "text"
    return bool(result.is_error), content.text


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_rest_answers_the_engines_json_tree_for_each_format(
    name: str, feeds: Served, upstream: FormatUpstream
) -> None:
    status, headers, body = rest_get(feeds, f"/{name}")

    assert status == 200, body
    assert headers["content-type"] == "application/json"
    assert json.loads(body) == EXPECTED[name]
    assert upstream.last.path == f"/feeds/{name}"
    assert upstream.last.headers["accept"].startswith(ACCEPT[name])


@pytest.mark.anyio
@pytest.mark.parametrize("name", sorted(EXPECTED))
async def test_mcp_answers_the_same_json_tree_for_each_format(
    name: str, feeds: Served, upstream: FormatUpstream
) -> None:
    is_error, text = await call_tool(feeds, f"get-{name}")

    assert not is_error, text
    assert json.loads(text) == EXPECTED[name]
    assert upstream.last.path == f"/feeds/{name}"


def test_an_output_mapping_selects_from_the_decoded_xml(feeds: Served) -> None:
    status, _, body = rest_get(feeds, "/xml-users")

    assert status == 200, body
    assert json.loads(body) == XML_USERS


@pytest.mark.anyio
async def test_a_binary_answer_passes_through_unchanged(
    feeds: Served, upstream: FormatUpstream
) -> None:
    status, headers, body = rest_get(feeds, "/binary")

    assert (status, headers["content-type"], body) == (200, "image/png", PNG)
    assert upstream.last.headers["accept"] == "*/*"


@pytest.mark.anyio
async def test_an_xml_bomb_is_refused_without_expanding_it(
    feeds: Served, upstream: FormatUpstream
) -> None:
    upstream.answers["/feeds/xml"] = Answer("application/xml", BILLION_LAUGHS)

    status, _, body = rest_get(feeds, "/xml")
    is_error, text = await call_tool(feeds, "get-xml")

    assert status == 502, body
    error = json.loads(body)
    assert error["error"] == "upstream_bad_answer"
    assert "refused" in error["message"] and "EntitiesForbidden" in error["message"]
    assert is_error and "EntitiesForbidden" in text
    upstream.answers["/feeds/xml"] = ANSWERS["/feeds/xml"]
    assert rest_get(feeds, "/xml")[0] == 200  # the server is still there


@pytest.mark.anyio
async def test_a_yaml_alias_bomb_is_refused(feeds: Served, upstream: FormatUpstream) -> None:
    upstream.answers["/feeds/yaml"] = Answer("application/yaml", YAML_ALIAS_BOMB)

    status, _, body = rest_get(feeds, "/yaml")
    is_error, text = await call_tool(feeds, "get-yaml")

    assert status == 502
    assert "expands YAML aliases" in json.loads(body)["message"]
    assert is_error and "expands YAML aliases" in text


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("name", "answer", "message"),
    [
        ("csv", b'id,name\n1,"Ann\n', "not valid CSV"),
        ("csv", b"id,name\n1,Ann,extra\n", "line 2 of the CSV answer has 3 values"),
        ("yaml", b"users: [1, 2\n", "is not valid YAML"),
        ("xml", b"<users><user></users>", "not well-formed XML"),
        ("markdown", b"\xff\xfe not text", "not UTF-8"),
        ("avro", b"\x02\x04r1", "not an Avro record"),
        ("protobuf", b"\x0a\xff", "not a feeds.RecordList"),
    ],
)
async def test_a_malformed_answer_is_a_clear_upstream_error(
    name: str, answer: bytes, message: str, feeds: Served, upstream: FormatUpstream
) -> None:
    upstream.answers[f"/feeds/{name}"] = Answer("text/plain", answer)

    status, _, body = rest_get(feeds, f"/{name}")
    is_error, text = await call_tool(feeds, f"get-{name}")

    assert status == 502, body
    assert message in json.loads(body)["message"]
    assert "feeds" in json.loads(body)["message"]
    assert is_error and message in text
    assert "Traceback" not in feeds.stderr()


@pytest.mark.anyio
async def test_an_upstream_error_answer_passes_through_undecoded(
    feeds: Served, upstream: FormatUpstream
) -> None:
    upstream.answers["/feeds/csv"] = Answer("text/html", b"<h1>down</h1>", 503)

    status, headers, body = rest_get(feeds, "/csv")
    is_error, text = await call_tool(feeds, "get-csv")

    assert (status, body) == (503, b"<h1>down</h1>")
    assert headers["content-type"].startswith("text/html")
    assert is_error and "503" in text and "<h1>down</h1>" in text


def test_the_generated_decoders_pass_mypy_strict_ruff_and_black(package: Path) -> None:
    checks = [
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "-p", "feed_formats"],
        [sys.executable, "-m", "ruff", "check", "--config", "pyproject.toml", "feed_formats"],
        [sys.executable, "-m", "black", "--check", "--quiet", "feed_formats"],
    ]
    for command in checks:
        result = subprocess.run(command, cwd=package, capture_output=True, text=True)
        assert result.returncode == 0, (command, result.stdout, result.stderr)


def test_the_openapi_document_says_which_answers_are_decoded(feeds: Served) -> None:
    status, _, body = rest_get(feeds, "/openapi.json")

    paths = json.loads(body)["paths"]
    assert status == 200
    xml = paths["/xml"]["get"]["responses"]
    assert xml["200"]["description"] == "The upstream's XML answer, decoded to JSON."
    assert "XML answer not decoded" in xml["502"]["description"]
    assert list(paths["/binary"]["get"]["responses"]["200"]["content"]) == ["*/*"]


@pytest.mark.anyio
async def test_text_formats_are_read_in_the_charset_their_content_type_declares(
    feeds: Served, upstream: FormatUpstream
) -> None:
    latin1 = "id,name\n1,Zoë\n".encode("iso-8859-1")
    upstream.answers["/feeds/csv"] = Answer("text/csv; charset=ISO-8859-1", latin1)

    status, _, body = rest_get(feeds, "/csv")
    is_error, text = await call_tool(feeds, "get-csv")

    assert status == 200, body
    assert json.loads(body) == [{"id": "1", "name": "Zoë"}]
    assert not is_error and json.loads(text) == [{"id": "1", "name": "Zoë"}]
    upstream.answers["/feeds/csv"] = Answer("text/csv; charset=klingon", latin1)
    status, _, body = rest_get(feeds, "/csv")
    assert status == 502 and "unknown charset 'klingon'" in json.loads(body)["message"]
