"""Call an MCP tool of a served package and read what its upstream received for the call."""

from __future__ import annotations

from typing import Any

from mcp import Client

from tests.support.recording_upstream import Received, RecordingUpstream
from tests.support.served import Served


async def received_for(
    served: Served, upstream: RecordingUpstream, name: str, arguments: dict[str, Any]
) -> Received:
    """Call a tool (it must succeed); what the upstream received for it."""
    async with Client(served.mcp) as client:
        result = await client.call_tool(name, arguments)
    assert not result.is_error, result
    return upstream.last
