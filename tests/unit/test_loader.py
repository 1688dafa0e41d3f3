"""naftiko_gen.loader: YAML in, data plus positions out; anything YAML would hide is an error."""

from __future__ import annotations

from pathlib import Path

import pytest
from naftiko_gen.diagnostics import SpecError
from naftiko_gen.loader import load_spec, parse_text


def test_positions_are_one_based_line_and_column_of_each_value() -> None:
    spec = parse_text(
        "naftiko: 1.0.0-alpha2\ncapability:\n  exposes:\n    - type: rest\n", "s.yaml"
    )

    assert spec.data == {"naftiko": "1.0.0-alpha2", "capability": {"exposes": [{"type": "rest"}]}}
    assert spec.location(("capability", "exposes", 0, "type")).line == 4
    assert spec.location(("capability", "exposes", 0, "type")).column == 13


def test_location_of_a_missing_key_falls_back_to_its_parent() -> None:
    spec = parse_text("a:\n  b: 1\n", "s.yaml")

    assert spec.location(("a", "nope", 3)).line == 2


def test_duplicate_keys_are_an_error_at_the_second_key() -> None:
    with pytest.raises(SpecError) as raised:
        parse_text("a: 1\nb: 2\na: 3\n", "s.yaml")

    (diagnostic,) = raised.value.diagnostics
    assert diagnostic.code == "duplicate-key"
    assert (diagnostic.location.line, diagnostic.location.column) == (3, 1)


def test_invalid_yaml_is_located() -> None:
    with pytest.raises(SpecError) as raised:
        parse_text("a: [1, 2\nb: 3\n", "s.yaml")

    (diagnostic,) = raised.value.diagnostics
    assert diagnostic.code == "yaml"
    assert diagnostic.location.line >= 2


@pytest.mark.parametrize("text", ["", "   \n", "# only a comment\n"])
def test_empty_files_are_refused(text: str) -> None:
    with pytest.raises(SpecError) as raised:
        parse_text(text, "s.yaml")

    assert raised.value.diagnostics[0].code == "empty"


def test_alias_bombs_are_refused_quickly() -> None:
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 9):
        previous = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([previous] * 10)}]")
    with pytest.raises(SpecError) as raised:
        parse_text("\n".join(lines) + "\n", "bomb.yaml")

    assert raised.value.diagnostics[0].code == "yaml-too-large"


def test_non_utf8_files_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("naftiko: caf\xe9\n".encode("latin-1"))

    with pytest.raises(SpecError) as raised:
        load_spec(path)

    assert raised.value.diagnostics[0].code == "not-utf8"


def test_missing_file_is_a_diagnostic_not_a_traceback(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as raised:
        load_spec(tmp_path / "absent.yaml")

    assert raised.value.diagnostics[0].code == "unreadable"


def test_unquoted_dates_become_iso_strings() -> None:
    spec = parse_text("created: 2026-05-19\n", "s.yaml")

    assert spec.data == {"created": "2026-05-19"}
