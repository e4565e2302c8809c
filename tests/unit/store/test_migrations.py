"""Migrations build the schema on a blank database, match the models, and walk down and up."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from bot.store import Base, downgrade, make_engine, upgrade


def test_upgrade_on_a_blank_database_creates_every_table(db_url: str) -> None:
    upgrade(db_url)
    engine = make_engine(db_url)
    names = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= names
    engine.dispose()


def test_autogenerate_finds_no_drift_between_models_and_migrations(db_url: str) -> None:
    upgrade(db_url)
    engine = make_engine(db_url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    engine.dispose()
    assert diff == []


def test_downgrade_to_base_and_upgrade_again(db_url: str) -> None:
    upgrade(db_url)
    downgrade(db_url, "base")
    engine = make_engine(db_url)
    assert not set(Base.metadata.tables) & set(inspect(engine).get_table_names())
    engine.dispose()
    upgrade(db_url)
    engine = make_engine(db_url)
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_upgrading_from_the_first_revision_keeps_existing_rows(db_url: str) -> None:
    from sqlalchemy import text

    upgrade(db_url, "0001")
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "insert into customers (id, currency, created_at) "
                "values ('c1', 'EUR', '2026-01-01 00:00:00')"
            )
        )
    engine.dispose()
    upgrade(db_url)
    engine = make_engine(db_url)
    with engine.connect() as conn:
        assert conn.execute(text("select currency from customers")).scalar_one() == "EUR"
        assert conn.execute(text("select count(*) from conversations")).scalar_one() == 0
    engine.dispose()
