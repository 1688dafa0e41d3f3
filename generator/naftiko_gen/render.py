"""Render the generated package's files from the model: templates only lay text out."""

from __future__ import annotations

import json
import shlex
from dataclasses import replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from naftiko_gen.catalog import catalog_document
from naftiko_gen.deploy import deploy_plan
from naftiko_gen.examples import rest_examples
from naftiko_gen.mcp_extras import prompts_document, resources_document
from naftiko_gen.model import Capability
from naftiko_gen.pyliteral import comment_text, docstring_text, py
from naftiko_gen.skills import skills_document

PACKAGE_TEMPLATES = {
    "__init__.py": "pkg/__init__.py.j2",
    "__main__.py": "pkg/__main__.py.j2",
    "cli.py": "pkg/cli.py.j2",
    "settings.py": "pkg/settings.py.j2",
    "upstream.py": "pkg/upstream.py.j2",
    "inputs.py": "pkg/inputs.py.j2",
}

# Container and Kubernetes files, beside pyproject.toml (the Docker build context is the package).
DEPLOY_TEMPLATES = {
    "Dockerfile": "Dockerfile.j2",
    ".dockerignore": "dockerignore.j2",
    "deploy/k8s/deployment.yaml": "deploy/k8s/deployment.yaml.j2",
    "deploy/k8s/service.yaml": "deploy/k8s/service.yaml.j2",
    "deploy/k8s/hpa.yaml": "deploy/k8s/hpa.yaml.j2",
}


def templates_dir() -> Path:
    """Templates ship inside the wheel; in a source checkout they live at the repository root."""
    installed = resources.files("naftiko_gen").joinpath("templates")
    if installed.is_dir():
        return Path(str(installed))
    return Path(__file__).resolve().parents[2] / "templates"


def toml_string(value: object) -> str:
    """A TOML basic string: quotes, backslashes and every control character escaped."""
    out = []
    for ch in str(value):
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def markdown_text(value: object) -> str:
    """Spec text for a Markdown table cell or code span: one line, no pipes, backticks, HTML."""
    text = comment_text(str(value))
    return text.replace("|", "\\|").replace("`", "'").replace("<", "&lt;").replace(">", "&gt;")


def yaml_string(value: object) -> str:
    """A YAML double-quoted scalar (the same text in YAML 1.1 and 1.2): quotes, backslashes and
    every character YAML does not allow raw (controls, C1, surrogates, BOM) escaped."""
    out = []
    for ch in str(value):
        code = ord(ch)
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch.isprintable() and not 0xD800 <= code <= 0xDFFF and code != 0xFEFF:
            out.append(ch)
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return '"' + "".join(out) + '"'


def json_text(value: object) -> str:
    """Compact JSON (ASCII only): Dockerfile exec-form arrays and JSON snippets in the README."""
    return json.dumps(value, ensure_ascii=True)


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir() / "package")),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters.update(
        py=py,
        doc=docstring_text,
        comment=comment_text,
        toml=toml_string,
        md=markdown_text,
        sh=shlex.quote,
        yaml=yaml_string,
        json=json_text,
    )
    return env


def render_package(model: Capability) -> dict[str, str]:
    """Relative path → text for every file of the generated distribution (unformatted)."""
    env = environment()
    context: dict[str, Any] = {
        "model": model,
        "stdio_config": _stdio_config(model),
        "http_config": _http_config(model),
        "deploy": deploy_plan(model),
        "curl": rest_examples(model),
        # mcp_server.py.j2, resources.py.j2 and prompts.py.j2 also render the stdio twin.
        "mcp_http": True,
        "module_prefix": "",
        "tools_key": "tools",
    }
    files = {
        "pyproject.toml": env.get_template("pyproject.toml.j2").render(context),
        "README.md": env.get_template("README.md.j2").render(context),
        f"{model.package}/py.typed": "",
        f"{model.package}/catalog.json": _json(catalog_document(model)),
    }
    for name, template in DEPLOY_TEMPLATES.items():
        files[name] = env.get_template(template).render(context)
    templates = dict(PACKAGE_TEMPLATES)
    if model.rest:
        templates["rest_app.py"] = "pkg/rest_app.py.j2"
        if model.rest.forwards:
            templates["forward.py"] = "pkg/forward.py.j2"
        files[f"{model.package}/openapi.json"] = openapi_text(model)
    if model.mcp:
        templates["mcp_server.py"] = "pkg/mcp_server.py.j2"
        if model.mcp.resources:
            templates["resources.py"] = "pkg/resources.py.j2"
            files[f"{model.package}/resources.json"] = _json(resources_document(model.mcp))
        if model.mcp.prompts:
            templates["prompts.py"] = "pkg/prompts.py.j2"
            files[f"{model.package}/prompts.json"] = _json(prompts_document(model.mcp))
    if model.uses_oauth2:
        templates["upstream_auth.py"] = "pkg/upstream_auth.py.j2"
    if model.behaviours:
        templates["operations.py"] = "pkg/operations.py.j2"
        templates["shaping.py"] = "pkg/shaping.py.j2"
    if model.inbound_auths:
        templates["inbound_auth.py"] = "pkg/inbound_auth.py.j2"
    if model.control:
        templates["control_app.py"] = "pkg/control_app.py.j2"
    if model.metrics:
        templates["metrics.py"] = "pkg/metrics.py.j2"
    if model.skill:
        templates["skill_app.py"] = "pkg/skill_app.py.j2"
        files[f"{model.package}/skills.json"] = _json(skills_document(model.skill))
    if model.decodes_outputs:
        templates["formats.py"] = "pkg/formats.py.j2"
    if model.scripting:
        templates["scripts.py"] = "pkg/scripts.py.j2"
    for name, template in templates.items():
        files[f"{model.package}/{name}"] = env.get_template(template).render(context)
    if model.mcp_stdio:
        files.update(_stdio_twin(env, model, context))
    return dict(sorted(files.items()))


def _stdio_twin(
    env: jinja2.Environment, model: Capability, context: dict[str, Any]
) -> dict[str, str]:
    """The stdio MCP adapter of an http + stdio pair: the same templates, rendered for it."""
    assert model.mcp_stdio is not None
    twin = replace(model, mcp=model.mcp_stdio)
    local = {**context, "model": twin, "mcp_http": False, "module_prefix": "stdio_"}
    local["tools_key"] = "stdio_tools"
    package = model.package
    files = {
        f"{package}/mcp_stdio_server.py": env.get_template("pkg/mcp_server.py.j2").render(local)
    }
    if model.mcp_stdio.resources:
        files[f"{package}/stdio_resources.py"] = env.get_template("pkg/resources.py.j2").render(
            local
        )
        files[f"{package}/stdio_resources.json"] = _json(resources_document(model.mcp_stdio))
    if model.mcp_stdio.prompts:
        files[f"{package}/stdio_prompts.py"] = env.get_template("pkg/prompts.py.j2").render(local)
        files[f"{package}/stdio_prompts.json"] = _json(prompts_document(model.mcp_stdio))
    return files


def openapi_text(model: Capability) -> str:
    """The REST adapter's OpenAPI document as the package carries it (``openapi.json``)."""
    return _json(model.openapi)


def _json(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _stdio_config(model: Capability) -> str:
    env = {secret.env_var: "..." for secret in model.secrets}
    server: dict[str, Any] = {"command": model.dist_name, "args": ["mcp-stdio"]}
    if env:
        server["env"] = env
    return json.dumps({"mcpServers": {model.dist_name: server}}, indent=2, ensure_ascii=False)


def _http_config(model: Capability) -> str:
    """Clients that speak Streamable HTTP themselves take the URL of a running ``serve``."""
    if model.mcp is None:
        return ""
    server: dict[str, Any] = {"type": "http", "url": f"http://127.0.0.1:{model.mcp.port}/mcp"}
    if model.mcp.auth is not None and model.mcp.auth.client_headers:
        server["headers"] = model.mcp.auth.client_headers
    return json.dumps({"mcpServers": {model.dist_name: server}}, indent=2, ensure_ascii=False)
