"""Rulebook attributes through the ticket service: kept on the ticket, read by the policy, and
an entitlement recorded once in the ledger as such, outside the goodwill budget."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.domain import Issue, Order
from bot.errors import InputError
from bot.fx import FxRates
from bot.policy import default_policy_path, load_policy
from bot.service import TicketCustomer, TicketRequest, handle_ticket, offers_for_order
from bot.store import Customer, Offer, Ticket

# The customers' CLV is in USD, the flights are sold in EUR: the business's rate converts.
FX = FxRates(base="USD", rates={"EUR": Decimal("1.08")})

EXAMPLES = default_policy_path().parent / "examples"


def richest(sessions) -> str:
    with sessions() as s:
        return s.execute(select(Customer.id).order_by(Customer.clv.desc())).scalars().first()


def flight(
    customer_id: str,
    order_id: str = "B1",
    *,
    hours: float = 5,
    message: str = "",
    membership: str | None = None,
    category: str = "flight_delayed",
    currency: str = "EUR",
) -> TicketRequest:
    return TicketRequest(
        customer_id=customer_id,
        customer=TicketCustomer(attributes={"membership": membership} if membership else {}),
        order=Order(
            id=order_id,
            value=Decimal("180"),
            currency=currency,
            attributes={
                "distance_km": 2400,
                "departs_eu": True,
                "passengers": 2,
                "cabin": "economy",
            },
        ),
        issue=Issue(category=category, severity=1, attributes={"arrival_delay_hours": hours}),
        message=message,
    )


def test_attributes_are_kept_on_the_ticket_and_an_entitlement_is_recorded_as_one(
    sessions, drafter
) -> None:
    eu = load_policy(EXAMPLES / "eu261.yaml")
    cid = richest(sessions)
    out = handle_ticket(
        sessions, flight(cid), policy=eu, drafter=drafter, idempotency_key="e1", fx=FX
    )
    assert out.decision.offer.amount == Decimal("800.00")
    assert out.decision.offer.basis == "entitlement"
    with sessions() as s:
        t = s.get(Ticket, out.ticket_id)
        assert t.category == "flight_delayed"
        assert t.attributes == {
            "order": {"distance_km": 2400, "departs_eu": True, "passengers": 2, "cabin": "economy"},
            "issue": {"arrival_delay_hours": 5},
        }
        offer = s.execute(select(Offer).where(Offer.order_id == "B1")).scalar_one()
        assert offer.basis == "entitlement" and offer.amount == Decimal("800.00")
    # exactly once: the same order and issue again gets the recorded offer, not a second one
    again = handle_ticket(
        sessions, flight(cid), policy=eu, drafter=drafter, idempotency_key="e2", fx=FX
    )
    assert again.decision.offer.amount == Decimal("800.00")
    assert again.decision.offer.basis == "entitlement"
    assert len(offers_for_order(sessions, "B1")) == 1


def test_entitlements_do_not_spend_the_goodwill_budget(sessions, drafter) -> None:
    from bot.policy._schema import Budget

    eu = load_policy(EXAMPLES / "eu261.yaml")
    cid = richest(sessions)
    handle_ticket(
        sessions, flight(cid, "B2"), policy=eu, drafter=drafter, idempotency_key="b2", fx=FX
    )
    base = load_policy()
    budgeted = base.model_copy(update={"budget": Budget(daily=Decimal("50"))})
    retail = TicketRequest(
        customer_id=cid,
        order=Order(id="R1", value=Decimal("80"), currency="USD"),
        issue=Issue(category="damaged_item", severity=3),
        message="It arrived broken.",
    )
    out = handle_ticket(
        sessions, retail, policy=budgeted, drafter=drafter, idempotency_key="r1", fx=FX
    )
    assert out.decision.offer.amount > 0, "the 800 EUR owed under EU261 is not goodwill spent"


def test_a_customer_attribute_and_the_message_reach_the_airline_rules(sessions, drafter) -> None:
    air = load_policy(EXAMPLES / "airline.yaml")
    cid = richest(sessions)
    asked = flight(
        cid,
        "C1",
        membership="gold",
        category="flight_cancelled",
        message="My flight was cancelled, I want compensation.",
        currency="USD",
    )
    out = handle_ticket(sessions, asked, policy=air, drafter=drafter, idempotency_key="c1", fx=FX)
    assert out.decision.offer.basis == "goodwill"
    assert out.decision.offer.amount > 0
    quiet = flight(
        cid,
        "C2",
        membership="gold",
        category="flight_cancelled",
        message="My flight was cancelled.",
        currency="USD",
    )
    out = handle_ticket(sessions, quiet, policy=air, drafter=drafter, idempotency_key="c2", fx=FX)
    assert out.decision.offer.amount == 0
    assert any("only when asked" in r for r in out.decision.reasons)


def test_a_category_the_policy_does_not_know_is_refused_before_anything_is_stored(
    sessions, policy, drafter
) -> None:
    cid = richest(sessions)
    with pytest.raises(InputError, match=r"issue\.category"):
        handle_ticket(sessions, flight(cid, "D1"), policy=policy, drafter=drafter, fx=FX)
    with sessions() as s:
        assert s.execute(select(Ticket).where(Ticket.order_id == "D1")).first() is None
