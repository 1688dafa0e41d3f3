"""Write a generated tree atomically, and compare a tree on disk with a fresh build.

The new tree is written beside the target and swapped in with one ``renameat2(RENAME_EXCHANGE)``
where Linux offers it (two renames elsewhere), so a failed or killed build leaves the previous
output untouched. A manifest of hashes lets a rebuild notice files edited by hand.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

MANIFEST = ".naftiko-gen-manifest.json"


class OutputError(Exception):
    """The output folder cannot be written safely; nothing was changed."""


@dataclass(frozen=True)
class TreeDiff:
    changed: tuple[str, ...]
    missing: tuple[str, ...]
    extra: tuple[str, ...]

    @property
    def clean(self) -> bool:
        return not (self.changed or self.missing or self.extra)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def with_manifest(files: dict[str, str], generator: str, spec: str) -> dict[str, str]:
    manifest = {
        "generator": generator,
        "spec": spec,
        "files": {path: sha256(text) for path, text in sorted(files.items())},
    }
    return {**files, MANIFEST: json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"}


def edited_by_hand(out: Path) -> list[str]:
    """Files whose content no longer matches the manifest written by the last build."""
    try:
        manifest = json.loads((out / MANIFEST).read_text("utf-8"))
        recorded: dict[str, str] = manifest["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    edited = []
    for path, digest in sorted(recorded.items()):
        target = out / path
        try:
            current = target.read_text("utf-8")
        except FileNotFoundError:
            continue
        except (OSError, UnicodeDecodeError):
            edited.append(path)
            continue
        if sha256(current) != digest:
            edited.append(path)
    return edited


def write_tree(out: Path, files: dict[str, str], *, force: bool = False) -> None:
    """Replace ``out`` with exactly ``files``; refuse to clobber a folder we did not write."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out} exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not force:
        if not (out / MANIFEST).is_file():
            raise OutputError(
                f"{out} is not empty and was not written by naftiko-gen; "
                "choose another -o or pass --force"
            )
        edited = edited_by_hand(out)
        if edited:
            raise OutputError(
                f"{out}: edited by hand since the last build: {', '.join(edited)}; "
                "pass --force to overwrite"
            )
    out.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale_staging(out)
    staging = Path(
        tempfile.mkdtemp(prefix=f".{out.name}.{os.getpid()}.", suffix=".tmp", dir=out.parent)
    )
    try:
        for relative, text in files.items():
            target = (staging / relative).resolve()
            if staging.resolve() not in target.parents:
                raise OutputError(f"refusing to write outside the output folder: {relative}")
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
        staging.chmod(0o755)
        if out.exists():
            _exchange(staging, out)
        else:
            os.rename(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def sweep_stale_staging(out: Path) -> list[Path]:
    """Remove staging folders that a killed build of ``out`` left behind (``.<name>.<pid>.*.tmp``
    whose process is gone); a build still running keeps its own. Returns what was removed."""
    removed = []
    for candidate in out.parent.glob(f".{out.name}.*.tmp"):
        pid_text = candidate.name[len(out.name) + 2 :].split(".", 1)[0]
        if candidate.is_dir() and pid_text.isdigit() and not _alive(int(pid_text)):
            shutil.rmtree(candidate, ignore_errors=True)
            removed.append(candidate)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _exchange(new: Path, old: Path) -> None:
    """Swap two directories atomically (Linux ``renameat2``), else via a short-lived backup."""
    if _renameat2_exchange(new, old):
        return
    backup = old.with_name(f".{old.name}.old")
    shutil.rmtree(backup, ignore_errors=True)
    os.rename(old, backup)
    os.rename(new, old)
    shutil.rmtree(backup, ignore_errors=True)


def _renameat2_exchange(a: Path, b: Path) -> bool:
    if not hasattr(os, "uname") or os.uname().sysname != "Linux":
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return bool(result == 0)


TOOL_LEFTOVERS = frozenset({"__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache", "build"})


def is_output_file(path: Path, root: Path) -> bool:
    """Files a build owns below ``root``; caches that linters, tests and pip leave are not."""
    return path.is_file() and not any(
        part in TOOL_LEFTOVERS or part.endswith(".egg-info")
        for part in path.relative_to(root).parts
    )


def diff_tree(out: Path, files: dict[str, str]) -> TreeDiff:
    """What differs between ``out`` on disk and ``files``."""
    on_disk: set[str] = set()
    if out.is_dir():
        on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*") if is_output_file(p, out)}
    changed = []
    for path, text in sorted(files.items()):
        if path not in on_disk:
            continue
        try:
            current = (out / path).read_text("utf-8")
        except (OSError, UnicodeDecodeError):
            changed.append(path)
            continue
        if current != text:
            changed.append(path)
    return TreeDiff(
        changed=tuple(changed),
        missing=tuple(sorted(set(files) - on_disk)),
        extra=tuple(sorted(on_disk - set(files))),
    )
