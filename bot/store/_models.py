"""The database schema: what appease remembers about customers, tickets, offers and outcomes.

Exactly-once offers rest on the unique constraints here (`uq_offers_order_category`,
`uq_offers_idempotency_key`, `uq_tickets_idempotency_key`), never on check-then-insert.
Timestamps are timezone-aware UTC; money is Numeric(14, 2) read back as Decimal.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar
from uuid import uuid4

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from bot.store._enums import (
    ConversationStatus,
    DraftStatus,
    FollowupStatus,
    OfferStatus,
    SurveySource,
    TicketState,
    TicketStatus,
)

__all__ = [
    "Base",
    "Conversation",
    "Customer",
    "Decision",
    "Draft",
    "Event",
    "Experiment",
    "Exposure",
    "Followup",
    "Message",
    "ModelParams",
    "Offer",
    "ScoreSnapshot",
    "Survey",
    "Ticket",
    "Transaction",
    "new_id",
    "utcnow",
]

Money = Numeric(14, 2, asdecimal=True)


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid4().hex


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC and always reads back an aware datetime (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        Decimal: Money,
        dict[str, Any]: JSON,
    }


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    frequency: Mapped[float | None] = mapped_column(Float)
    recency: Mapped[float | None] = mapped_column(Float)
    T: Mapped[float | None] = mapped_column(Float)
    monetary_value: Mapped[float | None] = mapped_column(Float)
    p_alive: Mapped[float | None] = mapped_column(Float)
    expected_purchases: Mapped[float | None] = mapped_column(Float)
    clv: Mapped[Decimal | None]
    tier: Mapped[str | None] = mapped_column(String(20))
    segment: Mapped[str | None] = mapped_column(String(40))
    scored_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Transaction(Base):
    __tablename__ = "transactions"
    __table_args__ = (Index("ix_transactions_customer_date", "customer_id", "date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    date: Mapped[datetime]
    amount: Mapped[Decimal]
    source: Mapped[str] = mapped_column(String(20), default="import")


class ModelParams(Base):
    """Fitted model parameters as versioned JSON (BgNbd.to_json, GammaGamma.to_json)."""

    __tablename__ = "model_params"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict[str, Any]]
    n_customers: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ScoreSnapshot(Base):
    __tablename__ = "score_snapshots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    ticket_id: Mapped[str | None] = mapped_column(String(32), index=True)
    clv: Mapped[Decimal]
    residual_clv: Mapped[Decimal]
    p_alive: Mapped[float | None] = mapped_column(Float)
    tier: Mapped[str] = mapped_column(String(20))
    segment: Mapped[str] = mapped_column(String(40))
    model: Mapped[str] = mapped_column(String(20), default="bgnbd_gg")
    params_id: Mapped[int | None] = mapped_column(ForeignKey("model_params.id"))
    reason: Mapped[str] = mapped_column(String(20), default="import")
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (Index("ix_tickets_customer_created", "customer_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    channel: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=TicketStatus.open)
    order_id: Mapped[str] = mapped_column(String(200))
    order_value: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    category: Mapped[str | None] = mapped_column(String(40))
    severity: Mapped[int | None] = mapped_column(Integer)
    triage: Mapped[dict[str, Any] | None]
    # The case's attributes as sent: {"customer": {...}, "order": {...}, "issue": {...}}.
    attributes: Mapped[dict[str, Any] | None]
    idempotency_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    request_hash: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(20), default=TicketState.in_flight)
    response: Mapped[dict[str, Any] | None]
    external_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Message(Base):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Decision(Base):
    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    cap: Mapped[Decimal]
    escalate: Mapped[bool]
    reasons: Mapped[list[str]] = mapped_column(JSON)
    policy_version: Mapped[str] = mapped_column(String(80))
    basis: Mapped[str] = mapped_column(String(20), default="goodwill", server_default="goodwill")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Offer(Base):
    """The goodwill ledger: one offer per order and issue category, one per idempotency key."""

    __tablename__ = "offers"
    __table_args__ = (
        UniqueConstraint("order_id", "category", name="uq_offers_order_category"),
        Index("ix_offers_customer_created", "customer_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"), index=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    order_id: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(30))
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20), default=OfferStatus.sent)
    idempotency_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    policy_version: Mapped[str] = mapped_column(String(80))
    # goodwill or entitlement (owed by law or contract): budgets and KPIs count them apart.
    basis: Mapped[str] = mapped_column(String(20), default="goodwill", server_default="goodwill")
    # The amount in the business's base currency at the rate used (rounded up: never counted
    # short): residual CLV and budgets add these up, whatever currency each offer was in.
    base_amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    base_currency: Mapped[str | None] = mapped_column(String(3))
    fx_rate: Mapped[Decimal | None] = mapped_column(Numeric(24, 12))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Draft(Base):
    """Agent assist: what the bot proposed, and what a human did with it."""

    __tablename__ = "drafts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    guard: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(20), default=DraftStatus.pending)
    edited_text: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]


class Followup(Base):
    __tablename__ = "followups"
    __table_args__ = (Index("ix_followups_status_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"), unique=True)
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20), default=FollowupStatus.due)
    text: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Survey(Base):
    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"), index=True)
    phase: Mapped[str] = mapped_column(String(10))
    score: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(20), default=SurveySource.survey)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Conversation(Base):
    """A chat widget session: who (from the signed token), which order, and its budgets."""

    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    order_id: Mapped[str] = mapped_column(String(200))
    order_value: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    ticket_id: Mapped[str | None] = mapped_column(ForeignKey("tickets.id"))
    status: Mapped[str] = mapped_column(String(20), default=ConversationStatus.open)
    turns: Mapped[int] = mapped_column(Integer, default=0)
    tokens: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Event(Base):
    """Everything the KPIs count that is not a row above: model calls, guard outcomes, handoffs."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str | None] = mapped_column(String(32), index=True)
    type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Experiment(Base):
    """A policy experiment: arms (name, policy text and version, share, control, spend cap).

    The arms' policy texts are stored, not their paths, so editing a file cannot change a
    running arm. At most one experiment runs at a time (`status` running).
    """

    __tablename__ = "experiments"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    salt: Mapped[str] = mapped_column(String(64))
    arms: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    metric_window_days: Mapped[int] = mapped_column(Integer, default=90)
    status: Mapped[str] = mapped_column(String(20), default="running")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    stopped_at: Mapped[datetime | None]


class Exposure(Base):
    """Which arm a ticket's customer was in, recorded with the ticket's decision."""

    __tablename__ = "exposures"
    __table_args__ = (Index("ix_exposures_experiment_arm", "experiment_id", "arm"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    experiment_id: Mapped[str] = mapped_column(ForeignKey("experiments.id"))
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"), unique=True)
    customer_id: Mapped[str] = mapped_column(String(200), index=True)
    arm: Mapped[str] = mapped_column(String(64))
    policy_version: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
