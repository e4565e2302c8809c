"""The ticket service: exactly one offer per order and issue, idempotency, nothing lost."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bot.domain import Order
from bot.drafting import Drafter
from bot.errors import IdempotencyConflict, NotFound, OverCap, StoreUnavailable
from bot.service import (
    TicketRequest,
    approve_draft,
    create_assist_draft,
    handle_ticket,
    offers_for_order,
    record_survey,
    run_followups,
)
from bot.store import Customer, Message, Offer, ScoreSnapshot, Ticket
from tests.fakes import FailingChatModel


def richest(sessions) -> str:
    with sessions() as s:
        return s.execute(select(Customer.id).order_by(Customer.clv.desc())).scalars().first()


def request(
    customer_id: str,
    order_id: str = "A1",
    message: str = "My parcel is two weeks late.",
    issue=None,
) -> TicketRequest:
    return TicketRequest(
        customer_id=customer_id,
        order=Order(id=order_id, value=Decimal("80"), currency="USD"),
        issue=issue,
        message=message,
    )


def test_a_ticket_is_resolved_recorded_and_scored(sessions, policy, drafter) -> None:
    cid = richest(sessions)
    out = handle_ticket(
        sessions, request(cid), policy=policy, drafter=drafter, idempotency_key="k1"
    )
    assert out.reply.guard.ok
    assert out.decision.offer.amount <= out.decision.cap
    with sessions() as s:
        t = s.get(Ticket, out.ticket_id)
        assert t.status in ("resolved", "escalated") and t.category == "late_delivery"
        roles = [
            m.role for m in s.execute(select(Message).where(Message.ticket_id == t.id)).scalars()
        ]
        assert roles == ["customer", "bot"]
        snap = s.execute(select(ScoreSnapshot).where(ScoreSnapshot.ticket_id == t.id)).scalar_one()
        assert snap.reason == "ticket"
    assert len(offers_for_order(sessions, "A1")) == (out.decision.offer.amount > 0)


def test_same_key_same_body_returns_the_stored_response(sessions, policy, drafter) -> None:
    cid = richest(sessions)
    first = handle_ticket(
        sessions, request(cid), policy=policy, drafter=drafter, idempotency_key="k"
    )
    again = handle_ticket(
        sessions, request(cid), policy=policy, drafter=drafter, idempotency_key="k"
    )
    assert again == first


def test_same_key_other_body_is_a_conflict(sessions, policy, drafter) -> None:
    cid = richest(sessions)
    handle_ticket(sessions, request(cid), policy=policy, drafter=drafter, idempotency_key="k")
    with pytest.raises(IdempotencyConflict) as err:
        handle_ticket(
            sessions,
            request(cid, message="other"),
            policy=policy,
            drafter=drafter,
            idempotency_key="k",
        )
    assert not err.value.in_flight


def test_an_unknown_customer_is_scored_as_new_and_answered(sessions, policy, drafter) -> None:
    out = handle_ticket(sessions, request("guest-42"), policy=policy, drafter=drafter)
    assert out.reply.text and out.reply.guard.ok
    with sessions() as s:
        guest = s.get(Customer, "guest-42")
        assert guest is not None and guest.segment == "new" and guest.tier == "bronze"
        # the fitted model's value for someone with no history yet: positive, below the average
        assert Decimal(0) < guest.clv < Decimal(1000)
    again = handle_ticket(
        sessions, request("guest-42", order_id="O-2"), policy=policy, drafter=drafter
    )
    assert again.ticket_id != out.ticket_id  # the second ticket joins the same customer


def test_model_failure_still_answers_and_keeps_the_message(sessions, policy) -> None:
    cid = richest(sessions)
    out = handle_ticket(
        sessions,
        request(cid, message="The box was crushed and the vase broke."),
        policy=policy,
        drafter=Drafter(FailingChatModel()),
    )
    assert out.reply.source == "template" and out.reply.guard.ok
    with sessions() as s:
        texts = [
            m.text
            for m in s.execute(select(Message).where(Message.ticket_id == out.ticket_id)).scalars()
        ]
    assert "The box was crushed and the vase broke." in texts


def test_database_failure_after_the_message_is_stored_is_a_503_and_no_offer(
    sessions, policy
) -> None:
    from sqlalchemy.exc import OperationalError

    cid = richest(sessions)

    class BrokenDrafter(Drafter):
        def resolution(self, **kwargs):
            raise OperationalError("stmt", {}, Exception("database went away"))

    with pytest.raises(StoreUnavailable):
        handle_ticket(
            sessions,
            request(cid, order_id="DB", message="keep me"),
            policy=policy,
            drafter=BrokenDrafter(None),
            idempotency_key="db-1",
        )
    with sessions() as s:
        assert (
            s.execute(select(func.count(Offer.id)).where(Offer.order_id == "DB")).scalar_one() == 0
        )
        assert "keep me" in s.execute(select(Message.text)).scalars().all()


def test_surveys_and_followups(sessions, policy, drafter) -> None:
    from datetime import timedelta

    from bot.store import utcnow

    cid = richest(sessions)
    out = handle_ticket(sessions, request(cid), policy=policy, drafter=drafter)
    record_survey(sessions, ticket_id=out.ticket_id, phase="post", score=80)
    with pytest.raises(NotFound):
        record_survey(sessions, ticket_id="missing", phase="post", score=80)
    assert run_followups(sessions, drafter=drafter) == []
    later = utcnow() + timedelta(days=policy.followup.after_days + 1)
    assert run_followups(sessions, drafter=drafter, now=later) == [out.ticket_id]
    assert run_followups(sessions, drafter=drafter, now=later) == []


def test_agent_edit_above_the_cap_is_refused(sessions, policy, drafter) -> None:
    cid = richest(sessions)
    draft = create_assist_draft(
        sessions, request(cid, order_id="AS1"), policy=policy, drafter=drafter, agent="ana"
    )
    with pytest.raises(OverCap, match="cap"):
        approve_draft(
            sessions,
            draft["draft_id"],
            agent="ana",
            edited_text="So sorry! We refunded $500 to your card.",
        )
    done = approve_draft(
        sessions,
        draft["draft_id"],
        agent="ana",
        edited_text=draft["text"] + " Thanks for your patience.",
    )
    assert done["status"] == "edited" and done["decided_by"] == "ana"


def test_the_monthly_budget_holds_across_tickets(sessions, drafter) -> None:
    """The service counts this month's goodwill, so a monthly budget is a real ceiling."""
    from bot.domain import Issue
    from bot.policy import load_policy
    from bot.policy._schema import Budget

    base = load_policy()
    policy = base.model_copy(update={"budget": Budget(monthly=Decimal("30"))})
    with sessions() as s:
        rich = s.execute(select(Customer.id).order_by(Customer.clv.desc()).limit(12)).scalars()
        customers = list(rich)
    issue = {"category": "damaged_item", "severity": 3}
    amounts = []
    for i, cid in enumerate(customers):
        out = handle_ticket(
            sessions,
            request(cid, f"M{i}", issue=Issue(**issue)),
            policy=policy,
            drafter=drafter,
            idempotency_key=f"m{i}",
        )
        amounts.append(out.decision.offer.amount)
    assert sum(amounts) <= Decimal("30")
    assert amounts[0] > 0, "the first ticket is paid from a fresh budget"
    assert amounts[-1] == 0, "once the month's budget is spent, no more money goes out"


def test_a_ticket_writes_every_row_with_its_defaults_in_few_round_trips(
    sessions, policy, drafter
) -> None:
    """Every row of a ticket, with its defaults, on both databases; on PostgreSQL (where each
    statement is a round trip) the ticket and the customer's message open in one."""
    from sqlalchemy import event

    from bot.store import Decision, Event, Followup, Survey

    cid = richest(sessions)
    engine = sessions.kw["bind"]
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        out = handle_ticket(sessions, request(cid, order_id="RT-1"), policy=policy, drafter=drafter)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # open: customer, ticket and message, experiment, the order's offers, the ledger; record:
    # the offer (with its lock on PostgreSQL), one INSERT a table, the ticket
    # (PostgreSQL adds the advisory lock and saves the message's own INSERT)
    assert len(statements) <= 14, statements
    with sessions() as s:
        t = s.get(Ticket, out.ticket_id)
        assert t.state == "done" and t.updated_at is not None and t.response is not None
        for model in (Decision, Survey, ScoreSnapshot, Followup):
            row = s.execute(select(model).where(model.ticket_id == t.id)).scalar_one()
            assert row.created_at if hasattr(row, "created_at") else row.taken_at
        assert (
            s.execute(select(Followup.status).where(Followup.ticket_id == t.id)).scalar_one()
            == "due"
        )
        assert s.execute(
            select(ScoreSnapshot.model).where(ScoreSnapshot.ticket_id == t.id)
        ).scalar_one()
        kinds = s.execute(select(Event.type).where(Event.ticket_id == t.id)).scalars().all()
        assert "template_reply" in kinds
        bot = s.execute(
            select(Message).where(Message.ticket_id == t.id, Message.role == "bot")
        ).scalar_one()
        assert bot.text == out.reply.text and bot.created_at is not None
