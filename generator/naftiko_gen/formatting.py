"""Format generated Python with black, in-process (no subprocess, no dependence on PATH).

black formats about 2,000 lines a second; a spec with hundreds of operations produces tens of
thousands of lines, so big outputs are formatted one file per core.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor

import black
from black.mode import Mode, TargetVersion
from black.parsing import InvalidInput

MODE = Mode(target_versions={TargetVersion.PY311}, line_length=100)
PARALLEL_FROM_LINES = 4_000


class TemplateBug(Exception):
    """A template produced invalid Python: a bug in naftiko-gen, never in the spec."""


def format_python(path: str, source: str) -> str:
    try:
        return black.format_str(source, mode=MODE)
    except InvalidInput as exc:
        raise TemplateBug(f"{path}: generated code does not parse: {exc}") from exc


def _format_item(item: tuple[str, str]) -> str:
    return format_python(*item)


def format_files(files: dict[str, str]) -> dict[str, str]:
    python = {path: text for path, text in files.items() if path.endswith(".py")}
    lines = sum(text.count("\n") for text in python.values())
    cores = min(os.cpu_count() or 1, len(python))
    if lines < PARALLEL_FROM_LINES or cores < 2:
        formatted = {path: format_python(path, text) for path, text in python.items()}
    else:
        # Largest first so the long files do not end up queued behind the short ones.
        order = sorted(python.items(), key=lambda item: -len(item[1]))
        with ProcessPoolExecutor(max_workers=cores) as pool:
            results = pool.map(_format_item, order)
            formatted = {path: text for (path, _), text in zip(order, results, strict=True)}
    return {path: formatted.get(path, text) for path, text in files.items()}
