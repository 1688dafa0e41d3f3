"""naftiko_gen.skills: the ``skill`` exposes adapter resolved into the model, problems located.

Every rule has a stable code; a bad skill or skill tool is a warning that names the fix, and it is
left out while the rest of the capability still builds.
"""

from __future__ import annotations

import base64
import json
import os
import textwrap
from pathlib import Path

import pytest
from naftiko_gen import skills
from naftiko_gen.diagnostics import Diagnostic, Level, SpecError
from naftiko_gen.loader import LoadedSpec, PathKey, parse_text
from naftiko_gen.model import Capability, Skill, SkillTool
from naftiko_gen.normalise import normalise
from naftiko_gen.render import render_package

BASE = """
naftiko: 1.0.0-alpha2
info:
  label: Demo
capability:
  consumes:
  - type: http
    namespace: api
    baseUri: https://api.example.test/v1
    resources:
    - name: orders
      path: /orders
      operations:
      - {name: list, method: GET, description: List every order}
  exposes:
"""

SIBLINGS = """
- type: rest
  namespace: orders-rest
  port: 8081
  resources:
  - path: /orders
    operations:
    - {method: GET, name: list-orders, label: List Orders, call: api.list}
- type: mcp
  namespace: orders-mcp
  port: 9091
  tools:
  - {name: list-orders-tool, description: List orders for agents, call: api.list}
"""


def spec_text(exposes: str, *, siblings: bool = True) -> str:
    adapters = (textwrap.dedent(SIBLINGS) if siblings else "") + textwrap.dedent(exposes)
    return BASE + textwrap.indent(adapters, "  ")


def build(
    tmp_path: Path, exposes: str, *, siblings: bool = True
) -> tuple[Capability, list[Diagnostic]]:
    spec = parse_text(spec_text(exposes, siblings=siblings), str(tmp_path / "demo.yaml"))
    return normalise(spec, "demo.yaml", "demo")


def refused(tmp_path: Path, exposes: str, *, siblings: bool = True) -> list[Diagnostic]:
    spec = parse_text(spec_text(exposes, siblings=siblings), str(tmp_path / "demo.yaml"))
    with pytest.raises(SpecError) as raised:
        normalise(spec, "demo.yaml", "demo")
    return [d for d in raised.value.diagnostics if d.level is Level.ERROR]


def only_skill(model: Capability) -> Skill:
    assert model.skill is not None
    (skill,) = model.skill.skills
    return skill


def tool_names(model: Capability) -> list[str]:
    return [tool.name for tool in only_skill(model).tools]


def coded(diagnostics: list[Diagnostic]) -> list[tuple[str, str]]:
    return [(d.code, d.json_path) for d in diagnostics]


def skill_with_tools(tools: str, *, extra: str = "") -> str:
    """A skill adapter holding one skill ``guide`` with ``tools`` (a YAML list)."""
    listed = textwrap.dedent(tools).strip()
    body = " []" if listed == "[]" else "\n" + textwrap.indent(listed, " " * 4)
    more = textwrap.indent(textwrap.dedent(extra).strip(), " " * 4) + "\n" if extra else ""
    return (
        "- type: skill\n"
        "  namespace: demo-skills\n"
        "  port: 8095\n"
        "  skills:\n"
        "  - name: guide\n"
        "    description: How to order\n" + more + "    tools:" + body + "\n"
    )


def make_folder(tmp_path: Path, files: dict[str, bytes]) -> Path:
    folder = tmp_path / "skills" / "guide"
    for relative, content in files.items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_bytes(content)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# -- what a valid skill adapter becomes --------------------------------------------------------


def test_derived_tools_point_at_the_sibling_rest_operation_and_mcp_tool(tmp_path: Path) -> None:
    model, diagnostics = build(
        tmp_path,
        skill_with_tools("""
            - name: list-rest
              from: {sourceNamespace: orders-rest, action: list-orders}
            - name: list-mcp
              description: Orders, as an agent sees them
              from: {sourceNamespace: orders-mcp, action: list-orders-tool}
            """),
    )

    assert diagnostics == []
    assert model.skill is not None
    assert (model.skill.namespace, model.skill.port) == ("demo-skills", 8095)
    assert only_skill(model).tools == (
        SkillTool("list-rest", "List Orders", "orders-rest", "list-orders", "rest"),
        SkillTool(
            "list-mcp", "Orders, as an agent sees them", "orders-mcp", "list-orders-tool", "mcp"
        ),
    )
    assert model.adapter_kinds == ("rest", "mcp", "skill")


def test_derived_tool_without_description_takes_its_targets(tmp_path: Path) -> None:
    model, _ = build(
        tmp_path,
        skill_with_tools("""
            - name: list-mcp
              from: {sourceNamespace: orders-mcp, action: list-orders-tool}
            """),
    )

    assert only_skill(model).tools[0].description == "List orders for agents"


def test_instruction_tool_is_served_from_the_location_folder_read_at_build_time(
    tmp_path: Path,
) -> None:
    make_folder(
        tmp_path,
        {
            "order-guide.md": b"# Guide\r\n",
            "examples/usage.md": b"usage",
            "logo.png": b"\x89PNG\x00",
            ".env": b"SECRET=1",
            ".git/config": b"[core]",
            "__pycache__/x.pyc": b"\x00",
        },
    )
    model, diagnostics = build(
        tmp_path,
        skill_with_tools(
            """
            - name: how-to
              instruction: ./order-guide.md
            """,
            extra="location: ./skills/guide",
        ),
    )

    assert diagnostics == []
    skill = only_skill(model)
    assert skill.tools == (
        SkillTool("how-to", "Instructions in order-guide.md", instruction="order-guide.md"),
    )
    assert skill.files is not None
    assert [(f.path, f.media_type, f.content) for f in skill.files] == [
        ("examples/usage.md", "text/markdown", b"usage"),
        ("logo.png", "image/png", b"\x89PNG\x00"),
        ("order-guide.md", "text/markdown", b"# Guide\r\n"),
    ]


@pytest.mark.parametrize(
    "location",
    ["skills/guide", "./skills/guide", "file://./skills/guide", "file:///./skills/guide", "ABS"],
)
def test_location_is_a_path_or_file_uri_relative_to_the_spec(tmp_path: Path, location: str) -> None:
    folder = make_folder(tmp_path, {"a.md": b"a"})
    if location == "ABS":
        location = "file://" + str(folder).replace(" ", "%20")

    assert skills.local_path(location, tmp_path) is not None
    resolved = skills.local_path(location, tmp_path)
    assert resolved is not None and resolved.resolve() == folder.resolve()


def test_metadata_keys_follow_the_engine(tmp_path: Path) -> None:
    model, _ = build(
        tmp_path,
        """
        - type: skill
          namespace: demo-skills
          skills:
          - name: full
            description: Everything set
            license: Apache-2.0
            compatibility: claude,gpt
            argument-hint: Use for orders
            allowed-tools: list-rest
            user-invocable: true
            disable-model-invocation: false
            metadata: {owner: team-a, version: 1.0, beta: true}
            tools:
            - name: list-rest
              from: {sourceNamespace: orders-rest, action: list-orders}
          - name: bare
        """,
    )
    assert model.skill is not None
    document = skills.skills_document(model.skill)

    assert model.skill.port == skills.DEFAULT_PORT
    assert document["catalog"] == {
        "count": 2,
        "skills": [
            {
                "name": "full",
                "description": "Everything set",
                "license": "Apache-2.0",
                "tools": ["list-rest"],
            },
            {"name": "bare", "description": "bare", "tools": []},
        ],
    }
    assert document["skills"]["full"]["detail"] == {
        "name": "full",
        "description": "Everything set",
        "license": "Apache-2.0",
        "compatibility": "claude,gpt",
        "argument-hint": "Use for orders",
        "allowed-tools": "list-rest",
        "user-invocable": True,
        "disable-model-invocation": False,
        "metadata": {"owner": "team-a", "version": "1.0", "beta": "true"},
        "tools": [
            {
                "name": "list-rest",
                "description": "List Orders",
                "type": "derived",
                "invocationRef": {
                    "targetNamespace": "orders-rest",
                    "action": "list-orders",
                    "mode": "rest",
                },
            }
        ],
    }
    assert document["skills"]["bare"]["detail"] == {
        "name": "bare",
        "description": "bare",
        "tools": [],
    }
    assert document["skills"]["bare"]["contents"] is None
    assert (
        document["skills"]["bare"]["no_files"]
        == "skill 'bare' has no files: the skill has no 'location'"
    )


def test_file_bodies_are_text_or_base64(tmp_path: Path) -> None:
    make_folder(tmp_path, {"guide.md": "é\r\n".encode(), "logo.png": b"\x89PNG\xff"})
    model, _ = build(tmp_path, skill_with_tools("[]", extra="location: ./skills/guide"))
    assert model.skill is not None

    entry = skills.skills_document(model.skill)["skills"]["guide"]

    assert entry["contents"] == {
        "name": "guide",
        "files": [
            {"path": "guide.md", "size": 4, "type": "text/markdown"},
            {"path": "logo.png", "size": 5, "type": "image/png"},
        ],
    }
    assert entry["files"]["guide.md"] == {"type": "text/markdown", "text": "é\r\n"}
    assert base64.b64decode(entry["files"]["logo.png"]["base64"]) == b"\x89PNG\xff"


def test_a_capability_that_exposes_only_skills_builds(tmp_path: Path) -> None:
    make_folder(tmp_path, {"order-guide.md": b"# Guide"})
    model, diagnostics = build(
        tmp_path,
        skill_with_tools(
            """
            - name: how-to
              instruction: order-guide.md
            """,
            extra="location: ./skills/guide",
        ),
        siblings=False,
    )

    assert diagnostics == []
    assert (model.rest, model.mcp, model.upstreams) == (None, None, ())
    assert model.adapter_kinds == ("skill",)
    files = render_package(model)
    assert "demo/skill_app.py" in files and "demo/skills.json" in files
    assert "build_skill_app()" in files["demo/cli.py"]


def test_skill_adapter_with_no_valid_skill_still_means_nothing_to_expose(tmp_path: Path) -> None:
    found = refused(
        tmp_path,
        skill_with_tools("""
            - name: broken
            """).replace("name: guide", "name: a/b"),
        siblings=False,
    )

    assert coded(found) == [("nothing-to-expose", "$.capability.exposes")]
    assert "no skill" in found[0].message


def test_packages_without_skills_render_no_skill_files(tmp_path: Path) -> None:
    model, _ = build(tmp_path, "")

    files = render_package(model)

    assert model.skill is None
    assert not [path for path in files if "skill" in path]
    assert "skill" not in files["demo/cli.py"]
    assert "skill" not in files["README.md"].lower()


def test_skills_json_is_rendered_once_per_build_byte_for_byte(tmp_path: Path) -> None:
    make_folder(tmp_path, {"b.md": b"b", "a.md": b"a"})
    exposes = skill_with_tools("[]", extra="location: ./skills/guide")

    first = render_package(build(tmp_path, exposes)[0])["demo/skills.json"]
    second = render_package(build(tmp_path, exposes)[0])["demo/skills.json"]

    assert first == second
    assert list(json.loads(first)["skills"]["guide"]["files"]) == ["a.md", "b.md"]


# -- each rule, with its code: the skill or tool is left out, the rest builds --------------------

TOOL_PROBLEMS = [
    pytest.param(
        """
        - name: t
          description: no target at all
        """,
        "skill-tool-missing-from-or-instruction",
        "$.capability.exposes[2].skills[0].tools[0]",
        "needs 'from'",
        id="neither",
    ),
    pytest.param(
        """
        - name: t
          from: {sourceNamespace: orders-rest, action: list-orders}
          instruction: order-guide.md
        """,
        "skill-tool-both-from-and-instruction",
        "$.capability.exposes[2].skills[0].tools[0]",
        "keep one",
        id="both",
    ),
    pytest.param(
        """
        - name: t
          call: api.list
        """,
        "skill-tool-uses-call",
        "$.capability.exposes[2].skills[0].tools[0].call",
        "here: from: {sourceNamespace: ",
        id="call",
    ),
    pytest.param(
        """
        - name: t
          from: {sourceNamespace: orders-rest}
        """,
        "skill-bad-from",
        "$.capability.exposes[2].skills[0].tools[0].from",
        "needs 'sourceNamespace'",
        id="bad-from",
    ),
    pytest.param(
        """
        - name: t
          from: {sourceNamespace: api, action: list}
        """,
        "skill-unknown-source",
        "$.capability.exposes[2].skills[0].tools[0].from.sourceNamespace",
        "(declared: orders-mcp (mcp), orders-rest (rest))",
        id="unknown-source",
    ),
    pytest.param(
        """
        - name: t
          from: {sourceNamespace: orders-mcp, action: nope}
        """,
        "skill-unknown-action",
        "$.capability.exposes[2].skills[0].tools[0].from.action",
        "has no tool 'nope' (it has: list-orders-tool)",
        id="unknown-action",
    ),
    pytest.param(
        """
        - name: t
          instruction: order-guide.md
        """,
        "skill-instruction-without-location",
        "$.capability.exposes[2].skills[0].tools[0].instruction",
        "add 'location'",
        id="no-location",
    ),
]


@pytest.mark.parametrize(("tool", "code", "path", "fix"), TOOL_PROBLEMS)
def test_bad_skill_tool_is_a_located_warning_and_is_left_out(
    tmp_path: Path, tool: str, code: str, path: str, fix: str
) -> None:
    exposes = skill_with_tools(tool + """
        - name: fine
          from: {sourceNamespace: orders-rest, action: list-orders}
        """)

    model, diagnostics = build(tmp_path, exposes)

    assert coded(diagnostics) == [(code, path)]
    assert all(d.level is Level.WARNING for d in diagnostics)
    assert fix in diagnostics[0].message
    assert "left out" in diagnostics[0].message
    assert tool_names(model) == ["fine"]
    assert model.rest is not None and model.mcp is not None


@pytest.mark.parametrize("instruction", ["../secret.md", "/etc/passwd", "a\\..\\b.md", "."])
def test_instruction_outside_the_location_folder_is_refused(
    tmp_path: Path, instruction: str
) -> None:
    make_folder(tmp_path, {"a.md": b"a"})
    model, diagnostics = build(
        tmp_path,
        skill_with_tools(
            f"""
            - name: t
              instruction: {json.dumps(instruction)}
            """,
            extra="location: ./skills/guide",
        ),
    )

    assert coded(diagnostics) == [
        ("skill-instruction-unsafe", "$.capability.exposes[2].skills[0].tools[0].instruction")
    ]
    assert tool_names(model) == []


def test_instruction_file_missing_from_the_folder_is_left_out(tmp_path: Path) -> None:
    make_folder(tmp_path, {"a.md": b"a"})
    model, diagnostics = build(
        tmp_path,
        skill_with_tools(
            """
            - name: t
              instruction: order-guide.md
            """,
            extra="location: ./skills/guide",
        ),
    )

    assert coded(diagnostics) == [
        ("skill-instruction-not-found", "$.capability.exposes[2].skills[0].tools[0].instruction")
    ]
    assert "add the file or fix the path" in diagnostics[0].message
    assert tool_names(model) == []


def test_missing_location_folder_serves_the_skill_without_files(tmp_path: Path) -> None:
    model, diagnostics = build(
        tmp_path,
        skill_with_tools(
            """
            - name: t
              instruction: order-guide.md
            - name: fine
              from: {sourceNamespace: orders-rest, action: list-orders}
            """,
            extra="location: file:///nonexistent/skills/guide",
        ),
    )

    assert coded(diagnostics) == [
        ("skill-location-not-found", "$.capability.exposes[2].skills[0].location"),
        ("skill-instruction-not-found", "$.capability.exposes[2].skills[0].tools[0].instruction"),
    ]
    assert "'/nonexistent/skills/guide' does not exist" in diagnostics[0].message
    assert "location: ./skills/guide" in diagnostics[0].message
    skill = only_skill(model)
    assert (skill.files, [t.name for t in skill.tools]) == (None, ["fine"])
    assert skill.no_files_reason == "its location folder was not found at build time"


def test_location_that_is_not_a_local_folder_is_a_warning(tmp_path: Path) -> None:
    model, diagnostics = build(
        tmp_path, skill_with_tools("[]", extra="location: https://example.test/skills/guide")
    )

    assert coded(diagnostics) == [
        ("skill-location-unsupported", "$.capability.exposes[2].skills[0].location")
    ]
    assert only_skill(model).files is None


def test_link_out_of_the_location_folder_is_not_copied(tmp_path: Path) -> None:
    folder = make_folder(tmp_path, {"a.md": b"a"})
    (tmp_path / "secret.txt").write_text("secret")
    os.symlink(tmp_path / "secret.txt", folder / "leak.txt")

    model, diagnostics = build(tmp_path, skill_with_tools("[]", extra="location: skills/guide"))

    assert coded(diagnostics) == [
        ("skill-file-skipped", "$.capability.exposes[2].skills[0].location")
    ]
    files = only_skill(model).files
    assert files is not None and [f.path for f in files] == ["a.md"]


def test_oversized_location_folder_is_served_without_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(skills, "MAX_FILES", 1)
    make_folder(tmp_path, {"a.md": b"a", "b.md": b"b"})

    model, diagnostics = build(tmp_path, skill_with_tools("[]", extra="location: skills/guide"))

    assert coded(diagnostics) == [
        ("skill-location-too-large", "$.capability.exposes[2].skills[0].location")
    ]
    assert only_skill(model).files is None


def test_duplicate_skill_and_tool_names_keep_the_first(tmp_path: Path) -> None:
    model, diagnostics = build(
        tmp_path,
        """
        - type: skill
          skills:
          - name: guide
            tools:
            - {name: t, from: {sourceNamespace: orders-rest, action: list-orders}}
            - {name: t, from: {sourceNamespace: orders-mcp, action: list-orders-tool}}
          - name: guide
          - name: a/b
        """,
    )

    assert coded(diagnostics) == [
        ("skill-tool-duplicate", "$.capability.exposes[2].skills[0].tools[1].name"),
        ("skill-duplicate", "$.capability.exposes[2].skills[1].name"),
        ("skill-bad-name", "$.capability.exposes[2].skills[2].name"),
    ]
    assert only_skill(model).tools[0].mode == "rest"


def test_inbound_authentication_the_generator_cannot_honour_refuses_the_catalogue(
    tmp_path: Path,
) -> None:
    found = refused(
        tmp_path,
        """
        - type: skill
          authentication: {type: oauth1, consumerKey: x}
          skills:
          - name: guide
        """,
    )

    assert coded(found) == [
        ("unsupported-inbound-auth", "$.capability.exposes[2].authentication.type")
    ]


def test_a_second_skill_adapter_is_an_error(tmp_path: Path) -> None:
    found = refused(
        tmp_path,
        """
        - type: skill
          skills: [{name: one}]
        - type: skill
          skills: [{name: two}]
        """,
    )

    assert coded(found) == [("multiple-skill", "$.capability.exposes[3]")]


def test_agent_skill_is_left_out_with_the_rewrite_named(tmp_path: Path) -> None:
    _, diagnostics = build(
        tmp_path,
        """
        - type: agent-skill
          namespace: onboarding
          skill: {name: onboard-agent, file: skills/onboard-agent.md}
        """,
    )

    assert coded(diagnostics) == [("unsupported-adapter", "$.capability.exposes[2].type")]
    assert "'type: skill'" in diagnostics[0].message


# -- rules the normaliser cannot reach in a building spec, checked on the module ----------------


class Recorder:
    def __init__(self, tmp_path: Path, *, failed: bool = False) -> None:
        self.spec = LoadedSpec(str(tmp_path / "demo.yaml"), "", {})
        self.found: list[tuple[str, str, PathKey]] = []
        self._failed = failed

    @property
    def failed(self) -> bool:
        return self._failed

    def error(self, code: str, message: str, path: PathKey) -> None:
        self.found.append((code, message, path))

    def warning(self, code: str, message: str, path: PathKey) -> None:
        self.found.append((code, message, path))


LEFT_OUT = {
    "orders-mcp": skills.Sibling(
        "orders-mcp", "mcp", {"broken": skills.Action(False, "", "api.list")}
    )
}
POINTING_AT_IT = {
    "skills": [
        {
            "name": "guide",
            "tools": [{"name": "t", "from": {"sourceNamespace": "orders-mcp", "action": "broken"}}],
        }
    ]
}


def test_tool_pointing_at_an_action_left_out_of_its_adapter_is_left_out(tmp_path: Path) -> None:
    report = Recorder(tmp_path)

    adapter = skills.skill_adapter(report, POINTING_AT_IT, ("x",), LEFT_OUT)

    assert adapter is not None and adapter.skills[0].tools == ()
    ((code, message, path),) = report.found
    assert code == "skill-action-not-generated"
    assert path == ("x", "skills", 0, "tools", 0, "from", "action")
    assert "left out of the generated adapter" in message


def test_action_left_out_by_an_error_adds_no_second_warning(tmp_path: Path) -> None:
    report = Recorder(tmp_path, failed=True)

    skills.skill_adapter(report, POINTING_AT_IT, ("x",), LEFT_OUT)

    assert report.found == []


def test_unnamed_skill_and_tool_are_left_out(tmp_path: Path) -> None:
    report = Recorder(tmp_path)
    adapter = {
        "skills": [{"description": "no name"}, {"name": "k", "tools": [{"instruction": "a"}]}]
    }

    built = skills.skill_adapter(report, adapter, ("x",), {})

    assert [code for code, _, _ in report.found] == ["skill-unnamed", "skill-tool-unnamed"]
    assert built is not None and [s.name for s in built.skills] == ["k"]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("guide.md", "guide.md"),
        ("./docs/guide.md", "docs/guide.md"),
        ("docs//guide.md", "docs/guide.md"),
        ("../guide.md", None),
        ("docs/../../x", None),
        ("/abs.md", None),
        ("a\\b.md", None),
        ("", None),
    ],
)
def test_relative_paths_never_leave_the_folder(path: str, expected: str | None) -> None:
    assert skills._relative(path) == expected
