"""docs/features.md lists every keyword of naftiko-gen's schema with a status and a proof.

The table is what users read to know what a keyword does here, so it must stay complete and true:
every keyword appears once, every refusal names a registered code, every cited test exists.
"""

from __future__ import annotations

import json
import re
from typing import Any

from naftiko_gen.codes import HINTS

from tests.support.paths import ROOT

SCHEMA = ROOT / "generator" / "naftiko_gen" / "schema" / "naftiko-capability.schema.json"
FEATURES = ROOT / "docs" / "features.md"
STATUSES = ("supported", "refused", "warned", "accepted")
ROW = re.compile(r"^\| `([A-Za-z0-9]+\.[A-Za-z0-9_.-]+)` \| ([^|]+) \|\s*([^|]*?)\s*\|$")
TEST_REF = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")
CODE_REF = re.compile(r"`([a-z0-9-]+)`")


def _properties(node: Any) -> set[str]:
    keys: set[str] = set()
    if isinstance(node, dict):
        keys.update(node.get("properties", {}))
        for combinator in ("allOf", "anyOf", "oneOf"):
            for branch in node.get(combinator, []):
                keys |= _properties(branch)
        for branch in ("then", "else"):
            keys |= _properties(node.get(branch))
    return keys


def schema_keywords() -> set[str]:
    schema = json.loads(SCHEMA.read_text("utf-8"))
    keywords = {f"Document.{key}" for key in schema["properties"]}
    for definition, node in schema["$defs"].items():
        keywords |= {f"{definition}.{key}" for key in _properties(node)}
    return keywords


def table() -> dict[str, tuple[str, str]]:
    rows: dict[str, tuple[str, str]] = {}
    for line in FEATURES.read_text("utf-8").splitlines():
        if match := ROW.match(line.strip()):
            keyword, status, proof = match.groups()
            assert keyword not in rows, f"{keyword} is listed twice"
            rows[keyword] = (status.strip(), proof.strip())
    return rows


def test_every_schema_keyword_has_exactly_one_row() -> None:
    rows = table()
    missing = sorted(schema_keywords() - set(rows))
    unknown = sorted(set(rows) - schema_keywords())
    assert missing == [], f"add rows to docs/features.md for: {missing}"
    assert unknown == [], f"docs/features.md lists keywords the schema does not have: {unknown}"


def test_every_row_has_a_known_status_and_refusals_name_registered_codes() -> None:
    for keyword, (status, _) in table().items():
        assert status.startswith(STATUSES), f"{keyword}: status {status!r}"
        if status.startswith(("refused", "warned")):
            codes = CODE_REF.findall(status)
            assert codes, f"{keyword}: a refusal or warning names its code"
            assert set(codes) <= set(HINTS), f"{keyword}: unregistered code in {codes}"


def test_every_cited_test_exists() -> None:
    for keyword, (status, proof) in table().items():
        references = TEST_REF.findall(proof)
        if status.startswith(("supported", "refused", "warned")):
            assert references, f"{keyword}: cite the test that proves {status!r}"
        for path, name in references:
            source = ROOT / path
            assert source.is_file(), f"{keyword}: {path} does not exist"
            text = source.read_text("utf-8")
            assert re.search(rf"def {name}\(", text), f"{keyword}: no test {name} in {path}"
