"""Binds with ``location``: secrets read from a JSON or YAML file when the server starts."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from mcp import Client

from tests.integration.conftest import package_env
from tests.support.packages import build_and_install
from tests.support.recording_upstream import RecordingUpstream
from tests.support.served import serve

SPEC = """\
naftiko: 1.0.0-alpha2
info: {label: Bind files}
binds:
- namespace: vault-env
  location: file:///./secrets.yaml
  keys: {NOTES_TOKEN: notes_token}
capability:
  consumes:
  - type: http
    namespace: notes
    baseUri: https://notes.example.test
    authentication: {type: bearer, token: '{{NOTES_TOKEN}}'}
    resources:
    - {name: notes, path: /notes, operations: [{name: list-notes, method: GET}]}
  exposes:
  - type: mcp
    namespace: notes-mcp
    port: 9090
    tools:
    - {name: list-notes, description: List notes, call: notes.list-notes}
"""


@pytest.fixture(scope="module")
def installed_bind_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_and_install(SPEC, "bind-files", tmp_path_factory.mktemp("bind-files"))


@pytest.mark.anyio
async def test_the_token_comes_from_the_bind_file_named_by_the_override_variable(
    installed_bind_files: Path, tmp_path: Path
) -> None:
    secrets = tmp_path / "elsewhere.yaml"
    secrets.write_text("notes_token: from-the-file\n")
    with RecordingUpstream() as upstream:
        env = package_env(
            installed_bind_files,
            NOTES_BASE_URI=upstream.base_url,
            VAULT_ENV_BIND_FILE=str(secrets),
        )
        with serve(
            installed_bind_files / "bin" / "bind-files", env, tmp_path, "--mcp-port", "0"
        ) as s:
            async with Client(s.mcp) as client:
                result = await client.call_tool("list-notes", {})

    assert not result.is_error
    assert upstream.last.headers["authorization"] == "Bearer from-the-file"
    assert "from-the-file" not in s.stderr()


def test_a_missing_key_in_the_bind_file_stops_start_up_with_one_line(
    installed_bind_files: Path, tmp_path: Path
) -> None:
    secrets = tmp_path / "secrets.json"
    secrets.write_text(json.dumps({"other": "x"}))
    env = package_env(installed_bind_files, VAULT_ENV_BIND_FILE=str(secrets))

    result = subprocess.run(
        [str(installed_bind_files / "bin" / "bind-files"), "serve", "--mcp-port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"bind-files: error: key 'notes_token' is not set in bind file {secrets}"
    ]
