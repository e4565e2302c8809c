"""The goodwill ledger and the customer's standing: what has been offered, and what is left.

Offers are inserted with INSERT ... ON CONFLICT DO NOTHING on (order_id, category) and on the
idempotency key, then read back: whoever wins the race, every caller sees the one offer.
Functions flush, never commit: the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.store._enums import OfferStatus
from bot.store._models import Customer, Offer, utcnow

__all__ = [
    "GIVEN_STATUSES",
    "CustomerStanding",
    "find_offer",
    "goodwill_given",
    "record_offer",
    "standing",
]

# Offers that count as goodwill given: a declined offer cost nothing; a proposed one (waiting
# for an agent) is reserved so two channels cannot both spend the same residual CLV.
GIVEN_STATUSES = (OfferStatus.proposed, OfferStatus.sent, OfferStatus.accepted)


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


def goodwill_given(
    session: Session, customer_id: str, *, since: datetime | None = None
) -> tuple[int, Decimal]:
    """Count and money value of goodwill given to a customer (since a date, if given).

    Entitlements (owed by law or contract) are not goodwill: they neither lower residual CLV
    nor make a customer a repeat claimant.
    """
    query = select(func.count(Offer.id), func.coalesce(func.sum(Offer.amount), 0)).where(
        Offer.customer_id == customer_id,
        Offer.status.in_(GIVEN_STATUSES),
        Offer.basis == "goodwill",
    )
    if since is not None:
        query = query.where(Offer.created_at >= since)
    count, total = session.execute(query).one()
    return int(count), Decimal(str(total)).quantize(Decimal("0.01"))


def standing(
    session: Session, customer: Customer, *, now: datetime | None = None, window_days: int = 90
) -> CustomerStanding:
    now = now or utcnow()
    clv = (customer.clv or Decimal(0)).quantize(Decimal("0.01"))
    _, total = goodwill_given(session, customer.id)
    count_90, spend_90 = goodwill_given(
        session, customer.id, since=now - timedelta(days=window_days)
    )
    return CustomerStanding(
        customer_id=customer.id,
        clv=clv,
        residual_clv=clv - total,
        tier=customer.tier or "bronze",
        segment=customer.segment or "new",
        goodwill_total=total,
        appeasements_90d=count_90,
        appeasement_spend_90d=spend_90,
    )


def find_offer(session: Session, *, order_id: str, category: str) -> Offer | None:
    return session.execute(
        select(Offer).where(Offer.order_id == order_id, Offer.category == category)
    ).scalar_one_or_none()


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
) -> tuple[Offer, bool]:
    """Insert the offer unless one exists for this order and issue; return it and if it is new."""
    values = dict(
        ticket_id=ticket_id, customer_id=customer_id, order_id=order_id, category=category,
        kind=kind, amount=amount, currency=currency, policy_version=policy_version,
        idempotency_key=idempotency_key, status=status, basis=basis, created_at=utcnow(),
    )  # fmt: skip
    dialect = session.get_bind().dialect.name
    stmt: Any
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt = pg_insert(Offer).values(**values).on_conflict_do_nothing()
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(Offer).values(**values).on_conflict_do_nothing()
    else:  # pragma: no cover - other databases are not supported targets
        raise NotImplementedError(f"exactly-once offers need ON CONFLICT; {dialect} lacks it")
    # RETURNING says whether this call inserted, on both dialects (rowcount does not survive
    # the ORM's insert path on PostgreSQL).
    inserted = session.execute(stmt.returning(Offer.id)).first() is not None
    offer = find_offer(session, order_id=order_id, category=category)
    if offer is None and idempotency_key is not None:
        offer = session.execute(
            select(Offer).where(Offer.idempotency_key == idempotency_key)
        ).scalar_one_or_none()
    assert offer is not None, "an offer row must exist after INSERT ... ON CONFLICT"
    return offer, inserted
