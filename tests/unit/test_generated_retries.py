"""Generated retry settings and delays (upstream.py ``retry_delay``, settings ``<NS>_RETRIES``),
imported from the committed web_sessions package; retries on the wire are tested in
tests/integration/test_failing_upstreams.py."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from types import ModuleType

import pytest

from tests.support.paths import GENERATED

ENV = {"INTERACTIVE_BROKERS_API_KEY": "t"}


@pytest.fixture(scope="module")
def package() -> Iterator[dict[str, ModuleType]]:
    sys.path.insert(0, str(GENERATED / "web_sessions"))
    try:
        yield {
            name: importlib.import_module(f"web_sessions.{name}")
            for name in ("settings", "upstream")
        }
    finally:
        sys.path.remove(str(GENERATED / "web_sessions"))


@pytest.mark.parametrize(
    ("attempt", "retry_after", "expected"),
    [
        (0, None, 0.25),
        (1, None, 0.5),
        (3, None, 2.0),
        (10, None, 10.0),  # backoff is capped
        (0, "3", 3.0),
        (0, "0", 0.0),
        (0, "100000", 10.0),  # so is the upstream's Retry-After
        (0, "9" * 400, 10.0),
        (1, "soon", 0.5),  # unreadable: backoff
        (1, "-5", 0.5),
        (1, "nan", 0.5),
        (1, "\u0663", 0.5),  # a non-ASCII digit is not delay-seconds
        (0, "Wed, 21 Oct 2015 07:28:00 GMT", 0.0),  # a date in the past: now
    ],
)
def test_retry_delay_honours_retry_after_up_to_the_cap(
    package: dict[str, ModuleType], attempt: int, retry_after: str | None, expected: float
) -> None:
    assert package["upstream"].retry_delay(attempt, retry_after) == expected


def test_retry_delay_reads_an_http_date(package: dict[str, ModuleType]) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=5), usegmt=True)

    assert 3.0 < package["upstream"].retry_delay(0, when) <= 5.0


def test_retries_default_to_zero_and_are_bounded(package: dict[str, ModuleType]) -> None:
    settings = package["settings"]

    assert settings.load_settings(ENV).web_sessions.retries == 0
    assert settings.load_settings({**ENV, "WEB_SESSIONS_RETRIES": "3"}).web_sessions.retries == 3
    for bad in ("11", "-1", "two", "1.5"):
        with pytest.raises(settings.ConfigError, match="WEB_SESSIONS_RETRIES"):
            settings.load_settings({**ENV, "WEB_SESSIONS_RETRIES": bad})


def test_the_body_limit_is_configurable_and_positive(package: dict[str, ModuleType]) -> None:
    settings = package["settings"]

    assert settings.load_settings(ENV).max_body_bytes == 1024 * 1024
    assert settings.load_settings({**ENV, "WEB_SESSIONS_MAX_BODY_BYTES": "10"}).max_body_bytes == 10
    for bad in ("0", "-1", "1MB"):
        with pytest.raises(settings.ConfigError, match="WEB_SESSIONS_MAX_BODY_BYTES"):
            settings.load_settings({**ENV, "WEB_SESSIONS_MAX_BODY_BYTES": bad})
