"""naftiko-capability.schema.json: accepts the real-world dialect, rejects structural mistakes
at the leaf that causes them."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

ROOT = Path(__file__).parents[2]
SCHEMA_PATH = ROOT / "generator/naftiko_gen/schema/naftiko-capability.schema.json"
SPECS = sorted((ROOT / "specs").glob("*.yaml"))

Doc = dict[str, Any]


def load_schema() -> Doc:
    schema: Doc = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


VALIDATOR = Draft202012Validator(load_schema())


def errors(doc: Any) -> list[tuple[str, str]]:
    """(JSON path, failing keyword) of every error, sorted."""
    return sorted((error.json_path, str(error.validator)) for error in VALIDATOR.iter_errors(doc))


def minimal() -> Doc:
    """A small capability in the api-evangelist dialect: rest + mcp pass-through of one call."""
    return {
        "naftiko": "1.0.0-alpha2",
        "info": {"label": "Orders", "description": "Orders API.", "tags": ["orders"]},
        "binds": [{"namespace": "env", "keys": {"API_TOKEN": "API_TOKEN"}}],
        "capability": {
            "consumes": [
                {
                    "type": "http",
                    "namespace": "orders",
                    "baseUri": "https://api.example.com/v1",
                    "description": "Upstream orders API.",
                    "authentication": {"type": "bearer", "token": "{{env.API_TOKEN}}"},
                    "resources": [
                        {
                            "name": "account-accountId-orders",
                            "path": "/account/{accountId}/orders",
                            "operations": [
                                {
                                    "name": "placeorder",
                                    "method": "POST",
                                    "inputParameters": [
                                        {
                                            "name": "accountId",
                                            "in": "path",
                                            "type": "string",
                                            "required": True,
                                        },
                                        {
                                            "name": "body",
                                            "in": "body",
                                            "type": "object",
                                            "description": "Payload.",
                                        },
                                    ],
                                    "outputParameters": [
                                        {"name": "result", "type": "object", "value": "$."}
                                    ],
                                }
                            ],
                        }
                    ],
                }
            ],
            "exposes": [
                {
                    "type": "rest",
                    "namespace": "orders-rest",
                    "port": 8080,
                    "description": "REST adapter.",
                    "resources": [
                        {
                            "path": "/v1/account/{accountid}/orders",
                            "name": "account-orders",
                            "operations": [
                                {
                                    "method": "POST",
                                    "name": "placeorder",
                                    "call": "orders.placeorder",
                                    "with": {"accountId": "rest.accountId", "body": "rest.body"},
                                    "outputParameters": [{"type": "object", "mapping": "$."}],
                                }
                            ],
                        }
                    ],
                },
                {
                    "type": "mcp",
                    "namespace": "orders-mcp",
                    "port": 9090,
                    "transport": "http",
                    "tools": [
                        {
                            "name": "place-order",
                            "description": "Place an order.",
                            "hints": {"readOnly": False, "destructive": False},
                            "call": "orders.placeorder",
                            "with": {"accountId": "tools.accountId", "body": "tools.body"},
                            "outputParameters": [{"type": "object", "mapping": "$."}],
                        }
                    ],
                },
            ],
        },
    }


def with_change(change: Callable[[Doc], object]) -> Doc:
    doc = minimal()
    change(doc)
    return doc


def rest_operation(doc: Doc) -> Doc:
    operation: Doc = doc["capability"]["exposes"][0]["resources"][0]["operations"][0]
    return operation


def mcp_tool(doc: Doc) -> Doc:
    tool: Doc = doc["capability"]["exposes"][1]["tools"][0]
    return tool


def consumes(doc: Doc) -> Doc:
    entry: Doc = doc["capability"]["consumes"][0]
    return entry


def consumed_operation(doc: Doc) -> Doc:
    operation: Doc = consumes(doc)["resources"][0]["operations"][0]
    return operation


def stdio(adapter: Doc) -> None:
    adapter["transport"] = "stdio"
    del adapter["port"]


# --- the schema itself -------------------------------------------------------------------------


def test_schema_is_a_valid_draft_2020_12_schema_with_the_project_id() -> None:
    schema = load_schema()

    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == "https://naftiko-gen.dev/schema/naftiko-capability.schema.json"
    assert schema["title"]
    assert schema["$defs"]


def test_schema_file_is_pretty_printed_with_two_space_indent() -> None:
    text = SCHEMA_PATH.read_text(encoding="utf-8")

    assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"


def test_discriminated_unions_use_no_one_of() -> None:
    assert '"oneOf"' not in SCHEMA_PATH.read_text(encoding="utf-8")


def test_every_declared_property_has_a_description() -> None:
    missing: list[str] = []

    def walk(schema: Any, path: str) -> None:
        if not isinstance(schema, dict):
            return
        for name, sub in schema.get("properties", {}).items():
            # 'if' predicates only restate a discriminator, which is described where declared.
            if isinstance(sub, dict) and "description" not in sub and ".if" not in path:
                missing.append(f"{path}.properties.{name}")
            walk(sub, f"{path}.properties.{name}")
        for key in ("additionalProperties", "items", "contains", "not", "if", "then", "else"):
            walk(schema.get(key), f"{path}.{key}")
        for key in ("allOf", "anyOf"):
            for index, sub in enumerate(schema.get(key, [])):
                walk(sub, f"{path}.{key}[{index}]")
        for name, sub in schema.get("$defs", {}).items():
            walk(sub, f"$defs.{name}")

    walk(load_schema(), "$")

    assert missing == []


# --- real specs are accepted ---------------------------------------------------------------------


def test_the_six_interactive_brokers_specs_are_present() -> None:
    assert [spec.name for spec in SPECS if spec.name.startswith("web-")] == [
        "web-accounts.yaml",
        "web-contracts.yaml",
        "web-market-data.yaml",
        "web-orders.yaml",
        "web-portfolio.yaml",
        "web-sessions.yaml",
    ]


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.stem)
def test_interactive_brokers_spec_validates(spec: Path) -> None:
    doc = yaml.safe_load(spec.read_text(encoding="utf-8"))

    assert errors(doc) == []


def test_minimal_dialect_capability_validates() -> None:
    assert errors(minimal()) == []


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            lambda d: d["info"].update(title=d["info"].pop("label"), personas=["Ops"]),
            id="info-title-and-extras",
        ),
        pytest.param(
            lambda d: consumes(d).update(baseUri="https://es.{region}.amazonaws.com"),
            id="baseuri-region",
        ),
        pytest.param(
            lambda d: consumes(d).update(baseUri="https://{{ML_HOST}}"), id="baseuri-mustache"
        ),
        pytest.param(
            lambda d: consumes(d).update(baseUri="https://${DT_ENV}.live.dynatrace.com/api"),
            id="baseuri-dollar",
        ),
        pytest.param(lambda d: consumed_operation(d).update(method="HEAD"), id="method-head"),
        pytest.param(lambda d: consumed_operation(d).pop("method"), id="method-missing"),
        pytest.param(lambda d: rest_operation(d).pop("method"), id="rest-method-missing"),
        pytest.param(
            lambda d: consumed_operation(d)["inputParameters"].append(
                {"name": "file", "in": "formData", "type": "file", "value": "{{tools.file}}"}
            ),
            id="formdata-parameter",
        ),
        pytest.param(
            lambda d: consumed_operation(d)["inputParameters"].append(
                {"name": "X-Version", "in": "header", "template": "2"}
            ),
            id="legacy-template-parameter",
        ),
        pytest.param(
            lambda d: consumed_operation(d).update(
                body={"type": "json", "data": {"qty": "{{tools.qty}}"}}
            ),
            id="json-body",
        ),
        pytest.param(lambda d: consumed_operation(d).update(body='{"a": {{a}}}'), id="raw-body"),
        pytest.param(
            lambda d: rest_operation(d)["with"].update(limit=10, dryRun=True, mode="fast"),
            id="with-literals",
        ),
        pytest.param(
            lambda d: mcp_tool(d).update(hints={"readOnlyHint": True, "destructiveHint": False}),
            id="mcp-hint-spelling",
        ),
        pytest.param(lambda d: mcp_tool(d).pop("description"), id="tool-without-description"),
        pytest.param(
            lambda d: mcp_tool(d).update(inputParameters=[{"name": "accountId", "type": "string"}]),
            id="tool-parameter-without-description",
        ),
        pytest.param(
            lambda d: consumes(d).update(
                authentication={
                    "type": "apikey",
                    "in": "header",
                    "name": "X-Api-Key",
                    "value": "{{K}}",
                }
            ),
            id="apikey-openapi-style",
        ),
        pytest.param(
            lambda d: consumes(d).update(
                authentication={
                    "type": "apikey",
                    "key": "X-Api-Key",
                    "value": "{{K}}",
                    "placement": "query",
                }
            ),
            id="apikey-naftiko-style",
        ),
        pytest.param(
            lambda d: consumes(d).update(
                authentication={"type": "oauth1", "consumerKey": "{{CK}}", "signingKey": "{{SK}}"}
            ),
            id="oauth1",
        ),
        pytest.param(
            lambda d: d["capability"]["consumes"].append(
                {"import": "registry", "location": "./shared/registry.yaml", "as": "reg"}
            ),
            id="consumes-import",
        ),
        pytest.param(
            lambda d: consumed_operation(d).update(
                name="getTheAuthenticatedUser/v2.list." + "x" * 80
            ),
            id="messy-names",
        ),
        pytest.param(lambda d: consumes(d).update(namespace="openapi.yml"), id="dotted-namespace"),
        pytest.param(
            lambda d: rest_operation(d).update(call="openapi.yml.list"),
            id="call-with-dotted-namespace",
        ),
        pytest.param(lambda d: stdio(d["capability"]["exposes"][1]), id="mcp-stdio-without-port"),
        pytest.param(
            lambda d: d["capability"]["exposes"][0].update(resources=[]), id="empty-rest-surface"
        ),
    ],
)
def test_real_world_dialect_is_accepted(change: Callable[[Doc], object]) -> None:
    assert errors(with_change(change)) == []


def test_advanced_framework_features_are_accepted() -> None:
    doc = minimal()
    doc["capability"]["aggregates"] = [
        {
            "label": "Orders",
            "namespace": "orders-agg",
            "functions": [
                {
                    "name": "list-orders",
                    "description": "List orders.",
                    "semantics": {"safe": True, "idempotent": True},
                    "call": "orders.placeorder",
                    "outputParameters": [
                        {"type": "array", "mapping": "$.items", "items": {"type": "object"}}
                    ],
                }
            ],
        }
    ]
    doc["capability"]["exposes"][1]["tools"] += [
        {"ref": "orders-agg.list-orders"},
        {
            "name": "orchestrated",
            "description": "Two steps.",
            "steps": [
                {
                    "type": "call",
                    "name": "fetch",
                    "call": "orders.placeorder",
                    "with": {"accountId": "orders-mcp.id"},
                },
                {
                    "type": "lookup",
                    "name": "find",
                    "index": "fetch",
                    "match": "id",
                    "lookupValue": "$.fetch.id",
                    "outputParameters": ["status"],
                },
                {"type": "script", "name": "shape", "language": "javascript", "file": "shape.js"},
            ],
            "mappings": [{"targetName": "order.status", "value": "$.find.status"}],
            "outputParameters": [{"name": "order", "type": "object"}],
        },
        {
            "name": "mock",
            "description": "Static answer.",
            "outputParameters": [{"name": "status", "type": "string", "value": "ok"}],
        },
    ]
    doc["capability"]["exposes"][0]["resources"].append(
        {
            "path": "/proxy/{path}",
            "forward": {"targetNamespace": "orders", "trustedHeaders": ["Authorization"]},
        }
    )
    doc["capability"]["exposes"] += [
        {
            "type": "control",
            "address": "localhost",
            "port": 9191,
            "management": {"health": True, "info": True},
        },
        {
            "type": "skill",
            "namespace": "orders-skills",
            "port": 9292,
            "skills": [
                {
                    "name": "ordering",
                    "description": "Order things.",
                    "location": "file:///opt/skills/ordering",
                    "tools": [
                        {
                            "name": "place",
                            "from": {"sourceNamespace": "orders-mcp", "action": "place-order"},
                        },
                        {"name": "guide", "instruction": "guide.md"},
                    ],
                }
            ],
        },
        {
            "type": "agent-skill",
            "namespace": "orders-agent",
            "skill": {"name": "ordering", "file": "SKILL.md"},
        },
    ]

    assert errors(doc) == []


# --- structural mistakes fail at the leaf ---------------------------------------------------------


def test_unknown_exposes_type_is_a_single_enum_error_on_type() -> None:
    doc = with_change(lambda d: d["capability"]["exposes"][0].update(type="graphql"))

    assert errors(doc) == [("$.capability.exposes[0].type", "enum")]


def test_unknown_authentication_type_is_a_single_enum_error_on_type() -> None:
    doc = with_change(lambda d: consumes(d)["authentication"].update(type="kerberos"))

    assert errors(doc) == [("$.capability.consumes[0].authentication.type", "enum")]


def test_resources_given_as_a_mapping_is_a_type_error() -> None:
    doc = with_change(
        lambda d: d["capability"]["exposes"][0].update(resources={"orders": {"path": "/orders"}})
    )

    assert errors(doc) == [("$.capability.exposes[0].resources", "type")]


def test_typo_in_a_closed_object_names_the_unexpected_key() -> None:
    resource = minimal()["capability"]["exposes"][0]["resources"][0]
    resource["opeartions"] = resource.pop("operations")
    doc = minimal()
    doc["capability"]["exposes"][0]["resources"][0] = resource

    (typo,) = [e for e in VALIDATOR.iter_errors(doc) if e.validator == "additionalProperties"]
    assert errors(doc) == [
        ("$.capability.exposes[0].resources[0]", "additionalProperties"),
        ("$.capability.exposes[0].resources[0]", "required"),
    ]
    assert "'opeartions'" in typo.message


def test_typo_inside_an_authentication_variant_is_reported_on_that_variant() -> None:
    doc = with_change(lambda d: consumes(d)["authentication"].update(tokn="{{T}}"))

    assert errors(doc) == [("$.capability.consumes[0].authentication", "additionalProperties")]


def test_non_string_naftiko_version_fails_on_naftiko() -> None:
    doc = with_change(lambda d: d.update(naftiko=2.0))

    assert errors(doc) == [("$.naftiko", "enum"), ("$.naftiko", "type")]


def test_unknown_naftiko_version_fails_on_naftiko() -> None:
    doc = with_change(lambda d: d.update(naftiko="0.5"))

    assert errors(doc) == [("$.naftiko", "enum")]


def test_document_that_is_not_a_capability_fails_on_naftiko_and_capability() -> None:
    consumes_only = {"consumes": minimal()["capability"]["consumes"]}

    assert errors(consumes_only) == [("$", "required"), ("$", "required")]
    assert {e.message for e in VALIDATOR.iter_errors(consumes_only)} == {
        "'naftiko' is a required property",
        "'capability' is a required property",
    }


def test_capability_without_exposes_fails_on_capability() -> None:
    doc = with_change(lambda d: d["capability"].pop("exposes"))

    assert errors(doc) == [("$.capability", "required")]


def test_empty_exposes_fails_on_min_items() -> None:
    doc = with_change(lambda d: d["capability"].update(exposes=[]))

    assert errors(doc) == [("$.capability.exposes", "minItems")]


def test_exposes_entry_without_type_fails_on_that_entry() -> None:
    doc = with_change(lambda d: d["capability"]["exposes"][1].pop("type"))

    assert errors(doc) == [("$.capability.exposes[1]", "required")]


def test_consumes_entry_without_type_fails_on_that_entry() -> None:
    doc = with_change(lambda d: consumes(d).pop("type"))

    assert errors(doc) == [("$.capability.consumes[0]", "required")]


def test_rest_adapter_without_resources_fails() -> None:
    doc = with_change(lambda d: d["capability"]["exposes"][0].pop("resources"))

    assert errors(doc) == [("$.capability.exposes[0]", "required")]


def test_consumed_resource_without_path_fails() -> None:
    doc = with_change(lambda d: consumes(d)["resources"][0].pop("path"))

    assert errors(doc) == [("$.capability.consumes[0].resources[0]", "required")]


def test_rest_operation_without_call_ref_steps_or_mock_value_reports_missing_call() -> None:
    doc = with_change(lambda d: rest_operation(d).pop("call"))

    assert errors(doc) == [("$.capability.exposes[0].resources[0].operations[0]", "required")]


def test_mcp_tool_with_only_a_mock_value_needs_no_call() -> None:
    def mock(d: Doc) -> None:
        mcp_tool(d).pop("call")
        mcp_tool(d)["outputParameters"] = [
            {"type": "object", "properties": {"status": {"type": "string", "value": "ok"}}}
        ]

    assert errors(with_change(mock)) == []


def test_string_where_a_list_is_expected_is_a_type_error() -> None:
    doc = with_change(
        lambda d: mcp_tool(d).update(outputParameters={"type": "object", "mapping": "$."})
    )

    assert errors(doc) == [("$.capability.exposes[1].tools[0].outputParameters", "type")]


def test_with_value_that_is_a_list_is_a_type_error_on_that_entry() -> None:
    doc = with_change(lambda d: mcp_tool(d)["with"].update(body=["tools.body"]))

    assert errors(doc) == [("$.capability.exposes[1].tools[0].with.body", "type")]


def test_step_typo_is_reported_on_the_step() -> None:
    doc = with_change(
        lambda d: mcp_tool(d).update(
            steps=[{"type": "call", "name": "fetch", "cal": "orders.placeorder"}]
        )
    )

    assert errors(doc) == [
        ("$.capability.exposes[1].tools[0].steps[0]", "additionalProperties"),
        ("$.capability.exposes[1].tools[0].steps[0]", "required"),
    ]


def test_unknown_http_method_fails_on_method() -> None:
    doc = with_change(lambda d: consumed_operation(d).update(method="FETCH"))

    assert errors(doc) == [("$.capability.consumes[0].resources[0].operations[0].method", "enum")]


def test_unknown_parameter_location_fails_on_in() -> None:
    doc = with_change(lambda d: consumed_operation(d)["inputParameters"][0].update({"in": "url"}))

    assert errors(doc) == [
        ("$.capability.consumes[0].resources[0].operations[0].inputParameters[0].in", "enum")
    ]


def test_consumed_operation_without_name_fails() -> None:
    doc = with_change(lambda d: consumed_operation(d).pop("name"))

    assert errors(doc) == [("$.capability.consumes[0].resources[0].operations[0]", "required")]


def test_auth_key_is_accepted_as_an_alias_of_authentication() -> None:
    doc = with_change(lambda d: consumes(d).update(auth=consumes(d).pop("authentication")))

    assert errors(doc) == []


def test_a_malformed_auth_alias_is_checked_like_authentication() -> None:
    doc = with_change(lambda d: consumes(d).update(auth={"type": "bearer", "token": 3}))

    assert errors(doc) != []


def test_skill_tool_without_from_or_instruction_is_left_to_the_normaliser() -> None:
    # "Exactly one of from/instruction" is a semantic rule: the normaliser warns and leaves the
    # tool out (tests/unit/test_skills.py) instead of the schema refusing the whole capability.
    doc = minimal()
    doc["capability"]["exposes"].append(
        {
            "type": "skill",
            "namespace": "s",
            "port": 9292,
            "skills": [{"name": "k", "tools": [{"name": "t"}]}],
        }
    )

    assert errors(doc) == []


@pytest.mark.parametrize("version", ["1.0.0-alpha2", "1.0.0-alpha3"])
def test_trailing_slash_base_uri_is_rejected_from_alpha2_on(version: str) -> None:
    def slash(d: Doc) -> None:
        d["naftiko"] = version
        consumes(d)["baseUri"] = "https://api.example.com/v1/"

    assert errors(with_change(slash)) == [("$.capability.consumes[0].baseUri", "pattern")]


def test_trailing_slash_base_uri_is_accepted_in_alpha1() -> None:
    def slash(d: Doc) -> None:
        d["naftiko"] = "1.0.0-alpha1"
        consumes(d)["baseUri"] = "https://api.example.com/v1/"

    assert errors(with_change(slash)) == []


def test_no_error_is_an_opaque_union_failure() -> None:
    broken = minimal()
    broken["capability"]["exposes"][0]["type"] = "graphql"
    broken["capability"]["consumes"][0]["authentication"] = {"type": "bearer", "tokn": 1}
    broken["capability"]["exposes"][1]["tools"][0]["steps"] = [{"type": "lookup", "name": "x"}]

    reported = list(VALIDATOR.iter_errors(copy.deepcopy(broken)))

    assert reported
    assert all(e.validator not in ("oneOf", "anyOf") for e in reported)
