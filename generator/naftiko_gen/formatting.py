"""Format generated Python with black, in-process (no subprocess, no dependence on PATH)."""

from __future__ import annotations

import black
from black.mode import Mode, TargetVersion
from black.parsing import InvalidInput

MODE = Mode(target_versions={TargetVersion.PY311}, line_length=100)


class TemplateBug(Exception):
    """A template produced invalid Python: a bug in naftiko-gen, never in the spec."""


def format_python(path: str, source: str) -> str:
    try:
        return black.format_str(source, mode=MODE)
    except InvalidInput as exc:
        raise TemplateBug(f"{path}: generated code does not parse: {exc}") from exc


def format_files(files: dict[str, str]) -> dict[str, str]:
    return {
        path: format_python(path, text) if path.endswith(".py") else text
        for path, text in files.items()
    }
