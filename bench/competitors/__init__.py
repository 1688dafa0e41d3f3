"""What a user could pick instead of ours, each runnable as ``python -m bench.competitors.X``.

Every module serves the seed route (``POST /v1/iserver/auth/status``) or the seed MCP tool,
forwards to ``--upstream`` with the same bearer token, binds port 0 on 127.0.0.1 and prints one
``ready http://127.0.0.1:PORT`` line once it accepts connections.
"""
