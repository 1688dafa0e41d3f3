"""Example requests for the generated README: one ``curl`` per REST route, with example values for
every input the model declares (path, query, body), computed here so the template stays thin.

Values are placeholders shaped by type: a string input ``accountId`` is ``ACCOUNT_ID`` (obviously
something to replace), numbers are ``1``, booleans ``true``, objects ``{}`` and arrays ``[]``.
Everything is percent-encoded here and shell-quoted by the template's ``sh`` filter.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from naftiko_gen import naming
from naftiko_gen.model import Capability, Input, RestOperation

_PLACEHOLDER = re.compile(r"\{([^}:]+)(?::[^}]*)?\}")


@dataclass(frozen=True)
class CurlExample:
    method: str
    url: str
    body: str | None


def example_value(i: Input) -> Any:
    return {
        "integer": 1,
        "number": 1.5,
        "boolean": True,
        "object": {},
        "array": [],
    }.get(i.json_type, naming.snake(i.name).upper())


def _text(value: Any) -> str:
    """How a value is written in a path segment or a query string (query values are coerced)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


def example_request(
    op: RestOperation,
) -> tuple[str, dict[str, str], Any]:
    """``(path, query, body)`` for ``op``: ``body`` is ``None`` when nothing is sent."""
    by_key = {i.rest_key: i for i in op.path_inputs}

    def segment(match: re.Match[str]) -> str:
        found = by_key.get(match.group(1))
        value = example_value(found) if found is not None else match.group(1)
        return "\x00" + quote(_text(value), safe="") + "\x00"

    marked = _PLACEHOLDER.sub(segment, op.path)
    # Literal parts of the route are percent-encoded too; the values above already are.
    path = "".join(
        part if n % 2 else quote(part, safe="/") for n, part in enumerate(marked.split("\x00"))
    )
    whole_body = next((i for i in op.inputs if i.rest_source == "body"), None)
    fields = [i for i in op.inputs if i.rest_source == "query"]
    members = [i for i in op.inputs if i.rest_source == "field"]
    query: dict[str, str] = {}
    body: Any = None
    if whole_body is not None:
        body = example_value(whole_body)
    if op.reads_body and whole_body is None:
        body = {i.rest_key: example_value(i) for i in [*fields, *members]}
    else:
        query = {i.rest_key: _text(example_value(i)) for i in fields}
    return path, query, body


def rest_examples(model: Capability) -> tuple[CurlExample, ...]:
    if model.rest is None:
        return ()
    examples = []
    for op in model.rest.operations:
        path, query, body = example_request(op)
        url = f"http://127.0.0.1:{model.rest.port}{path}"
        if query:
            url += "?" + urlencode(query, quote_via=quote)
        text = None
        if body is not None or op.reads_body:
            text = json.dumps({} if body is None else body, ensure_ascii=False)
        examples.append(CurlExample(op.http_method, url, text))
    return tuple(examples)
