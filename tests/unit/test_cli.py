"""naftiko_gen.cli: exit codes, located messages, and nothing written when anything is wrong."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from naftiko_gen import __version__, cli
from naftiko_gen.cli import main

from tests.support.paths import SPECS

SEED = SPECS / "web-sessions.yaml"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_version_and_help() -> None:
    assert run("--version") == (0, f"naftiko-gen, version {__version__}\n")
    code, output = run("--help")
    assert code == 0
    for command in ("validate", "build", "check"):
        assert command in output


def test_validate_accepts_the_seed_spec() -> None:
    code, output = run("validate", str(SEED))

    assert code == 0
    assert output.strip().endswith("web-sessions.yaml: ok (2 warnings)")
    assert output.count("warning[official-shape]") == 2


def test_a_dangling_call_is_a_located_warning_and_the_rest_still_builds(tmp_path: Path) -> None:
    spec = tmp_path / "broken.yaml"
    spec.write_text(
        SEED.read_text("utf-8").replace(
            "call: web-sessions.getauthstatus", "call: web-sessions.getauthstatu", 1
        )
    )

    code, output = run("validate", str(spec))

    assert code == 0
    assert (
        f"{spec}:50:15: warning[unknown-operation]: call 'web-sessions.getauthstatu': "
        "namespace 'web-sessions' has no operation 'getauthstatu'; "
        "POST /v1/iserver/auth/status is left out" in output
    )
    assert "    hint: did you mean web-sessions.getauthstatus?" in output
    assert output.strip().endswith("ok (3 warnings)")
    assert run("validate", "--strict", str(spec))[0] == 1


def test_when_every_call_dangles_the_spec_is_invalid(tmp_path: Path) -> None:
    spec = tmp_path / "broken.yaml"
    spec.write_text(SEED.read_text("utf-8").replace("web-sessions.getauthstatus", "x.y"))

    code, output = run("validate", str(spec))

    assert code == 1
    assert "error[nothing-to-expose]" in output
    assert "Traceback" not in output


def test_validate_reports_schema_errors_located(tmp_path: Path) -> None:
    spec = tmp_path / "typed.yaml"
    spec.write_text(
        SEED.read_text("utf-8")
        .replace("/v1/api\n", "/v1/api]\n", 1)
        .replace("baseUri: https", "baseUri: [https", 1)
    )

    code, output = run("validate", str(spec))

    assert code == 1
    assert f"{spec}:19:14: error[wrong-type]: expected string, got array" in output


def test_a_misspelt_key_gets_a_did_you_mean_hint(tmp_path: Path) -> None:
    spec = tmp_path / "typo.yaml"
    spec.write_text(SEED.read_text("utf-8").replace("baseUri:", "baseUrl:", 1))

    code, output = run("validate", str(spec))

    assert code == 1
    assert "error[misspelt-key]: unknown key 'baseUrl' (a misspelling?)" in output
    assert "did you mean 'baseUrl' → 'baseUri'?" in output


def test_format_json_gives_the_same_diagnostics_machine_readably(tmp_path: Path) -> None:
    spec = tmp_path / "broken.yaml"
    spec.write_text(SEED.read_text("utf-8").replace("web-sessions.getauthstatus", "x.y", 1))

    result = CliRunner().invoke(main, ["validate", "--format", "json", str(spec)])

    document = json.loads(result.stdout)
    assert result.exit_code == document["exit_code"] == 0
    (entry,) = document["specs"]
    assert entry["status"] == "ok"
    (record,) = [d for d in entry["diagnostics"] if d["code"] != "official-shape"]
    assert record == {
        "file": str(spec),
        "line": 50,
        "column": 15,
        "level": "warning",
        "code": "unknown-namespace",
        "message": "call 'x.y': no consumes namespace 'x' (declared: web-sessions); "
        "POST /v1/iserver/auth/status is left out",
        "path": "$.capability.exposes[0].resources[0].operations[0].call",
        "hint": "call a namespace declared under `consumes`",
    }


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "file is empty"),
        (b"- just\n- a list\n", "expected a YAML mapping"),
        (b"naftiko: 9.9\ncapability: {}\n", "unsupported naftiko version '9.9'"),
        (b"a: [unclosed\n", "invalid YAML"),
        (b"\xff\xfe\x00junk", "not UTF-8"),
    ],
)
def test_bad_input_is_one_clear_error_never_a_traceback(
    tmp_path: Path, content: bytes, fragment: str
) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_bytes(content)

    code, output = run("validate", str(spec))

    assert code == 1
    assert fragment in output
    assert output.startswith(f"{spec}")
    assert "Traceback" not in output


def test_build_writes_the_package_and_check_then_passes(tmp_path: Path) -> None:
    out = tmp_path / "pkg"

    code, _ = run("build", str(SEED), "-o", str(out))

    assert code == 0
    assert (out / "web_sessions" / "mcp_server.py").is_file()
    assert run("check", str(SEED), "-o", str(out))[0] == 0


def test_check_lists_changed_missing_and_extra_files(tmp_path: Path) -> None:
    out = tmp_path / "pkg"
    run("build", str(SEED), "-o", str(out))
    (out / "web_sessions" / "cli.py").write_text("# edited\n")
    (out / "README.md").unlink()
    (out / "stray.txt").write_text("x")

    code, output = run("check", str(SEED), "-o", str(out))

    assert code == 1
    assert f"changed: {out / 'web_sessions' / 'cli.py'}" in output
    assert f"missing: {out / 'README.md'}" in output
    assert f"extra: {out / 'stray.txt'}" in output


def test_build_with_one_bad_spec_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("naftiko: 1.0.0-alpha2\n")
    out = tmp_path / "out"

    code, output = run("build", str(SEED), str(bad), "-o", str(out))

    assert code == 1
    assert "nothing written" in output
    assert not out.exists()


def test_build_refuses_to_overwrite_hand_edits_unless_forced(tmp_path: Path) -> None:
    out = tmp_path / "pkg"
    run("build", str(SEED), "-o", str(out))
    edited = out / "web_sessions" / "settings.py"
    edited.write_text(edited.read_text() + "# my change\n")

    code, output = run("build", str(SEED), "-o", str(out))

    assert code == 2
    assert "web_sessions/settings.py" in output
    assert edited.read_text().endswith("# my change\n")
    assert run("build", str(SEED), "-o", str(out), "--force")[0] == 0
    assert not edited.read_text().endswith("# my change\n")


def test_build_refuses_a_folder_it_did_not_write(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("precious")

    code, output = run("build", str(SEED), "-o", str(out))

    assert code == 2
    assert "was not written by naftiko-gen" in output
    assert (out / "notes.txt").read_text() == "precious"


def test_several_specs_build_into_one_folder_each(tmp_path: Path) -> None:
    specs = [SPECS / "web-sessions.yaml", SPECS / "web-orders.yaml"]
    copies = [shutil.copy(s, tmp_path / s.name) for s in specs]

    code, _ = run("build", *(str(c) for c in copies), "-o", str(tmp_path / "out"))

    assert code == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["web_orders", "web_sessions"]


def test_a_folder_stands_for_the_specs_inside_it() -> None:
    code, output = run("check", str(SPECS))

    assert code == 0
    assert output.count("is up to date") == len(list(SPECS.glob("*.yaml")))


def test_a_missing_spec_path_is_a_usage_error() -> None:
    code, output = run("validate", "no/such/spec.yaml")

    assert code == 2
    assert "does not exist" in output


def test_a_bug_is_one_line_and_exit_3_never_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken() -> None:
        raise KeyError("boom")

    monkeypatch.setattr(cli, "main", broken)
    monkeypatch.delenv("NAFTIKO_GEN_DEBUG", raising=False)

    with pytest.raises(SystemExit) as exited:
        cli.entry()

    assert exited.value.code == 3
    err = capsys.readouterr().err
    assert err.startswith("naftiko-gen: internal error (KeyError: 'boom')")
    assert "Traceback" not in err
