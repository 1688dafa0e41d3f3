"""The OpenAPI 3.1 document of a generated REST app, computed from the model at build time.

It is written into the package as ``openapi.json`` and served unchanged, so the document can never
disagree with the routes it describes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from naftiko_gen.forward import openapi_paths

if TYPE_CHECKING:
    from naftiko_gen.model import Capability, Input, RestOperation

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string", "description": "Machine-readable error code."},
        "message": {"type": "string", "description": "What went wrong, for a human."},
        "field": {"type": "string", "description": "The input at fault, for invalid_input."},
    },
}


def openapi_document(model: Capability) -> dict[str, Any]:
    assert model.rest is not None
    paths: dict[str, dict[str, Any]] = {}
    for op in model.rest.operations:
        paths.setdefault(op.path, {})[op.http_method.lower()] = _operation(op)
    for path, item in openapi_paths(model.rest.forwards).items():
        for method, operation in item.items():
            paths.setdefault(path, {}).setdefault(method, operation)
    info: dict[str, Any] = {"title": model.title, "version": model.version}
    if model.description:
        info["description"] = model.description
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": info,
        "paths": paths,
        "components": {"schemas": {"Error": ERROR_SCHEMA}},
    }
    auth = model.rest.auth
    if auth is not None:
        schemes = auth.security_schemes()
        document["components"]["securitySchemes"] = schemes
        document["security"] = [{name: [] for name in schemes}]
        for operations in paths.values():
            for operation in operations.values():
                responses = operation["responses"]
                responses["401"] = _error(
                    "Missing or wrong credentials (see the WWW-Authenticate challenge); nothing "
                    "was sent upstream."
                )
                operation["responses"] = dict(
                    sorted(responses.items(), key=lambda item: (item[0] == "default", item[0]))
                )
    return document


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _operation(op: RestOperation) -> dict[str, Any]:
    document: dict[str, Any] = {"operationId": op.operation_id, "summary": op.summary}
    if op.description and op.description != op.summary:
        document["description"] = op.description
    parameters = [_parameter(i) for i in op.inputs if i.rest_source in ("path", "query")]
    if parameters:
        document["parameters"] = parameters
    body = next((i for i in op.inputs if i.rest_source == "body"), None)
    if body is not None:
        document["requestBody"] = {
            "required": body.required,
            "description": body.description or "JSON request body, forwarded upstream.",
            "content": {"application/json": {"schema": _type_schema(body)}},
        }
    output = op.call.operation.output if op.call is not None else None
    plain = op.behaviour.kind == "call" and not op.behaviour.outputs_expr
    success: dict[str, Any] = {
        "description": _success(op),
        "content": {"application/json": {"schema": {}}},
    }
    unreachable = "The upstream could not be reached."
    if output is not None and output.decodes:
        if plain:
            success["description"] = f"The upstream's {output.label} answer, decoded to JSON."
        unreachable = (
            f"The upstream could not be reached, or its {output.label} answer not decoded."
        )
    elif output is not None and plain:  # binary: passed through with the upstream's type
        success["content"] = {"*/*": {"schema": {}}}
    document["responses"] = {
        "200": success,
        "400": {
            "description": "Invalid input (our Error object; nothing was sent upstream), or the "
            "upstream's own 400 answer, passed through unchanged.",
            "content": {
                "application/json": {
                    "schema": {"anyOf": [{"$ref": "#/components/schemas/Error"}, {}]}
                }
            },
        },
        "502": _error(unreachable),
        "504": _error("The upstream did not answer in time."),
        "default": {
            "description": "Any other status the upstream answers, passed through unchanged.",
            "content": {"application/json": {"schema": {}}},
        },
    }
    return document


def _success(op: RestOperation) -> str:
    """What a success answer is, by what the operation does (its behaviour)."""
    behaviour = op.behaviour
    if behaviour.kind == "mock":
        return "A mock answer built from the operation's output values (no upstream call)."
    if behaviour.kind == "steps":
        return (
            "The object the operation's mappings build from its steps' outputs, or the last "
            "step's upstream response when no mapping resolves."
        )
    if behaviour.kind == "call" and behaviour.outputs_expr:
        return (
            "The upstream response shaped by the operation's output parameters (an upstream "
            "error or non-JSON answer is passed through unchanged)."
        )
    return "The upstream response, unchanged (status and body are passed through)."


def _parameter(i: Input) -> dict[str, Any]:
    parameter: dict[str, Any] = {
        "name": i.rest_key,
        "in": i.rest_source,
        "required": True if i.rest_source == "path" else i.required,
        "schema": _type_schema(i),
    }
    if i.description:
        parameter["description"] = i.description
    return parameter


def _type_schema(i: Input) -> dict[str, Any]:
    schema: dict[str, Any] = {} if i.json_type == "any" else {"type": i.json_type}
    if i.pattern is not None:
        schema["pattern"] = i.pattern
    return schema
