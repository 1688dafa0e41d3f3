"""Real-world dialect rules resolved by the normaliser, each with a small spec written for it."""

from __future__ import annotations

from pathlib import Path

from naftiko_gen.build import validate
from naftiko_gen.diagnostics import Diagnostic, Level, SpecError
from naftiko_gen.model import CallPlan, Capability

HEAD = """\
naftiko: 1.0.0-alpha1
info: {title: Dialect demo}
"""
CONSUMES = """\
capability:
  consumes:
  - type: http
    namespace: {namespace}
    baseUri: https://api.example.test
    authentication: {auth}
    resources:
    - name: items
      path: /items
      operations:
      - {{id: list-items, path: '/{{{{tools.kind}}}}', method: GET}}
  exposes:
  - type: mcp
    namespace: demo-mcp
    port: 9090
    tools:
    - {{name: list, description: List, call: {call}{extra}}}
"""


def build(tmp_path: Path, text: str, **files: str) -> Capability:
    for name, content in files.items():
        (tmp_path / name).write_text(content)
    spec = tmp_path / "demo.yaml"
    spec.write_text(text)
    return validate(spec)[0]


def spec(
    namespace: str = "api",
    auth: str = "{type: bearer, token: '{{TOKEN}}'}",
    call: str = "api.list-items",
    extra: str = "",
    head: str = HEAD,
) -> str:
    return head + CONSUMES.format(namespace=namespace, auth=auth, call=call, extra=extra)


def test_info_title_stands_in_for_label(tmp_path: Path) -> None:
    assert build(tmp_path, spec()).title == "Dialect demo"


def test_operation_id_and_operation_level_path_name_and_locate_the_operation(
    tmp_path: Path,
) -> None:
    model = build(tmp_path, spec())

    (operation,) = model.upstreams[0].operations
    assert operation.name == "list-items"
    assert operation.path_template == "/items/{{tools.kind}}"
    assert operation.path_expr == "'/items/' + quote_segment(kind)"


def test_a_namespace_with_a_dot_is_matched_whole(tmp_path: Path) -> None:
    model = build(tmp_path, spec(namespace="openapi.yml", call="openapi.yml.list-items"))

    assert model.mcp is not None
    assert model.mcp.tools[0].call.operation.name == "list-items"


def test_bind_shorthands_name_environment_variables(tmp_path: Path) -> None:
    head = HEAD + "binds:\n- TOKEN\n- {name: OTHER, env: OTHER_ENV}\n"

    model = build(tmp_path, spec(head=head))

    assert {(s.variable, s.env_var) for s in model.secrets} == {
        ("TOKEN", "TOKEN"),
        ("OTHER", "OTHER_ENV"),
    }


def test_apikey_spelt_openapi_style_and_several_key_headers(tmp_path: Path) -> None:
    openapi_style = build(
        tmp_path, spec(auth="{type: apiKey, in: query, name: api_key, " "value: '{{TOKEN}}'}")
    )
    several = build(
        tmp_path,
        spec(auth="{type: apikey, headers: {DD-API-KEY: '{{A}}', " "DD-APPLICATION-KEY: '{{B}}'}}"),
    )

    assert openapi_style.upstreams[0].query == (("'api_key'", "settings.token"),)
    assert [name for name, _ in several.upstreams[0].headers] == [
        "'DD-API-KEY'",
        "'DD-APPLICATION-KEY'",
    ]


def test_top_level_imports_in_their_three_spellings(tmp_path: Path) -> None:
    shared = (
        "naftiko: 1.0.0-alpha1\nconsumes:\n- type: http\n  namespace: shared-api\n"
        "  baseUri: https://shared.example.test\n  resources:\n  - name: r\n    path: /r\n"
        "    operations:\n    - {name: get-r, method: GET}\n"
    )
    exposes = (
        "capability:\n  exposes:\n  - type: mcp\n    namespace: m\n    port: 9090\n"
        "    tools:\n    - {name: t, description: T, call: CALL}\n"
    )
    for imports, call in [
        ("import:\n- {name: alias, location: ./shared.yaml}\n", "alias.get-r"),
        ("imports:\n- {namespace: alias, url: shared.yaml}\n", "alias.get-r"),
        ("imports:\n- ./shared.yaml\n", "shared-api.get-r"),
    ]:
        model = build(
            tmp_path, HEAD + imports + exposes.replace("CALL", call), **{"shared.yaml": shared}
        )

        (upstream,) = model.upstreams
        assert upstream.base_uri == "https://shared.example.test"


def test_an_output_mapping_path_selects_part_of_the_answer(tmp_path: Path) -> None:
    extra = ", outputParameters: [{type: array, mapping: '$.data.items', items: {type: object}}]"

    model = build(tmp_path, spec(extra=extra))

    assert model.mcp is not None
    behaviour = model.mcp.tools[0].behaviour
    assert isinstance(behaviour, CallPlan)
    assert behaviour.outputs_expr == "(Output('array', mapping=path('$.data.items')), )"


def test_a_whole_body_mapping_is_a_pass_through(tmp_path: Path) -> None:
    model = build(tmp_path, spec(extra=", outputParameters: [{type: object, mapping: $.}]"))

    assert model.mcp is not None
    behaviour = model.mcp.tools[0].behaviour
    assert isinstance(behaviour, CallPlan)
    assert behaviour.inline


def test_a_parameter_value_that_is_one_placeholder_reads_that_input(tmp_path: Path) -> None:
    text = spec().replace(
        "method: GET}",
        "method: GET, inputParameters: [{name: q, in: query, value: '{{userId}}'}]}",
    )

    model = build(tmp_path, text)

    assert model.mcp is not None
    tool = model.mcp.tools[0]
    assert sorted(i.name for i in tool.inputs) == ["kind", "userId"]
    assert ("q", "userId") in {(b.arg, b.input_name) for b in tool.call.bindings}


def test_a_placeholder_repeated_in_a_rest_path_gets_distinct_route_parameters(
    tmp_path: Path,
) -> None:
    text = spec() + (
        "  - type: rest\n    namespace: r\n    port: 8081\n    resources:\n"
        "    - path: /accounts/{account_id}/members/{account_id}\n"
        "      operations: [{method: GET, call: api.list-items}]\n"
    )

    model = build(tmp_path, text)

    assert model.rest is not None
    assert model.rest.operations[0].path == "/accounts/{account_id}/members/{account_id_2}"


# -- call namespaces written close to the declared one --------------------------------------------

GUESS = """\
naftiko: 1.0.0-alpha2
info: {label: Guesses}
capability:
  consumes:
  - type: http
    namespace: youtube-live-streaming
    baseUri: https://live.example.test
    resources:
    - name: streams
      path: /streams
      operations:
      - {name: list-live-streams, method: GET}
      - {name: getStreamHealth, method: GET}
  - type: http
    namespace: youtube-data-api
    baseUri: https://data.example.test
    resources:
    - name: videos
      path: /videos
      operations:
      - {name: list-videos, method: GET}
      - {name: list-live-streams-too, method: GET}
  exposes:
  - type: mcp
    namespace: guesses-mcp
    port: 9090
    tools:
    - {name: keeper, description: Keeps the spec buildable, call: youtube-data-api.list-videos}
"""


def checked(
    tmp_path: Path, text: str, strict: bool = False
) -> tuple[Capability | None, list[Diagnostic]]:
    spec = tmp_path / "demo.yaml"
    spec.write_text(text)
    try:
        model, diagnostics = validate(spec, strict=strict)
    except SpecError as exc:
        return None, exc.diagnostics
    return model, [d for d in diagnostics if d.code != "official-shape"]


def tool(call: str) -> str:
    return f"    - {{name: t, description: T, call: {call}}}\n"


def test_a_call_namespace_that_is_a_prefix_of_the_consumes_namespace_is_guessed_with_a_warning(
    tmp_path: Path,
) -> None:
    model, found = checked(tmp_path, GUESS + tool("youtube-live.list-live-streams"))

    assert model is not None and model.mcp is not None
    assert model.mcp.tools[1].call.operation.name == "list-live-streams"
    assert model.mcp.tools[1].call.upstream_attr == "youtube_live_streaming"
    (guess,) = found
    assert (guess.code, guess.level) == ("call-namespace-guessed", Level.WARNING)
    assert "'youtube-live' is no namespace, but it is a prefix of 'youtube-live-streaming'" in (
        guess.message
    )
    assert guess.hint == "write call: youtube-live-streaming.list-live-streams"
    assert guess.json_path == "$.capability.exposes[0].tools[1].call"


def test_a_call_namespace_spelt_with_other_separators_or_case_is_guessed(tmp_path: Path) -> None:
    model, found = checked(tmp_path, GUESS + tool("YouTube_Live_Streaming.list-live-streams"))

    assert model is not None and model.mcp is not None
    assert model.mcp.tools[1].call.operation.name == "list-live-streams"
    assert [d.code for d in found] == ["call-namespace-guessed"]
    assert "spelt with other separators" in found[0].message


def test_a_call_namespace_similar_to_the_consumes_namespace_is_guessed(tmp_path: Path) -> None:
    model, found = checked(tmp_path, GUESS + tool("youtube-live-streamin.list-live-streams"))

    assert model is not None and model.mcp is not None
    assert [d.code for d in found] == ["call-namespace-guessed"]
    assert "close to 'youtube-live-streaming' (similarity 0.98)" in found[0].message


def test_a_namespace_far_from_the_one_declaring_the_operation_is_not_guessed(
    tmp_path: Path,
) -> None:
    model, found = checked(tmp_path, GUESS + tool("slack-apps.list-live-streams"))

    assert model is not None and model.mcp is not None
    assert [t.name for t in model.mcp.tools] == ["keeper"]
    (refusal,) = found
    assert (refusal.code, refusal.level) == ("unknown-namespace", Level.WARNING)
    assert (
        "'youtube-live-streaming' declares 'list-live-streams', but 'slack-apps' is not close"
        in (refusal.message)
    )
    assert refusal.message.endswith("tool 't' is left out")
    assert (
        refusal.hint
        == "write call: youtube-live-streaming.list-live-streams if that is the operation meant"
    )


def test_an_operation_several_namespaces_declare_is_not_guessed(tmp_path: Path) -> None:
    text = GUESS.replace("list-live-streams-too", "list-live-streams") + tool(
        "youtube.list-live-streams"
    )

    model, found = checked(tmp_path, text)

    assert model is not None and model.mcp is not None
    assert [t.name for t in model.mcp.tools] == ["keeper"]
    assert [d.code for d in found] == ["unknown-namespace"]
    assert "several consumes namespaces declare 'list-live-streams'" in found[0].message


def test_an_operation_declared_twice_in_its_namespace_is_not_guessed(tmp_path: Path) -> None:
    text = GUESS.replace(
        "      - {name: getStreamHealth, method: GET}\n",
        "      - {name: getStreamHealth, method: GET}\n"
        "      - {name: list-live-streams, method: POST}\n",
    ) + tool("youtube-live.list-live-streams")

    model, found = checked(tmp_path, text)

    assert model is not None and model.mcp is not None
    assert [t.name for t in model.mcp.tools] == ["keeper"]
    assert [d.code for d in found] == ["duplicate-operation", "unknown-namespace"]
    assert "declares 'list-live-streams' more than once" in found[1].message


def test_an_operation_name_that_differs_only_in_case_is_called_with_a_warning(
    tmp_path: Path,
) -> None:
    model, found = checked(tmp_path, GUESS + tool("youtube-live.getstreamhealth"))

    assert model is not None and model.mcp is not None
    assert model.mcp.tools[1].call.operation.name == "getStreamHealth"
    assert [d.code for d in found] == ["call-namespace-guessed", "call-operation-case"]
    assert found[1].hint == "write call: youtube-live-streaming.getStreamHealth"


def test_under_strict_a_guessed_call_namespace_is_an_error(tmp_path: Path) -> None:
    model, found = checked(tmp_path, GUESS + tool("youtube-live.list-live-streams"), strict=True)

    assert model is None
    assert [(d.code, d.level) for d in found] == [("call-namespace-guessed", Level.ERROR)]


# -- a broken exposes adapter is left out -------------------------------------------------------

SKILL_WITHOUT_SKILLS = """\
  - type: skill
    namespace: guesses-skill
    port: 9191
    tools:
    - {name: keeper, call: youtube-data-api.list-videos}
"""


def test_a_skill_adapter_without_skills_is_left_out_and_the_rest_builds(tmp_path: Path) -> None:
    model, found = checked(tmp_path, GUESS + SKILL_WITHOUT_SKILLS)

    assert model is not None and model.mcp is not None and model.skill is None
    assert [t.name for t in model.mcp.tools] == ["keeper"]
    left_out = found[0]
    assert (left_out.code, left_out.level) == ("missing-key", Level.WARNING)
    assert left_out.message == (
        "missing required key 'skills'; this skill adapter ('guesses-skill') is left out"
    )
    assert left_out.json_path == "$.capability.exposes[1]"
    assert (left_out.location.line, left_out.location.column) == (29, 5)


def test_rest_without_resources_and_mcp_without_tools_are_left_out_the_same_way(
    tmp_path: Path,
) -> None:
    text = GUESS + (
        "  - {type: rest, namespace: bare-rest, port: 8081}\n"
        "  - {type: mcp, namespace: bare-mcp, port: 9092}\n"
    )

    model, found = checked(tmp_path, text)

    assert model is not None and model.rest is None
    assert model.mcp is not None and model.mcp.namespace == "guesses-mcp"
    assert [(d.code, d.message) for d in found] == [
        (
            "missing-key",
            "missing required key 'resources'; this rest adapter ('bare-rest') is left out",
        ),
        ("missing-key", "missing required key 'tools'; this mcp adapter ('bare-mcp') is left out"),
    ]


def test_under_strict_a_broken_adapter_is_an_error(tmp_path: Path) -> None:
    model, found = checked(tmp_path, GUESS + SKILL_WITHOUT_SKILLS, strict=True)

    assert model is None
    assert ("missing-key", Level.ERROR) in [(d.code, d.level) for d in found]


def test_when_every_adapter_is_broken_nothing_to_expose_is_the_error(tmp_path: Path) -> None:
    text = GUESS.replace("    port: 9090\n", "    port: [9090]\n")

    model, found = checked(tmp_path, text)

    assert model is None
    assert [(d.code, d.level) for d in found] == [
        ("nothing-to-expose", Level.ERROR),
        ("wrong-type", Level.WARNING),
    ]


# -- apikey spellings and placements ------------------------------------------------------------


def test_apikey_header_spelling_is_the_key_of_a_header_with_an_official_shape_warning(
    tmp_path: Path,
) -> None:
    text = spec(auth="{type: apikey, header: Authorization, value: '{{TOKEN}}'}")
    (tmp_path / "demo.yaml").write_text(text)

    model, diagnostics = validate(tmp_path / "demo.yaml")

    assert model.upstreams[0].headers == (("'Authorization'", "settings.token"),)
    assert model.upstreams[0].query == ()
    shape = [d for d in diagnostics if d.code == "official-shape" and "header: NAME" in d.message]
    assert [d.json_path for d in shape] == ["$.capability.consumes[0].authentication.header"]
    assert shape[0].hint == "write key: NAME and placement: header"


PLACED = """\
naftiko: 1.0.0-alpha2
info: {label: Placed}
binds:
- namespace: env
  keys: {BOT_TOKEN: BOT_TOKEN, REGION: REGION}
capability:
  consumes:
  - type: http
    namespace: bot
    baseUri: BASE
    authentication: {type: apikey, key: token, value: '{{BOT_TOKEN}}', placement: PLACEMENT}
    resources:
    - name: r
      path: PATH
      operations:
      - {name: get-me, method: GET}
      - {name: send, method: POST, inputParameters: [{name: text, in: body, type: string}]}
  exposes:
  - type: mcp
    namespace: placed-mcp
    port: 9090
    tools:
    - {name: get-me, description: Me, call: bot.get-me}
    - {name: send, description: Send, call: bot.send}
"""


def placed(base: str, placement: str, path: str = "/getMe") -> str:
    return PLACED.replace("BASE", base).replace("PLACEMENT", placement).replace("PATH", path)


def test_a_path_apikey_fills_its_base_uri_placeholder_at_run_time_and_asks_for_no_setting(
    tmp_path: Path,
) -> None:
    model, found = checked(tmp_path, placed("https://{region}.bot.example.test/bot{token}", "path"))

    assert model is not None
    (upstream,) = model.upstreams
    assert upstream.base_uri == "https://{region}.bot.example.test/bot{token}"
    assert upstream.base_uri_variables == (("{region}", "BOT_REGION"),)
    assert upstream.base_uri_secrets == (("{token}", "settings.bot_token"),)
    assert upstream.headers == () and upstream.query == ()
    assert found == []


def test_a_path_apikey_fills_its_placeholder_in_consumed_paths(tmp_path: Path) -> None:
    model, found = checked(
        tmp_path, placed("https://files.example.test", "path", "/file/bot{token}/{id}")
    )

    assert model is not None
    (upstream,) = model.upstreams
    assert upstream.base_uri_secrets == ()
    get_me = upstream.operations[0]
    assert get_me.path_expr == (
        "'/file/bot' + quote_segment(self._vars.bot_token) + '/' + quote_segment(id)"
    )
    assert [p.name for p in get_me.params] == ["id"]
    assert get_me.uses_vars
    assert found == []


def test_a_path_apikey_without_its_placeholder_is_refused_where_the_placement_is_written(
    tmp_path: Path,
) -> None:
    model, found = checked(tmp_path, placed("https://bot.example.test", "path"))

    assert model is None
    (refusal,) = found
    assert (refusal.code, refusal.level) == ("apikey-path-placeholder", Level.ERROR)
    assert refusal.json_path == "$.capability.consumes[0].authentication.placement"
    assert "neither the baseUri 'https://bot.example.test' nor a path" in refusal.message
    assert "{token}" in refusal.hint


def test_a_body_apikey_is_given_to_the_client_and_bodiless_operations_are_named_once(
    tmp_path: Path,
) -> None:
    model, found = checked(tmp_path, placed("https://sms.example.test", "body"))

    assert model is not None
    (upstream,) = model.upstreams
    assert upstream.body_key == ("'token'", "settings.bot_token")
    assert upstream.headers == () and upstream.query == ()
    (said,) = found
    assert (said.code, said.level) == ("apikey-body-in-query", Level.WARNING)
    assert said.message == (
        "apikey placement 'body' of namespace 'bot': get-me (GET /getMe) sends no JSON or form "
        "body, so the key goes in the query string"
    )
    assert said.json_path == "$.capability.consumes[0].authentication.placement"


def test_a_body_apikey_says_nothing_when_every_operation_sends_a_body(tmp_path: Path) -> None:
    text = placed("https://sms.example.test", "body").replace(
        "    - {name: get-me, description: Me, call: bot.get-me}\n", ""
    )

    model, found = checked(tmp_path, text)

    assert model is not None and model.upstreams[0].body_key is not None
    assert found == []


def test_an_unknown_apikey_placement_in_an_imported_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "shared.yaml").write_text(
        "naftiko: 1.0.0-alpha2\nconsumes:\n- type: http\n  namespace: bot\n"
        "  baseUri: https://bot.example.test\n"
        "  authentication: {type: apikey, key: k, value: '{{BOT_TOKEN}}', placement: form}\n"
        "  resources: [{name: r, path: /r, operations: [{name: get-me, method: GET}]}]\n"
    )
    text = PLACED.split("  consumes:\n")[0] + (
        "  consumes:\n  - {import: bot, location: ./shared.yaml}\n"
        "  exposes:\n  - type: mcp\n    namespace: m\n    port: 9090\n"
        "    tools: [{name: t, description: T, call: bot.get-me}]\n"
    )

    model, found = checked(tmp_path, text)

    assert model is None
    (refusal,) = found
    assert refusal.code == "apikey-placement"
    assert refusal.location.file.endswith("shared.yaml")
    assert "'form' is not one of header, query, cookie, path, body" in refusal.message


# -- refusals that say what the file really declares --------------------------------------------


def test_an_import_of_a_namespace_the_file_does_not_declare_names_the_ones_it_does(
    tmp_path: Path,
) -> None:
    (tmp_path / "shared.yaml").write_text(
        "naftiko: 1.0.0-alpha1\ncapability:\n  consumes:\n  - type: http\n"
        "    namespace: openapi.yml\n    baseUri: https://es.example.test\n"
        "    resources: [{name: d, path: /domains, operations: [{name: ListDomainNames}]}]\n"
    )
    text = GUESS.replace(
        "  consumes:\n", "  consumes:\n  - {import: opensearch_service, location: ./shared.yaml}\n"
    )

    model, found = checked(tmp_path, text)

    assert model is None
    (refusal,) = found
    assert refusal.code == "import-not-found"
    assert refusal.message == (
        "'./shared.yaml' declares no consumes namespace 'opensearch_service' (it declares: "
        "openapi.yml)"
    )
    assert refusal.hint == "write import: openapi.yml, and call openapi.yml.<operation>"


def test_a_consumes_entry_naming_an_openapi_document_is_refused_once_with_its_own_code(
    tmp_path: Path,
) -> None:
    text = GUESS.replace(
        "  consumes:\n",
        "  consumes:\n  - {openapi: workday, location: ../openapi/workday.yml}\n",
    ) + tool("workday.list-process-instances")

    model, found = checked(tmp_path, text)

    assert model is None
    refusals = [d for d in found if d.code not in ("missing-key", "unknown-key")]
    assert [(d.code, d.json_path) for d in refusals] == [
        ("openapi-consumes", "$.capability.consumes[0].openapi")
    ]
    assert "('../openapi/workday.yml', not found)" in refusals[0].message
    assert "namespace: workday" in refusals[0].hint


def test_a_top_level_import_without_a_location_says_which_keys_it_has(tmp_path: Path) -> None:
    text = GUESS.replace("capability:\n", "imports:\n- {source: shared/apim.yaml}\ncapability:\n")

    model, found = checked(tmp_path, text)

    assert model is None
    refusal = next(d for d in found if d.code == "bad-import")
    assert refusal.json_path == "$.imports[0]"
    assert refusal.message.endswith("this one has 'source'")
    assert "location: ./shared/file.yaml" in refusal.hint
