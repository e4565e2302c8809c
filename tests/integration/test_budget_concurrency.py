"""Budgets hold under concurrency, on SQLite and PostgreSQL, in one currency and in two.

60 tickets for 60 customers arrive together under a daily goodwill budget; each reads the
budget before its (slow) model call, so all of them decide on the same remainder. The ledger
must still never give more than the budget: the recording step decides again under a lock
and gives the later tickets what is left, or a person.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.domain import Issue, OfferKind, Order
from bot.drafting import Drafter
from bot.fx import FxRates
from bot.policy import load_policy
from bot.service import TicketRequest, TicketResponse, handle_ticket
from bot.store import Event, Offer
from bot.triage import load_triager
from tests.unit.service.helpers import add_customer, hammer, migrated

N = 60
BUDGET = Decimal(60)
FX = FxRates(base="USD", rates={"EUR": Decimal("1.25")})


class SlowChatModel(BaseChatModel):
    """Holds every ticket in its model step long enough for all of them to overlap."""

    delay_s: float = 0.3

    @property
    def _llm_type(self) -> str:
        return "slow"

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        time.sleep(self.delay_s)
        text = "I am so sorry your parcel is late."
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    load_triager()
    with migrated(db_url) as factory:
        for i in range(N):
            add_customer(factory, f"c{i}", clv="900", tier="platinum", segment="champions")
        yield factory


def _request(i: int, currency: str) -> TicketRequest:
    return TicketRequest(
        customer_id=f"c{i}",
        order=Order(id=f"B-{i}", value=Decimal("80"), currency=currency),
        issue=Issue(category="late_delivery", severity=3),
        message="My parcel is two weeks late and I needed it for a birthday.",
    )


def _hammer(sessions: sessionmaker[Session], currencies: list[str]) -> list[TicketResponse]:
    policy = load_policy()
    policy = policy.model_copy(
        update={"budget": policy.budget.model_copy(update={"daily": BUDGET})}
    )
    drafter = Drafter(SlowChatModel())
    results, errors = hammer(
        N,
        lambda i: handle_ticket(
            sessions,
            _request(i, currencies[i % len(currencies)]),
            policy=policy,
            drafter=drafter,
            idempotency_key=f"b-{i}",
            fx=FX,
        ),
    )
    assert errors == []
    assert len(results) == N
    return results


def _given_base(sessions: sessionmaker[Session]) -> tuple[Decimal, int]:
    with sessions() as s:
        total, count = s.execute(
            select(func.coalesce(func.sum(Offer.base_amount), 0), func.count(Offer.id))
        ).one()
    return Decimal(str(total)), int(count)


@pytest.mark.slow
@pytest.mark.parametrize("currencies", [["USD"], ["USD", "EUR"]], ids=["one_currency", "two"])
def test_sixty_concurrent_tickets_never_give_more_than_the_daily_budget(
    sessions: sessionmaker[Session], currencies: list[str]
) -> None:
    results = _hammer(sessions, currencies)
    given, offers = _given_base(sessions)
    assert given <= BUDGET, f"{offers} offers worth {given} USD under a {BUDGET} USD budget"
    assert offers >= 2, "the budget was spent, not refused outright"
    # What each customer was told is what the ledger holds: no reply promises a lost race.
    with sessions() as s:
        ledger = {o.ticket_id: (o.kind, o.amount, o.currency) for o in s.scalars(select(Offer))}
    for r in results:
        offer = r.decision.offer
        if offer.kind in (OfferKind.none, OfferKind.apology_only):
            continue
        assert ledger[r.ticket_id] == (offer.kind.value, offer.amount, offer.currency)
        assert r.reply.guard.ok
    # The tickets that lost the race were decided again, saying so, and none was over the cap.
    redecided = [r for r in results if any("decided again" in x for x in r.decision.reasons)]
    assert redecided, "60 tickets on one budget: later ones must have been decided again"
    for r in redecided:
        assert r.reply.source == "template"
        assert r.decision.offer.amount <= r.decision.cap
        if any("budget exhausted" in x for x in r.decision.reasons):
            assert r.decision.escalate, "an exhausted budget sends the ticket to a person"
    with sessions() as s:
        events = s.execute(select(func.count(Event.id)).where(Event.type == "decided_again"))
        assert events.scalar_one() == len(redecided)
    if len(currencies) == 2:
        with sessions() as s:
            eur = s.scalars(select(Offer).where(Offer.currency == "EUR")).all()
        for o in eur:  # each EUR offer counted at the rate, rounded up, in the base
            assert o.base_currency == "USD" and o.base_amount >= o.amount * FX.rate("EUR")


@pytest.mark.slow
def test_one_customers_concurrent_tickets_never_give_more_than_their_clv(
    sessions: sessionmaker[Session],
) -> None:
    """No budget, so the record step locks only the customer: 30 tickets of one customer
    (different orders) arriving together each read the whole residual CLV, yet the ledger
    never gives that customer more than their CLV."""
    policy = load_policy()
    policy = policy.model_copy(
        update={
            "abuse": policy.abuse.model_copy(
                update={"max_appeasements": 1000, "max_spend": Decimal(100000)}
            )
        }
    )
    assert policy.budget.daily is None and policy.budget.monthly is None
    drafter = Drafter(SlowChatModel())
    n = 30
    one_customer = _request(0, "USD")
    results, errors = hammer(
        n,
        lambda i: handle_ticket(
            sessions,
            one_customer.model_copy(
                update={"order": Order(id=f"S-{i}", value=Decimal("500"), currency="USD")}
            ),
            policy=policy,
            drafter=drafter,
            idempotency_key=f"s-{i}",
            fx=FX,
        ),
    )
    assert errors == [] and len(results) == n
    with sessions() as s:
        given = s.execute(
            select(func.coalesce(func.sum(Offer.base_amount), 0)).where(Offer.customer_id == "c0")
        ).scalar_one()
    assert Decimal(str(given)) <= Decimal("900"), f"{given} given against a CLV of 900"
    assert any(any("decided again" in x for x in r.decision.reasons) for r in results)
