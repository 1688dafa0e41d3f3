"""Consumed ``inputParameters`` on the wire (semantics §2.5, §2.6, §7.5, §7.9): adapter-level
parameters sent on every request, ``in: cookie``/``environment``/``formData``, computed ``value``
templates, arrays as repeated query keys, encoded path segments, multipart bodies — asserted on
what a real upstream on 127.0.0.1 received."""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Iterator
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path

import pytest

from tests.integration.conftest import package_env
from tests.support.packages import build_and_install
from tests.support.recording_upstream import Received, RecordingUpstream
from tests.support.served import Served, serve
from tests.support.tool_calls import received_for as call

SPEC = """\
naftiko: 1.0.0-alpha2
info:
  label: Contact book
binds:
- namespace: env
  keys:
    CRM_TOKEN: CRM_TOKEN
capability:
  consumes:
  - type: http
    namespace: crm
    baseUri: https://crm.example.test/v2
    inputParameters:
    - {name: CRM_REGION, in: environment}
    - {name: apiVersion, in: environment, value: '2024-06'}
    - {name: X-Api-Version, in: header, value: '{{apiVersion}}'}
    - {name: X-Region, in: header, value: '{{CRM_REGION}}'}
    - {name: X-Token, in: header, value: 'tok {{CRM_TOKEN}}'}
    - {name: format, in: query, value: json}
    - {name: session, in: cookie, value: 'a b;c'}
    - {name: tenant, in: path, value: acme corp}
    - {name: X-Request-Id, in: header}
    resources:
    - name: contact
      path: /tenants/{tenant}/contacts/{id}
      operations:
      - name: get-contact
        method: GET
        inputParameters:
        - {name: id, in: path}
        - {name: ids, in: query, type: array}
        - {name: pref, in: cookie}
        - {name: X-Trace, in: header, value: 'trace-{{traceId}}'}
    - name: notes
      path: /tenants/{{tenant}}/notes
      operations:
      - name: add-note
        method: POST
        inputParameters:
        - {name: NOTE_SIGNATURE, in: environment}
        - {name: Content-Type, in: header, value: application/vnd.notes+json}
        body: '{"text": "{{text}}", "signature": "{{NOTE_SIGNATURE}}", "v": "{{apiVersion}}"}'
      - name: upload-note
        method: PUT
        body:
          type: multipartForm
          data:
          - {name: file, value: '{{tools.content}}', filename: notes.txt, contentType: text/plain}
          - {name: title, value: 'by {{tools.author}}'}
      - name: label-note
        method: PATCH
        inputParameters:
        - {name: label, in: formData}
        - {name: kind, in: formData, value: note}
  - type: http
    namespace: prefs
    baseUri: https://prefs.example.test
    authentication: {type: apikey, key: sid, value: '{{CRM_TOKEN}}', placement: cookie}
    resources:
    - name: theme
      path: /theme
      operations:
      - name: get-theme
        method: GET
        inputParameters:
        - {name: lang, in: cookie}
  - type: http
    namespace: ledger
    baseUri: https://ledger.example.test
    authentication: {type: basic, username: '{{CRM_TOKEN}}', password: 'p:w {{CRM_REGION}}'}
    resources:
    - {name: entries, path: /entries, operations: [{name: list-entries, method: GET}]}
  - type: http
    namespace: maps
    baseUri: https://maps.example.test
    authentication: {type: apikey, key: api key, value: '{{CRM_TOKEN}}&x=1', placement: query}
    inputParameters:
    - {name: X-Client, in: header, value: contacts}
    resources:
    - name: geo
      path: /geo
      operations:
      - name: geocode
        method: GET
        inputParameters:
        - {name: q, in: query}
  - type: http
    namespace: search
    baseUri: https://search.example.test
    authentication: {type: apikey, key: X-Api-Key, value: '{{CRM_TOKEN}}'}
    resources:
    - {name: find, path: /find, operations: [{name: find, method: GET}]}
  exposes:
  - type: mcp
    namespace: contacts-mcp
    port: 9090
    tools:
    - {name: get-contact, description: One contact, call: crm.get-contact}
    - {name: add-note, description: Add a note, call: crm.add-note}
    - {name: upload-note, description: Upload a note, call: crm.upload-note}
    - {name: label-note, description: Label a note, call: crm.label-note}
    - {name: get-theme, description: Theme, call: prefs.get-theme}
    - {name: list-entries, description: Entries, call: ledger.list-entries}
    - {name: geocode, description: Geocode, call: maps.geocode}
    - {name: find, description: Find, call: search.find}
"""

ENV = {"CRM_TOKEN": "s3cr3t", "CRM_REGION": "eu-1", "NOTE_SIGNATURE": 'Ann "the scribe"'}


@pytest.fixture(scope="module")
def upstream() -> Iterator[RecordingUpstream]:
    with RecordingUpstream() as running:
        yield running


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_and_install(SPEC, "contact-book", tmp_path_factory.mktemp("contacts"))


@pytest.fixture(scope="module")
def served(
    package: Path, upstream: RecordingUpstream, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    env = package_env(
        package,
        CRM_BASE_URI=upstream.base_url + "/v2",
        PREFS_BASE_URI=upstream.base_url,
        LEDGER_BASE_URI=upstream.base_url,
        MAPS_BASE_URI=upstream.base_url,
        SEARCH_BASE_URI=upstream.base_url,
        **ENV,
    )
    workdir = tmp_path_factory.mktemp("contacts-run")
    with serve(package / "bin" / "contact-book", env, workdir, "--mcp-port", "0") as running:
        yield running


def parts(sent: Received) -> list[Message]:
    head = f"Content-Type: {sent.headers['content-type']}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + sent.body)
    assert message.is_multipart()
    return list(message.iter_parts())


@pytest.mark.anyio
async def test_adapter_level_parameters_go_on_every_request(
    served: Served, upstream: RecordingUpstream
) -> None:
    sent = await call(served, upstream, "get-contact", {"id": "42"})

    assert sent.path == "/v2/tenants/acme%20corp/contacts/42"
    assert sent.query == [("format", "json")]
    assert sent.headers["x-api-version"] == "2024-06"
    assert sent.headers["x-region"] == "eu-1"
    assert sent.headers["x-token"] == "tok s3cr3t"
    assert sent.headers["cookie"] == "session=a%20b%3Bc"
    assert "x-request-id" not in sent.headers


@pytest.mark.anyio
async def test_path_segments_cookies_arrays_and_computed_headers_are_encoded_per_place(
    served: Served,
    upstream: RecordingUpstream,
) -> None:
    sent = await call(
        served,
        upstream,
        "get-contact",
        {
            "id": "a/b ?c",
            "ids": ["1", "2 & 3"],
            "pref": "dark;mode=1",
            "traceId": "t-7",
            "X-Request-Id": "req-9",
        },
    )

    assert sent.path == "/v2/tenants/acme%20corp/contacts/a%2Fb%20%3Fc"
    assert sent.query == [("format", "json"), ("ids", "1"), ("ids", "2 & 3")]
    assert sent.headers["cookie"] == "session=a%20b%3Bc; pref=dark%3Bmode=1"
    assert sent.headers["x-trace"] == "trace-t-7"
    assert sent.headers["x-request-id"] == "req-9"


@pytest.mark.anyio
async def test_environment_values_reach_a_raw_json_body_template_escaped_with_its_declared_type(
    served: Served, upstream: RecordingUpstream
) -> None:
    sent = await call(served, upstream, "add-note", {"text": 'say "hi"\n'})

    assert (sent.method, sent.path) == ("POST", "/v2/tenants/acme%20corp/notes")
    assert sent.headers["content-type"] == "application/vnd.notes+json"
    assert sent.json() == {"text": 'say "hi"\n', "signature": 'Ann "the scribe"', "v": "2024-06"}


@pytest.mark.anyio
async def test_a_multipart_form_body_sends_one_part_per_field_with_file_name_and_type(
    served: Served,
    upstream: RecordingUpstream,
) -> None:
    sent = await call(
        served, upstream, "upload-note", {"content": "line 1\nline 2", "author": "Ann"}
    )

    assert sent.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert int(sent.headers["content-length"]) == len(sent.body)
    file, title = parts(sent)
    assert file.get_param("name", header="content-disposition") == "file"
    assert file.get_filename() == "notes.txt"
    assert file.get_content_type() == "text/plain"
    assert file.get_payload(decode=True) == b"line 1\nline 2"
    assert title.get_param("name", header="content-disposition") == "title"
    assert title.get_payload(decode=True) == b"by Ann"


@pytest.mark.anyio
async def test_form_data_parameters_become_multipart_parts(
    served: Served, upstream: RecordingUpstream
) -> None:
    sent = await call(served, upstream, "label-note", {"label": "x&y"})

    assert sent.method == "PATCH"
    fields = {
        str(part.get_param("name", header="content-disposition")): part.get_payload(decode=True)
        for part in parts(sent)
    }
    assert fields == {"label": b"x&y", "kind": b"note"}


@pytest.mark.anyio
async def test_an_absent_whole_value_part_is_left_out(
    served: Served, upstream: RecordingUpstream
) -> None:
    sent = await call(served, upstream, "upload-note", {"author": "Bo"})

    assert [part.get_param("name", header="content-disposition") for part in parts(sent)] == [
        "title"
    ]


def test_a_missing_environment_parameter_stops_start_up_naming_it(package: Path) -> None:
    env = package_env(package, CRM_TOKEN="t", NOTE_SIGNATURE="s")

    result = subprocess.run(
        [str(package / "bin" / "contact-book"), "serve", "--mcp-port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 2
    assert "CRM_REGION" in result.stderr


def test_the_tool_schemas_offer_the_callers_parameters_but_no_computed_ones(
    package: Path,
) -> None:
    catalog = json.loads((package / "contact_book" / "catalog.json").read_text())
    tools = {tool["name"]: tool for tool in catalog["tools"]}
    properties = tools["get-contact"]["inputSchema"]["properties"]

    assert set(properties) == {"id", "ids", "pref", "traceId", "X-Request-Id"}
    assert properties["ids"]["type"] == "array"
    assert "X-Trace" not in properties and "format" not in properties
    assert not (package / "contact_book" / "upstream_auth.py").exists()


@pytest.mark.anyio
async def test_an_apikey_in_a_cookie_shares_the_cookie_header_with_cookie_parameters(
    served: Served, upstream: RecordingUpstream
) -> None:
    sent = await call(served, upstream, "get-theme", {"lang": "en GB"})

    assert sent.path == "/theme"
    assert sent.headers["cookie"] == "sid=s3cr3t; lang=en%20GB"
    assert "sid" not in sent.headers


@pytest.mark.anyio
async def test_basic_auth_sends_the_bind_values_base64_encoded(
    served: Served, upstream: RecordingUpstream
) -> None:
    sent = await call(served, upstream, "list-entries", {})

    scheme, _, encoded = sent.headers["authorization"].partition(" ")
    assert (scheme, base64.b64decode(encoded).decode()) == ("Basic", "s3cr3t:p:w eu-1")


@pytest.mark.anyio
async def test_an_apikey_in_the_query_is_encoded_next_to_the_callers_query(
    served: Served, upstream: RecordingUpstream
) -> None:
    sent = await call(served, upstream, "geocode", {"q": "Rue de l'Église"})

    assert sent.query == [("api key", "s3cr3t&x=1"), ("q", "Rue de l'Église")]
    assert sent.headers["x-client"] == "contacts"
    assert "authorization" not in sent.headers


@pytest.mark.anyio
async def test_an_apikey_header_carries_the_bind_value(
    served: Served, upstream: RecordingUpstream
) -> None:
    sent = await call(served, upstream, "find", {})

    assert sent.headers["x-api-key"] == "s3cr3t"
