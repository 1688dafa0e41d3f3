"""The package's catalogue: MCP tool definitions and REST input schemas, as JSON data.

Definitions are data, not code: keeping them in ``catalog.json`` (loaded once at start-up) keeps
the generated modules short even for specs with hundreds of operations, and JSON is the escaping
path for everything in it.
"""

from __future__ import annotations

from typing import Any

from naftiko_gen.model import Capability, McpTool


def catalog_document(model: Capability) -> dict[str, Any]:
    document: dict[str, Any] = {}
    if model.rest is not None:
        document["rest_inputs"] = {
            op.handler: op.input_schema for op in model.rest.operations if op.inputs
        }
    if model.mcp is not None:
        document["tools"] = [_tool(tool) for tool in model.mcp.tools]
    if model.mcp_stdio is not None:
        document["stdio_tools"] = [_tool(tool) for tool in model.mcp_stdio.tools]
    return document


def _tool(tool: McpTool) -> dict[str, Any]:
    """A tool exactly as ``tools/list`` sends it (MCP wire spelling)."""
    wire: dict[str, Any] = {"name": tool.name}
    if tool.title:
        wire["title"] = tool.title
    wire["description"] = tool.description
    wire["inputSchema"] = tool.input_schema
    if tool.output_schema:
        wire["outputSchema"] = tool.output_schema
    # The engine publishes the label twice: as the title and as annotations.title (§4.4).
    annotations = {"title": tool.title, **tool.annotations} if tool.title else tool.annotations
    if annotations:
        wire["annotations"] = annotations
    return wire
