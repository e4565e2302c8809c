"""Engines and columns: SQLite runs in WAL with a busy timeout, timestamps stay UTC-aware, money
stays Decimal to the cent, and a plain postgresql:// URL gets the installed driver."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import StatementError

from bot.config import Settings
from bot.store import Customer, Transaction, make_engine, make_sessionmaker, upgrade


def test_sqlite_runs_in_wal_with_foreign_keys_full_sync_and_a_busy_timeout(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar_one() == 30000
        assert conn.execute(text("PRAGMA synchronous")).scalar_one() == 2, "FULL"
    engine.dispose()


def test_settings_with_a_plain_postgresql_url_get_the_psycopg_driver() -> None:
    settings = Settings(database_url="postgresql://postgres@127.0.0.1:5432/test")
    engine = make_engine(settings)  # no connection is made
    assert engine.url.drivername == "postgresql+psycopg"
    assert make_engine("postgres://u@h/db").url.drivername == "postgresql+psycopg"


def test_timestamps_come_back_timezone_aware_in_utc_and_money_to_the_cent(db_url: str) -> None:
    upgrade(db_url)
    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    paris = timezone(timedelta(hours=2))
    local = datetime(2026, 3, 1, 14, 30, tzinfo=paris)
    with sessions.begin() as s:
        s.add(Customer(id="c1", clv=Decimal("1234.56"), created_at=local))
        s.add(Transaction(customer_id="c1", date=local, amount=Decimal("0.10")))
    with sessions() as s:
        c = s.get(Customer, "c1")
        assert c.created_at == local and c.created_at.tzinfo == UTC
        assert c.clv == Decimal("1234.56") and isinstance(c.clv, Decimal)
        total = s.execute(text("select sum(amount) * 3 from transactions")).scalar_one()
        assert Decimal(str(total)).quantize(Decimal("0.01")) == Decimal("0.30")
    engine.dispose()


def test_a_naive_timestamp_is_refused_rather_than_guessed(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    upgrade(url)
    engine = make_engine(url)
    with (
        pytest.raises(StatementError, match="naive datetime"),
        make_sessionmaker(engine).begin() as s,
    ):
        s.add(Customer(id="c1", created_at=datetime(2026, 3, 1, 12, 0)))
    engine.dispose()
