"""Engines, sessions and migrations: the store's seam to the database driver.

SQLite (the default) gets WAL and a busy timeout so concurrent writers wait instead of failing;
PostgreSQL URLs arrive normalised to psycopg by Settings. Driver errors are translated to
`StoreUnavailable` by the service layer, at one place.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

if TYPE_CHECKING:
    from bot.config import Settings

__all__ = ["alembic_config", "downgrade", "make_engine", "make_sessionmaker", "upgrade"]

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _normalise(url: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _url(target: str | Settings) -> str:
    return _normalise(target if isinstance(target, str) else target.database_url)


def make_engine(target: str | Settings, **kwargs: Any) -> Engine:
    """An engine for a URL or for `Settings.database_url`; SQLite gets WAL and a busy timeout."""
    url = _url(target)
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
        if ":memory:" not in url and url not in ("sqlite://", "sqlite:///"):
            # One connection per process: SQLite has one writer anyway, and threads that queue
            # for the pool wake the moment it is free, where SQLite's busy handler would sleep
            # in steps of up to 100 ms (the p99 of the ticket API under load).
            kwargs.setdefault("poolclass", QueuePool)
            kwargs.setdefault("pool_size", 1)
            kwargs.setdefault("max_overflow", 0)
            kwargs.setdefault("pool_timeout", 30)
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            if ":memory:" not in url and url not in ("sqlite://", "sqlite:///"):
                cur.execute("PRAGMA journal_mode=WAL")
                # FULL, not WAL's usual NORMAL: a committed customer message survives power loss.
                cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 40)
    return create_engine(url, **kwargs)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(target: str | Settings) -> Any:
    """Alembic's config built in code (no alembic.ini), so migrations run from any directory."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", _url(target).replace("%", "%%"))
    cfg.set_main_option(
        "file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(hour).2d%%(minute).2d-%%(slug)s"
    )
    return cfg


def upgrade(target: str | Settings, revision: str = "head") -> None:
    """Bring the database to `revision` (creates every table on an empty database)."""
    from alembic import command

    command.upgrade(alembic_config(target), revision)


def downgrade(target: str | Settings, revision: str = "base") -> None:
    from alembic import command

    command.downgrade(alembic_config(target), revision)
