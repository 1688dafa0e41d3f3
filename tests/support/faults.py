"""A generated package in front of :class:`~tests.support.faulty_upstream.FaultyUpstream`: the
same consumed API under three namespaces, so one server shows retries off (``plain``, the
default), retries on (``retrying``, ``RETRYING_RETRIES=2``) and a host name that does not
resolve (``named``), and one that refuses connections (``refused``)."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

import yaml

from tests.integration.conftest import package_env

TOKEN = "faults-secret-7c41e9"
NAMESPACES = ("plain", "retrying", "named", "refused")


def _consumed(namespace: str) -> dict[str, Any]:
    params = [{"name": "mode", "in": "path", "required": True}, {"name": "key", "in": "query"}]
    params.append({"name": "n", "in": "query", "type": "integer"})
    return {
        "type": "http",
        "namespace": namespace,
        "baseUri": "http://127.0.0.1:9",
        "authentication": {"type": "bearer", "token": "{{FAULTS_TOKEN}}"},
        "resources": [
            {
                "name": "fault",
                "path": "/fault/{mode}",
                "operations": [
                    {"name": "get-fault", "method": "GET", "inputParameters": params},
                    {"name": "post-fault", "method": "POST", "inputParameters": params},
                ],
            }
        ],
    }


SPEC = yaml.safe_dump(
    {
        "naftiko": "1.0.0-alpha2",
        "info": {"label": "Faults"},
        "binds": [{"namespace": "env", "keys": {"FAULTS_TOKEN": "FAULTS_TOKEN"}}],
        "capability": {
            "consumes": [_consumed(ns) for ns in NAMESPACES],
            "exposes": [
                {
                    "type": "rest",
                    "namespace": "faults-rest",
                    "port": 8080,
                    "resources": [
                        {
                            "path": f"/{ns}/{{mode}}",
                            "operations": [
                                {"method": "GET", "name": f"{ns}-get", "call": f"{ns}.get-fault"},
                                {
                                    "method": "POST",
                                    "name": f"{ns}-post",
                                    "call": f"{ns}.post-fault",
                                },
                            ],
                        }
                        for ns in NAMESPACES
                    ],
                },
                {
                    "type": "mcp",
                    "namespace": "faults-mcp",
                    "port": 9090,
                    "tools": [
                        {"name": f"{ns}-get", "description": "d", "call": f"{ns}.get-fault"}
                        for ns in NAMESPACES
                    ],
                },
            ],
        },
    }
)

# Host names never reach a resolver: aiohttp's resolver fails as a DNS failure would
# (the sandbox only talks to loopback, so no real query is ever sent).
NO_DNS = """\
import socket

import aiohttp.resolver


async def _no_such_host(self, host, port=0, family=socket.AF_INET):
    raise OSError(socket.EAI_NONAME, f"Name or service not known: {host}")


aiohttp.resolver.ThreadedResolver.resolve = _no_such_host
"""


def closed_port() -> int:
    """A port nothing listens on: bound once to get a free number, then released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def faults_env(site: Path, workdir: Path, upstream_url: str, **extra: str) -> dict[str, str]:
    """Environment for the faults package: resolver patched, timeouts short, retries on one."""
    patches = workdir / "no-dns"
    patches.mkdir(exist_ok=True)
    (patches / "sitecustomize.py").write_text(NO_DNS, "utf-8")
    env = package_env(
        site,
        FAULTS_TOKEN=TOKEN,
        PLAIN_BASE_URI=upstream_url,
        RETRYING_BASE_URI=upstream_url,
        NAMED_BASE_URI="http://upstream.no-such-host.test:1",
        REFUSED_BASE_URI=f"http://127.0.0.1:{closed_port()}",
        PLAIN_TIMEOUT="1",
        RETRYING_TIMEOUT="1",
        RETRYING_RETRIES="2",
        **extra,
    )
    env["PYTHONPATH"] = os.pathsep.join([str(patches), env["PYTHONPATH"]])
    return env
