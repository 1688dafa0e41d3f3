"""Located diagnostics: every problem in a spec carries its file, line, column and JSON path."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from naftiko_gen.codes import hint_for


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
    hint: str = field(default="")

    def __post_init__(self) -> None:
        if not self.hint:
            object.__setattr__(self, "hint", hint_for(self.code))

    def format(self) -> str:
        """``FILE:LINE:COL: error[CODE]: message (at $.path)`` as compilers print it, then the fix
        on an indented ``hint:`` line so the first line stays one grep-able record."""
        where = self.location.file
        if self.location.line:
            where = f"{where}:{self.location.line}:{self.location.column}"
        head = f"{where}: {self.level.value}[{self.code}]: {self.message} (at {self.json_path})"
        return f"{head}\n    hint: {self.hint}" if self.hint else head

    def to_json(self) -> dict[str, Any]:
        """The record ``--format json`` prints: the same fields, nothing formatted away."""
        return {
            "file": self.location.file,
            "line": self.location.line,
            "column": self.location.column,
            "level": self.level.value,
            "code": self.code,
            "message": self.message,
            "path": self.json_path,
            "hint": self.hint,
        }


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
