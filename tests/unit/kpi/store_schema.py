"""The store's tables for the KPI query tests.

Uses bot.store's own metadata when it exposes one; until then, a Core copy of the tables the
KPI query reads (names and columns as the store issue specifies them).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
)
from sqlalchemy.orm import Session

_meta = MetaData()
Table("customers", _meta, Column("id", String, primary_key=True))
Table(
    "tickets", _meta,
    Column("id", String, primary_key=True),
    Column("customer_id", String, ForeignKey("customers.id")),
    Column("channel", String), Column("category", String), Column("severity", Integer),
    Column("status", String), Column("created_at", DateTime(timezone=True)),
)  # fmt: skip
Table(
    "score_snapshots", _meta,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", String, ForeignKey("customers.id")),
    Column("ticket_id", String, nullable=True),
    Column("clv", Numeric(14, 2)), Column("residual_clv", Numeric(14, 2)),
    Column("tier", String), Column("segment", String),
    Column("taken_at", DateTime(timezone=True)), Column("reason", String),
)  # fmt: skip
Table(
    "decisions", _meta,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ticket_id", String), Column("policy_version", String),
    Column("escalate", Boolean), Column("created_at", DateTime(timezone=True)),
)  # fmt: skip
Table(
    "offers", _meta,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ticket_id", String), Column("kind", String), Column("amount", Numeric(14, 2)),
    Column("currency", String), Column("status", String),
    Column("created_at", DateTime(timezone=True)),
)  # fmt: skip
Table(
    "messages", _meta,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ticket_id", String), Column("role", String), Column("text", String),
    Column("created_at", DateTime(timezone=True)),
)  # fmt: skip
Table(
    "surveys", _meta,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ticket_id", String), Column("phase", String), Column("score", Float),
    Column("source", String), Column("created_at", DateTime(timezone=True)),
)  # fmt: skip
Table(
    "events", _meta,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ticket_id", String), Column("type", String), Column("payload", JSON),
    Column("created_at", DateTime(timezone=True)),
)  # fmt: skip


def create(engine) -> None:
    _meta.create_all(engine)


def tables(session: Session) -> dict[str, Table]:
    return dict(_meta.tables)
