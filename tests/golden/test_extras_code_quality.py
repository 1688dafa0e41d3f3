"""Packages using MCP resources, prompts, REST forward rules, baseUri variables and script steps
pass the same gates as the committed ones (mypy --strict, ruff, black), in each shape their
templates branch on, and build the same bytes twice."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from naftiko_gen.build import generate
from naftiko_gen.writer import write_tree

from tests.integration.test_apikey_placements import SPEC as APIKEY_PLACEMENTS
from tests.integration.test_mcp_resource_behaviours import SPEC as RESOURCE_BEHAVIOURS
from tests.integration.test_mcp_resources_prompts import SPEC as RESOURCES_AND_PROMPTS
from tests.integration.test_mcp_stdio_twin import SPEC as TWIN
from tests.integration.test_rest_forward import SPEC as FORWARD
from tests.integration.test_script_steps import SCRIPTS
from tests.integration.test_script_steps import SPEC as SCRIPT_STEPS
from tests.unit.test_codes import replaced
from tests.unit.test_script_steps import COUNT
from tests.unit.test_script_steps import spec_text as script_spec

STATIC_ONLY = replaced(
    "    tools:\n",
    "    resources:\n    - {name: docs, uri: 'data://docs', location: ./docs}\n    tools:\n",
)
PROMPTS_ONLY = replaced(
    "    tools:\n    - {name: get-item, description: Get, call: api.get-item}\n",
    "    prompts:\n    - {name: p, arguments: [{name: a}],\n"
    "       template: [{role: user, content: '{{a}}'}]}\n",
) + (
    "  - type: rest\n    namespace: r\n    port: 8081\n    resources:\n"
    "    - path: /x\n      operations: [{method: GET, call: api.get-item}]\n"
    "    - path: /p/{{path}}\n      forward: {targetNamespace: api}\n"
)

# Placeholders in a baseUri are filled from the environment at start-up (settings.py's _fill).
BASE_URI_VARIABLES = replaced(
    "baseUri: https://api.example.test",
    "baseUri: 'https://{{DEMO_TOKEN}}.example.test/{region}'",
)

# management.scripting declared, no script step: scripts.py holds only the governance.
SCRIPTING_ONLY = BASE_URI_VARIABLES + (
    "  - type: control\n    port: 9191\n    management: {scripting: {timeout: 900}}\n"
)

# apikey placement path beside a baseUri variable (the other _upstream signature), and placement
# body with JSON bodies only (no form or multipart branch).
APIKEY_PATH_AND_JSON_BODY = (
    replaced(
        "    authentication: {type: bearer, token: '{{DEMO_TOKEN}}'}\n",
        "    authentication: {type: apikey, key: key, value: '{{DEMO_TOKEN}}', placement: path}\n",
    )
    .replace("baseUri: https://api.example.test", "baseUri: 'https://{region}.test/k/{key}'")
    .replace(
        "  exposes:",
        "  - type: http\n    namespace: other\n    baseUri: https://other.example.test\n"
        "    authentication: {type: apikey, key: k, value: '{{DEMO_TOKEN}}', placement: body}\n"
        "    resources: [{name: r, path: /r, operations: [{name: add, method: POST}]}]\n"
        "  exposes:",
    )
    + "    - {name: add, description: Add, call: other.add}\n"
)

SPECS = {
    "resources-prompts": RESOURCES_AND_PROMPTS,
    "forward-only": FORWARD,
    "static-only": STATIC_ONLY,
    "prompts-and-forward": PROMPTS_ONLY,
    "twin": TWIN,
    "resource-behaviours": RESOURCE_BEHAVIOURS,
    "base-uri-variables": BASE_URI_VARIABLES,
    "script-steps": SCRIPT_STEPS,
    "scripting-only": SCRIPTING_ONLY,
    # Script steps without a control port: no /scripting code; NAFTIKO_SCRIPTING decides.
    "scripts-without-control": script_spec(),
    "apikey-placements": APIKEY_PLACEMENTS,
    "apikey-path-and-json-body": APIKEY_PATH_AND_JSON_BODY,
}


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    built = {}
    for stem, text in SPECS.items():
        workdir = tmp_path_factory.mktemp(stem)
        (workdir / "docs").mkdir()
        (workdir / "docs" / "a.md").write_text("# A", encoding="utf-8")
        (workdir / "prompts").mkdir()
        (workdir / "prompts" / "review.md").write_text("{{topic}}", encoding="utf-8")
        for name, source in {**SCRIPTS, "count.py": COUNT}.items():
            (workdir / "scripts" / name).parent.mkdir(parents=True, exist_ok=True)
            (workdir / "scripts" / name).write_text(source, encoding="utf-8")
        spec = workdir / f"{stem}.yaml"
        spec.write_text(text, encoding="utf-8")
        first, second = generate(spec).files, generate(spec).files
        assert first == second, stem
        write_tree(workdir / "out", first)
        built[stem] = workdir / "out"
    return built


def test_extras_packages_pass_mypy_strict(packages: dict[str, Path]) -> None:
    args = [arg for stem in packages for arg in ("-p", stem.replace("-", "_"))]
    path = os.pathsep.join(str(package) for package in packages.values())

    finished = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", *args],
        env=dict(os.environ, MYPYPATH=path),
        cwd=next(iter(packages.values())),
        capture_output=True,
        text=True,
    )

    assert finished.returncode == 0, finished.stdout + finished.stderr


@pytest.mark.parametrize("stem", sorted(SPECS))
def test_extras_packages_pass_ruff_and_black(packages: dict[str, Path], stem: str) -> None:
    package = packages[stem]

    ruff = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "."],
        cwd=package,
        capture_output=True,
        text=True,
    )
    black = subprocess.run(
        [sys.executable, "-m", "black", "--check", "--config", "pyproject.toml", "."],
        cwd=package,
        capture_output=True,
        text=True,
    )

    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    assert black.returncode == 0, black.stderr
