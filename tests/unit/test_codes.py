"""Every diagnostic code: a small spec written for it, and the level it is reported at.

The table below must cover every code in ``naftiko_gen.codes.HINTS`` (a test checks this), and
every code the generator's source can emit must be registered there, so a new code cannot ship
without a hint, a case here and a line in docs/diagnostics.md.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from naftiko_gen.build import validate
from naftiko_gen.codes import HINTS, markdown_table
from naftiko_gen.diagnostics import Diagnostic, Level, SpecError
from naftiko_gen.loader import load_spec
from naftiko_gen.normalise import normalise

from tests.support.paths import ROOT

BASE = """\
naftiko: 1.0.0-alpha2
info: {label: Demo}
binds:
- namespace: env
  keys: {DEMO_TOKEN: DEMO_TOKEN}
capability:
  consumes:
  - type: http
    namespace: api
    baseUri: https://api.example.test
    authentication: {type: bearer, token: '{{DEMO_TOKEN}}'}
    resources:
    - name: items
      path: /items/{id}
      operations:
      - {name: get-item, method: GET}
      - {name: add-item, method: POST, inputParameters: [{name: body, in: body}]}
  exposes:
  - type: mcp
    namespace: demo-mcp
    port: 9090
    tools:
    - {name: get-item, description: Get, call: api.get-item}
"""
TOOL = "    - {name: get-item, description: Get, call: api.get-item}\n"
CONSUMED = "      - {name: get-item, method: GET}\n"
AUTH = "    authentication: {type: bearer, token: '{{DEMO_TOKEN}}'}\n"


def extra_tool(line: str) -> str:
    return BASE + "    - " + line + "\n"


def replaced(old: str, new: str) -> str:
    assert old in BASE
    return BASE.replace(old, new, 1)


SHARED = """\
naftiko: 1.0.0-alpha2
consumes:
- type: http
  namespace: other
  baseUri: https://other.example.test
  resources: [{name: r, path: /r, operations: [{name: get-r, method: GET}]}]
"""

# Consumed operations in an imported file are not schema-checked: the normaliser's own checks
# are what find their problems.
ODD = """\
naftiko: 1.0.0-alpha2
consumes:
- type: http
  namespace: odd
  baseUri: https://odd.example.test
  resources:
  - name: r
    path: /r
    operations:
    - {method: GET}
    - {name: get-r, method: GET, inputParameters: [{name: '', in: query}, {name: c, in: trailer}]}
"""
ODD_IMPORT = (
    replaced("  exposes:", "  - {import: odd, location: ./odd.yaml}\n  exposes:")
    + "    - {name: o, call: odd.get-r}\n"
)

# Problems the schema reports first (under its own code, e.g. a missing 'call' is missing-key);
# the normaliser keeps its own check for library users who skip the schema.
NORMALISER_ONLY = {
    "bad-call",
    "bad-method",
    "bad-with-value",
    "unnamed-tool",
    "no-behaviour",
    "bad-aggregate-function",
}

CASES: dict[str, tuple[str | bytes, Level]] = {
    "unreadable": ("<directory>", Level.ERROR),
    "file-too-large": (b"a: " + b"x" * (16 * 1024 * 1024 + 1), Level.ERROR),
    "not-utf8": (b"naftiko: \xff\xfe\n", Level.ERROR),
    "binary": (b"naftiko: 1\x00\n", Level.ERROR),
    "empty": ("", Level.ERROR),
    "yaml": ("a: [unclosed\n", Level.ERROR),
    "yaml-too-deep": ("a: " + "[" * 300 + "]" * 300 + "\n", Level.ERROR),
    "yaml-too-large": (
        "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        + "".join(
            f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
            for p, c in zip("abcdef", "bcdefg", strict=True)
        ),
        Level.ERROR,
    ),
    "yaml-key": ("? [a, b]\n: 1\n", Level.ERROR),
    "duplicate-key": ("naftiko: 1.0.0-alpha2\nnaftiko: 1.0.0-alpha2\n", Level.ERROR),
    "not-naftiko": ("info: {label: x}\n", Level.ERROR),
    "version-mapping": ("naftiko: {version: 1.0.0-alpha2}\n", Level.ERROR),
    "unsupported-version": ("naftiko: 0.5\ncapability: {}\n", Level.ERROR),
    "not-a-capability": ("naftiko: 1.0.0-alpha2\ninfo: {label: x}\n", Level.ERROR),
    "nothing-to-expose": (replaced("call: api.get-item", "call: api.nope"), Level.ERROR),
    # A schema error inside one exposes adapter leaves that adapter out (a warning); elsewhere
    # it stops the build.
    "schema": (replaced("port: 9090", "port: 70000"), Level.WARNING),
    "missing-key": (replaced("    namespace: api\n", ""), Level.ERROR),
    "wrong-type": (replaced("info: {label: Demo}", "info: {label: [Demo]}"), Level.ERROR),
    "bad-value": (replaced("type: http", "type: grpc"), Level.ERROR),
    "empty-value": (replaced("namespace: api", "namespace: ''"), Level.ERROR),
    "unknown-key": (replaced("baseUri:", "baseUrl: x\n    baseUri:"), Level.WARNING),
    "misspelt-key": (replaced("baseUri:", "baseUrl:"), Level.ERROR),
    "official-shape": (replaced("authentication:", "auth:"), Level.WARNING),
    "bad-pattern": (
        extra_tool(
            "{name: p, description: d, call: api.get-item, "
            "inputParameters: [{name: id, type: string, pattern: '[unclosed'}]}"
        ),
        Level.WARNING,
    ),
    "ignored-keyword": (
        replaced("  consumes:", "  governance: [{rule: x}]\n  consumes:"),
        Level.WARNING,
    ),
    "bind-location": (
        replaced("keys: {DEMO_TOKEN", "location: vault://x\n  keys: {DEMO_TOKEN"),
        Level.ERROR,
    ),
    "undeclared-variable": (replaced("{{DEMO_TOKEN}}", "{{OTHER_TOKEN}}"), Level.WARNING),
    "missing-namespace": (replaced("    namespace: api\n", ""), Level.ERROR),
    "duplicate-namespace": (
        replaced(
            "  exposes:",
            "  - {type: http, namespace: api, baseUri: https://x.test,"
            " resources: []}\n  exposes:",
        ),
        Level.ERROR,
    ),
    "merged-namespace": (
        replaced(
            "  exposes:",
            "  - type: http\n    namespace: api\n    baseUri: "
            "https://api.example.test\n" + AUTH + "    resources: []\n  exposes:",
        ),
        Level.WARNING,
    ),
    "bad-base-uri": (replaced("https://api.example.test", "ftp://api"), Level.ERROR),
    "empty-base-uri": (replaced("https://api.example.test", "''"), Level.WARNING),
    "bad-import": (replaced("  exposes:", "  - {import: other}\n  exposes:"), Level.ERROR),
    "import-unreadable": (
        replaced("  exposes:", "  - {import: other, location: ./absent.yaml}\n  exposes:"),
        Level.ERROR,
    ),
    "import-not-found": (
        replaced("  exposes:", "  - {import: nope, location: ./shared.yaml}\n  exposes:"),
        Level.ERROR,
    ),
    "nested-import": (
        replaced("  exposes:", "  - {import: other, location: ./nested.yaml}\n  exposes:"),
        Level.ERROR,
    ),
    "openapi-consumes": (
        replaced("  exposes:", "  - {openapi: other, location: ./other-openapi.yml}\n  exposes:"),
        Level.ERROR,
    ),
    "apikey-key": (replaced(AUTH, "    authentication: {type: apikey, value: x}\n"), Level.ERROR),
    "unsupported-auth": (replaced(AUTH, "    authentication: {type: kerberos}\n"), Level.ERROR),
    "unsupported-template": (
        replaced(AUTH, "    authentication: {type: bearer, token: '{{a.b.c}}'}\n"),
        Level.ERROR,
    ),
    "bad-header": (
        replaced(
            AUTH, AUTH + "    inputParameters: [{name: X-Tag, in: header, value: 'a\n\n  B'}]\n"
        ),
        Level.ERROR,
    ),
    "ignored-adapter-parameter": (
        replaced(AUTH, AUTH + "    inputParameters: [{name: q, in: body, value: x}]\n"),
        Level.WARNING,
    ),
    "bad-cookie": (
        replaced(AUTH, AUTH + "    inputParameters: [{name: 'a b', in: cookie, value: x}]\n"),
        Level.ERROR,
    ),
    "bad-environment-parameter": (
        replaced(AUTH, AUTH + "    inputParameters: [{name: 'api-key', in: environment}]\n"),
        Level.ERROR,
    ),
    "unnamed-operation": (ODD_IMPORT, Level.WARNING),
    "duplicate-operation": (
        replaced(CONSUMED, CONSUMED + "      - {name: get-item, method: POST}\n"),
        Level.WARNING,
    ),
    "unnamed-parameter": (ODD_IMPORT, Level.WARNING),
    "unsupported-parameter-location": (ODD_IMPORT, Level.WARNING),
    "unused-path-parameter": (
        replaced(
            CONSUMED,
            "      - {name: get-item, method: GET, inputParameters: " "[{name: q, in: path}]}\n",
        ),
        Level.WARNING,
    ),
    "unsupported-adapter": (BASE + "  - {type: agent-skill, skill: {name: s}}\n", Level.WARNING),
    "multiple-rest": (
        BASE
        + "".join(
            f"  - type: rest\n    namespace: r{i}\n    port: 808{i}\n    resources:\n"
            "    - path: /x\n      operations: [{method: GET, call: api.get-item}]\n"
            for i in (1, 2)
        ),
        Level.WARNING,
    ),
    "multiple-mcp": (
        BASE + "  - type: mcp\n    namespace: m2\n    port: 9091\n    tools:\n" + TOOL,
        Level.WARNING,
    ),
    "bad-method": (
        BASE + "  - type: rest\n    namespace: r\n    port: 8081\n    resources:\n"
        "    - path: /x\n      operations: [{method: FETCH, call: api.get-item}]\n",
        Level.WARNING,
    ),
    "duplicate-route": (
        BASE + "  - type: rest\n    namespace: r\n    port: 8081\n    resources:\n"
        "    - path: /x\n      operations: [{method: GET, call: api.get-item},"
        " {method: GET, call: api.get-item}]\n",
        Level.WARNING,
    ),
    "unnamed-tool": (extra_tool("{description: d, call: api.get-item}"), Level.WARNING),
    "duplicate-tool": (extra_tool("{name: get-item, call: api.get-item}"), Level.WARNING),
    "tool-name-sanitised": (extra_tool("{name: 'get item', call: api.get-item}"), Level.WARNING),
    "tool-name-too-long": (
        extra_tool("{name: " + "t" * 70 + ", call: api.get-item}"),
        Level.WARNING,
    ),
    "too-many-tools": (
        BASE + "".join(f"    - {{name: t{i}, call: api.get-item}}\n" for i in range(128)),
        Level.WARNING,
    ),
    "no-behaviour": (extra_tool("{name: no-call, description: d}"), Level.WARNING),
    "bad-jsonpath": (
        extra_tool(
            "{name: shaped, description: d, call: api.get-item, outputParameters: [{type: "
            "object, properties: {a: {type: string, mapping: '$.a[?'}}}]}"
        ),
        Level.WARNING,
    ),
    "bad-template": (
        extra_tool(
            "{name: m, description: d, outputParameters: [{name: a, type: string, "
            "value: '{{#list}}x{{/list}}'}]}"
        ),
        Level.WARNING,
    ),
    "bad-step": (
        extra_tool(
            "{name: s, description: d, steps: [{name: a, type: call, call: api.get-item},"
            " {name: a, type: call, call: api.get-item}]}"
        ),
        Level.WARNING,
    ),
    "unknown-step": (
        extra_tool(
            "{name: s, description: d, steps: [{name: a, type: call, call: api.get-item}, "
            "{name: b, type: lookup, index: nope, match: id, lookupValue: $.a.id, "
            "outputParameters: [x]}]}"
        ),
        Level.WARNING,
    ),
    "bad-mapping": (
        extra_tool(
            "{name: s, description: d, steps: [{name: a, type: call, call: api.get-item}], "
            "mappings: [{targetName: x, value: a.id}]}"
        ),
        Level.WARNING,
    ),
    "unsupported-script-language": (
        extra_tool(
            "{name: s, description: d, steps: [{name: a, type: call, call: api.get-item}, "
            "{name: b, type: script, language: groovy, location: file:///./s, file: s.groovy}]}"
        ),
        Level.WARNING,
    ),
    "unknown-ref": (extra_tool("{name: r, description: d, ref: agg.nope}"), Level.WARNING),
    "duplicate-aggregate-function": (
        replaced(
            "  exposes:",
            "  aggregates:\n  - namespace: agg\n    functions:\n"
            "    - {name: f, description: d, call: api.get-item}\n"
            "    - {name: f, description: d, call: api.get-item}\n  exposes:",
        ),
        Level.ERROR,
    ),
    "bad-aggregate-function": (
        replaced(
            "  exposes:",
            "  aggregates:\n  - namespace: agg\n    functions:\n"
            "    - {description: d, call: api.get-item}\n  exposes:",
        ),
        Level.ERROR,
    ),
    "broken-aggregate-function": (
        replaced(
            "  exposes:",
            "  aggregates:\n  - namespace: agg\n    functions:\n"
            "    - {name: f, description: d, call: api.nope}\n  exposes:",
        )
        + "    - {name: r, ref: agg.f}\n",
        Level.WARNING,
    ),
    "ref-overrides-ignored": (
        replaced(
            "  exposes:",
            "  aggregates:\n  - namespace: agg\n    functions:\n"
            "    - {name: f, description: d, call: api.get-item}\n  exposes:",
        )
        + "    - {name: r, ref: agg.f, with: {id: '1'}}\n",
        Level.WARNING,
    ),
    "unsupported-body-type": (
        replaced(
            CONSUMED,
            "      - {name: get-item, method: POST, body: {type: multipartForm,"
            " data: [{value: b}]}}\n",
        ),
        Level.WARNING,
    ),
    "unknown-hint": (
        extra_tool("{name: h, call: api.get-item, hints: {fast: true}}"),
        Level.WARNING,
    ),
    "bad-call": (extra_tool("{name: b, call: nodot}"), Level.WARNING),
    "unknown-namespace": (extra_tool("{name: u, call: nowhere.get-item}"), Level.WARNING),
    "unknown-operation": (extra_tool("{name: u, call: api.get-iten}"), Level.WARNING),
    "call-namespace-guessed": (extra_tool("{name: g, call: demo-mcp.add-item}"), Level.WARNING),
    "call-operation-case": (extra_tool("{name: g, call: api.Get-Item}"), Level.WARNING),
    "apikey-placement": (
        replaced(AUTH, "    authentication: {type: apikey, key: k, value: x, placement: form}\n"),
        Level.ERROR,
    ),
    "apikey-path-placeholder": (
        replaced(AUTH, "    authentication: {type: apikey, key: k, value: x, placement: path}\n"),
        Level.ERROR,
    ),
    "apikey-body-in-query": (
        replaced(AUTH, "    authentication: {type: apikey, key: k, value: x, placement: body}\n"),
        Level.WARNING,
    ),
    "broken-operation": (ODD_IMPORT + "    - {name: again, call: odd.get-r}\n", Level.WARNING),
    "unknown-with-source": (
        extra_tool("{name: w, call: api.get-item, with: {id: api.id}}"),
        Level.WARNING,
    ),
    "bad-with-value": (extra_tool("{name: w, call: api.get-item, with: {id: [1]}}"), Level.WARNING),
    "unused-with": (
        extra_tool("{name: w, call: api.get-item, with: {nope: tools.x}}"),
        Level.WARNING,
    ),
    "unbound-parameter": (
        extra_tool(
            "{name: w, call: api.get-item, inputParameters: [{name: other, type: "
            "string, description: d}]}"
        ),
        Level.WARNING,
    ),
    "unknown-path-parameter": (
        BASE + "  - type: rest\n    namespace: r\n    port: 8081\n    resources:\n"
        "    - path: /x/{id}\n      operations: [{method: GET, call: api.get-item, "
        "inputParameters: [{name: nope, in: path}]}]\n",
        Level.WARNING,
    ),
}


def diagnostics_for(text: str | bytes, tmp_path: Path, schema: bool = True) -> list[Diagnostic]:
    (tmp_path / "shared.yaml").write_text(SHARED)
    (tmp_path / "odd.yaml").write_text(ODD)
    (tmp_path / "nested.yaml").write_text(
        "naftiko: 1.0.0-alpha2\nconsumes:\n"
        "- {namespace: other, import: other, location: ./shared.yaml}\n"
    )
    spec = tmp_path / "demo.yaml"
    if text == "<directory>":
        spec.mkdir()
    elif isinstance(text, bytes):
        spec.write_bytes(text)
    else:
        spec.write_text(text)
    try:
        if schema:
            return validate(spec)[1]
        return normalise(load_spec(spec, display_name=str(spec)), spec.name, "demo")[1]
    except SpecError as exc:
        return exc.diagnostics


@pytest.mark.parametrize("code", sorted(CASES))
def test_each_code_is_reported_at_its_level_with_a_hint(code: str, tmp_path: Path) -> None:
    text, level = CASES[code]

    found = [
        d
        for d in diagnostics_for(text, tmp_path, schema=code not in NORMALISER_ONLY)
        if d.code == code
    ]

    assert found, f"no {code} diagnostic"
    assert found[0].level is level
    assert found[0].hint
    assert found[0].location.file.endswith(("demo.yaml", "shared.yaml", "nested.yaml", "odd.yaml"))


def test_the_base_spec_of_this_table_is_clean(tmp_path: Path) -> None:
    assert diagnostics_for(BASE, tmp_path) == []


def test_every_registered_code_has_a_case() -> None:
    # Skill and signing codes have their cases next to their features.
    elsewhere = {
        "skill": (ROOT / "tests" / "unit" / "test_skills.py").read_text("utf-8"),
        "unsupported-auth-": (ROOT / "tests" / "unit" / "test_auth.py").read_text("utf-8"),
        "inbound-auth": (ROOT / "tests" / "unit" / "test_inbound_auth.py").read_text("utf-8"),
        "control": (ROOT / "tests" / "unit" / "test_control.py").read_text("utf-8"),
        "output-": (ROOT / "tests" / "unit" / "test_formats.py").read_text("utf-8"),
        "resource": (ROOT / "tests" / "unit" / "test_mcp_extras.py").read_text("utf-8"),
        "prompt": (ROOT / "tests" / "unit" / "test_mcp_extras.py").read_text("utf-8"),
        "forward": (ROOT / "tests" / "unit" / "test_forward.py").read_text("utf-8"),
        "script": (ROOT / "tests" / "unit" / "test_script_steps.py").read_text("utf-8"),
    }
    tested_elsewhere = {
        code
        for code in HINTS
        for marker, text in elsewhere.items()
        if marker in code and f'"{code}"' in text
    }

    assert sorted(set(HINTS) - set(CASES) - tested_elsewhere) == []


def test_every_code_in_the_generator_source_is_registered() -> None:
    source = "\n".join(p.read_text() for p in (ROOT / "generator").rglob("*.py"))
    emitted = set(
        re.findall(
            r'(?:error|warning|fail|_refusal|_Abort|BodyProblem|FormatProblem)\(\s*"([a-z][a-z0-9-]+)"',
            source,
        )
    )
    emitted |= set(re.findall(r'^\s*"([a-z]+(?:-[a-z0-9]+)+)",$', source, re.MULTILINE)) & set(
        HINTS
    )
    assert emitted, "the pattern found no codes"
    assert sorted(emitted - set(HINTS)) == []


def test_docs_list_every_code_with_its_hint() -> None:
    document = (ROOT / "docs" / "diagnostics.md").read_text("utf-8")

    assert markdown_table() in document
