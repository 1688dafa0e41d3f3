"""naftiko_gen.writer: atomic replacement, and a diff that names every differing file."""

from __future__ import annotations

from pathlib import Path

import pytest
from naftiko_gen import writer
from naftiko_gen.writer import OutputError, diff_tree, with_manifest, write_tree


def test_rewrite_replaces_the_whole_tree(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tree(out, with_manifest({"a.txt": "1", "pkg/b.py": "2"}, "g", "s.yaml"))

    write_tree(out, with_manifest({"a.txt": "3"}, "g", "s.yaml"))

    assert (out / "a.txt").read_text() == "3"
    assert not (out / "pkg").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_failure_while_writing_leaves_the_previous_output_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    write_tree(out, with_manifest({"a.txt": "old"}, "g", "s.yaml"))

    def boom(new: Path, old: Path) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(writer, "_exchange", boom)
    with pytest.raises(OSError):
        write_tree(out, with_manifest({"a.txt": "new"}, "g", "s.yaml"))

    assert (out / "a.txt").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_paths_cannot_escape_the_output_folder(tmp_path: Path) -> None:
    with pytest.raises(OutputError):
        write_tree(tmp_path / "out", {"../escaped.txt": "x"})

    assert not (tmp_path / "escaped.txt").exists()


def test_diff_names_changed_missing_and_extra(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tree(out, {"same": "1", "changed": "2", "extra": "3"})

    diff = diff_tree(out, {"same": "1", "changed": "X", "missing": "4"})

    assert (diff.changed, diff.missing, diff.extra) == (("changed",), ("missing",), ("extra",))
    assert not diff.clean


def test_caches_left_by_tools_do_not_make_the_tree_stale(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tree(out, {"pkg/a.py": "x = 1\n"})
    for cache in (".mypy_cache/3.11/cache.db", "pkg/__pycache__/a.pyc", "pkg.egg-info/PKG-INFO"):
        (out / cache).parent.mkdir(parents=True, exist_ok=True)
        (out / cache).write_bytes(b"\xca\xfe")

    assert diff_tree(out, {"pkg/a.py": "x = 1\n"}).clean
