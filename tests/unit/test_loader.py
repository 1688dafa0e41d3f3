"""naftiko_gen.loader: YAML in, data plus positions out; anything YAML would hide is an error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
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


# Hostile files load in bounded time and memory: each is loaded in a fresh process that reports
# its wall time and peak RSS (libyaml allocates outside tracemalloc's view, so RSS it is).
_MEASURE = """
import json, resource, sys, time
from pathlib import Path
from naftiko_gen.diagnostics import SpecError
from naftiko_gen.loader import load_spec
started = time.perf_counter()
try:
    load_spec(Path(sys.argv[1]))
    code = "ok"
except SpecError as refused:
    code = refused.diagnostics[0].code
seconds = time.perf_counter() - started
print(json.dumps([code, seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024]))
"""
MIB = 1024 * 1024
TIME_BOUND_SECONDS = 5.0
MEMORY_BOUND_BYTES = 150 * MIB  # over a process that loads a one-line file


def _bomb() -> bytes:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    return ("\n".join(lines) + "\n").encode()


HOSTILE_FILES: dict[str, tuple[Callable[[], bytes], str]] = {
    "alias-bomb": (_bomb, "yaml-too-large"),
    "16-MiB-of-small-values": (lambda: b"a:\n" + b"- 1\n" * (4 * MIB - 1), "yaml-too-large"),
    "16-MiB-flow-list": (lambda: b"a: [" + b"1," * (8 * MIB - 4) + b"1]\n", "yaml-too-large"),
    "over-16-MiB": (lambda: b"a: " + b"x" * (16 * MIB), "file-too-large"),
    "nested-100k-deep": (lambda: b"a: " + b"[" * 100_000 + b"]" * 100_000, "yaml"),
    "nested-300-deep": (lambda: b"a: " + b"[" * 300 + b"]" * 300, "yaml-too-deep"),
    "binary": (lambda: bytes(range(256)) * 4096, "not-utf8"),
    "nul-bytes": (lambda: b"a: 1\x00\n" * 100_000, "binary"),
    "empty": (lambda: b"", "empty"),
    "100k-duplicate-keys": (lambda: b"a: 1\n" * 100_000, "duplicate-key"),
    "not-utf8": (lambda: "naftiko: caf\xe9\n".encode("latin-1") * 100_000, "not-utf8"),
}


def _measure(path: Path) -> tuple[str, float, int]:
    finished = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path)],
        capture_output=True,
        text=True,
        check=True,
        env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)),
    )
    code, seconds, rss = json.loads(finished.stdout)
    return str(code), float(seconds), int(rss)


@pytest.fixture(scope="module")
def baseline_rss(tmp_path_factory: pytest.TempPathFactory) -> int:
    tiny = tmp_path_factory.mktemp("tiny") / "tiny.yaml"
    tiny.write_text("a: 1\n")
    return _measure(tiny)[2]


@pytest.mark.parametrize("case", sorted(HOSTILE_FILES))
def test_hostile_files_are_refused_in_bounded_time_and_memory(
    case: str, tmp_path: Path, baseline_rss: int
) -> None:
    make, expected = HOSTILE_FILES[case]
    path = tmp_path / f"{case}.yaml"
    path.write_bytes(make())

    code, seconds, rss = _measure(path)

    assert code == expected
    assert seconds < TIME_BOUND_SECONDS
    assert rss - baseline_rss < MEMORY_BOUND_BYTES, f"{(rss - baseline_rss) / MIB:.0f} MiB"
