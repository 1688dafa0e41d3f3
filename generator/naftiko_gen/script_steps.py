"""Python ``script`` steps (semantics §3.6) and their governance, ``management.scripting``.

The engine reads a step's ``file`` and ``dependencies`` from ``location`` on every call and runs
them in a GraalVM sandbox. naftiko-gen reads them once, at build time, checks that they compile
and embeds them in the package: the package is self-contained, and what runs is what was built.
They run in-process (a worker thread, so the event loop keeps serving) under the engine's
statement limit and timeout. CPython cannot sandbox code, so a script has the server's rights:
it is part of the capability, as trusted as the spec that names it. JavaScript and Groovy cannot
run in a Python package and are refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from naftiko_gen import shaping
from naftiko_gen.loader import PathKey
from naftiko_gen.model import (
    DEFAULT_STATEMENT_LIMIT,
    DEFAULT_TIMEOUT_MS,
    Governance,
    ScriptFile,
    ScriptStep,
)
from naftiko_gen.pyliteral import py
from naftiko_gen.skills import local_path

if TYPE_CHECKING:
    from naftiko_gen.normalise import Normaliser

# A script, dependencies included, is source code: anything bigger is a mistake.
MAX_SCRIPT_BYTES = 1024 * 1024
FOREIGN_LANGUAGES = ("javascript", "js", "groovy")
LANGUAGES = ("javascript", "python", "groovy")


def governance(n: Normaliser, capability: dict[str, Any]) -> Governance:
    """Read before any step is built: script steps anywhere (tools, REST operations, aggregate
    functions, resources) take their defaults and limits from the control adapter."""
    for e, adapter in enumerate(_list(capability.get("exposes"))):
        if not isinstance(adapter, dict) or adapter.get("type") != "control":
            continue
        management = adapter.get("management")
        if not isinstance(management, dict) or "scripting" not in management:
            return Governance()
        where: PathKey = ("capability", "exposes", e, "management", "scripting")
        scripting = management.get("scripting")
        if not isinstance(scripting, dict):
            n.error("bad-scripting", "management.scripting must be a mapping", where)
            return Governance(declared=True)
        return Governance(
            declared=True,
            enabled=_flag(n, scripting, "enabled", where),
            default_location=_text(n, scripting, "defaultLocation", where),
            default_language=_language(n, scripting, "defaultLanguage", where),
            allowed_languages=_languages(n, scripting, where),
            timeout_ms=_positive(n, scripting, "timeout", DEFAULT_TIMEOUT_MS, where),
            statement_limit=_positive(
                n, scripting, "statementLimit", DEFAULT_STATEMENT_LIMIT, where
            ),
        )
    return Governance()


def script_step(
    n: Normaliser,
    step: dict[str, Any],
    where: PathKey,
    name: str,
    policy: Governance,
    adapter_ns: str,
) -> ScriptStep | None:
    """The step's files read, checked and ready to embed; ``None`` after a located error."""
    language = str(step.get("language") or policy.default_language or "").strip().lower()
    language_at = (*where, "language") if "language" in step else (*where, "type")
    if not language:
        n.error(
            "script-incomplete",
            f"script step {name!r} has no 'language' and the control adapter sets no "
            "management.scripting.defaultLanguage",
            where,
        )
        return None
    if language != "python":
        known = language in FOREIGN_LANGUAGES
        n.error(
            "unsupported-script-language",
            (
                f"{language} script steps cannot run in a generated Python package"
                if known
                else f"script language {language!r} is unknown (the engine knows "
                + ", ".join(LANGUAGES)
                + "; naftiko-gen runs python)"
            ),
            language_at,
        )
        return None
    if policy.allowed_languages and language not in policy.allowed_languages:
        n.error(
            "script-language-not-allowed",
            f"script step {name!r} is python, which management.scripting.allowedLanguages "
            f"({', '.join(policy.allowed_languages)}) does not allow",
            language_at,
        )
        return None
    if policy.enabled is False:
        n.error(
            "scripting-disabled",
            f"script step {name!r} cannot run: management.scripting.enabled is false",
            where,
        )
        return None
    location = str(step.get("location") or policy.default_location or "").strip()
    file = str(step.get("file") or "").strip()
    if not location or not file:
        missing = "'location'" if not location else "'file'"
        n.error(
            "script-incomplete",
            f"script step {name!r} has no {missing}"
            + (
                " and the control adapter sets no management.scripting.defaultLocation"
                if not location
                else ""
            ),
            where,
        )
        return None
    folder = local_path(location, Path(n.spec.file).parent)
    location_at = (*where, "location") if "location" in step else where
    if folder is None or not folder.is_dir():
        n.error(
            "script-not-found",
            f"script location {location!r} is not a folder on this machine; script files are "
            "read and embedded at build time",
            location_at,
        )
        return None
    dependencies = [str(d) for d in _list(step.get("dependencies"))]
    files: list[ScriptFile] = []
    for k, relative in enumerate([*dependencies, file]):
        at = (*where, "dependencies", k) if k < len(dependencies) else (*where, "file")
        read = _read(n, folder, location, relative, at)
        if read is None:
            return None
        files.append(read)
    with_exprs = _with(n, step.get("with"), (*where, "with"), adapter_ns)
    if with_exprs is None:
        return None
    return ScriptStep(name, tuple(files), with_exprs)


def _read(
    n: Normaliser, folder: Path, location: str, relative: str, where: PathKey
) -> ScriptFile | None:
    """One file under ``folder`` (never outside it, as the engine's SafePathResolver), compiled
    now so a syntax error is a build error, not a failing call."""
    root = folder.resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root):
        n.error(
            "script-bad-path",
            f"script file {relative!r} is outside its location {location!r}",
            where,
        )
        return None
    if not path.is_file():
        n.error(
            "script-not-found",
            f"script file {relative!r} is not in {str(root)!r}; script files are read and "
            "embedded at build time",
            where,
        )
        return None
    data = path.read_bytes()
    if len(data) > MAX_SCRIPT_BYTES:
        n.error(
            "script-unreadable",
            f"script file {relative!r} is over {MAX_SCRIPT_BYTES // 1024} KiB",
            where,
        )
        return None
    try:
        source = data.decode("utf-8")
    except UnicodeDecodeError:
        n.error("script-unreadable", f"script file {relative!r} is not UTF-8 text", where)
        return None
    label = location.rstrip("/") + "/" + relative.lstrip("/")
    try:
        compile(source, label, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as exc:
        line = f" (line {exc.lineno})" if isinstance(exc, SyntaxError) and exc.lineno else ""
        n.error(
            "script-syntax",
            f"script file {relative!r} is not valid Python{line}: {_reason(exc)}",
            where,
        )
        return None
    return ScriptFile(label, source)


def _with(
    n: Normaliser, values: Any, where: PathKey, adapter_ns: str
) -> tuple[tuple[str, str], ...] | None:
    """The step's ``with``: strings with ``{{...}}`` are templates over the inputs and earlier
    step outputs (rendered at run time), other values are literals."""
    if values is None:
        return ()
    if not isinstance(values, dict):
        n.error("bad-step", "a script step's 'with' must be a mapping", where)
        return None
    exprs = []
    for key, value in values.items():
        if not isinstance(value, str) or "{{" not in value:
            exprs.append((str(key), py(value)))
            continue
        expr = shaping.template_expr(n, value, (*where, str(key)), adapter_ns)
        if expr is None:
            return None
        exprs.append((str(key), expr))
    return tuple(exprs)


def _reason(exc: SyntaxError | ValueError) -> str:
    return exc.msg if isinstance(exc, SyntaxError) else str(exc)


def _flag(n: Normaliser, scripting: dict[str, Any], key: str, where: PathKey) -> bool | None:
    value = scripting.get(key)
    if value is None or isinstance(value, bool):
        return value
    n.error("bad-scripting", f"management.scripting.{key} must be true or false", (*where, key))
    return None


def _text(n: Normaliser, scripting: dict[str, Any], key: str, where: PathKey) -> str | None:
    value = scripting.get(key)
    if value is None or (isinstance(value, str) and value.strip()):
        return value.strip() if isinstance(value, str) else None
    n.error("bad-scripting", f"management.scripting.{key} must be a string", (*where, key))
    return None


def _language(n: Normaliser, scripting: dict[str, Any], key: str, where: PathKey) -> str | None:
    value = _text(n, scripting, key, where)
    if value is not None and value.lower() not in (*LANGUAGES, "js"):
        n.error(
            "bad-scripting",
            f"management.scripting.{key} {value!r} is not one of " + ", ".join(LANGUAGES),
            (*where, key),
        )
        return None
    return None if value is None else value.lower()


def _languages(n: Normaliser, scripting: dict[str, Any], where: PathKey) -> tuple[str, ...]:
    value = scripting.get("allowedLanguages")
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        n.error(
            "bad-scripting",
            "management.scripting.allowedLanguages must be a list of languages",
            (*where, "allowedLanguages"),
        )
        return ()
    unknown = [v for v in value if v.lower() not in LANGUAGES]
    if unknown:
        n.error(
            "bad-scripting",
            f"management.scripting.allowedLanguages: {unknown[0]!r} is not one of "
            + ", ".join(LANGUAGES),
            (*where, "allowedLanguages"),
        )
        return ()
    return tuple(v.lower() for v in value)


def _positive(
    n: Normaliser, scripting: dict[str, Any], key: str, default: int, where: PathKey
) -> int:
    value = scripting.get(key)
    if value is None:
        return default
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    n.error(
        "bad-scripting",
        f"management.scripting.{key} must be a whole number of at least 1",
        (*where, key),
    )
    return default


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
