"""Located diagnostics: every problem in a spec carries its file, line, column and JSON path."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Location:
    """1-based line and column of a YAML node; (0, 0) when the node has no position (whole file)."""

    file: str
    line: int = 0
    column: int = 0


@dataclass(frozen=True)
class Diagnostic:
    level: Level
    code: str
    message: str
    location: Location
    json_path: str = "$"

    def format(self) -> str:
        """``FILE:LINE:COL: error: message [code] (at $.path)``, as compilers print."""
        where = self.location.file
        if self.location.line:
            where = f"{where}:{self.location.line}:{self.location.column}"
        return f"{where}: {self.level.value}: {self.message} [{self.code}] (at {self.json_path})"


class SpecError(Exception):
    """Raised when a spec cannot be turned into a model; carries every diagnostic found so far."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__("\n".join(d.format() for d in diagnostics))
        self.diagnostics = diagnostics


def json_path(parts: tuple[str | int, ...]) -> str:
    """Render a path tuple the way JSONPath users read it: ``$.capability.exposes[0].tools[1]``."""
    text = "$"
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part.replace("-", "").replace("_", "").isalnum():
            text += f".{part}"
        else:
            text += f"[{part!r}]"
    return text
