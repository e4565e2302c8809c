"""Database URLs for tests: SQLite always, PostgreSQL when APPEASE_TEST_POSTGRES_URL is set.

Each PostgreSQL test gets its own schema (dropped afterwards), so tests never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import require_service

PG_URL = os.environ.get("APPEASE_TEST_POSTGRES_URL")


def _pg_base() -> str:
    url = PG_URL or ""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def postgres_ok() -> bool:
    if not PG_URL:
        return False
    try:
        with create_engine(_pg_base()).connect() as c:
            c.execute(text("select 1"))
        return True
    except Exception:
        return False


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A blank database URL, on SQLite and (where reachable) on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    require_service(postgres_ok(), "PostgreSQL (APPEASE_TEST_POSTGRES_URL) not reachable")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(_pg_base())
    with admin.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in _pg_base() else "?"
    try:
        yield f"{_pg_base()}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
