"""Fixtures for the interop tests: tools nobody here wrote, run against generated servers.

Every module here is marked ``interop``; ``make test`` deselects the marker (pyproject addopts)
and ``make interop`` selects it. The Node tools are pinned by ``package-lock.json`` beside this
file and installed into ``.interop/`` (``tests/support/node_tools.py``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import TOKEN, installed, package_env
from tests.support.conformance_upstream import ConformanceUpstream
from tests.support.ibkr_gateway import FakeGateway
from tests.support.node_tools import TOOLS_DIR, NodeTools, ensure
from tests.support.served import Served, serve

__all__ = ["installed"]  # re-exported fixture: pip-installs every package under generated/

CONFORMANCE_COMMAND = "conformance-tools"
SESSIONS_COMMAND = "web-sessions"
MEASURED = TOOLS_DIR / "last-run.json"


@pytest.fixture(scope="session")
def node_tools() -> NodeTools:
    """Install (or reuse) the pinned conformance suite, Inspector and Node 22."""
    return ensure()


@pytest.fixture(scope="session")
def measured() -> Iterator[dict[str, Any]]:
    """Numbers the tests measured (scenarios, calls, cases), written to .interop/last-run.json
    at the end of the session; ``make interop`` prints them and docs/interop.md quotes them."""
    numbers: dict[str, Any] = {}
    yield numbers
    MEASURED.parent.mkdir(parents=True, exist_ok=True)
    MEASURED.write_text(json.dumps(numbers, indent=2, sort_keys=True) + "\n", "utf-8")


@pytest.fixture(scope="session")
def node_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment for Node tools: a private HOME, since the Inspector writes ~/.mcp-inspector."""
    env = dict(os.environ)
    env["HOME"] = str(tmp_path_factory.mktemp("node-home"))
    env["NO_COLOR"] = "1"
    return env


@pytest.fixture(scope="module")
def upstream() -> Iterator[ConformanceUpstream]:
    with ConformanceUpstream() as running:
        yield running


@pytest.fixture(scope="module")
def gateway() -> Iterator[FakeGateway]:
    with FakeGateway(token=TOKEN) as running:
        yield running


def conformance_env(installed: Path, upstream: ConformanceUpstream) -> dict[str, str]:
    return package_env(installed, CONFORMANCE_TOOLS_BASE_URI=upstream.base_url)


def sessions_env(installed: Path, gateway: FakeGateway) -> dict[str, str]:
    return package_env(
        installed, INTERACTIVE_BROKERS_API_KEY=TOKEN, WEB_SESSIONS_BASE_URI=gateway.base_url
    )


@pytest.fixture(scope="module")
def conformance_served(
    installed: Path, upstream: ConformanceUpstream, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """``conformance-tools serve`` (REST + MCP on free ports) in front of the fixture upstream."""
    workdir = tmp_path_factory.mktemp(CONFORMANCE_COMMAND)
    env = conformance_env(installed, upstream)
    command = installed / "bin" / CONFORMANCE_COMMAND
    with serve(command, env, workdir, "--rest-port", "0", "--mcp-port", "0") as served:
        yield served


@pytest.fixture(scope="module")
def sessions_served(
    installed: Path, gateway: FakeGateway, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """``web-sessions serve`` in front of the fake IBKR gateway."""
    workdir = tmp_path_factory.mktemp(SESSIONS_COMMAND)
    env = sessions_env(installed, gateway)
    command = installed / "bin" / SESSIONS_COMMAND
    with serve(command, env, workdir, "--rest-port", "0", "--mcp-port", "0") as served:
        yield served


def localhost(url: str) -> str:
    """The conformance suite's DNS-rebinding scenario needs a ``localhost`` URL."""
    return url.replace("://127.0.0.1:", "://localhost:", 1)
