"""PostgreSQL specifics: SKIP LOCKED follow-ups, real timestamptz/numeric columns, a plain
postgresql:// URL through the CLI, dropped connections healed, an unreachable server -> 503."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from bot.cli import app
from bot.drafting import Drafter
from bot.errors import StoreUnavailable
from bot.policy import load_policy
from bot.service import handle_ticket, run_followups
from bot.store import Followup, Offer, make_engine, make_sessionmaker, utcnow
from tests.conftest import require_service
from tests.db import _pg_base, postgres_ok
from tests.unit.service.helpers import add_customer, migrated, ticket

pytestmark = pytest.mark.postgres

POLICY = load_policy()
DRAFTER = Drafter(None)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A URL whose search_path is a fresh schema, dropped afterwards."""
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


@pytest.fixture
def sessions(pg_url: str) -> Iterator[sessionmaker[Session]]:
    with migrated(pg_url) as factory:
        add_customer(factory)
        yield factory


def test_a_worker_skips_followups_another_worker_has_locked(sessions) -> None:
    ids = [
        handle_ticket(sessions, ticket(order_id=f"S{i}"), policy=POLICY, drafter=DRAFTER).ticket_id
        for i in range(4)
    ]
    later = utcnow() + timedelta(days=POLICY.followup.after_days, minutes=1)
    with sessions() as other:  # another worker, mid-batch, holding the first row
        locked = other.execute(
            select(Followup).where(Followup.ticket_id == ids[0]).with_for_update()
        ).scalar_one()
        done: list[str] = []
        worker = threading.Thread(
            target=lambda: done.extend(run_followups(sessions, drafter=DRAFTER, now=later))
        )
        worker.start()
        worker.join(timeout=60)
        assert not worker.is_alive(), "the worker waited on a locked row instead of skipping it"
        assert sorted(done) == sorted(ids[1:])
        assert locked.status == "due"
        other.rollback()
    assert run_followups(sessions, drafter=DRAFTER, now=later) == [ids[0]]


def test_timestamps_are_timestamptz_and_money_is_numeric(sessions) -> None:
    with sessions() as s:
        rows = s.execute(
            text(
                "select table_name, column_name, data_type, numeric_scale from information_schema.columns"
                " where table_schema = current_schema() and column_name in"
                " ('created_at', 'due_at', 'amount', 'cap', 'clv', 'residual_clv')"
            )
        ).all()
    kinds = {(r.column_name, r.data_type, r.numeric_scale) for r in rows}
    assert {k for k in kinds if k[0] in ("created_at", "due_at")} == {
        ("created_at", "timestamp with time zone", None),
        ("due_at", "timestamp with time zone", None),
    }
    assert {k[1:] for k in kinds if k[0] not in ("created_at", "due_at")} == {("numeric", 2)}


def test_db_upgrade_takes_a_plain_postgresql_url(pg_url, monkeypatch) -> None:
    plain = pg_url.replace("postgresql+psycopg://", "postgresql://")
    monkeypatch.setenv("APPEASE_DATABASE_URL", plain)
    result = CliRunner().invoke(app, ["db", "upgrade"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    engine = make_engine(plain)
    with engine.connect() as conn:
        assert conn.execute(text("select version_num from alembic_version")).scalar_one()
    engine.dispose()


def test_connections_killed_by_the_server_are_replaced_without_an_error(pg_url) -> None:
    name = f"appease_test_{uuid.uuid4().hex[:8]}"  # kill only this test's own connections
    with migrated(f"{pg_url}&application_name={name}") as factory:
        add_customer(factory)
        handle_ticket(factory, ticket(order_id="K1"), policy=POLICY, drafter=DRAFTER)
        admin = create_engine(_pg_base())
        with admin.begin() as c:  # a failover or an idle-connection reaper
            killed = c.execute(
                text(
                    "select count(pg_terminate_backend(pid)) from pg_stat_activity"
                    " where application_name = :name"
                ),
                {"name": name},
            ).scalar_one()
        admin.dispose()
        assert killed >= 1
        out = handle_ticket(factory, ticket(order_id="K2"), policy=POLICY, drafter=DRAFTER)
        assert out.decision.offer.amount > 0
        with factory() as s:
            assert s.execute(select(func.count(Offer.id))).scalar_one() == 2


def test_an_unreachable_server_is_store_unavailable_not_a_crash() -> None:
    engine = make_engine("postgresql://postgres@127.0.0.1:1/test?connect_timeout=2")
    with pytest.raises(StoreUnavailable, match="retry"):
        handle_ticket(
            make_sessionmaker(engine), ticket(), policy=POLICY, drafter=DRAFTER, idempotency_key="k"
        )
    engine.dispose()
