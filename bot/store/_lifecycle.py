"""The ticket lifecycle's queries: claiming a ticket, its offer, follow-ups, imports, health.

`bot.store` is the only package that speaks SQL (an import-linter contract): the service asks
these functions, never builds a query. Conditional UPDATEs return whether they matched, so
two workers never both take the same ticket, follow-up or offer answer. Functions take a
session; the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    Insert,
    Table,
    and_,
    bindparam,
    case,
    insert,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.store import _models
from bot.store._enums import FollowupStatus, MessageRole, TicketState
from bot.store._models import (
    Customer,
    Followup,
    Message,
    ModelParams,
    Offer,
    ScoreSnapshot,
    Ticket,
    Transaction,
)

__all__ = [
    "DB_ERRORS",
    "IntegrityError",
    "Session",
    "Sessions",
    "StoreError",
    "answer_offer_row",
    "bot_messages",
    "claim_ticket",
    "customer_ids",
    "customers_of_tier",
    "due_followups",
    "file_imported",
    "finish_ticket",
    "insert_rows",
    "latest_params",
    "mark_followup",
    "mark_ticket_failed",
    "offer_of_ticket",
    "offers_of_order",
    "open_ticket",
    "ping",
    "rows_where_in",
    "ticket_by_key",
    "ticket_openings",
    "tickets_between",
    "transactions",
    "update_customers",
]

Sessions = sessionmaker[Session]
# Anything the database layer raises (a read that cannot complete is a store error).
StoreError = SQLAlchemyError
# What a database outage raises: a dropped connection, a refused one, a failover mid-query.
DB_ERRORS = (OperationalError, DBAPIError)


def ping(session: Session) -> None:
    """One round trip (for /healthz)."""
    session.execute(text("SELECT 1"))


# -- tickets ----------------------------------------------------------------------------------


def ticket_by_key(session: Session, key: str) -> Ticket | None:
    return session.execute(_TICKET_BY_KEY, {"key": key}).scalar_one_or_none()


# Built once: every ticket with a key runs it.
_TICKET_BY_KEY = select(Ticket).where(Ticket.idempotency_key == bindparam("key"))


def _core_insert(model: type[Any]) -> Insert:
    """A Core INSERT of the model's table, built once (executed with a list of rows)."""
    stmt = _INSERTS.get(model)
    if stmt is None:
        stmt = _INSERTS[model] = insert(cast(Table, model.__table__))
    return stmt


_INSERTS: dict[type[Any], Insert] = {}


def open_ticket(session: Session, *, message: str, **columns: Any) -> str | None:
    """Insert a ticket (`columns`) and the customer's `message` on it; return the ticket's id,
    or None if a ticket with the same idempotency key exists (nothing is inserted then).

    Why ON CONFLICT and not a look-up first: nearly every request's key is new, so the look-up
    was a round trip that found nothing; a key seen before costs the caller one read after.
    """
    ticket_id = _models.new_id()
    connection = session.connection()
    row = {"ticket_id": ticket_id, "role": MessageRole.customer, "text": message}
    if connection.dialect.name == "postgresql":  # one round trip: the message only if opened
        return _open_in_one(connection, {**columns, "id": ticket_id}, row)
    if connection.execute(_OPEN_TICKET, {**columns, "id": ticket_id}).first() is None:
        return None
    connection.execute(_core_insert(Message), [row])
    return ticket_id


def _open_in_one(connection: Any, ticket: dict[str, Any], message: dict[str, Any]) -> str | None:
    """The ticket's INSERT as a WITH clause, and the message inserted from what it returns:
    a key already taken returns no ticket id, so no message goes in either."""
    tickets, messages = cast(Table, Ticket.__table__), cast(Table, Message.__table__)
    opened = (
        pg_insert(tickets)
        .values(_with_defaults(tickets, ticket))
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(tickets.c.id)
        .cte("opened")
    )
    full = _with_defaults(messages, message)
    names = [k for k in full if k != "ticket_id"]
    stmt = (
        insert(messages)
        .from_select(
            ["ticket_id", *names],
            select(opened.c.id, *(literal(full[k], messages.c[k].type) for k in names)),
        )
        .returning(messages.c.ticket_id)
    )
    found = connection.execute(stmt).first()
    return None if found is None else str(found[0])


# Built once: every ticket runs one. A key already taken inserts nothing and returns no row.
# SQLite's (PostgreSQL opens in one statement, `_open_in_one`)
_OPEN_TICKET = (
    sqlite_insert(cast(Table, Ticket.__table__))
    .on_conflict_do_nothing(index_elements=["idempotency_key"])
    .returning(cast(Table, Ticket.__table__).c.id)
)


def _with_defaults(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """`row` with the columns' Python-side defaults filled in: an INSERT inside a WITH clause
    is not given them by SQLAlchemy, as a statement of its own is."""
    missing = {
        c.name: c.default
        for c in table.c
        if c.name not in row and c.default is not None and not c.default.is_sequence
    }
    filled = dict(row)
    for name, default in missing.items():
        arg: Any = getattr(default, "arg", None)
        filled[name] = arg(None) if getattr(default, "is_callable", False) else arg
    return filled


def claim_ticket(
    session: Session, ticket_id: str, *, now: datetime, lease: timedelta, abandoned: bool
) -> bool:
    """Take over a failed ticket, or an in-flight one past its lease (or `abandoned` by this
    process): one conditional UPDATE, so only one caller's matches the row."""
    claimable = or_(
        Ticket.state == TicketState.failed,
        Ticket.state == TicketState.in_flight
        if abandoned
        else and_(Ticket.state == TicketState.in_flight, Ticket.updated_at < now - lease),
    )
    result = session.execute(
        update(Ticket)
        .where(Ticket.id == ticket_id, claimable)
        .values(state=TicketState.in_flight, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0)) == 1


def finish_ticket(session: Session, ticket_id: str, *, when: datetime, **values: Any) -> None:
    """Set the ticket's recorded columns (`values`) in one UPDATE, with no read first; its
    `created_at` becomes `when` if that is earlier (a ticket recorded as of a past `now`)."""
    # Core on the session's connection: the columns given join the SET clause
    session.connection().execute(_FINISH, {**values, "finish_id": ticket_id, "finish_when": when})


_TICKETS = cast(Table, Ticket.__table__)
_FINISH_WHEN = bindparam("finish_when", type_=_TICKETS.c.created_at.type)
_FINISH = (
    update(_TICKETS)
    .where(_TICKETS.c.id == bindparam("finish_id"))
    .values(
        created_at=case(
            (_TICKETS.c.created_at > _FINISH_WHEN, _FINISH_WHEN), else_=_TICKETS.c.created_at
        )
    )
)


def mark_ticket_failed(session: Session, ticket_id: str, *, now: datetime) -> None:
    session.execute(
        update(Ticket)
        .where(Ticket.id == ticket_id, Ticket.state == TicketState.in_flight)
        .values(state=TicketState.failed, updated_at=now)
        .execution_options(synchronize_session=False)
    )


# -- offers -----------------------------------------------------------------------------------


def offer_of_ticket(session: Session, ticket_id: str) -> Offer | None:
    """The offer this ticket made (its first, should a ticket ever hold two)."""
    query = select(Offer).where(Offer.ticket_id == ticket_id).order_by(Offer.id).limit(1)
    return session.execute(query).scalars().first()


def offers_of_order(session: Session, order_id: str) -> list[Offer]:
    """Every offer for an order (one per issue category), oldest first. Every ticket asks and
    nearly always there is none: the ids are read through Core (a third of an ORM query's
    cost), the rows loaded only when there are some."""
    ids = session.connection().execute(_OFFER_IDS_OF_ORDER, {"order_id": order_id}).scalars()
    found = list(ids)
    if not found:
        return []
    return list(
        session.execute(select(Offer).where(Offer.id.in_(found)).order_by(Offer.id)).scalars()
    )


# Built once: every ticket runs it.
_OFFER_IDS_OF_ORDER = select(Offer.id).where(Offer.order_id == bindparam("order_id"))


def answer_offer_row(
    session: Session, offer_id: int, *, to: str, open_statuses: Iterable[str]
) -> bool:
    """Move an offer that is still open to `to`; False if it was not open any more."""
    result = session.execute(
        update(Offer)
        .where(Offer.id == offer_id, Offer.status.in_(list(open_statuses)))
        .values(status=to)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0)) == 1


# -- follow-ups -------------------------------------------------------------------------------


def due_followups(
    session: Session, *, now: datetime, limit: int, lock: bool = False
) -> list[Followup]:
    """Follow-ups due by `now`, oldest first. `lock`: PostgreSQL row locks, skipping rows
    another worker holds (SQLite has one writer and no row locks)."""
    query = (
        select(Followup)
        .where(Followup.status == FollowupStatus.due, Followup.due_at <= now)
        .order_by(Followup.due_at, Followup.id)
        .limit(limit)
    )
    if lock and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.execute(query).scalars())


def mark_followup(session: Session, followup_id: int, **values: object) -> bool:
    """Move a follow-up out of 'due'; False if another worker already did."""
    result = session.execute(
        update(Followup)
        .where(Followup.id == followup_id, Followup.status == FollowupStatus.due)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0)) == 1


def bot_messages(session: Session, ticket_id: str) -> list[str]:
    """What the bot already said on a ticket (so a follow-up does not repeat it)."""
    query = select(Message.text).where(
        Message.ticket_id == ticket_id, Message.role == MessageRole.bot
    )
    return list(session.execute(query.order_by(Message.id)).scalars())


# -- customers and their purchases --------------------------------------------------------------


def file_imported(session: Session, source: str) -> bool:
    """A transactions file with this content was imported before."""
    query = select(Transaction.id).where(Transaction.source == source).limit(1)
    return session.execute(query).first() is not None


def customer_ids(session: Session) -> set[str]:
    return set(session.scalars(select(Customer.id)))


def insert_rows(session: Session, table: str, rows: Sequence[dict[str, Any]]) -> None:
    """Bulk INSERT (executemany) of plain rows into one of the tables of `_BULK`: no unit of
    work, no ids read back (every row of one call carries the same columns)."""
    model = _BULK[table]
    if rows:  # Core on the session's connection: no ORM bulk path (a third of the time)
        session.connection().execute(_core_insert(model), list(rows))


def update_customers(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Bulk UPDATE by primary key (each row carries `id`)."""
    if rows:
        session.execute(update(Customer), list(rows))


def transactions(session: Session) -> list[tuple[str, datetime, Any]]:
    """Every stored purchase as (customer_id, date, amount)."""
    query = select(Transaction.customer_id, Transaction.date, Transaction.amount)
    return [(r[0], r[1], r[2]) for r in session.execute(query)]


def customers_of_tier(session: Session, tier: str, *, limit: int) -> list[str]:
    """Up to `limit` ids of customers in a tier, in id order (deterministic picks)."""
    query = select(Customer.id).where(Customer.tier == tier).order_by(Customer.id).limit(limit)
    return list(session.execute(query).scalars())


def latest_params(session: Session) -> ModelParams | None:
    """The most recent fitted model."""
    query = select(ModelParams).order_by(ModelParams.id.desc()).limit(1)
    return session.execute(query).scalar_one_or_none()


# -- reads for reports ---------------------------------------------------------------------------

_CHUNK = 500  # ids per IN (...) list: well under every database's parameter limit


def tickets_between(
    session: Session, start: datetime | None = None, end: datetime | None = None
) -> list[Ticket]:
    """Tickets opened in [start, end), oldest first."""
    query = select(Ticket)
    if start is not None:
        query = query.where(Ticket.created_at >= start)
    if end is not None:
        query = query.where(Ticket.created_at < end)
    return list(session.execute(query.order_by(Ticket.created_at, Ticket.id)).scalars())


def rows_where_in(session: Session, model: type[Any], column: str, ids: Sequence[Any]) -> list[Any]:
    """Every row of `model` whose `column` is one of `ids` (queried in chunks)."""
    key = getattr(model, column)
    out: list[Any] = []
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        out.extend(session.execute(select(model).where(key.in_(chunk))).scalars())
    return out


def ticket_openings(
    session: Session, customer_ids: Sequence[str]
) -> list[tuple[str, str, datetime]]:
    """(ticket id, customer id, opened at) of every ticket of these customers."""
    out: list[tuple[str, str, datetime]] = []
    for start in range(0, len(customer_ids), _CHUNK):
        chunk = customer_ids[start : start + _CHUNK]
        query = select(Ticket.id, Ticket.customer_id, Ticket.created_at)
        out.extend(
            (t, c, a) for t, c, a in session.execute(query.where(Ticket.customer_id.in_(chunk)))
        )
    return out


_BULK: dict[str, type[Any]] = {
    "customers": Customer,
    "transactions": Transaction,
    "score_snapshots": ScoreSnapshot,
    # a ticket's record step
    "decisions": _models.Decision,
    "events": _models.Event,
    "followups": Followup,
    "messages": Message,
    "surveys": _models.Survey,
}
