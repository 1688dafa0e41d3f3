"""Generated settings.py: configuration is read from the environment at start-up, with clear errors.

Each test builds a small spec, imports the generated module and calls ``load_settings`` with an
explicit environment.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from naftiko_gen.build import generate
from naftiko_gen.writer import write_tree

SPEC = """
naftiko: 1.0.0-alpha2
info: {label: Regional}
binds:
- namespace: env
  keys: {API_TOKEN: REGIONAL_TOKEN}
capability:
  consumes:
  - type: http
    namespace: aws-x
    baseUri: https://forecast.{region}.amazonaws.com/{{env.STAGE_PATH}}
    authentication: {type: bearer, token: '{{API_TOKEN}}'}
    resources:
    - name: r
      path: /items
      operations:
      - {name: list, method: GET}
  exposes:
  - type: mcp
    namespace: m
    port: 9
    tools:
    - {name: list-items, description: List items, call: aws-x.list}
"""


@pytest.fixture
def settings_module(tmp_path: Path) -> Iterator[ModuleType]:
    spec = tmp_path / "regional.yaml"
    spec.write_text(SPEC)
    write_tree(tmp_path / "out", generate(spec).files)
    sys.path.insert(0, str(tmp_path / "out"))
    try:
        yield importlib.import_module("regional.settings")
    finally:
        sys.path.remove(str(tmp_path / "out"))
        for name in [m for m in sys.modules if m == "regional" or m.startswith("regional.")]:
            del sys.modules[name]


def test_base_uri_variables_are_filled_from_the_environment(settings_module: ModuleType) -> None:
    env = {"REGIONAL_TOKEN": "tok-77ab", "AWS_X_REGION": "eu-west-1", "STAGE_PATH": "prod"}

    settings = settings_module.load_settings(env)

    assert settings.aws_x.base_uri == "https://forecast.eu-west-1.amazonaws.com/prod"
    assert settings.api_token == "tok-77ab"
    assert "tok-77ab" not in repr(settings)


def test_a_missing_base_uri_variable_names_it_and_the_alternative(
    settings_module: ModuleType,
) -> None:
    with pytest.raises(settings_module.ConfigError) as raised:
        settings_module.load_settings({"REGIONAL_TOKEN": "t", "STAGE_PATH": "prod"})

    assert "AWS_X_REGION" in str(raised.value)
    assert "AWS_X_BASE_URI" in str(raised.value)


def test_base_uri_override_needs_no_variables(settings_module: ModuleType) -> None:
    env = {"REGIONAL_TOKEN": "t", "AWS_X_BASE_URI": "http://127.0.0.1:1/api/"}

    settings = settings_module.load_settings(env)

    assert settings.aws_x.base_uri == "http://127.0.0.1:1/api"


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        ({"AWS_X_VERIFY_TLS": "maybe"}, "AWS_X_VERIFY_TLS must be true or false"),
        ({"AWS_X_TIMEOUT": "-1"}, "AWS_X_TIMEOUT must be a positive number"),
        ({"AWS_X_CA_BUNDLE": "/no/such.pem"}, "AWS_X_CA_BUNDLE"),
        ({"AWS_X_BASE_URI": "ftp://x"}, "must start with http:// or https://"),
    ],
)
def test_malformed_settings_are_refused_by_name(
    settings_module: ModuleType, extra: dict[str, str], fragment: str
) -> None:
    env = {"REGIONAL_TOKEN": "t", "AWS_X_REGION": "r", "STAGE_PATH": "p", **extra}

    with pytest.raises(settings_module.ConfigError) as raised:
        settings_module.load_settings(env)

    assert fragment in str(raised.value)
