"""Where the repository's pieces are, for tests that run from any working directory."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "specs"
GENERATED = ROOT / "generated"
SPEC_FILES = sorted(SPECS.glob("*.yaml"))
