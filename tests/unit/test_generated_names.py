"""Spec names that collide with what the generated modules define: each gets a suffix, and the
package still type-checks (mypy --strict found every one of these before they were reserved)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml
from naftiko_gen.build import generate
from naftiko_gen.writer import write_tree

COLLIDING = {
    "naftiko": "1.0.0-alpha2",
    "info": {"label": "Collisions"},
    # Settings fields: a bind named FIELD would shadow dataclasses.field, STR the str annotation.
    "binds": [{"namespace": "env", "keys": {"FIELD": "TOKEN", "STR": "OTHER"}}],
    "capability": {
        "consumes": [
            {
                "type": "http",
                "namespace": "a-b",
                "baseUri": "http://127.0.0.1:9",
                "authentication": {"type": "bearer", "token": "{{FIELD}}"},
                "inputParameters": [{"name": "X-S", "in": "header", "value": "{{STR}}"}],
                "resources": [
                    {
                        "name": "r",
                        # An argument named quote_segment would shadow the encoder it is passed to.
                        "path": "/p/{{quote_segment}}",
                        "operations": [
                            {"name": "open", "method": "GET"},  # _Transport.open
                            {"name": "close", "method": "GET"},  # _Transport.close
                        ],
                    }
                ],
            },
            {  # a-b and a_b are both ABClient
                "type": "http",
                "namespace": "a_b",
                "baseUri": "http://127.0.0.1:9",
                "resources": [
                    {"name": "r", "path": "/q", "operations": [{"name": "get", "method": "GET"}]}
                ],
            },
            {  # the Settings field of the MCP allowed hosts
                "type": "http",
                "namespace": "mcp-allowed-hosts",
                "baseUri": "http://127.0.0.1:9",
                "resources": [
                    {"name": "r", "path": "/q", "operations": [{"name": "get", "method": "GET"}]}
                ],
            },
        ],
        "exposes": [
            {
                "type": "rest",
                "namespace": "rest",
                "port": 8080,
                "resources": [
                    {"path": f"/{i}", "operations": [{"method": "GET", "name": name, "call": call}]}
                    for i, (name, call) in enumerate(
                        [
                            ("openapi", "a-b.open"),  # build_app's own /openapi.json handler
                            ("upstreams", "a_b.get"),  # build_app's parameter
                            ("first_problem", "mcp-allowed-hosts.get"),  # imported helper
                            ("invalid_body", "a-b.close"),
                            ("selected", "a-b.open"),
                        ]
                    )
                ],
            },
            {
                "type": "mcp",
                "namespace": "mcp",
                "port": 9090,
                "tools": [{"name": "tool", "description": "d", "call": "a-b.open"}],
            },
        ],
    },
}


def test_colliding_names_get_a_suffix_and_the_package_passes_mypy_strict(tmp_path: Path) -> None:
    spec = tmp_path / "collide.yaml"
    spec.write_text(yaml.safe_dump(COLLIDING), "utf-8")
    generated = generate(spec)
    out = tmp_path / "out"
    write_tree(out, generated.files)

    model = generated.model
    assert [u.class_name for u in model.upstreams] == [
        "ABClient",
        "ABClient_2",
        "McpAllowedHostsClient",
    ]
    assert [u.attr for u in model.upstreams] == ["a_b", "a_b_2", "mcp_allowed_hosts_2"]
    assert sorted(s.field for s in model.secrets) == ["field_2", "str_2"]
    assert [op.method_name for op in model.upstreams[0].operations] == ["open_2", "close_2"]
    assert [p.arg for p in model.upstreams[0].operations[0].params] == ["quote_segment_2"]
    assert model.rest is not None
    assert [op.handler for op in model.rest.operations] == [
        "openapi_2",
        "upstreams_2",
        "first_problem_2",
        "invalid_body_2",
        "selected_2",
    ]
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "-p", "collide"],
        cwd=out,
        env=dict(os.environ, MYPYPATH=str(out)),
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout
