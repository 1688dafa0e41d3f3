"""Fixtures that install the committed generated packages and run them against the fake gateway."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.ibkr_gateway import FakeGateway
from tests.support.paths import GENERATED

TOKEN = "test-token-4f1d9a"


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pip-install every package under generated/ into a private target (deps: the venv's)."""
    target = tmp_path_factory.mktemp("site")
    packages = sorted(str(p) for p in GENERATED.iterdir() if (p / "pyproject.toml").is_file())
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
            *packages,
        ],
        check=True,
    )
    return target


@pytest.fixture(scope="module")
def gateway() -> Iterator[FakeGateway]:
    with FakeGateway(token=TOKEN) as running:
        yield running


@pytest.fixture(autouse=True)
def _fresh_gateway(request: pytest.FixtureRequest) -> None:
    if "gateway" in request.fixturenames:
        gateway: FakeGateway = request.getfixturevalue("gateway")
        gateway.clear()
        gateway.state = "authenticated"
        gateway.delay_seconds = 0.0


def package_env(installed: Path, **extra: str) -> dict[str, str]:
    """A clean environment for a generated server: nothing from the developer's shell leaks in."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.endswith(("_BASE_URI", "_API_KEY", "_VERIFY_TLS", "_CA_BUNDLE", "_TIMEOUT"))
    }
    env["PYTHONPATH"] = str(installed)
    env.update(extra)
    return env
