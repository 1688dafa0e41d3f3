"""Build a package from spec text with this checkout's generator and pip-install it privately."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from naftiko_gen.build import generate
from naftiko_gen.writer import write_tree


def build(spec_text: str, stem: str, workdir: Path) -> Path:
    """Write ``<stem>.yaml`` and generate its package into ``workdir/out``; return that folder."""
    spec = workdir / f"{stem}.yaml"
    spec.write_text(spec_text, encoding="utf-8")
    out = workdir / "out"
    write_tree(out, generate(spec).files)
    return out


def install(package: Path, target: Path) -> Path:
    """pip-install ``package`` into ``target`` (dependencies: the running environment's)."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(package),
        ],
        check=True,
    )
    return target


def build_and_install(spec_text: str, stem: str, workdir: Path) -> Path:
    """Both steps: the package is in ``workdir/out``, installed into ``workdir/site``."""
    return install(build(spec_text, stem, workdir), workdir / "site")
