"""The goodwill ledger and the customer's standing: what has been offered, and what is left.

Offers are inserted with INSERT ... ON CONFLICT DO NOTHING on (order_id, category) and on the
idempotency key, then read back: whoever wins the race, every caller sees the one offer.
Functions flush, never commit: the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from typing import Any, cast

from sqlalchemy import Table, bindparam, case, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.fx import FxRates
from bot.store._enums import OfferStatus
from bot.store._models import Customer, Offer, Ticket, utcnow

__all__ = [
    "GIVEN_STATUSES",
    "CustomerScore",
    "CustomerStanding",
    "budget_ledger",
    "customer_ledger",
    "customer_score",
    "find_offer",
    "goodwill_by_customer",
    "goodwill_given",
    "goodwill_spent_since",
    "ledger_mark",
    "lock_ledger",
    "record_goodwill_offer",
    "record_offer",
    "standing",
]

# Offers that count as goodwill given: a declined offer cost nothing; a proposed one (waiting
# for an agent) is reserved so two channels cannot both spend the same residual CLV.
GIVEN_STATUSES = (OfferStatus.proposed, OfferStatus.sent, OfferStatus.accepted)
# What an offer is worth in the base currency (rows from before revision 0005: their amount).
_BASE_AMOUNT = func.coalesce(Offer.base_amount, Offer.amount)
# One key for every worker on a PostgreSQL database: recording goodwill is serialised there.
_LEDGER_LOCK = 0x61707065  # "appe"


@dataclass(frozen=True)
class CustomerStanding:
    """A customer's score with the ledger applied: residual CLV and the rolling-window counts."""

    customer_id: str
    clv: Decimal
    residual_clv: Decimal
    tier: str
    segment: str
    goodwill_total: Decimal
    appeasements_90d: int
    appeasement_spend_90d: Decimal


@dataclass(frozen=True)
class CustomerScore:
    """What a customer's standing is computed from: their score, without the ORM row.

    Why: every ticket reads it, and a Core read of five columns costs a third of `Session.get`.
    """

    id: str
    clv: Decimal | None
    currency: str | None
    tier: str | None
    segment: str | None


def customer_score(session: Session, customer_id: str) -> CustomerScore | None:
    row = session.connection().execute(_SCORE, {"customer_id": customer_id}).first()
    return None if row is None else CustomerScore(*row)


_CUSTOMERS = cast(Table, Customer.__table__)
_SCORE = select(
    _CUSTOMERS.c.id,
    _CUSTOMERS.c.clv,
    _CUSTOMERS.c.currency,
    _CUSTOMERS.c.tier,
    _CUSTOMERS.c.segment,
).where(_CUSTOMERS.c.id == bindparam("customer_id"))


def goodwill_given(
    session: Session, customer_id: str, *, since: datetime | None = None
) -> tuple[int, Decimal]:
    """Count and money value of goodwill given to a customer (since a date, if given).

    Entitlements (owed by law or contract) are not goodwill: they neither lower residual CLV
    nor make a customer a repeat claimant.
    """
    query = select(func.count(Offer.id), func.coalesce(func.sum(_BASE_AMOUNT), 0)).where(
        Offer.customer_id == customer_id,
        Offer.status.in_(GIVEN_STATUSES),
        Offer.basis == "goodwill",
    )
    if since is not None:
        query = query.where(Offer.created_at >= since)
    count, total = session.execute(query).one()
    return int(count), _cents_up(total)


def goodwill_spent_since(session: Session, start: datetime) -> Decimal:
    """Goodwill given since `start` (UTC), in the base currency: what budgets count.

    Entitlements are owed, not drawn from a budget; a declined offer cost nothing.
    """
    total = session.execute(
        select(func.coalesce(func.sum(_BASE_AMOUNT), 0)).where(
            Offer.created_at >= start,
            Offer.status.in_(GIVEN_STATUSES),
            Offer.basis == "goodwill",
        )
    ).scalar_one()
    return Decimal(str(total))


def goodwill_by_customer(session: Session) -> dict[str, Decimal]:
    """Goodwill given per customer, in the base currency (for snapshots after a rescore)."""
    rows = session.execute(
        select(Offer.customer_id, func.sum(_BASE_AMOUNT))
        .where(Offer.status.in_(GIVEN_STATUSES), Offer.basis == "goodwill")
        .group_by(Offer.customer_id)
    ).all()
    return {cid: Decimal(str(total or 0)) for cid, total in rows}


def ledger_mark(session: Session, customer_id: str | None = None) -> int:
    """The newest goodwill offer's id, of one customer or of all (0 when none): unchanged
    means no goodwill was recorded since.

    Goodwill offers are only inserted under `lock_ledger`: the whole ledger's lock (with
    budgets) makes every id grow in commit order, a customer's lock that customer's ids: read
    the mark that matches the lock taken. A status change (accepted, declined, withdrawn)
    never lowers what a customer or a budget has left.
    """
    if customer_id is None:
        return int(session.execute(_MARK).scalar_one())
    return int(session.execute(_CUSTOMER_MARK, {"customer_id": customer_id}).scalar_one())


# Built once (a ticket runs them on every request): goodwill only, since entitlements are
# recorded without the lock and spend no budget or residual.
_MARK = select(func.coalesce(func.max(Offer.id), 0)).where(Offer.basis == "goodwill")
_CUSTOMER_MARK = _MARK.where(Offer.customer_id == bindparam("customer_id"))


def lock_ledger(
    session: Session, ticket_id: str, *, customer_id: str, budgets: bool = True
) -> None:
    """Make this transaction the only one spending what it is about to read again.

    Budgets and residual CLV are read again after this, so concurrent tickets cannot spend
    the same remainder. PostgreSQL: transaction-scoped advisory locks shared by every worker:
    the customer's (their residual CLV), and with `budgets` one for the whole ledger (a budget
    is everybody's); without budgets, tickets of different customers record in parallel.
    SQLite: a write first (the ticket's row), which takes the database's one write lock
    before anything is read.
    """
    if session.get_bind().dialect.name == "postgresql":
        if budgets:
            session.execute(_LOCK_LEDGER, {"key": _LEDGER_LOCK})
        session.execute(_LOCK_CUSTOMER, {"space": _LEDGER_LOCK, "customer": customer_id})
        return
    session.connection().execute(_TOUCH_TICKET, {"touch_id": ticket_id, "updated_at": utcnow()})


_LOCK_LEDGER = text("SELECT pg_advisory_xact_lock(:key)")
_LOCK_CUSTOMER = text("SELECT pg_advisory_xact_lock(:space, hashtext(:customer))")
_TICKETS = cast(Table, Ticket.__table__)
_TOUCH_TICKET = update(_TICKETS).where(_TICKETS.c.id == bindparam("touch_id"))


def standing(
    session: Session,
    customer: Customer | CustomerScore,
    *,
    now: datetime | None = None,
    window_days: int = 90,
    fx: FxRates | None = None,
) -> CustomerStanding:
    """CLV, residual CLV and the window's spend, in the base currency when `fx` is given.

    A customer scored in another currency (their purchase history's) has the CLV converted
    at the business's rate; goodwill is counted at each offer's base amount.
    """
    since = (now or utcnow()) - timedelta(days=window_days)
    return customer_ledger(session, customer, since, fx)[1]


def customer_ledger(
    session: Session, customer: Customer | CustomerScore, since: datetime, fx: FxRates | None
) -> tuple[int, CustomerStanding]:
    """The customer's ledger mark (`ledger_mark`) and standing (`standing`, its window from
    `since`), in one query: both from the same snapshot, so the mark is never newer than the
    standing."""
    clv = customer.clv or Decimal(0)
    if fx is not None and customer.currency and customer.currency.upper() != fx.base:
        clv = clv * fx.rate(customer.currency)
    clv = clv.quantize(Decimal("0.01"))
    mark, total, count_90, spend_90 = session.execute(
        _CUSTOMER_LEDGER,
        {"customer_id": customer.id, "since": since},
    ).one()
    total = _cents_up(total)
    return int(mark), CustomerStanding(
        customer_id=customer.id,
        clv=clv,
        residual_clv=clv - total,
        tier=customer.tier or "bronze",
        segment=customer.segment or "new",
        goodwill_total=total,
        appeasements_90d=int(count_90),
        appeasement_spend_90d=_cents_up(spend_90),
    )


_GIVEN = Offer.status.in_(GIVEN_STATUSES)
_RECENT = _GIVEN & (Offer.created_at >= bindparam("since"))
# goodwill rows only: the mark counts every status (`ledger_mark`), the sums the given ones
_CUSTOMER_LEDGER = select(
    func.coalesce(func.max(Offer.id), 0),
    func.coalesce(func.sum(case((_GIVEN, _BASE_AMOUNT))), 0),
    func.count(case((_RECENT, Offer.id))),
    func.coalesce(func.sum(case((_RECENT, _BASE_AMOUNT))), 0),
).where(Offer.customer_id == bindparam("customer_id"), Offer.basis == "goodwill")


def budget_ledger(
    session: Session, *, day: datetime | None, month: datetime | None
) -> tuple[int, Decimal | None, Decimal | None]:
    """The whole ledger's mark (`ledger_mark`) and the goodwill spent since `day` and since
    `month` (`goodwill_spent_since`; None where not asked), in one query."""
    since = [d for d in (day, month) if d is not None]
    sums = [
        func.coalesce(func.sum(case((_GIVEN & (Offer.created_at >= d), _BASE_AMOUNT))), 0)
        for d in since
    ]
    row = session.execute(
        select(func.coalesce(func.max(Offer.id), 0), *sums).where(Offer.basis == "goodwill")
    ).one()
    spent = iter(Decimal(str(v)) for v in row[1:])
    return (
        int(row[0]),
        next(spent) if day is not None else None,
        next(spent) if month is not None else None,
    )


def _cents_up(total: Any) -> Decimal:
    return Decimal(str(total)).quantize(Decimal("0.01"), rounding=ROUND_CEILING)


# Built once, the values bound at each call; ON CONFLICT on either unique key
_OFFER_INSERTS: dict[str, Any] = {
    "postgresql": pg_insert(Offer).on_conflict_do_nothing().returning(Offer),
    "sqlite": sqlite_insert(Offer).on_conflict_do_nothing().returning(Offer),
}


def record_goodwill_offer(
    session: Session,
    *,
    mark: int,
    budgets: bool,
    fx: FxRates | None = None,
    **offer: Any,
) -> bool:
    """Lock the ledger and insert a goodwill offer in one go if the ledger still stands at
    `mark` (`ledger_mark`: the whole ledger's with `budgets`, else the customer's); True if it
    was inserted.

    Why: the common ticket took a lock, read the mark again and inserted, three round trips for
    one decision. PostgreSQL: both advisory locks in one statement, then this INSERT; SQLite:
    this INSERT is the transaction's first write, so it holds the one write lock before its
    own subquery reads the mark. False (the mark moved, or this order and issue already have
    an offer): nothing was inserted, the ledger is locked all the same, and the caller decides
    again on the ledger as it is now (`record_offer` then inserts or finds the offer).
    `offer` takes `record_offer`'s keywords.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        keys = {"space": _LEDGER_LOCK, "customer": offer["customer_id"]}
        session.execute(_LOCK_BOTH if budgets else _LOCK_CUSTOMER, keys)
    stmt = _goodwill_insert(dialect, per_customer=not budgets)
    values = _offer_values(fx=fx, status=OfferStatus.sent, basis="goodwill", **offer)
    return session.connection().execute(stmt, {**values, "mark": mark}).first() is not None


_LOCK_BOTH = text(
    "SELECT pg_advisory_xact_lock(:space), pg_advisory_xact_lock(:space, hashtext(:customer))"
)
_OFFERS = cast(Table, Offer.__table__)
_GOODWILL_INSERTS: dict[tuple[str, bool], Any] = {}


def _goodwill_insert(dialect: str, *, per_customer: bool) -> Any:
    """INSERT ... SELECT <the offer's values> WHERE <mark> = :mark ON CONFLICT DO NOTHING
    RETURNING id, built once per dialect and mark."""
    stmt = _GOODWILL_INSERTS.get((dialect, per_customer))
    if stmt is not None:
        return stmt
    columns = [c for c in _OFFERS.c if c.name != "id"]
    binds = {c.name: bindparam(c.name, type_=c.type) for c in columns}
    mark = select(func.coalesce(func.max(_OFFERS.c.id), 0)).where(_OFFERS.c.basis == "goodwill")
    if per_customer:
        mark = mark.where(_OFFERS.c.customer_id == binds["customer_id"])
    source = select(*binds.values()).where(mark.scalar_subquery() == bindparam("mark"))
    make = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = (
        make(_OFFERS).from_select(columns, source).on_conflict_do_nothing().returning(_OFFERS.c.id)
    )
    _GOODWILL_INSERTS[(dialect, per_customer)] = stmt
    return stmt


def _offer_values(
    *,
    fx: FxRates | None,
    amount: Decimal,
    currency: str,
    **columns: Any,
) -> dict[str, Any]:
    """An offers row: the amount in its own currency and in the base currency at the rate used
    (without `fx`, the amount is taken to be in the base currency)."""
    if fx is None:
        base_amount, base_currency, rate = amount, currency, Decimal(1)
    else:
        base_amount, base_currency = fx.to_base(amount, currency), fx.base
        rate = fx.rate(currency)
    return {
        **columns,
        "amount": amount,
        "currency": currency,
        "created_at": utcnow(),
        "base_amount": base_amount,
        "base_currency": base_currency,
        "fx_rate": rate,
    }


def find_offer(session: Session, *, order_id: str, category: str) -> Offer | None:
    """The order's offer for this issue. Nearly always there is none: the id is read through
    Core (a third of an ORM query's cost), the row loaded only when there is one."""
    found = (
        session.connection()
        .execute(_OFFER_ID_OF_ISSUE, {"order_id": order_id, "category": category})
        .scalar_one_or_none()
    )
    return None if found is None else session.get(Offer, found)


# Built once: every apology-only ticket runs it.
_OFFER_ID_OF_ISSUE = select(Offer.id).where(
    Offer.order_id == bindparam("order_id"), Offer.category == bindparam("category")
)


def record_offer(
    session: Session,
    *,
    ticket_id: str,
    customer_id: str,
    order_id: str,
    category: str,
    kind: str,
    amount: Decimal,
    currency: str,
    policy_version: str,
    idempotency_key: str | None,
    status: OfferStatus = OfferStatus.sent,
    basis: str = "goodwill",
    fx: FxRates | None = None,
) -> tuple[Offer, bool]:
    """Insert the offer unless one exists for this order and issue; return it and if it is new.

    The ledger keeps the offer in its own currency and in the base currency at the rate used
    (without `fx`, the amount is taken to be in the base currency).
    """
    values = _offer_values(
        fx=fx,
        amount=amount,
        currency=currency,
        ticket_id=ticket_id,
        customer_id=customer_id,
        order_id=order_id,
        category=category,
        kind=kind,
        policy_version=policy_version,
        idempotency_key=idempotency_key,
        status=status,
        basis=basis,
    )
    stmt = _OFFER_INSERTS.get(session.get_bind().dialect.name)
    if stmt is None:  # pragma: no cover - other databases are not supported targets
        raise NotImplementedError("exactly-once offers need ON CONFLICT; this database lacks it")
    # RETURNING says whether this call inserted, on both dialects (rowcount does not survive
    # the ORM's insert path on PostgreSQL), and hands back the new row: no second read.
    new = session.execute(
        stmt, values, execution_options={"populate_existing": True}
    ).scalar_one_or_none()
    if new is not None:
        return new, True
    offer = find_offer(session, order_id=order_id, category=category)
    if offer is None and idempotency_key is not None:
        offer = session.execute(
            select(Offer).where(Offer.idempotency_key == idempotency_key)
        ).scalar_one_or_none()
    assert offer is not None, "an offer row must exist after INSERT ... ON CONFLICT"
    return offer, False
