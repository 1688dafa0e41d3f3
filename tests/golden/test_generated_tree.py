"""Golden records: generated/ is the committed output of every spec, and a build reproduces it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from naftiko_gen.build import default_output, generate
from naftiko_gen.cli import main
from naftiko_gen.writer import is_output_file

from tests.support.paths import GENERATED, ROOT, SPEC_FILES


def build_all_specs(out: Path, env: dict[str, str]) -> None:
    """``naftiko-gen build specs/*.yaml -o OUT`` in a fresh process with ``env``."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "naftiko_gen",
            "build",
            *(str(s) for s in SPEC_FILES),
            "-o",
            str(out),
        ],
        check=True,
        env=env,
        cwd=ROOT,
        capture_output=True,
    )


def test_every_spec_has_a_committed_package() -> None:
    assert len(SPEC_FILES) >= 6
    for spec in SPEC_FILES:
        assert (default_output(spec, GENERATED) / "pyproject.toml").is_file(), spec.name


def test_generated_packages_correspond_to_specs_only() -> None:
    expected = {default_output(spec, GENERATED).name for spec in SPEC_FILES}
    actual = {p.name for p in GENERATED.iterdir() if p.is_dir()}
    assert actual == expected


@pytest.mark.parametrize("spec", SPEC_FILES, ids=lambda p: p.stem)
def test_build_reproduces_the_committed_tree_byte_for_byte(spec: Path) -> None:
    generated = generate(spec)
    committed = default_output(spec, GENERATED)

    on_disk = {
        p.relative_to(committed).as_posix(): p.read_text("utf-8")
        for p in committed.rglob("*")
        if is_output_file(p, committed)
    }
    assert sorted(on_disk) == sorted(generated.files)
    for path, text in generated.files.items():
        assert on_disk[path] == text, path


DEPLOY_FILES = (
    "Dockerfile",
    ".dockerignore",
    "deploy/k8s/deployment.yaml",
    "deploy/k8s/service.yaml",
    "deploy/k8s/hpa.yaml",
)


@pytest.mark.parametrize("spec", SPEC_FILES, ids=lambda p: p.stem)
def test_every_package_ships_container_and_kubernetes_files(spec: Path) -> None:
    committed = default_output(spec, GENERATED)
    generated = generate(spec).files

    for path in DEPLOY_FILES:
        assert path in generated, path
        assert (committed / path).read_text("utf-8") == generated[path], path
    manifest = json.loads((committed / ".naftiko-gen-manifest.json").read_text("utf-8"))
    assert set(DEPLOY_FILES) <= set(manifest["files"])


def test_check_command_passes_on_the_committed_tree() -> None:
    result = CliRunner().invoke(main, ["check", *(str(s) for s in SPEC_FILES)])

    assert result.exit_code == 0, result.output


def test_builds_are_identical_across_processes_and_hash_seeds(tmp_path: Path) -> None:
    outputs = []
    for seed in ("1", "4242"):
        out = tmp_path / f"seed-{seed}"
        env = dict(os.environ, PYTHONHASHSEED=seed)
        build_all_specs(out, env)
        outputs.append(
            {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
        )

    assert outputs[0] == outputs[1]
    assert len(outputs[0]) > 6 * 10


def test_generated_code_passes_mypy_strict() -> None:
    packages = [default_output(spec, GENERATED) for spec in SPEC_FILES]
    env = dict(os.environ, MYPYPATH=os.pathsep.join(str(p) for p in packages))
    args = [arg for p in packages for arg in ("-p", p.name)]

    finished = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )

    assert finished.returncode == 0, finished.stdout + finished.stderr


@pytest.mark.parametrize("spec", SPEC_FILES, ids=lambda p: p.stem)
def test_generated_code_passes_ruff_and_black(spec: Path) -> None:
    package = default_output(spec, GENERATED)

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


@pytest.mark.parametrize("spec", SPEC_FILES, ids=lambda p: p.stem)
def test_served_openapi_document_is_valid_openapi_3_1(spec: Path) -> None:
    from openapi_spec_validator import validate
    from openapi_spec_validator.readers import read_from_filename

    package = default_output(spec, GENERATED)
    document, _ = read_from_filename(str(package / package.name / "openapi.json"))

    validate(document)

    assert document["openapi"] == "3.1.0"
    assert document["paths"]


def test_secrets_set_during_a_build_never_reach_generated_files(tmp_path: Path) -> None:
    secret = "s3cr3t-value-9d2f7c"
    env = dict(os.environ, INTERACTIVE_BROKERS_API_KEY=secret, WEB_SESSIONS_BASE_URI=secret)
    out = tmp_path / "out"

    build_all_specs(out, env)

    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) > 6 * 10
    assert not [p for p in files if secret in p.read_text("utf-8")]
