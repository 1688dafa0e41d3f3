"""``make run``: the IBKR gateway simulator plus the generated web-sessions adapters, ready to try.

Against a real gateway, skip this and run ``web-sessions serve`` with INTERACTIVE_BROKERS_API_KEY,
WEB_SESSIONS_BASE_URI and WEB_SESSIONS_VERIFY_TLS=false (or WEB_SESSIONS_CA_BUNDLE) set.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from tests.support.ibkr_gateway import FakeGateway

DEMO_TOKEN = "demo-token"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gateway-port", type=int, default=5000)
    parser.add_argument("--rest-port", type=int, default=8080)
    parser.add_argument("--mcp-port", type=int, default=9090)
    args = parser.parse_args(argv)
    command = shutil.which("web-sessions", path=str(Path(sys.executable).parent))
    if command is None:
        print("web-sessions is not installed in this environment: run `make run`", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _interrupt)  # stop the adapters too when we are terminated
    with FakeGateway(token=DEMO_TOKEN, port=args.gateway_port) as gateway:
        env = dict(
            os.environ,
            INTERACTIVE_BROKERS_API_KEY=DEMO_TOKEN,
            WEB_SESSIONS_BASE_URI=gateway.base_url,
        )
        server = subprocess.Popen(
            [
                command,
                "serve",
                "--rest-port",
                str(args.rest_port),
                "--mcp-port",
                str(args.mcp_port),
            ],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert server.stdout is not None
        ready = server.stdout.readline()
        if not ready:
            return server.wait()
        urls = dict(part.split("=", 1) for part in ready.split()[2:])
        rest, mcp = urls["rest"], urls["mcp"]
        print(
            f"""
IBKR gateway simulator: {gateway.base_url}  (bearer token {DEMO_TOKEN!r})
web-sessions REST:      {rest}   (OpenAPI: {rest}/openapi.json)
web-sessions MCP:       {mcp}

Try:
  curl -sS -X POST {rest}/v1/iserver/auth/status
  npx -y @modelcontextprotocol/inspector --cli {mcp} --method tools/list
  npx -y @modelcontextprotocol/inspector --cli {mcp} --method tools/call \\
      --tool-name get-authentication-status

Ctrl-C stops everything.""",
            flush=True,
        )
        try:
            return server.wait()
        except KeyboardInterrupt:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=15)
            return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    raise SystemExit(main())
