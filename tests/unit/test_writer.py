"""naftiko_gen.writer: atomic replacement, and a diff that names every differing file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from naftiko_gen import writer
from naftiko_gen.build import default_output
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


def test_a_failure_after_some_files_are_staged_leaves_the_previous_output_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    old = with_manifest({"pkg/a.py": "old a", "pkg/b.py": "old b"}, "g", "s.yaml")
    write_tree(out, old)
    synced: list[int] = []

    def fsync_then_fail(fd: int) -> None:
        synced.append(fd)
        if len(synced) == 2:
            raise OSError("disk full")

    monkeypatch.setattr(writer.os, "fsync", fsync_then_fail)
    with pytest.raises(OSError):
        write_tree(out, with_manifest({"pkg/a.py": "new a", "pkg/b.py": "new b"}, "g", "s.yaml"))

    assert diff_tree(out, old).clean
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


# A build killed with SIGKILL half-way through staging: no cleanup code runs at all.
_KILLED_BUILD = """
import os, signal, sys
from pathlib import Path
from naftiko_gen import writer

written = []
def fsync_then_die(fd):
    written.append(fd)
    if len(written) == 3:
        os.kill(os.getpid(), signal.SIGKILL)

writer.os.fsync = fsync_then_die
files = {f"pkg/m{i}.py": "new\\n" for i in range(10)}
writer.write_tree(Path(sys.argv[1]), writer.with_manifest(files, "g", "s.yaml"))
"""


def test_a_build_killed_mid_write_leaves_the_previous_output_intact(tmp_path: Path) -> None:
    out = tmp_path / "out"
    old = with_manifest({f"pkg/m{i}.py": "old\n" for i in range(5)}, "g", "s.yaml")
    write_tree(out, old)

    killed = subprocess.run(
        [sys.executable, "-c", _KILLED_BUILD, str(out)],
        env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)),
        capture_output=True,
    )

    assert killed.returncode == -signal.SIGKILL
    assert diff_tree(out, old).clean
    assert writer.edited_by_hand(out) == []
    # The half-written staging folder stays beside the output (nothing runs after SIGKILL); the
    # next build removes it, because the process that wrote it is gone.
    assert len(list(tmp_path.glob(".out.*.tmp"))) == 1
    write_tree(out, with_manifest({"pkg/m0.py": "rebuilt\n"}, "g", "s.yaml"))
    assert (out / "pkg" / "m0.py").read_text() == "rebuilt\n"
    assert list(tmp_path.glob(".out.*.tmp")) == []


def test_a_staging_folder_of_a_build_still_running_is_left_alone(tmp_path: Path) -> None:
    out = tmp_path / "out"
    running = tmp_path / f".out.{os.getpid()}.abc.tmp"
    running.mkdir()

    write_tree(out, with_manifest({"pkg/a.py": "a\n"}, "g", "s.yaml"))

    assert running.is_dir()


@pytest.mark.parametrize(
    "stem", ["..", "...", "..%2F..%2Fetc", "-rf", "\u2028x", "../x", "/abs", "a/../../b"]
)
def test_output_folders_from_spec_names_stay_inside_the_output_root(
    tmp_path: Path, stem: str
) -> None:
    root = tmp_path / "generated"

    target = default_output(Path(f"{stem}.yaml"), root).resolve()

    assert target.parent == root.resolve()
    assert target.name.isidentifier()


@pytest.mark.parametrize("path", ["../escaped.txt", "/tmp/escaped.txt", "pkg/../../escaped.txt"])
def test_file_paths_in_a_tree_cannot_escape_the_output_folder(tmp_path: Path, path: str) -> None:
    out = tmp_path / "out"
    write_tree(out, with_manifest({"a.txt": "old"}, "g", "s.yaml"))

    with pytest.raises(OutputError):
        write_tree(out, {"a.txt": "new", path: "x"})

    assert (out / "a.txt").read_text() == "old"
    assert not (tmp_path / "escaped.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
