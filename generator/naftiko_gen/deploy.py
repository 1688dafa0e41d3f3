"""How a generated package runs in a container and on Kubernetes, computed from the model.

The Dockerfile and ``deploy/k8s/*.yaml`` templates only lay this plan out. Every name here is
derived from the distribution name (``[a-z0-9-]``, starting with a letter) and the model's ports,
so the templates never see free spec text except through the escaping filters of
:mod:`naftiko_gen.render`. Secrets are referenced by name (``secretKeyRef``, a Secret volume for
bind files), never given a value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from naftiko_gen import naming
from naftiko_gen.model import Capability

# Kubernetes object names that must be DNS-1035 labels (a Service) hold at most 63 characters;
# the longest suffix added here is "-bind-files".
MAX_NAME = 63 - len("-bind-files")
UID = 10001
HEALTH_PATH = "/healthz"
_SECRET_KEY = re.compile(r"[^-._a-zA-Z0-9]")
_IMAGE_TAG = re.compile(r"[^A-Za-z0-9_.-]")
URL_PATHS = {"rest": "", "mcp": "/mcp", "skill": "/skills", "control": "/health/live"}


@dataclass(frozen=True)
class Listener:
    """One HTTP listener of ``serve``: an adapter kind, its default port and its flag."""

    kind: str
    port: int

    @property
    def flag(self) -> str:
        return f"--{self.kind}-port"

    @property
    def url_path(self) -> str:
        return URL_PATHS[self.kind]


@dataclass(frozen=True)
class SecretEnv:
    """An environment variable filled from key ``key`` of the package's Secret."""

    env_var: str
    key: str


@dataclass(frozen=True)
class BindFileMount:
    """A bind with ``location``: its file is key ``key`` of the bind-files Secret, mounted at
    ``mount_dir``; ``override_env`` points the package at it."""

    volume: str
    key: str
    mount_dir: str
    file_name: str
    override_env: str
    variables: tuple[str, ...]

    @property
    def path(self) -> str:
        return f"{self.mount_dir}/{self.file_name}"


@dataclass(frozen=True)
class DeployPlan:
    name: str
    tag: str
    listeners: tuple[Listener, ...]
    secret_name: str
    secret_env: tuple[SecretEnv, ...]
    bind_files_secret: str
    bind_files: tuple[BindFileMount, ...]
    config_map: str
    allowed_hosts_env: str | None
    allowed_hosts: str | None
    serve_command: tuple[str, ...]
    healthcheck_command: tuple[str, ...]
    uid: int = UID
    health_path: str = HEALTH_PATH

    @property
    def image(self) -> str:
        return f"{self.name}:{self.tag}"

    @property
    def probe(self) -> Listener:
        """Kubernetes allows one probe of each kind per container: the first listener answers it
        (every listener of the process serves ``/healthz``)."""
        return self.listeners[0]


def deploy_plan(model: Capability) -> DeployPlan:
    name = model.dist_name[:MAX_NAME].rstrip("-")
    listeners = tuple(_listeners(model))
    command = [model.dist_name, "serve", "--host", "0.0.0.0"]
    for listener in listeners:
        command += [listener.flag, str(listener.port)]
    probe_url = f"http://127.0.0.1:{listeners[0].port}{HEALTH_PATH}"
    check = f"import urllib.request; urllib.request.urlopen({probe_url!r}, timeout=4)"
    allowed_env = f"{model.settings_prefix}_MCP_ALLOWED_HOSTS" if model.mcp else None
    return DeployPlan(
        name=name,
        tag=_IMAGE_TAG.sub("-", model.version).lstrip(".-")[:128] or "latest",
        listeners=listeners,
        secret_name=f"{name}-secrets",
        secret_env=tuple(
            SecretEnv(s.env_var, secret_key(s.env_var)) for s in model.secrets if not s.bind_file
        ),
        bind_files_secret=f"{name}-bind-files",
        bind_files=_bind_files(model, name),
        config_map=f"{name}-config",
        allowed_hosts_env=allowed_env,
        allowed_hosts=_service_hosts(name) if model.mcp else None,
        serve_command=tuple(command),
        healthcheck_command=("python", "-c", check),
    )


def secret_key(env_var: str) -> str:
    """A Secret key (``[-._a-zA-Z0-9]+``) for an environment variable name."""
    return _SECRET_KEY.sub("_", env_var) or "_"


def _listeners(model: Capability) -> list[Listener]:
    ports = {
        "rest": model.rest.port if model.rest else None,
        "mcp": model.mcp.port if model.mcp else None,
        "skill": model.skill.port if model.skill else None,
        "control": model.control.port if model.control else None,
    }
    return [
        Listener(kind, port) for kind in model.adapter_kinds if (port := ports[kind]) is not None
    ]


def _bind_files(model: Capability, name: str) -> tuple[BindFileMount, ...]:
    grouped: dict[str, list[str]] = {}
    files: dict[str, str] = {}
    for secret in model.secrets:
        if secret.bind_file and secret.bind_file_override:
            grouped.setdefault(secret.bind_file_override, []).append(secret.env_var)
            files[secret.bind_file_override] = secret.bind_file
    mounts = []
    taken: set[str] = set()
    for override, variables in sorted(grouped.items()):
        slug = naming.unique(
            re.sub(r"[^a-z0-9]+", "-", override.removesuffix("_BIND_FILE").lower()).strip("-")
            or "binds",
            taken,
        ).replace("_", "-")
        file_name = secret_key(files[override].rsplit("/", 1)[-1])
        mounts.append(
            BindFileMount(
                volume=f"bind-{slug}"[:63].rstrip("-"),
                key=f"{slug}-{file_name}",
                mount_dir=f"/etc/{name}/{slug}",
                file_name=file_name,
                override_env=override,
                variables=tuple(variables),
            )
        )
    return tuple(mounts)


def _service_hosts(name: str) -> str:
    """``Host`` values a client inside the cluster sends through the Service (any port);
    ``$(POD_NAMESPACE)`` is expanded by Kubernetes from the pod's namespace."""
    names = [
        name,
        f"{name}.$(POD_NAMESPACE)",
        f"{name}.$(POD_NAMESPACE).svc",
        f"{name}.$(POD_NAMESPACE).svc.cluster.local",
    ]
    return ",".join(f"{host}:*" for host in names)
