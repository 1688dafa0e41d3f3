"""MCP competitor: ``fastmcp.FastMCP.from_openapi`` serving the seed operation from a
one-operation OpenAPI 3.1 document, stateless with JSON responses like the generated server.

It gets the same uvicorn settings as ours (uvloop + httptools, no access log) and an explicit
httpx2 client carrying the bearer token (what ``from_openapi`` would build itself, plus auth),
so the difference measured is the framework, not the plumbing.
"""

from __future__ import annotations

import os
from typing import Any

os.environ.setdefault("FASTMCP_LOG_LEVEL", "WARNING")
os.environ.setdefault("FASTMCP_SHOW_CLI_BANNER", "false")

# fastmcp reads its settings from the environment when it is imported, hence the order.
import httpx2
from fastmcp import FastMCP

from bench.competitors._serve import UPSTREAM_PATH, auth_headers, options, run_uvicorn

OPERATION_ID = "get-authentication-status"
TOOL = "get_authentication_status"  # fastmcp always slugifies tool names (dashes → underscores)


def openapi_document(upstream: str) -> dict[str, Any]:
    """The seed operation as a user would describe it to FastMCP."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Interactive Brokers Web API — Sessions", "version": "1.0.0"},
        "servers": [{"url": upstream}],
        "paths": {
            UPSTREAM_PATH: {
                "post": {
                    "operationId": OPERATION_ID,
                    "summary": "Get authentication status",
                    "responses": {
                        "200": {
                            "description": "Brokerage session status",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            }
        },
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
    }


def build(upstream: str) -> Any:
    client = httpx2.AsyncClient(base_url=upstream, headers=auth_headers(), timeout=30.0)
    server = FastMCP.from_openapi(openapi_document(upstream), client=client, name="web-sessions")
    return server.http_app(path="/mcp", stateless_http=True, json_response=True)


if __name__ == "__main__":
    run_uvicorn(build(options(__doc__).upstream), tuned=True)
