"""Nothing lost: the customer's words survive model and database failures, and a retry with the
same Idempotency-Key resumes the same ticket without a second message or a second offer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.drafting import Drafter
from bot.errors import IdempotencyConflict, StoreUnavailable
from bot.policy import load_policy
from bot.service import IN_FLIGHT_LEASE, handle_ticket
from bot.store import Decision, Followup, Message, Offer, Ticket, make_engine, utcnow
from tests.fakes import FailingChatModel
from tests.unit.service.helpers import add_customer, migrated, ticket

POLICY = load_policy()


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    with migrated(db_url) as factory:
        add_customer(factory)
        yield factory


def count(sessions: sessionmaker[Session], model: Any, **where: Any) -> int:
    with sessions() as s:
        query = select(func.count()).select_from(model)
        for column, value in where.items():
            query = query.where(getattr(model, column) == value)
        return int(s.execute(query).scalar_one())


class CrashingDrafter(Drafter):
    """The worker dies mid-resolve (a bug, an OOM kill surfacing as an exception)."""

    def resolution(self, **kwargs: Any) -> Any:
        raise RuntimeError("worker crashed while drafting")


def test_a_model_timeout_is_answered_by_the_template_and_the_message_is_kept(sessions) -> None:
    out = handle_ticket(
        sessions,
        ticket(message="The vase arrived in pieces."),
        policy=POLICY,
        drafter=Drafter(FailingChatModel()),
        idempotency_key="m1",
    )
    assert out.reply.source == "template" and out.reply.guard.ok
    assert out.decision.offer.amount > 0
    assert str(out.decision.offer.amount) in out.reply.text.replace(",", "")
    with sessions() as s:
        texts = s.execute(select(Message.text).where(Message.ticket_id == out.ticket_id)).scalars()
        assert "The vase arrived in pieces." in list(texts)


def test_a_database_failure_while_recording_leaves_the_message_and_no_partial_offer(
    sessions,
) -> None:
    engine = sessions.kw["bind"]

    def refuse_offers(conn, cursor, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO OFFERS"):
            raise OperationalError(statement, {}, Exception("server closed the connection"))

    event.listen(engine, "before_cursor_execute", refuse_offers)
    try:
        with pytest.raises(StoreUnavailable, match="retry"):
            handle_ticket(
                sessions,
                ticket(order_id="DB1", message="keep my words"),
                policy=POLICY,
                drafter=Drafter(None),
                idempotency_key="db-1",
            )
    finally:
        event.remove(engine, "before_cursor_execute", refuse_offers)
    assert count(sessions, Offer, order_id="DB1") == 0
    assert count(sessions, Decision) == 0
    assert count(sessions, Followup) == 0
    with sessions() as s:
        t = s.execute(select(Ticket).where(Ticket.idempotency_key == "db-1")).scalar_one()
        assert t.state == "failed" and t.response is None
        roles = s.execute(select(Message.role).where(Message.ticket_id == t.id)).scalars().all()
        assert roles == ["customer"]

    retry = handle_ticket(
        sessions,
        ticket(order_id="DB1", message="keep my words"),
        policy=POLICY,
        drafter=Drafter(None),
        idempotency_key="db-1",
    )
    assert retry.ticket_id == t.id, "the retry resumes the stored ticket"
    assert count(sessions, Offer, order_id="DB1") == 1
    assert count(sessions, Message, ticket_id=t.id, role="customer") == 1
    assert count(sessions, Message, ticket_id=t.id, role="bot") == 1


def test_an_unreachable_database_is_store_unavailable(tmp_path) -> None:
    from sqlalchemy.orm import sessionmaker as make

    engine = make_engine(f"sqlite:///{tmp_path / 'missing' / 'no.db'}")  # folder does not exist
    with pytest.raises(StoreUnavailable):
        handle_ticket(
            make(engine), ticket(), policy=POLICY, drafter=Drafter(None), idempotency_key="k"
        )
    engine.dispose()


def test_a_crash_marks_the_ticket_failed_and_the_retry_resumes_it(sessions) -> None:
    with pytest.raises(RuntimeError):
        handle_ticket(
            sessions,
            ticket(order_id="C1"),
            policy=POLICY,
            drafter=CrashingDrafter(None),
            idempotency_key="c-1",
        )
    with sessions() as s:
        state = s.execute(select(Ticket.state).where(Ticket.idempotency_key == "c-1")).scalar_one()
    assert state == "failed"
    out = handle_ticket(
        sessions, ticket(order_id="C1"), policy=POLICY, drafter=Drafter(None), idempotency_key="c-1"
    )
    again = handle_ticket(
        sessions, ticket(order_id="C1"), policy=POLICY, drafter=Drafter(None), idempotency_key="c-1"
    )
    assert again == out
    assert count(sessions, Ticket) == 1
    assert count(sessions, Message, role="customer") == 1
    assert count(sessions, Offer) == 1


def test_a_failed_ticket_retried_with_another_body_is_still_a_conflict(sessions) -> None:
    with pytest.raises(RuntimeError):
        handle_ticket(
            sessions,
            ticket(order_id="C2"),
            policy=POLICY,
            drafter=CrashingDrafter(None),
            idempotency_key="c-2",
        )
    with pytest.raises(IdempotencyConflict) as err:
        handle_ticket(
            sessions,
            ticket(order_id="C2", message="something else"),
            policy=POLICY,
            drafter=Drafter(None),
            idempotency_key="c-2",
        )
    assert not err.value.in_flight


def test_the_same_key_while_the_first_request_is_resolving_is_in_flight(sessions) -> None:
    seen: list[Exception] = []

    class ReentrantDrafter(Drafter):
        """While the first request is with the model, the client retries."""

        def resolution(self, **kwargs: Any) -> Any:
            try:
                handle_ticket(
                    sessions,
                    ticket(order_id="F1"),
                    policy=POLICY,
                    drafter=Drafter(None),
                    idempotency_key="f-1",
                )
            except IdempotencyConflict as exc:
                seen.append(exc)
            return super().resolution(**kwargs)

    handle_ticket(
        sessions,
        ticket(order_id="F1"),
        policy=POLICY,
        drafter=ReentrantDrafter(None),
        idempotency_key="f-1",
    )
    assert len(seen) == 1 and seen[0].in_flight
    assert count(sessions, Ticket) == 1


def test_an_abandoned_in_flight_ticket_is_taken_over_only_after_its_lease(sessions) -> None:
    with pytest.raises(RuntimeError):
        handle_ticket(
            sessions,
            ticket(order_id="L1"),
            policy=POLICY,
            drafter=CrashingDrafter(None),
            idempotency_key="l-1",
        )

    def set_in_flight(age: timedelta) -> None:  # as if the worker died before marking it
        with sessions.begin() as s:
            s.execute(
                update(Ticket)
                .where(Ticket.idempotency_key == "l-1")
                .values(state="in_flight", updated_at=utcnow() - age)
            )

    set_in_flight(timedelta(seconds=5))
    with pytest.raises(IdempotencyConflict) as err:
        handle_ticket(
            sessions,
            ticket(order_id="L1"),
            policy=POLICY,
            drafter=Drafter(None),
            idempotency_key="l-1",
        )
    assert err.value.in_flight
    set_in_flight(IN_FLIGHT_LEASE + timedelta(seconds=5))
    out = handle_ticket(
        sessions, ticket(order_id="L1"), policy=POLICY, drafter=Drafter(None), idempotency_key="l-1"
    )
    assert out.decision.offer.amount > 0
    assert count(sessions, Offer, order_id="L1") == 1
    assert count(sessions, Message, role="customer") == 1
