"""naftiko_gen.naming: spec names become safe identifiers and environment variable names."""

from __future__ import annotations

import pytest
from naftiko_gen import naming


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("placeOrder", "place_order"),
        ("get-authentication-status", "get_authentication_status"),
        ("accountId", "account_id"),
        ("class", "class_"),
        ("match", "match_"),
        ("2fa-code", "n_2fa_code"),
        ("__init__", "init"),
        ("", "value"),
        ("x.y/z", "x_y_z"),
    ],
)
def test_snake_gives_a_valid_non_keyword_identifier(name: str, expected: str) -> None:
    assert naming.snake(name) == expected
    assert naming.snake(name).isidentifier()


def test_env_prefix_upper_cases_and_replaces_non_alphanumerics() -> None:
    assert naming.env_prefix("web-sessions") == "WEB_SESSIONS"
    assert naming.env_prefix("ml.env-2") == "ML_ENV_2"


def test_spec_file_stem_gives_distribution_and_import_names() -> None:
    assert naming.dist_name("web-sessions") == "web-sessions"
    assert naming.package_name(naming.dist_name("web-sessions")) == "web_sessions"
    assert naming.dist_name("My Spec_v2") == "my-spec-v2"


def test_a_spec_named_after_a_standard_library_module_gets_an_importable_package_name() -> None:
    assert naming.package_name(naming.dist_name("platform")) == "platform_"
    assert naming.package_name(naming.dist_name("telnetlib")) == "telnetlib_"
    assert naming.package_name(naming.dist_name("platform-management")) == "platform_management"


def test_unique_suffixes_collisions() -> None:
    taken: set[str] = set()

    assert [naming.unique("a", taken) for _ in range(3)] == ["a", "a_2", "a_3"]
