"""The ``skill`` exposes adapter: a read-only catalogue of agent skills (semantics §5.1).

A skill tool either points at an operation or tool of a sibling ``rest``/``mcp`` adapter (``from``)
or names an instruction file of the skill (``instruction``); skills never execute anything. Skill
files come from the skill's ``location`` folder, resolved relative to the spec and read at build
time: they travel inside the generated package (``skills.json``), so what is served never depends
on the file system of the host that runs the package.

A problem with one skill or tool is a located warning that names the fix, and that skill or tool
is left out; the rest of the capability still builds.
"""

from __future__ import annotations

import base64
import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Protocol
from urllib.parse import unquote

from naftiko_gen.inbound_auth import inbound_auth
from naftiko_gen.loader import LoadedSpec, PathKey
from naftiko_gen.model import (
    McpAdapter,
    RestAdapter,
    Skill,
    SkillAdapter,
    SkillFile,
    SkillMode,
    SkillTool,
)

DEFAULT_PORT = 8090
# A location folder is copied into the package: these bound what one skill may bring along
# (a typo such as ``location: file:///`` must not copy a whole disk).
MAX_FILES = 1_000
MAX_BYTES = 16 * 1024 * 1024
MAX_LISTED = 12

MEDIA_TYPES = {
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".txt": "text/plain",
    ".json": "application/json",
    ".yaml": "application/yaml",
    ".yml": "application/yaml",
    ".xml": "application/xml",
    ".html": "text/html",
    ".htm": "text/html",
    ".css": "text/css",
    ".csv": "text/csv",
    ".js": "text/javascript",
    ".py": "text/x-python",
    ".sh": "application/x-sh",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".pdf": "application/pdf",
    ".zip": "application/zip",
}

_PLACEHOLDERS = re.compile(r"\{\{[^{}]*\}\}|\{[^{}]*\}")
_URI_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]+:")


class Reporter(Protocol):
    """What the normaliser offers: located diagnostics against the spec being read."""

    spec: LoadedSpec

    @property
    def failed(self) -> bool: ...

    def error(self, code: str, message: str, path: PathKey) -> None: ...

    def warning(self, code: str, message: str, path: PathKey) -> None: ...

    def secret_expr(self, template: str, where: PathKey) -> str | None: ...


@dataclass(frozen=True)
class Action:
    """An operation (rest) or tool (mcp) a skill tool may point at."""

    generated: bool
    description: str
    call: str


@dataclass(frozen=True)
class Sibling:
    """A rest or mcp adapter of the same capability, with the actions it declares."""

    namespace: str
    mode: SkillMode
    actions: dict[str, Action]

    @property
    def what(self) -> str:
        return "operation" if self.mode == "rest" else "tool"


def siblings(
    exposes: list[Any], rest: RestAdapter | None, mcp: McpAdapter | None
) -> dict[str, Sibling]:
    """Every rest/mcp namespace a skill tool's ``sourceNamespace`` may name, with the actions as
    declared and whether each one made it into the generated adapter."""
    found: dict[str, Sibling] = {}
    for entry in exposes:
        if not isinstance(entry, dict) or entry.get("type") not in ("rest", "mcp"):
            continue
        mode: SkillMode = "rest" if entry["type"] == "rest" else "mcp"
        namespace = str(entry.get("namespace") or mode)
        if namespace in found:
            continue
        if mode == "rest":
            actions = _rest_actions(entry, rest if rest and rest.namespace == namespace else None)
        else:
            actions = _mcp_actions(entry, mcp if mcp and mcp.namespace == namespace else None)
        found[namespace] = Sibling(namespace, mode, actions)
    return found


def _route_shape(path: str) -> str:
    path = path if path.startswith("/") else f"/{path}"
    return _PLACEHOLDERS.sub("{}", path)


def _rest_actions(entry: dict[str, Any], built: RestAdapter | None) -> dict[str, Action]:
    """REST operations by ``name``; one is generated when the built adapter serves its route."""
    routes = {
        (op.http_method, _route_shape(op.path)): op for op in (built.operations if built else ())
    }
    actions: dict[str, Action] = {}
    for resource in _dicts(entry.get("resources")):
        shape = _route_shape(str(resource.get("path") or ""))
        for op in _dicts(resource.get("operations")):
            if not op.get("name"):
                continue
            method = str(op.get("method") or "GET").upper()
            served = routes.get((method, shape))
            description = (served.description or served.summary) if served else ""
            actions.setdefault(
                str(op["name"]), Action(served is not None, description, str(op.get("call") or ""))
            )
    return actions


def _mcp_actions(entry: dict[str, Any], built: McpAdapter | None) -> dict[str, Action]:
    tools = {tool.name: tool for tool in (built.tools if built else ())}
    actions: dict[str, Action] = {}
    for tool in _dicts(entry.get("tools")):
        if not tool.get("name"):
            continue
        served = tools.get(str(tool["name"]))
        actions.setdefault(
            str(tool["name"]),
            Action(
                served is not None,
                served.description if served else "",
                str(tool.get("call") or ""),
            ),
        )
    return actions


def skill_adapter(
    report: Reporter, adapter: dict[str, Any], where: PathKey, known: dict[str, Sibling]
) -> SkillAdapter | None:
    """One ``type: skill`` exposes entry; ``None`` when no skill survives (each one said why)."""
    namespace = str(adapter.get("namespace") or "skills")
    auth = inbound_auth(report, adapter, where)
    if adapter.get("authentication") is not None and auth is None:
        return None  # refused (reported): the catalogue is never served open instead
    spec_dir = Path(report.spec.file).parent
    skills: list[Skill] = []
    names: set[str] = set()
    raw_skills = adapter.get("skills")
    for s, raw in enumerate(raw_skills if isinstance(raw_skills, list) else []):
        if not isinstance(raw, dict):
            continue
        skill = _skill(report, raw, (*where, "skills", s), known, spec_dir, names)
        if skill is not None:
            skills.append(skill)
    if not skills:
        return None
    return SkillAdapter(
        namespace=namespace,
        port=_port(adapter.get("port")),
        description=str(adapter.get("description") or ""),
        skills=tuple(skills),
        auth=auth,
    )


def _skill(
    report: Reporter,
    raw: dict[str, Any],
    where: PathKey,
    known: dict[str, Sibling],
    spec_dir: Path,
    names: set[str],
) -> Skill | None:
    name = str(raw.get("name") or "")
    if not name:
        report.warning("skill-unnamed", "skill has no 'name'; add one (it is left out)", where)
        return None
    if "/" in name:
        report.warning(
            "skill-bad-name",
            f"skill name {name!r} contains '/', which no /skills/{{name}} route can match; "
            "rename it (it is left out)",
            (*where, "name"),
        )
        return None
    if name in names:
        report.warning(
            "skill-duplicate",
            f"skill {name!r} is declared twice in this adapter; rename one "
            "(the second is left out)",
            (*where, "name"),
        )
        return None
    names.add(name)
    files, no_files_reason = _files(report, raw, (*where, "location"), spec_dir)
    tools: list[SkillTool] = []
    tool_names: set[str] = set()
    raw_tools = raw.get("tools")
    for t, tool in enumerate(raw_tools if isinstance(raw_tools, list) else []):
        if not isinstance(tool, dict):
            continue
        built = _tool(report, tool, (*where, "tools", t), known, raw, files, no_files_reason)
        if built is None:
            continue
        if built.name in tool_names:
            report.warning(
                "skill-tool-duplicate",
                f"skill {name!r} declares tool {built.name!r} twice; rename one "
                "(the second is left out)",
                (*where, "tools", t, "name"),
            )
            continue
        tool_names.add(built.name)
        tools.append(built)
    return Skill(
        name=name,
        description=str(raw.get("description") or name),
        license=_text(raw.get("license")),
        compatibility=_text(raw.get("compatibility")),
        argument_hint=_text(raw.get("argument-hint")),
        allowed_tools=_text(raw.get("allowed-tools")),
        user_invocable=_flag(raw.get("user-invocable")),
        disable_model_invocation=_flag(raw.get("disable-model-invocation")),
        metadata=_metadata(raw.get("metadata")),
        tools=tuple(tools),
        files=files,
        no_files_reason=no_files_reason,
    )


def _tool(
    report: Reporter,
    tool: dict[str, Any],
    where: PathKey,
    known: dict[str, Sibling],
    skill: dict[str, Any],
    files: tuple[SkillFile, ...] | None,
    no_files_reason: str,
) -> SkillTool | None:
    name = str(tool.get("name") or "")
    if not name:
        report.warning("skill-tool-unnamed", "skill tool has no 'name'; add one (left out)", where)
        return None
    has_from = tool.get("from") is not None
    has_instruction = tool.get("instruction") is not None
    if has_from and has_instruction:
        report.warning(
            "skill-tool-both-from-and-instruction",
            f"skill tool {name!r} has both 'from' and 'instruction'; keep one ('from' points at a "
            "sibling adapter's operation or tool, 'instruction' at a file of the skill); "
            "it is left out",
            where,
        )
        return None
    if has_from:
        return _derived(report, name, tool, where, known)
    if has_instruction:
        return _instruction(report, name, tool, where, skill, files, no_files_reason)
    if tool.get("call"):
        hint = _call_hint(str(tool["call"]), known)
        report.warning(
            "skill-tool-uses-call",
            f"skill tool {name!r} has 'call', but skills never call upstreams: replace it with "
            "'from: {sourceNamespace: <rest or mcp adapter namespace>, action: <operation or tool "
            f"name>}}' naming the sibling that exposes this call{hint}; it is left out",
            (*where, "call"),
        )
        return None
    report.warning(
        "skill-tool-missing-from-or-instruction",
        f"skill tool {name!r} needs 'from' (a sibling rest/mcp adapter's operation or tool) or "
        "'instruction' (a file of the skill); it is left out",
        where,
    )
    return None


def _call_hint(call: str, known: dict[str, Sibling]) -> str:
    """The generated sibling actions that make the same call, as ready-to-paste ``from`` values."""
    matches = [
        f"from: {{sourceNamespace: {sibling.namespace}, action: {action}}}"
        for sibling in known.values()
        for action, found in sibling.actions.items()
        if found.call == call and found.generated
    ]
    return f" (here: {' or '.join(matches[:3])})" if matches else ""


def _derived(
    report: Reporter, name: str, tool: dict[str, Any], where: PathKey, known: dict[str, Sibling]
) -> SkillTool | None:
    source = tool["from"]
    if (
        not isinstance(source, dict)
        or not source.get("sourceNamespace")
        or not source.get("action")
    ):
        report.warning(
            "skill-bad-from",
            f"skill tool {name!r}: 'from' needs 'sourceNamespace' (a sibling rest or mcp adapter) "
            "and 'action' (an operation or tool name in it); it is left out",
            (*where, "from"),
        )
        return None
    namespace, action = str(source["sourceNamespace"]), str(source["action"])
    sibling = known.get(namespace)
    if sibling is None:
        declared = _listing(f"{n} ({s.mode})" for n, s in sorted(known.items()))
        report.warning(
            "skill-unknown-source",
            f"skill tool {name!r}: sourceNamespace {namespace!r} is not a rest or mcp adapter of "
            f"this capability (declared: {declared}); name one of them; it is left out",
            (*where, "from", "sourceNamespace"),
        )
        return None
    found = sibling.actions.get(action)
    if found is None:
        report.warning(
            "skill-unknown-action",
            f"skill tool {name!r}: {sibling.mode} adapter {namespace!r} has no {sibling.what} "
            f"{action!r} (it has: {_listing(sorted(sibling.actions))}); fix 'action'; "
            "it is left out",
            (*where, "from", "action"),
        )
        return None
    if not found.generated:
        if report.failed:
            return None  # the build fails anyway, on the errors that left that action out
        report.warning(
            "skill-action-not-generated",
            f"skill tool {name!r}: {sibling.what} {action!r} of {namespace!r} is left out of the "
            "generated adapter (see the diagnostics on it), so agents could not invoke it; "
            "fix that first (this skill tool is left out too)",
            (*where, "from", "action"),
        )
        return None
    return SkillTool(
        name=name,
        description=str(tool.get("description") or found.description or action),
        target_namespace=namespace,
        action=action,
        mode=sibling.mode,
    )


def _instruction(
    report: Reporter,
    name: str,
    tool: dict[str, Any],
    where: PathKey,
    skill: dict[str, Any],
    files: tuple[SkillFile, ...] | None,
    no_files_reason: str,
) -> SkillTool | None:
    raw = tool["instruction"]
    iwhere = (*where, "instruction")
    if not skill.get("location"):
        report.warning(
            "skill-instruction-without-location",
            f"skill tool {name!r} uses 'instruction', but its skill has no 'location' (the folder "
            "holding the skill's files); add 'location' or make the tool 'from'; it is left out",
            iwhere,
        )
        return None
    path = _relative(raw) if isinstance(raw, str) else None
    if path is None:
        report.warning(
            "skill-instruction-unsafe",
            f"skill tool {name!r}: instruction {raw!r} must be a relative path inside the skill's "
            "location folder (no '..', not absolute); it is left out",
            iwhere,
        )
        return None
    if files is None:
        report.warning(
            "skill-instruction-not-found",
            f"skill tool {name!r}: instruction {path!r} cannot be served because "
            f"{no_files_reason}; it is left out",
            iwhere,
        )
        return None
    if path not in {f.path for f in files}:
        report.warning(
            "skill-instruction-not-found",
            f"skill tool {name!r}: instruction {path!r} is not a file of the skill's location "
            "folder; add the file or fix the path; it is left out",
            iwhere,
        )
        return None
    return SkillTool(
        name=name,
        description=str(tool.get("description") or f"Instructions in {path}"),
        instruction=path,
    )


# -- location folder ------------------------------------------------------------------------------


def _files(
    report: Reporter, skill: dict[str, Any], where: PathKey, spec_dir: Path
) -> tuple[tuple[SkillFile, ...] | None, str]:
    """The files of the skill's ``location`` folder, or ``None`` and why there are none."""
    location = skill.get("location")
    if not location:
        return None, "the skill has no 'location'"
    folder = local_path(str(location), spec_dir)
    if folder is None:
        report.warning(
            "skill-location-unsupported",
            f"location {location!r} is not a local folder (a path or a file:// URI); skill files "
            "are copied into the package at build time, so point it at a folder next to the spec; "
            "the skill is served without files",
            where,
        )
        return None, "its location is not a local folder"
    if not folder.is_dir():
        report.warning(
            "skill-location-not-found",
            f"location folder {str(folder)!r} does not exist; skill files are copied into the "
            "package at build time, so create it (e.g. next to the spec: "
            f"'location: ./skills/{skill.get('name')}') or remove 'location'; "
            "the skill is served without files",
            where,
        )
        return None, "its location folder was not found at build time"
    root = folder.resolve()
    collected: list[SkillFile] = []
    total = 0
    for directory, subdirectories, filenames in os.walk(root):
        subdirectories[:] = sorted(d for d in subdirectories if not _hidden(d))
        for filename in sorted(f for f in filenames if not _hidden(f)):
            full = Path(directory) / filename
            relative = full.relative_to(root).as_posix()
            real = full.resolve()
            if not real.is_relative_to(root) or not real.is_file():
                report.warning(
                    "skill-file-skipped",
                    f"{relative!r} in location folder {str(root)!r} links outside the folder or is "
                    "not a regular file; it is left out",
                    where,
                )
                continue
            total += real.stat().st_size
            if len(collected) >= MAX_FILES or total > MAX_BYTES:
                report.warning(
                    "skill-location-too-large",
                    f"location folder {str(root)!r} holds more than {MAX_FILES} files or "
                    f"{MAX_BYTES // (1024 * 1024)} MiB; point 'location' at the skill's own "
                    "folder; the skill is served without files",
                    where,
                )
                return None, "its location folder is too large"
            collected.append(SkillFile(relative, media_type(relative), real.read_bytes()))
    return tuple(sorted(collected, key=lambda f: f.path)), ""


def local_path(location: str, spec_dir: Path) -> Path | None:
    """Relative paths (and ``file://./x``, ``file:///./x``) are relative to the spec; ``file:///x``
    and ``/x`` are absolute; any other URI scheme is not a local folder (``None``)."""
    text = location.strip()
    if text.startswith("file://"):
        text = unquote(text[len("file://") :])
        if text.startswith(("/./", "/../")):
            text = text[1:]
        elif not text.startswith(("/", "./", "../")):
            return None  # file://host/path: not on this machine
    elif _URI_SCHEME.match(text):
        return None
    path = Path(text)
    return path if path.is_absolute() else spec_dir / path


def _hidden(name: str) -> bool:
    """Dot files (``.git``, ``.env``) and caches never travel with a skill."""
    return name.startswith(".") or name == "__pycache__"


def _relative(path: str) -> str | None:
    """``path`` as a clean POSIX path inside a folder, or ``None`` when it could escape it."""
    text = path.strip()
    if not text or "\\" in text or "\x00" in text:
        return None
    pure = PurePosixPath(text)
    if pure.is_absolute() or ".." in pure.parts:
        return None
    clean = pure.as_posix()
    return None if clean in ("", ".") else clean


def media_type(path: str) -> str:
    return MEDIA_TYPES.get(PurePosixPath(path).suffix.lower(), "application/octet-stream")


# -- small helpers --------------------------------------------------------------------------------


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _listing(names: Any) -> str:
    items = list(names)
    if not items:
        return "none"
    shown = ", ".join(items[:MAX_LISTED])
    return shown if len(items) <= MAX_LISTED else f"{shown}, ... ({len(items)} in all)"


def _port(value: Any) -> int:
    valid = isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 65535
    return value if valid else DEFAULT_PORT


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _metadata(value: Any) -> tuple[tuple[str, str], ...]:
    """Agent Skills metadata is a string map (the engine's ``Map<String, String>``)."""
    if not isinstance(value, dict):
        return ()
    return tuple((str(k), _scalar(v)) for k, v in value.items() if v is not None)


# -- the served documents -------------------------------------------------------------------------


def skills_document(adapter: SkillAdapter) -> dict[str, Any]:
    """``skills.json``: every answer of the catalogue, computed at build time (the generated app
    only looks them up). File bodies are UTF-8 text or, for binary files, base64."""
    return {
        "catalog": {
            "count": len(adapter.skills),
            "skills": [_summary(skill) for skill in adapter.skills],
        },
        "skills": {skill.name: _entry(skill) for skill in adapter.skills},
    }


def _summary(skill: Skill) -> dict[str, Any]:
    summary: dict[str, Any] = {"name": skill.name, "description": skill.description}
    if skill.license is not None:
        summary["license"] = skill.license
    summary["tools"] = [tool.name for tool in skill.tools]
    return summary


def _detail(skill: Skill) -> dict[str, Any]:
    """``GET /skills/{name}``, with the engine's keys and order."""
    detail: dict[str, Any] = {"name": skill.name, "description": skill.description}
    optional = {
        "license": skill.license,
        "compatibility": skill.compatibility,
        "argument-hint": skill.argument_hint,
        "allowed-tools": skill.allowed_tools,
        "user-invocable": skill.user_invocable,
        "disable-model-invocation": skill.disable_model_invocation,
    }
    detail.update({key: value for key, value in optional.items() if value is not None})
    if skill.metadata:
        detail["metadata"] = dict(skill.metadata)
    detail["tools"] = [_tool_document(tool) for tool in skill.tools]
    return detail


def _tool_document(tool: SkillTool) -> dict[str, Any]:
    document: dict[str, Any] = {
        "name": tool.name,
        "description": tool.description,
        "type": tool.kind,
    }
    if tool.instruction is not None:
        document["instruction"] = tool.instruction
    else:
        document["invocationRef"] = {
            "targetNamespace": tool.target_namespace,
            "action": tool.action,
            "mode": tool.mode,
        }
    return document


def _entry(skill: Skill) -> dict[str, Any]:
    entry: dict[str, Any] = {"detail": _detail(skill)}
    if skill.files is None:
        entry["contents"] = None
        entry["no_files"] = f"skill {skill.name!r} has no files: {skill.no_files_reason}"
        entry["files"] = {}
        return entry
    entry["contents"] = {
        "name": skill.name,
        "files": [
            {"path": f.path, "size": len(f.content), "type": f.media_type} for f in skill.files
        ],
    }
    entry["files"] = {f.path: _body(f) for f in skill.files}
    return entry


def _body(file: SkillFile) -> dict[str, str]:
    try:
        return {"type": file.media_type, "text": file.content.decode("utf-8")}
    except UnicodeDecodeError:
        return {"type": file.media_type, "base64": base64.b64encode(file.content).decode("ascii")}
