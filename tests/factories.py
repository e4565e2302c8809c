"""Build domain objects for tests with sensible defaults: `make_case(tier="gold", severity=3)`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bot.domain import Case, Offer, OfferDecision, OfferKind, Ticket


def case_dict(**over: Any) -> dict[str, Any]:
    return {
        "customer": {
            "id": over.get("customer_id", "c1"),
            "clv": str(over.get("clv", "200")),
            "residual_clv": str(over.get("residual_clv", over.get("clv", "200"))),
            "tier": over.get("tier", "gold"),
            "segment": over.get("segment", "loyal"),
            "appeasements_90d": over.get("appeasements_90d", 0),
            "appeasement_spend_90d": str(over.get("appeasement_spend_90d", "0")),
        },
        "order": {
            "id": over.get("order_id", "o1"),
            "value": str(over.get("order_value", "120")),
            "currency": over.get("currency", "USD"),
        },
        "issue": {
            "category": over.get("category", "late_delivery"),
            "severity": over.get("severity", 2),
        },
    }


def make_case(**over: Any) -> Case:
    return Case.model_validate(case_dict(**over))


def make_ticket(
    message: str = "My parcel is late.", *, with_issue: bool = True, **over: Any
) -> Ticket:
    data = case_dict(**over)
    if not with_issue:
        data.pop("issue")
    return Ticket.model_validate({**data, "message": message})


def make_decision(
    kind: str = "store_credit",
    amount: str = "18.00",
    *,
    cap: str | None = None,
    currency: str = "USD",
    escalate: bool = False,
    version: str = "test+000000000000",
) -> OfferDecision:
    return OfferDecision(
        offer=Offer(kind=OfferKind(kind), amount=Decimal(amount), currency=currency),
        cap=Decimal(cap if cap is not None else amount),
        escalate=escalate,
        reasons=["test decision"],
        policy_version=version,
    )
