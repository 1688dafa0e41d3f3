"""The developer workflow commands: ``init``, ``export-openapi``, and ``build``'s progress bar,
summary table and ``--quiet``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result
from naftiko_gen import cli
from naftiko_gen.build import generate, validate
from naftiko_gen.cli import main
from naftiko_gen.model import Capability

from tests.support.paths import GENERATED, SPECS

SEED = SPECS / "web-sessions.yaml"


def invoke(*args: str, stdin: str | None = None) -> Result:
    result = CliRunner().invoke(main, list(args), input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def routes(model: Capability) -> list[tuple[str, str]]:
    assert model.rest is not None
    return [(op.http_method, op.path) for op in model.rest.operations]


def two_specs(tmp_path: Path) -> list[str]:
    return [
        str(shutil.copy(SPECS / name, tmp_path / name))
        for name in ("web-orders.yaml", "web-sessions.yaml")
    ]


# -- init ------------------------------------------------------------------------------------


def test_init_from_flags_writes_a_spec_that_validates_cleanly_and_builds(tmp_path: Path) -> None:
    spec = tmp_path / "pet-store.yaml"

    result = invoke(
        "init",
        "--name",
        "Pet Store",
        "--base-uri",
        "https://petstore.example.com/v2",
        "--operation",
        "GET",
        "/pets",
        "--operation",
        "GET",
        "/pets/{petId}",
        "--operation",
        "POST",
        "/pets",
        "--bearer-env",
        "PETSTORE_TOKEN",
        "-o",
        str(spec),
    )

    assert result.exit_code == 0, result.output
    assert f"wrote {spec}" in result.stderr
    model, warnings = validate(spec, strict=True)
    assert warnings == []
    # One resource per path, in first-seen order.
    assert routes(model) == [
        ("GET", "/pets"),
        ("POST", "/pets"),
        ("GET", "/pets/{petId}"),
    ]
    assert model.mcp is not None
    assert [tool.name for tool in model.mcp.tools] == ["get-pets", "get-pets-petid", "post-pets"]
    assert [s.env_var for s in model.secrets] == ["PETSTORE_TOKEN"]
    out = tmp_path / "out"
    assert invoke("build", str(spec), "-o", str(out)).exit_code == 0
    assert (out / "pet_store" / "rest_app.py").is_file()
    assert (out / "deploy" / "k8s" / "deployment.yaml").is_file()


def test_init_defaults_the_file_name_to_the_capability_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    result = invoke("init", "--name", "My Weather API", "--base-uri", "http://localhost:8000")

    assert result.exit_code == 0, result.output
    spec = tmp_path / "my-weather-api.yaml"
    model, warnings = validate(spec)
    assert warnings == []
    assert routes(model) == [("GET", "/")]
    assert generate(spec).files


def test_init_asks_for_what_is_missing_on_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli, "_stdin_is_tty", lambda: True)
    spec = tmp_path / "asked.yaml"
    answers = "Asked API\nhttps://api.example.test\nGET /things/{id}\nnonsense\nDELETE /x\n\nTOK\n"

    result = invoke("init", "-o", str(spec), stdin=answers)

    assert result.exit_code == 0, result.output
    assert "write METHOD PATH" in result.stderr
    model, warnings = validate(spec)
    assert warnings == []
    assert routes(model) == [
        ("GET", "/things/{id}"),
        ("DELETE", "/x"),
    ]
    assert [s.env_var for s in model.secrets] == ["TOK"]


def test_init_without_flags_off_a_terminal_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke("init", "-o", str(tmp_path / "x.yaml"))

    assert result.exit_code == 2
    assert "give --name and --base-uri" in result.output
    assert not (tmp_path / "x.yaml").exists()


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--operation", "FETCH", "/x"], "method 'FETCH'"),
        (["--operation", "GET", "/a/{b"], "unbalanced braces"),
        (["--bearer-env", "NOT A VAR"], "--bearer-env"),
    ],
)
def test_init_refuses_bad_flags_with_a_usage_error(
    tmp_path: Path, args: list[str], fragment: str
) -> None:
    spec = tmp_path / "x.yaml"

    result = invoke("init", "--name", "x", "--base-uri", "https://x.test", *args, "-o", str(spec))

    assert result.exit_code == 2
    assert fragment in result.output
    assert not spec.exists()


def test_init_refuses_a_bad_base_uri(tmp_path: Path) -> None:
    result = invoke("init", "--name", "x", "--base-uri", "ftp://x", "-o", str(tmp_path / "x.yml"))

    assert result.exit_code == 2
    assert "give an http:// or https:// URL" in result.output


def test_init_never_overwrites_without_force(tmp_path: Path) -> None:
    spec = tmp_path / "mine.yaml"
    spec.write_text("precious")
    args = ["init", "--name", "x", "--base-uri", "https://x.test", "-o", str(spec)]

    result = invoke(*args)

    assert result.exit_code == 2
    assert spec.read_text() == "precious"
    assert invoke(*args, "--force").exit_code == 0
    assert yaml.safe_load(spec.read_text())["naftiko"] == "1.0.0-alpha2"


# -- export-openapi --------------------------------------------------------------------------


def test_export_openapi_prints_the_document_the_package_serves() -> None:
    result = invoke("export-openapi", str(SPECS / "web-orders.yaml"))

    assert result.exit_code == 0
    committed = GENERATED / "web_orders" / "web_orders" / "openapi.json"
    assert result.stdout == committed.read_text("utf-8")
    assert "warning[official-shape]" in result.stderr


def test_export_openapi_writes_a_file_quietly(tmp_path: Path) -> None:
    out = tmp_path / "docs" / "openapi.json"

    result = invoke("export-openapi", str(SEED), "-o", str(out), "--quiet")

    assert result.exit_code == 0
    assert result.output == ""
    document = json.loads(out.read_text("utf-8"))
    assert document["openapi"] == "3.1.0"
    assert list(document["paths"]) == ["/v1/iserver/auth/status"]


def test_export_openapi_of_a_spec_without_rest_is_an_error(tmp_path: Path) -> None:
    spec = tmp_path / "mcp-only.yaml"
    text = SEED.read_text("utf-8")
    start = text.index("  - type: rest")
    spec.write_text(text[:start] + text[text.index("  - type: mcp") :])

    result = invoke("export-openapi", str(spec))

    assert result.exit_code == 1
    assert "exposes no REST adapter" in result.stderr
    assert result.stdout == ""


def test_export_openapi_of_an_invalid_spec_exits_1(tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text("naftiko: 1.0.0-alpha2\n")

    result = invoke("export-openapi", str(spec))

    assert result.exit_code == 1
    assert "error[" in result.stderr


# -- build: progress, summary, --quiet -------------------------------------------------------


def test_build_of_several_specs_ends_with_a_summary_table(tmp_path: Path) -> None:
    specs = two_specs(tmp_path)
    out = tmp_path / "out"

    result = invoke("build", *specs, "-o", str(out))

    assert result.exit_code == 0
    lines = result.stderr.splitlines()
    head = lines.index(next(line for line in lines if line.startswith("spec ")))
    assert lines[head].split() == ["spec", "status", "files", "warnings", "output"]
    rows = [line.split() for line in lines[head + 1 : head + 3]]
    files = len(list((out / "web_orders").rglob("*.*"))) + 1  # + Dockerfile
    assert rows[0] == [specs[0], "built", str(files), "4", str(out / "web_orders")]
    assert rows[1][:2] == [specs[1], "built"]
    assert lines[head + 3] == "2 specs: 2 built; 6 warnings"
    assert "\r" not in result.stderr  # no progress bar: stderr is not a terminal


def test_the_summary_marks_invalid_specs_and_what_was_not_written(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("naftiko: 1.0.0-alpha2\n")

    result = invoke("build", str(SEED), str(bad), "-o", str(tmp_path / "out"))

    assert result.exit_code == 1
    rows = {line.split()[0]: line.split()[1:] for line in result.stderr.splitlines()[-4:-2]}
    assert rows[str(SEED)][:2] == ["not", "written"]
    assert rows[str(bad)][0] == "invalid"
    assert result.stderr.splitlines()[-2] == "2 specs: 1 not written, 1 invalid; 2 warnings"
    assert result.stderr.splitlines()[-1] == "nothing written: fix the errors above"


def test_one_spec_gets_one_line_not_a_table(tmp_path: Path) -> None:
    result = invoke("build", str(SEED), "-o", str(tmp_path / "out"))

    assert result.exit_code == 0
    assert result.stderr.splitlines()[-1].startswith(f"{SEED} → ")
    assert "status" not in result.stderr


def test_build_shows_a_progress_bar_only_on_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    specs = two_specs(tmp_path)
    monkeypatch.setattr(cli, "_stderr_is_tty", lambda: True)

    result = invoke("build", *specs, "-o", str(tmp_path / "out"))

    assert result.exit_code == 0
    assert "\r\x1b[K[------------------------] 0/2 web-orders.yaml" in result.stderr
    assert "\r\x1b[K[############------------] 1/2 web-sessions.yaml" in result.stderr
    assert "[########################] 2/2" in result.stderr
    # The bar is erased before every other line, so diagnostics and the table stay readable.
    table = result.stderr[result.stderr.index("spec ") :]
    assert "[#" not in table
    assert result.stderr.rstrip("\n").endswith("6 warnings")


def test_quiet_build_prints_nothing_when_all_is_well(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli, "_stderr_is_tty", lambda: True)

    result = invoke("build", "--quiet", *two_specs(tmp_path), "-o", str(tmp_path / "out"))

    assert result.exit_code == 0
    assert result.output == ""
    assert (tmp_path / "out" / "web_orders" / "Dockerfile").is_file()


def test_quiet_keeps_errors_and_drops_warnings(tmp_path: Path) -> None:
    bad = tmp_path / "typed.yaml"
    bad.write_text(
        SEED.read_text("utf-8").replace("namespace: web-sessions\n", "namespace: [x]\n", 1)
    )

    result = invoke("build", "-q", str(SEED), str(bad), "-o", str(tmp_path / "out"))

    assert result.exit_code == 1
    assert "error[wrong-type]" in result.stderr
    assert "warning[" not in result.stderr
    assert "status" not in result.stderr
    assert result.stderr.splitlines()[-1] == "nothing written: fix the errors above"


def test_quiet_validate_and_check(tmp_path: Path) -> None:
    assert invoke("validate", "-q", str(SEED)).output == ""
    assert invoke("check", "-q", str(SPECS)).output == ""


def test_json_build_reports_files_and_stays_one_document(tmp_path: Path) -> None:
    result = invoke("build", "--format", "json", *two_specs(tmp_path), "-o", str(tmp_path / "o"))

    document = json.loads(result.stdout)
    assert document["exit_code"] == 0
    assert [entry["status"] for entry in document["specs"]] == ["built", "built"]
    assert all(entry["files"] > 10 for entry in document["specs"])
    assert result.stderr == ""
