"""naftiko-gen: turn Naftiko capability specs into typed, self-contained REST + MCP packages."""

__version__ = "0.1.0"
