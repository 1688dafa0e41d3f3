"""Consumed ``outputRawFormat`` / ``outputSchema`` → how the generated client decodes an answer.

The engine converts every upstream answer to a JSON tree before anything reads it (semantics
§2.9). The generated client does the same, once, right after the request: adapters (REST, MCP,
output shaping) only ever see JSON. The decoders themselves are emitted into the package's
``formats.py`` (``templates/package/pkg/formats.py.j2``), only those a spec uses.

Labels are case-insensitive, as the engine's are. ``json`` (the default) and ``binary`` (a
real-world extension) are passed through unchanged. The ``outputSchema`` of an ``avro`` or
``protobuf`` operation is read here, at build time, relative to the spec, and embedded in the
package: the .avsc as a literal, the .proto compiled by protoc (grpcio-tools, an optional
dependency: ``naftiko-gen[protobuf]``) to a descriptor set.
"""

from __future__ import annotations

import base64
import importlib.resources
import importlib.util
import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fastavro
import soupsieve

from naftiko_gen.pyliteral import py

# label → (what messages call it, what the client asks for in Accept)
FORMATS: dict[str, tuple[str, str]] = {
    "json": ("JSON", "application/json"),
    "binary": ("binary", "*/*"),
    "xml": ("XML", "application/xml, text/xml;q=0.9"),
    "yaml": ("YAML", "application/yaml, application/x-yaml;q=0.9, text/yaml;q=0.9"),
    "csv": ("CSV", "text/csv"),
    "tsv": ("TSV", "text/tab-separated-values"),
    "psv": ("PSV", "text/plain, */*;q=0.5"),
    "html": ("HTML", "text/html"),
    "markdown": ("Markdown", "text/markdown, text/plain;q=0.9"),
    "avro": ("Avro", "application/avro, avro/binary;q=0.9"),
    "protobuf": ("Protobuf", "application/protobuf, application/x-protobuf;q=0.9"),
}
# Text formats read in the charset the answer's Content-Type declares (XML and HTML find their
# encoding in the document, Avro and Protobuf are binary).
CHARSET_FORMATS = frozenset({"yaml", "csv", "tsv", "psv", "markdown"})
# Formats whose ``outputSchema`` means something (a file, a CSS selector, a heading prefix).
SCHEMA_FORMATS = frozenset({"avro", "protobuf", "html", "markdown"})
# An .avsc larger than this is not a schema someone wrote by hand.
MAX_SCHEMA_BYTES = 1024 * 1024


@dataclass(frozen=True)
class OutputFormat:
    """How one consumed operation's answer is decoded.

    ``decoder`` is the name of the function in the generated ``formats`` module (``None``: passed
    through unchanged), ``option_expr`` its second argument (CSS selector, heading prefix) as a
    Python expression, or ``None``; ``schema_expr`` builds, once per process, the schema object an
    avro or protobuf decoder takes instead.
    """

    name: str
    label: str
    accept: str | None
    decoder: str | None = None
    option_expr: str | None = None
    schema_expr: str | None = None

    @property
    def decodes(self) -> bool:
        return self.decoder is not None

    @property
    def reads_charset(self) -> bool:
        return self.name in CHARSET_FORMATS


class FormatProblem(Exception):
    """A located problem: ``key`` is ``outputRawFormat`` or ``outputSchema``."""

    def __init__(self, code: str, message: str, key: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.key = key


def plan_output(
    raw_format: Any, raw_schema: Any, spec_dir: Path, warn: Callable[[FormatProblem], None]
) -> OutputFormat | None:
    """The decoding plan for an operation's ``outputRawFormat``/``outputSchema`` (``None``: JSON,
    passed through as it is). Raises :class:`FormatProblem` when it cannot be honoured; ``warn``
    hears about an ``outputSchema`` that the format does not read."""
    name = "json" if raw_format is None else str(raw_format).strip().lower()
    if name not in FORMATS:
        raise FormatProblem(
            "unsupported-output-format",
            f"outputRawFormat {raw_format!r} is not a known format (known: {', '.join(FORMATS)})",
            "outputRawFormat",
        )
    schema = None if raw_schema is None else str(raw_schema)
    if schema is not None and name not in SCHEMA_FORMATS:
        warn(
            FormatProblem(
                "output-schema-ignored",
                f"outputSchema is not read with outputRawFormat {name} (only avro, protobuf, "
                "html and markdown use it)",
                "outputSchema",
            )
        )
    label, accept = FORMATS[name]
    if name == "json":
        return None
    if name == "binary":
        return OutputFormat(name, label, accept)
    if name == "protobuf":
        schema_expr = _protobuf_message(schema, spec_dir)
        return OutputFormat(name, label, accept, "from_protobuf", schema_expr=schema_expr)
    if name == "avro":
        schema_expr = f"formats.avro_schema({_avro_schema(schema, spec_dir)})"
        return OutputFormat(name, label, accept, "from_avro", schema_expr=schema_expr)
    if name in ("html", "markdown") and schema is not None and schema.strip():
        if name == "html":
            _check_selector(schema)
        return OutputFormat(name, label, accept, f"from_{name}", py(schema))
    return OutputFormat(name, label, accept, f"from_{name}")


def _check_selector(selector: str) -> None:
    """An html ``outputSchema`` is a CSS selector: compile it now rather than at the first call."""
    try:
        soupsieve.compile(selector)
    except soupsieve.SelectorSyntaxError as exc:
        message = " ".join(str(exc).split())
        raise FormatProblem(
            "output-schema-invalid",
            f"outputSchema {selector!r} is not a CSS selector: {message}",
            "outputSchema",
        ) from None


def _schema_file(name: str, schema: str | None, spec_dir: Path) -> tuple[Path, str]:
    """The schema file an avro/protobuf operation names, and its text."""
    if schema is None or not schema.strip():
        raise FormatProblem(
            "output-schema-missing",
            f"outputRawFormat {name} needs outputSchema: the path of the "
            f"{'.avsc' if name == 'avro' else '.proto'} file",
            "outputRawFormat",
        )
    path = _schema_path(schema, spec_dir)
    try:
        if path.stat().st_size > MAX_SCHEMA_BYTES:
            raise FormatProblem(
                "output-schema-unreadable",
                f"outputSchema {schema!r} is larger than {MAX_SCHEMA_BYTES} bytes",
                "outputSchema",
            )
        return path, path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
        raise FormatProblem(
            "output-schema-unreadable",
            f"cannot read outputSchema {schema!r} ({path}): {reason}",
            "outputSchema",
        ) from None


def _avro_schema(schema: str | None, spec_dir: Path) -> str:
    """The .avsc file's JSON, checked with fastavro, as a Python literal."""
    _, text = _schema_file("avro", schema, spec_dir)
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise FormatProblem(
            "output-schema-invalid", f"outputSchema {schema!r} is not JSON: {exc}", "outputSchema"
        ) from None
    problem = _avro_problem(document)
    if problem:
        raise FormatProblem(
            "output-schema-invalid",
            f"outputSchema {schema!r} is not an Avro schema: {problem}",
            "outputSchema",
        )
    return py(document)


def _avro_problem(document: Any) -> str:
    """What fastavro finds wrong with the schema ("" when it parses)."""
    if not isinstance(document, dict | list | str):
        return "a schema is a JSON object, array or type name"
    try:
        fastavro.parse_schema(document)
    except Exception as exc:  # fastavro raises many types (SchemaParseException, KeyError, ...)
        return str(exc) or type(exc).__name__
    return ""


def _protobuf_message(schema: str | None, spec_dir: Path) -> str:
    """The .proto file compiled by protoc (grpcio-tools) to a descriptor set, embedded as base64;
    the message decoded is the file's first, as the engine's Jackson protobuf schema loader picks.
    Imports resolve against the file's folder and protoc's well-known types."""
    path, _ = _schema_file("protobuf", schema, spec_dir)
    if importlib.util.find_spec("grpc_tools") is None:
        raise FormatProblem(
            "unsupported-output-format-protobuf",
            f"compiling outputSchema {schema!r} needs protoc from grpcio-tools, which is not "
            "installed",
            "outputRawFormat",
        )
    includes = Path(str(importlib.resources.files("grpc_tools"))) / "_proto"
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "descriptors.pb"
        command = [sys.executable, "-m", "grpc_tools.protoc", f"-I{path.parent}", f"-I{includes}"]
        command += ["--include_imports", f"--descriptor_set_out={out}", path.name]
        try:
            result = subprocess.run(
                command, cwd=path.parent, capture_output=True, text=True, timeout=120
            )
        except subprocess.TimeoutExpired:
            result = subprocess.CompletedProcess(command, 1, "", "protoc took over 120 s")
        if result.returncode != 0 or not out.is_file():
            message = " ".join(result.stderr.split())[:500] or f"protoc exit {result.returncode}"
            raise FormatProblem(
                "output-schema-invalid",
                f"outputSchema {schema!r} does not compile: {message}",
                "outputSchema",
            )
        descriptors = out.read_bytes()
    from google.protobuf import descriptor_pb2  # grpcio-tools' own dependency

    files = descriptor_pb2.FileDescriptorSet.FromString(descriptors).file
    own = next((f for f in files if f.name == path.name), None)
    if own is None or not own.message_type:
        raise FormatProblem(
            "output-schema-invalid",
            f"outputSchema {schema!r} declares no message to decode",
            "outputSchema",
        )
    message = ".".join(part for part in (own.package, own.message_type[0].name) if part)
    encoded = base64.b64encode(descriptors).decode("ascii")
    return f"formats.protobuf_message({py(encoded)}, {py(message)})"


def _schema_path(schema: str, spec_dir: Path) -> Path:
    text = schema.strip()
    if text.startswith("file://"):
        text = text[len("file://") :]
        if text.startswith(("/./", "/../")):
            text = text[1:]
    path = Path(text)
    return path if path.is_absolute() else spec_dir / path
