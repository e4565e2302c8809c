"""Test-wide fixtures: a clean APPEASE_* environment, hypothesis profiles, service gates."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=200, deadline=None)
settings.register_profile(
    "ci", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

IN_CI = os.environ.get("CI") == "true"

# Shared fixtures that live in their own modules (db_url: SQLite and PostgreSQL).
pytest_plugins = ["tests.db"]


def pytest_report_header() -> list[str]:
    import numpy
    import pandas
    import pydantic
    import scipy

    return [
        f"sqlite {sqlite3.sqlite_version}, numpy {numpy.__version__}, scipy {scipy.__version__}, "
        f"pandas {pandas.__version__}, pydantic {pydantic.__version__}",
        f"CI={IN_CI}, postgres={'yes' if os.environ.get('APPEASE_TEST_POSTGRES_URL') else 'no'}",
    ]


def require_service(available: bool, reason: str) -> None:
    """A missing service skips with a reason locally and fails in CI."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No test sees the developer's APPEASE_* settings or writes into the work tree."""
    for key in list(os.environ):
        if key.startswith("APPEASE_") and key != "APPEASE_TEST_POSTGRES_URL":
            monkeypatch.delenv(key)
    monkeypatch.setenv("APPEASE_DATABASE_URL", f"sqlite:///{tmp_path / 'appease.db'}")
    monkeypatch.setenv("APPEASE_LLM", "template")
    from bot.config import get_settings

    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
