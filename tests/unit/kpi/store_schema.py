"""The store's own tables (bot.store's metadata) for the KPI query tests."""

from __future__ import annotations

from sqlalchemy import Engine, Table
from sqlalchemy.orm import Session

from bot.store import Base


def create(engine: Engine) -> None:
    Base.metadata.create_all(engine)


def tables(session: Session) -> dict[str, Table]:
    return dict(Base.metadata.tables)
