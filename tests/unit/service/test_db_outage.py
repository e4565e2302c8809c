"""The database goes away mid-request (a restart): the ticket cannot even be marked failed.

A retry with the same key that reaches the same process resumes it at once, instead of a 409
"in flight" until the lease runs out; a worker that does not know the ticket still waits.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.drafting import Drafter
from bot.errors import IdempotencyConflict, StoreUnavailable
from bot.policy import load_policy
from bot.service import handle_ticket
from bot.service._tickets import _ABANDONED
from bot.store import Message, Offer, Ticket
from tests.unit.service.helpers import add_customer, migrated, ticket

POLICY = load_policy()


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    with migrated(db_url) as factory:
        add_customer(factory)
        yield factory


def _down_after_step_one(sessions: sessionmaker[Session], order_id: str, key: str) -> str:
    """Run a ticket whose database dies after the message is stored; return its id."""
    engine = sessions.kw["bind"]

    def gone(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        words = statement.lstrip().upper()
        if words.startswith("INSERT INTO OFFERS") or words.startswith("UPDATE TICKETS"):
            raise OperationalError(statement, {}, Exception("terminating connection"))

    event.listen(engine, "before_cursor_execute", gone)
    try:
        with pytest.raises(StoreUnavailable):
            handle_ticket(
                sessions,
                ticket(order_id=order_id),
                policy=POLICY,
                drafter=Drafter(None),
                idempotency_key=key,
            )
    finally:
        event.remove(engine, "before_cursor_execute", gone)
    with sessions() as s:
        row = s.execute(select(Ticket).where(Ticket.idempotency_key == key)).scalar_one()
    assert row.state == "in_flight", "the failure could not be recorded either"
    return row.id


def _count(sessions: sessionmaker[Session], model: Any, **where: Any) -> int:
    with sessions() as s:
        query = select(func.count()).select_from(model)
        for column, value in where.items():
            query = query.where(getattr(model, column) == value)
        return int(s.execute(query).scalar_one())


def test_a_retry_in_the_same_process_resumes_at_once(sessions) -> None:
    ticket_id = _down_after_step_one(sessions, "R1", "r-1")
    out = handle_ticket(
        sessions, ticket(order_id="R1"), policy=POLICY, drafter=Drafter(None), idempotency_key="r-1"
    )
    assert out.ticket_id == ticket_id
    assert _count(sessions, Message, ticket_id=ticket_id, role="customer") == 1
    assert _count(sessions, Offer, order_id="R1") == 1
    again = handle_ticket(
        sessions, ticket(order_id="R1"), policy=POLICY, drafter=Drafter(None), idempotency_key="r-1"
    )
    assert again == out


def test_a_worker_that_does_not_know_the_ticket_still_waits_for_the_lease(sessions) -> None:
    ticket_id = _down_after_step_one(sessions, "R2", "r-2")
    assert _ABANDONED.take(ticket_id)  # as if the retry reached another worker
    with pytest.raises(IdempotencyConflict) as err:
        handle_ticket(
            sessions,
            ticket(order_id="R2"),
            policy=POLICY,
            drafter=Drafter(None),
            idempotency_key="r-2",
        )
    assert err.value.in_flight
    assert _count(sessions, Offer, order_id="R2") == 0


def test_the_registry_of_abandoned_tickets_is_bounded() -> None:
    from bot.service._tickets import _AbandonedTickets

    registry = _AbandonedTickets(limit=3)
    for n in range(5):
        registry.add(f"t{n}")
    assert not registry.take("t0") and not registry.take("t1"), "the oldest are forgotten"
    assert registry.take("t4") and not registry.take("t4"), "taken once only"
