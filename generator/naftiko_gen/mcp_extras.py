"""MCP resources and prompts (semantics §4.7, §7.16): spec → model, and their package data.

* Static resources (``location``: a folder) are read **at build time**, relative to the spec, and
  carried in the package (``resources.json``): one resource per file, ``<uri>/<relative path>``.
* Dynamic resources get a behaviour built as tools' are (:func:`orchestration.behaviour`:
  ``call`` with ``outputParameters`` shaping, or ``steps`` + ``mappings``); a ``uri`` with ``{p}``
  is a template whose variables are the inputs (``with: {x: '{{p}}'}`` or a consumed parameter
  named ``p``). Plain pass-through calls are written in resources.py, others in operations.py.
* Prompts follow the schema and the engine (§7.16): ``template`` messages with ``{{arg}}``,
  arguments ``required`` unless ``required: false``; a ``location`` file is one user message.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from naftiko_gen import naming, orchestration
from naftiko_gen.loader import PathKey
from naftiko_gen.model import (
    Behaviour,
    McpAdapter,
    McpPrompt,
    McpResource,
    PromptArgument,
    StaticResourceFile,
)
from naftiko_gen.skills import MAX_BYTES, MAX_FILES, _hidden, local_path, media_type

if TYPE_CHECKING:
    from naftiko_gen.normalise import Normaliser

DEFAULT_MIME_TYPE = "application/json"
_VARIABLE = re.compile(r"\{([^{}]*)\}")
_ROLES = ("user", "assistant")


# -- resources ------------------------------------------------------------------------------------


def resources(
    n: Normaliser, adapter: dict[str, Any], where: PathKey, namespace: str
) -> tuple[McpResource, ...]:
    """The adapter's resources; a resource that cannot be generated is left out with a warning."""
    built: list[McpResource] = []
    uris: dict[str, PathKey] = {}
    names: set[str] = set()
    handlers: set[str] = set()
    raw = adapter.get("resources")
    for r, resource in enumerate(raw if isinstance(raw, list) else []):
        rwhere = (*where, "resources", r)
        if not isinstance(resource, dict) or rwhere in n.broken_units:
            continue
        label = str(resource.get("name") or f"resource #{r + 1}")
        with n._left_out(f"resource {label!r}") as failed:
            one = _resource(n, resource, rwhere, namespace, handlers)
        if one is None or failed[0]:
            continue
        if one.uri in uris or one.name in names:
            n.warning(
                "duplicate-resource",
                f"resource {one.name!r} ({one.uri}) repeats the name or uri of an earlier "
                "resource; it is left out",
                rwhere,
            )
            continue
        uris[one.uri] = rwhere
        names.add(one.name)
        built.append(one)
    return tuple(built)


def _resource(
    n: Normaliser,
    resource: dict[str, Any],
    where: PathKey,
    namespace: str,
    handlers: set[str],
) -> McpResource | None:
    name = str(resource.get("name") or "")
    uri = str(resource.get("uri") or "")
    if not name or not uri:
        n.error("resource-incomplete", "an MCP resource needs 'name' and 'uri'", where)
        return None
    title = str(resource.get("label") or name)
    description = str(resource.get("description") or "")
    mime = resource.get("mimeType")
    mime_type = str(mime) if mime else None
    if resource.get("location"):
        files = _static_files(n, resource, where, uri.rstrip("/"), mime_type)
        if files is None:
            return None
        pattern = re.escape(uri.rstrip("/")) + "/.+"
        return McpResource(
            name, title, description, uri.rstrip("/"), mime_type, pattern, files=files
        )
    variables, template = _uri_pattern(n, uri, (*where, "uri"))
    if template is None:
        return None
    behaviour = _resource_behaviour(n, resource, where, namespace, variables)
    if behaviour is None:
        return None
    handler = naming.unique(f"read_{naming.snake(name)}", handlers)
    return McpResource(
        name, title, description, uri, mime_type, template, variables, handler, behaviour
    )


def _uri_pattern(n: Normaliser, uri: str, where: PathKey) -> tuple[tuple[str, ...], str | None]:
    """``data://users/{userId}/profile`` → ``("userId",)`` and a regular expression in which each
    variable matches one segment (never across ``/``), as the engine matches templates."""
    variables: list[str] = []
    parts: list[str] = []
    position = 0
    for match in _VARIABLE.finditer(uri):
        variable = match.group(1).strip()
        if not re.fullmatch(r"[A-Za-z_][\w-]*", variable) or variable in variables:
            n.error(
                "resource-bad-uri",
                f"uri {uri!r}: {match.group(0)!r} is not a variable name used once",
                where,
            )
            return (), None
        variables.append(variable)
        parts.append(re.escape(uri[position : match.start()]))
        parts.append("([^/]+)")
        position = match.end()
    parts.append(re.escape(uri[position:]))
    return tuple(variables), "".join(parts)


def _resource_behaviour(
    n: Normaliser,
    resource: dict[str, Any],
    where: PathKey,
    namespace: str,
    variables: tuple[str, ...],
) -> Behaviour | None:
    """What a read does, built as a tool's behaviour (``call`` with ``outputParameters``, or
    ``steps`` + ``mappings``) whose inputs are the template variables (required strings)."""
    operation = {
        **resource,
        "inputParameters": [{"name": v, "type": "string", "required": True} for v in variables],
    }
    if "with" in resource:
        operation["with"] = _variables_in_with(resource["with"], variables)
    if isinstance(resource.get("steps"), list):
        operation["steps"] = [
            (
                {**step, "with": _variables_in_with(step["with"], variables)}
                if isinstance(step, dict) and "with" in step
                else step
            )
            for step in resource["steps"]
        ]
    built = orchestration.behaviour(
        n, operation, where, namespace, {}, f"read-{resource.get('name')}"
    )
    if built is None:
        return None
    inputs, behaviour, _ = built
    for found in inputs:
        if found.name not in variables and found.required:
            calls = ", ".join(f"{c.operation.name}" for c in behaviour.calls)
            n.error(
                "resource-unbound-parameter",
                f"parameter {found.name!r} of {calls} is required, but resource uri "
                f"{resource.get('uri')!r} has no {{{found.name}}} and 'with' gives it no value",
                where,
            )
            return None
    return behaviour


def _variables_in_with(with_map: Any, variables: tuple[str, ...]) -> Any:
    """``'{{userId}}'`` as a whole ``with`` value names the template variable userId (engine:
    Mustache against the variables); it is read like ``mcp.userId``, never as a bind variable."""
    if not isinstance(with_map, dict):
        return with_map
    return {
        key: (
            f"mcp.{match.group(1)}"
            if isinstance(value, str)
            and (match := re.fullmatch(r"\s*\{\{\s*([\w-]+)\s*\}\}\s*", value))
            and match.group(1) in variables
            else value
        )
        for key, value in with_map.items()
    }


def _static_files(
    n: Normaliser,
    resource: dict[str, Any],
    where: PathKey,
    uri: str,
    mime_type: str | None,
) -> tuple[StaticResourceFile, ...] | None:
    """The files of a static resource's ``location`` folder (relative to the spec, or a
    ``file://`` URI), copied into the package; dot files and links out of the folder are not."""
    location = str(resource.get("location"))
    lwhere = (*where, "location")
    folder = local_path(location, Path(n.spec.file).parent)
    if folder is None or not folder.is_dir():
        n.error(
            "resource-location-not-found",
            f"location {location!r} is not a folder on this machine; static resources are "
            "copied into the package at build time, so point it at a folder (relative to the "
            "spec, or file:///path)",
            lwhere,
        )
        return None
    root = folder.resolve()
    files: list[StaticResourceFile] = []
    total = 0
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(_hidden(part) for part in relative.parts) or path.is_dir():
            continue
        real = path.resolve()
        if not real.is_relative_to(root) or not real.is_file():
            n.warning(
                "resource-file-skipped",
                f"{relative.as_posix()!r} in {str(root)!r} links outside the folder or is not a "
                "regular file; it is not served",
                lwhere,
            )
            continue
        total += real.stat().st_size
        if len(files) >= MAX_FILES or total > MAX_BYTES:
            n.error(
                "resource-location-too-large",
                f"location folder {str(root)!r} holds more than {MAX_FILES} files or "
                f"{MAX_BYTES // (1024 * 1024)} MiB",
                lwhere,
            )
            return None
        rel = relative.as_posix()
        files.append(
            StaticResourceFile(f"{uri}/{rel}", rel, mime_type or media_type(rel), real.read_bytes())
        )
    if not files:
        n.warning(
            "resource-location-empty",
            f"location folder {str(root)!r} holds no file; resource {resource.get('name')!r} "
            "lists nothing",
            lwhere,
        )
    return tuple(files)


def resources_document(mcp: McpAdapter) -> dict[str, Any]:
    """``resources.json``: the listings exactly as sent (MCP wire spelling) and static contents."""
    listed: list[dict[str, Any]] = []
    templates: list[dict[str, Any]] = []
    contents: dict[str, dict[str, str]] = {}
    for resource in mcp.resources:
        if resource.files is not None:
            for file in resource.files:
                listed.append(
                    _wire(
                        {"uri": file.uri, "name": file.name, "title": resource.title},
                        resource.description,
                        file.mime_type,
                    )
                )
                contents[file.uri] = _content(file)
        elif resource.is_template:
            templates.append(
                _wire(
                    {"uriTemplate": resource.uri, "name": resource.name, "title": resource.title},
                    resource.description,
                    resource.mime_type,
                )
            )
        else:
            listed.append(
                _wire(
                    {"uri": resource.uri, "name": resource.name, "title": resource.title},
                    resource.description,
                    resource.mime_type,
                )
            )
    return {"resources": listed, "templates": templates, "contents": contents}


def _wire(entry: dict[str, Any], description: str, mime_type: str | None) -> dict[str, Any]:
    if description:
        entry["description"] = description
    if mime_type:
        entry["mimeType"] = mime_type
    return entry


def _content(file: StaticResourceFile) -> dict[str, str]:
    """UTF-8 text as ``text``; anything else as base64 ``blob`` (MCP's two content kinds)."""
    try:
        return {"mimeType": file.mime_type, "text": file.content.decode("utf-8")}
    except UnicodeDecodeError:
        return {"mimeType": file.mime_type, "blob": base64.b64encode(file.content).decode()}


# -- prompts --------------------------------------------------------------------------------------


def prompts(n: Normaliser, adapter: dict[str, Any], where: PathKey) -> tuple[McpPrompt, ...]:
    built: list[McpPrompt] = []
    names: set[str] = set()
    raw = adapter.get("prompts")
    for p, prompt in enumerate(raw if isinstance(raw, list) else []):
        pwhere = (*where, "prompts", p)
        if not isinstance(prompt, dict) or pwhere in n.broken_units:
            continue
        label = str(prompt.get("name") or f"prompt #{p + 1}")
        with n._left_out(f"prompt {label!r}") as failed:
            one = _prompt(n, prompt, pwhere)
        if one is None or failed[0]:
            continue
        if one.name in names:
            n.warning(
                "duplicate-prompt",
                f"prompt {one.name!r} is declared twice; the second is left out",
                (*pwhere, "name"),
            )
            continue
        names.add(one.name)
        built.append(one)
    return tuple(built)


def _prompt(n: Normaliser, prompt: dict[str, Any], where: PathKey) -> McpPrompt | None:
    name = str(prompt.get("name") or "")
    if not name:
        n.error("prompt-incomplete", "an MCP prompt needs a 'name'", where)
        return None
    arguments: list[PromptArgument] = []
    raw_arguments = prompt.get("arguments")
    for a, argument in enumerate(raw_arguments if isinstance(raw_arguments, list) else []):
        if not isinstance(argument, dict) or not argument.get("name"):
            n.error(
                "prompt-incomplete", "a prompt argument needs a 'name'", (*where, "arguments", a)
            )
            return None
        arguments.append(
            PromptArgument(
                name=str(argument["name"]),
                title=str(argument["label"]) if argument.get("label") else None,
                description=str(argument.get("description") or ""),
                required=argument.get("required") is not False,
            )
        )
    messages = _messages(n, prompt, where)
    if messages is None:
        return None
    title = prompt.get("label")
    return McpPrompt(
        name=name,
        title=str(title) if title else None,
        description=str(prompt.get("description") or ""),
        arguments=tuple(arguments),
        messages=messages,
    )


def _messages(
    n: Normaliser, prompt: dict[str, Any], where: PathKey
) -> tuple[tuple[str, str], ...] | None:
    template = prompt.get("template")
    location = prompt.get("location")
    if isinstance(template, list) and template:
        messages: list[tuple[str, str]] = []
        for m, message in enumerate(template):
            mwhere = (*where, "template", m)
            role = message.get("role") if isinstance(message, dict) else None
            content = message.get("content") if isinstance(message, dict) else None
            if role not in _ROLES or not isinstance(content, str):
                n.error(
                    "prompt-bad-message",
                    "a prompt message needs 'role' (user or assistant) and a text 'content'",
                    mwhere,
                )
                return None
            messages.append((str(role), content))
        return tuple(messages)
    if location:
        path = local_path(str(location), Path(n.spec.file).parent)
        if path is None or not path.is_file():
            n.error(
                "prompt-location-not-found",
                f"prompt file {str(location)!r} is not a file on this machine; prompt files are "
                "read at build time, so point 'location' at a file (relative to the spec, or "
                "file:///path)",
                (*where, "location"),
            )
            return None
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError):
            n.error(
                "prompt-location-not-found",
                f"prompt file {str(path)!r} cannot be read as UTF-8 text",
                (*where, "location"),
            )
            return None
        return (("user", text),)
    n.error(
        "prompt-bad-message",
        "a prompt needs 'template' (a list of messages) or 'location' (a file)",
        where,
    )
    return None


def prompts_document(mcp: McpAdapter) -> dict[str, Any]:
    """``prompts.json``: the listing exactly as sent, and each prompt's messages."""
    listed: list[dict[str, Any]] = []
    messages: dict[str, list[dict[str, str]]] = {}
    for prompt in mcp.prompts:
        wire: dict[str, Any] = {"name": prompt.name}
        if prompt.title:
            wire["title"] = prompt.title
        if prompt.description:
            wire["description"] = prompt.description
        if prompt.arguments:
            wire["arguments"] = [_argument(a) for a in prompt.arguments]
        listed.append(wire)
        messages[prompt.name] = [{"role": r, "content": c} for r, c in prompt.messages]
    return {"prompts": listed, "messages": messages}


def _argument(argument: PromptArgument) -> dict[str, Any]:
    wire: dict[str, Any] = {"name": argument.name}
    if argument.title:
        wire["title"] = argument.title
    if argument.description:
        wire["description"] = argument.description
    wire["required"] = argument.required
    return wire
