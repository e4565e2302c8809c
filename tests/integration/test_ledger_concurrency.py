"""Exactly-once offers under concurrency, on SQLite and PostgreSQL: 50 duplicate tickets for one
order and issue make one offer; 50 retries with one Idempotency-Key make one ticket."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.drafting import Drafter
from bot.errors import IdempotencyConflict
from bot.policy import load_policy
from bot.service import TicketResponse, handle_ticket
from bot.store import Customer, Event, Message, Offer, Ticket, record_offer
from bot.triage import load_triager
from tests.unit.service.helpers import add_customer, hammer, migrated, ticket

POLICY = load_policy()
DRAFTER = Drafter(None)
N = 50


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    # Train the shared triager before the threads start: load_triager is cached but not locked,
    # so 50 first callers would each train it and this test would time triage, not the ledger.
    load_triager()
    with migrated(db_url) as factory:
        add_customer(factory)
        yield factory


def scalar(sessions: sessionmaker[Session], query: Any) -> Any:
    with sessions() as s:
        return s.execute(query).scalar_one()


@pytest.mark.slow
def test_fifty_concurrent_duplicate_tickets_for_one_order_and_issue_make_exactly_one_offer(
    sessions,
) -> None:
    results, errors = hammer(
        N,
        lambda i: handle_ticket(
            sessions,
            ticket(order_id="DUP"),
            policy=POLICY,
            drafter=DRAFTER,
            idempotency_key=f"dup-{i}",
        ),
    )
    assert errors == []
    assert len(results) == N
    assert scalar(sessions, select(func.count(Offer.id)).where(Offer.order_id == "DUP")) == 1
    offer = {(r.decision.offer.kind, r.decision.offer.amount) for r in results}
    assert len(offer) == 1 and next(iter(offer))[1] > 0, "every duplicate is told the one offer"
    assert all(r.reply.guard.ok for r in results)
    winners = [r for r in results if not any("already exists" in x for x in r.decision.reasons)]
    assert len(winners) == 1, "exactly one request made the offer; the rest were told about it"
    suppressed = select(func.count(Event.id)).where(Event.type == "duplicate_offer_suppressed")
    assert scalar(sessions, suppressed) == N - 1
    given = scalar(sessions, select(func.sum(Offer.amount)).where(Offer.customer_id == "vip"))
    assert Decimal(str(given)) == winners[0].decision.offer.amount


@pytest.mark.slow
def test_fifty_concurrent_retries_with_one_key_make_one_ticket_and_agree(sessions) -> None:
    results, errors = hammer(
        N,
        lambda _i: handle_ticket(
            sessions,
            ticket(order_id="KEY"),
            policy=POLICY,
            drafter=DRAFTER,
            idempotency_key="one",
        ),
    )
    assert all(isinstance(e, IdempotencyConflict) and e.in_flight for e in errors), errors
    assert results, "at least the first request finished"
    assert all(isinstance(r, TicketResponse) for r in results)
    assert len({r.model_dump_json() for r in results}) == 1, "replays return the stored response"
    assert scalar(sessions, select(func.count(Ticket.id))) == 1
    assert scalar(sessions, select(func.count(Message.id)).where(Message.role == "customer")) == 1
    assert scalar(sessions, select(func.count(Offer.id))) == 1


def test_the_same_key_with_another_body_is_a_conflict_not_a_second_offer(sessions) -> None:
    handle_ticket(
        sessions, ticket(order_id="K1"), policy=POLICY, drafter=DRAFTER, idempotency_key="k"
    )
    with pytest.raises(IdempotencyConflict) as err:
        handle_ticket(
            sessions, ticket(order_id="K2"), policy=POLICY, drafter=DRAFTER, idempotency_key="k"
        )
    assert not err.value.in_flight
    assert scalar(sessions, select(func.count(Offer.id))) == 1


@pytest.mark.slow
def test_fifty_sessions_racing_on_the_ledger_insert_one_row(sessions) -> None:
    with sessions.begin() as s:
        tickets = [
            Ticket(
                customer_id="vip",
                channel="api",
                order_id="RACE",
                order_value=Decimal(50),
                currency="USD",
            )
            for _ in range(N)
        ]
        s.add_all(tickets)
        s.flush()
        ids = [t.id for t in tickets]

    def insert(i: int) -> tuple[int, bool]:
        with sessions.begin() as s:
            offer, inserted = record_offer(
                s,
                ticket_id=ids[i],
                customer_id="vip",
                order_id="RACE",
                category="damaged_item",
                kind="refund_partial",
                amount=Decimal(i + 1),
                currency="USD",
                policy_version="p",
                idempotency_key=f"race-{i}",
            )
            return offer.id, inserted

    results, errors = hammer(N, insert)
    assert errors == []
    assert len({offer_id for offer_id, _ in results}) == 1, "every caller reads the one row"
    assert sum(inserted for _, inserted in results) == 1
    assert scalar(sessions, select(func.count(Offer.id))) == 1
    with sessions() as s:
        assert s.get(Customer, "vip") is not None
