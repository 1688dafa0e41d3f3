"""Generate a package from spec text written by a test and pip-install it into a private target."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from naftiko_gen.build import generate
from naftiko_gen.writer import write_tree


def build_and_install(spec_text: str, name: str, workdir: Path) -> Path:
    """Write ``<name>.yaml``, build it, install it; return the install target (``bin/<name>``)."""
    spec = workdir / f"{name}.yaml"
    spec.write_text(spec_text, encoding="utf-8")
    generated = generate(spec)
    package_dir = workdir / "generated" / name
    write_tree(package_dir, generated.files)
    target = workdir / "site"
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
            str(package_dir),
        ],
        check=True,
    )
    return target
