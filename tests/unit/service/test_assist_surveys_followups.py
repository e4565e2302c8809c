"""Agent assist (approve, edit, reject, who did it), surveys, and follow-ups sent exactly once."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.drafting import Drafter
from bot.errors import InputError, OverCap
from bot.policy import load_policy
from bot.service import (
    approve_draft,
    create_assist_draft,
    handle_ticket,
    record_survey,
    run_followups,
)
from bot.store import Customer, Draft, Event, Followup, Message, Offer, Survey, standing, utcnow
from tests.unit.service.helpers import add_customer, migrated, ticket

POLICY = load_policy()
DRAFTER = Drafter(None)


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    with migrated(db_url) as factory:
        add_customer(factory)
        yield factory


def offer_status(sessions, ticket_id: str) -> str:
    with sessions() as s:
        return s.execute(select(Offer.status).where(Offer.ticket_id == ticket_id)).scalar_one()


def residual(sessions) -> Decimal:
    with sessions() as s:
        return standing(s, s.get(Customer, "vip")).residual_clv


def test_an_assist_draft_carries_the_decision_and_reserves_the_offer(sessions) -> None:
    draft = create_assist_draft(
        sessions, ticket(order_id="AS1"), policy=POLICY, drafter=DRAFTER, agent="ana"
    )
    amount = Decimal(draft["decision"]["offer"]["amount"])
    assert amount > 0 and draft["status"] == "pending" and draft["guard"]["ok"]
    assert draft["decision"]["reasons"], "the agent sees why"
    assert offer_status(sessions, draft["ticket_id"]) == "proposed"
    assert residual(sessions) == Decimal("900.00") - amount, "a proposed offer is reserved"


def test_approving_sends_the_offer_and_logs_who_approved(sessions) -> None:
    draft = create_assist_draft(
        sessions, ticket(order_id="AS2"), policy=POLICY, drafter=DRAFTER, agent="ana"
    )
    done = approve_draft(sessions, draft["draft_id"], agent="bo")
    assert done == {
        "draft_id": draft["draft_id"],
        "ticket_id": draft["ticket_id"],
        "status": "approved",
        "decided_by": "bo",
        "quality_warnings": [],
    }
    assert offer_status(sessions, draft["ticket_id"]) == "sent"
    with sessions() as s:
        row = s.get(Draft, draft["draft_id"])
        assert row.decided_by == "bo" and row.decided_at is not None
        sent = s.execute(
            select(Message).where(Message.ticket_id == draft["ticket_id"], Message.role == "agent")
        ).scalar_one()
        assert sent.text == draft["text"]
        events = s.execute(select(Event).where(Event.type == "draft_approved")).scalars().all()
        assert [e.payload["agent"] for e in events] == ["bo"]


def test_an_edit_above_the_cap_is_refused_with_the_reason_and_changes_nothing(sessions) -> None:
    draft = create_assist_draft(
        sessions, ticket(order_id="AS3"), policy=POLICY, drafter=DRAFTER, agent="ana"
    )
    cap = draft["decision"]["cap"]
    with pytest.raises(OverCap, match=f"cap is {cap}"):
        approve_draft(
            sessions,
            draft["draft_id"],
            agent="ana",
            edited_text="So sorry! We have refunded $500 to your card.",
        )
    with sessions() as s:
        assert s.get(Draft, draft["draft_id"]).status == "pending"
        assert not s.execute(select(Message).where(Message.role == "agent")).scalars().all()
    assert offer_status(sessions, draft["ticket_id"]) == "proposed"


def test_an_edit_within_the_decision_is_sent_as_edited(sessions) -> None:
    draft = create_assist_draft(
        sessions, ticket(order_id="AS4"), policy=POLICY, drafter=DRAFTER, agent="ana"
    )
    text = draft["text"] + " Thank you for your patience."
    done = approve_draft(sessions, draft["draft_id"], agent="ana", edited_text=text)
    assert done["status"] == "edited"
    with sessions() as s:
        assert s.get(Draft, draft["draft_id"]).edited_text == text
        assert s.execute(select(Message.text).where(Message.role == "agent")).scalar_one() == text


def test_an_edit_the_quality_gate_dislikes_is_sent_with_warnings(sessions) -> None:
    draft = create_assist_draft(
        sessions, ticket(order_id="AS5"), policy=POLICY, drafter=DRAFTER, agent="ana"
    )
    assert draft_warnings(sessions, draft, draft["text"]) == set()
    text = "I'm here to help you. I'm here to help you. I'm here to help you."
    assert {"repetition", "filler"} <= draft_warnings(
        sessions,
        create_assist_draft(
            sessions, ticket(order_id="AS6"), policy=POLICY, drafter=DRAFTER, agent="ana"
        ),
        text,
    )


def draft_warnings(sessions, draft, text) -> set[str]:
    done = approve_draft(sessions, draft["draft_id"], agent="ana", edited_text=text)
    assert done["status"] in ("approved", "edited")
    return {w["kind"] for w in done["quality_warnings"]}


def test_a_rejected_draft_withdraws_the_offer_and_it_is_never_promised_later(sessions) -> None:
    draft = create_assist_draft(
        sessions, ticket(order_id="AS5"), policy=POLICY, drafter=DRAFTER, agent="ana"
    )
    approve_draft(sessions, draft["draft_id"], agent="ana", reject=True)
    # the customer never saw it: withdrawn, not a customer's "no" in the acceptance KPI
    assert offer_status(sessions, draft["ticket_id"]) == "withdrawn"
    assert residual(sessions) == Decimal("900.00"), "a withdrawn offer costs nothing"
    later = handle_ticket(sessions, ticket(order_id="AS5"), policy=POLICY, drafter=DRAFTER)
    assert later.decision.offer.amount == 0
    assert "an agent withdrew" in later.decision.reasons[-1]
    assert later.reply.guard.ok


def test_a_draft_is_decided_once(sessions) -> None:
    draft = create_assist_draft(
        sessions, ticket(order_id="AS6"), policy=POLICY, drafter=DRAFTER, agent="ana"
    )
    approve_draft(sessions, draft["draft_id"], agent="ana")
    with pytest.raises(InputError, match="already approved"):
        approve_draft(sessions, draft["draft_id"], agent="bo", reject=True)


@pytest.mark.parametrize(
    ("phase", "score", "field"),
    [("during", 50, "phase"), ("post", 101, "score"), ("pre", -1, "score")],
)
def test_a_bad_survey_names_the_field(sessions, phase, score, field) -> None:
    out = handle_ticket(sessions, ticket(order_id="S1"), policy=POLICY, drafter=DRAFTER)
    with pytest.raises(InputError) as err:
        record_survey(sessions, ticket_id=out.ticket_id, phase=phase, score=score)
    assert err.value.field == field


def test_a_survey_answer_is_stored_with_its_source(sessions) -> None:
    out = handle_ticket(sessions, ticket(order_id="S2"), policy=POLICY, drafter=DRAFTER)
    record_survey(sessions, ticket_id=out.ticket_id, phase="post", score=85)
    with sessions() as s:
        rows = s.execute(select(Survey).where(Survey.ticket_id == out.ticket_id)).scalars().all()
    assert {(r.phase, r.score, r.source) for r in rows} >= {("post", 85.0, "survey")}
    assert ("pre", "estimated") in {(r.phase, r.source) for r in rows}, "sentiment at ticket time"


def test_a_followup_is_sent_once_when_due_and_repeats_no_offer(sessions) -> None:
    out = handle_ticket(sessions, ticket(order_id="F1"), policy=POLICY, drafter=DRAFTER)
    assert run_followups(sessions, drafter=DRAFTER) == []
    later = utcnow() + timedelta(days=POLICY.followup.after_days, minutes=1)
    assert run_followups(sessions, drafter=DRAFTER, now=later) == [out.ticket_id]
    assert run_followups(sessions, drafter=DRAFTER, now=later) == []
    with sessions() as s:
        fu = s.execute(select(Followup)).scalar_one()
        assert fu.status == "sent" and fu.sent_at == later
        assert str(out.decision.offer.amount) not in fu.text
        bot = s.execute(select(Message.text).where(Message.role == "bot")).scalars().all()
    assert bot[-1] == fu.text


def test_three_workers_draining_the_queue_send_each_followup_exactly_once(sessions) -> None:
    ids = [
        handle_ticket(sessions, ticket(order_id=f"W{i}"), policy=POLICY, drafter=DRAFTER).ticket_id
        for i in range(12)
    ]
    later = utcnow() + timedelta(days=POLICY.followup.after_days, minutes=1)
    sent: list[str] = []
    errors: list[Exception] = []

    def worker() -> None:
        try:
            while batch := run_followups(sessions, drafter=DRAFTER, now=later, limit=5):
                sent.extend(batch)
        except Exception as exc:  # asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Counter(sent) == Counter(ids), "each due follow-up sent by exactly one worker"
    with sessions() as s:
        followup_messages = s.execute(select(Event.ticket_id).where(Event.type == "followup_sent"))
        assert Counter(followup_messages.scalars()) == Counter(ids)
