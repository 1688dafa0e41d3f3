"""The ``control`` exposes adapter: the management plane on its own port (semantics §5.2).

Generated: ``GET /health/live`` and ``/health/ready`` (``management.health``, default on),
``GET /status`` (``management.info``, default off, as in the engine), ``GET``/``PUT /scripting``
(``management.scripting``: script-step limits, changed at run time) and Prometheus
``GET /metrics`` (``observability.enabled`` and ``observability.metrics.local.enabled``, default
on). Request and upstream metrics are collected by the REST and MCP adapters and the upstream
client only when ``/metrics`` is served. Inbound ``authentication`` protects ``/status`` and
``/metrics``; health stays open for probes.

What the engine declares but this generator does not produce is a located warning with its own
code, never silently dropped: the declared-only ``reload``/``validate``/
``logs`` endpoints, and tracing (``/traces``, sampling, propagation, OTLP exporters).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from naftiko_gen.inbound_auth import InboundAuth, inbound_auth
from naftiko_gen.loader import PathKey

DEFAULT_PORT = 9190
# Paths a probe reads without credentials when the control port is authenticated.
OPEN_PATHS = ("/healthz", "/health/live", "/health/ready")


@dataclass(frozen=True)
class ControlAdapter:
    port: int
    health: bool
    info: bool
    metrics: bool
    # ``GET``/``PUT /scripting``: script-step governance (read in :mod:`naftiko_gen.script_steps`).
    scripting: bool
    spec_version: str
    auth: InboundAuth | None = None
    namespace: str = "control"

    @property
    def open_paths(self) -> tuple[str, ...]:
        return OPEN_PATHS


class Reporter(Protocol):
    def error(self, code: str, message: str, path: PathKey) -> None: ...

    def warning(self, code: str, message: str, path: PathKey) -> None: ...

    def secret_expr(self, template: str, where: PathKey) -> str | None: ...


def control_adapter(
    report: Reporter, adapter: dict[str, Any], where: PathKey, spec_version: str
) -> ControlAdapter:
    management = _mapping(adapter.get("management"))
    observability = _mapping(adapter.get("observability"))
    for endpoint in ("reload", "validate", "logs"):
        if management.get(endpoint):
            report.warning(
                "unsupported-control-endpoint",
                f"management.{endpoint} is declared by the schema but implemented neither by the "
                "engine nor by naftiko-gen; it is left out",
                (*where, "management", endpoint),
            )
    enabled = observability.get("enabled", True) is not False
    if enabled:
        for key in ("traces", "exporters"):
            if key in observability:
                report.warning(
                    "unsupported-control-tracing",
                    f"observability.{key} (OpenTelemetry tracing: /traces, sampling, "
                    "propagation, OTLP export) is not generated; /metrics is served, traces are "
                    "not",
                    (*where, "observability", key),
                )
    local = _mapping(_mapping(observability.get("metrics")).get("local"))
    return ControlAdapter(
        port=_port(adapter.get("port")),
        health=management.get("health", True) is not False,
        info=management.get("info", False) is True,
        metrics=enabled and local.get("enabled", True) is not False,
        scripting=isinstance(management.get("scripting"), dict),
        spec_version=spec_version,
        auth=inbound_auth(report, adapter, where),
    )


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _port(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else DEFAULT_PORT
