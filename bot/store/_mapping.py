"""Rows to domain objects and back, in one place, so a column rename breaks one function.

The service and the API read decisions and offers through these, never by picking columns.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.domain import CaseCustomer, OfferDecision, OfferKind, Segment, Tier
from bot.domain import Offer as DomainOffer
from bot.store._ledger import CustomerStanding
from bot.store._models import Decision, Offer, utcnow

__all__ = [
    "case_customer",
    "decision_from_row",
    "decision_row",
    "decision_values",
    "offer_from_row",
]


def decision_from_row(row: Decision) -> OfferDecision:
    return OfferDecision(
        offer=DomainOffer(
            kind=OfferKind(row.kind),
            amount=row.amount,
            currency=row.currency,
            basis="entitlement" if row.basis == "entitlement" else "goodwill",
        ),
        cap=row.cap,
        escalate=row.escalate,
        reasons=list(row.reasons),
        policy_version=row.policy_version,
    )


def decision_row(
    ticket_id: str, decision: OfferDecision, *, created_at: datetime | None = None
) -> Decision:
    return Decision(**decision_values(ticket_id, decision, created_at=created_at))


def decision_values(
    ticket_id: str, decision: OfferDecision, *, created_at: datetime | None = None
) -> dict[str, Any]:
    """The decisions row's columns (for a plain INSERT, `insert_rows`)."""
    return {
        "ticket_id": ticket_id,
        "kind": decision.offer.kind.value,
        "amount": decision.offer.amount,
        "currency": decision.offer.currency,
        "cap": decision.cap,
        "escalate": decision.escalate,
        "reasons": list(decision.reasons),
        "policy_version": decision.policy_version,
        "basis": decision.offer.basis,
        "created_at": created_at or utcnow(),
    }


def offer_from_row(row: Offer) -> DomainOffer:
    return DomainOffer(
        kind=OfferKind(row.kind),
        amount=row.amount,
        currency=row.currency,
        basis="entitlement" if row.basis == "entitlement" else "goodwill",
    )


def case_customer(standing: CustomerStanding) -> CaseCustomer:
    """What the policy may know of a customer: the score with the ledger applied."""
    return CaseCustomer(
        id=standing.customer_id,
        clv=standing.clv,
        residual_clv=standing.residual_clv,
        tier=Tier(standing.tier),
        segment=Segment(standing.segment),
        appeasements_90d=standing.appeasements_90d,
        appeasement_spend_90d=standing.appeasement_spend_90d,
    )
