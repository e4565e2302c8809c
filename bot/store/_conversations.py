"""What a ticket's conversation holds: its latest decision, its messages, the model time spent.

One place for each query the service, the follow-ups and the chat need, so "the latest
decision of a ticket" is written once. Functions take a session; the caller owns the
transaction.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store._enums import EventType, MessageRole
from bot.store._models import Decision, Event, Message

__all__ = ["first_customer_message", "history", "latest_decision", "model_spend"]


def latest_decision(session: Session, ticket_id: str) -> Decision | None:
    """The decision a ticket stands on now (a later one supersedes an earlier)."""
    return (
        session.execute(
            select(Decision)
            .where(Decision.ticket_id == ticket_id)
            .order_by(Decision.id.desc())
            .limit(1)
        )
        .scalars()
        .first()
    )


def history(session: Session, ticket_id: str) -> list[tuple[str, str]]:
    """The conversation so far as (role, text), oldest first."""
    rows = session.execute(
        select(Message.role, Message.text)
        .where(Message.ticket_id == ticket_id)
        .order_by(Message.id)
    ).all()
    return [(str(role), text) for role, text in rows]


def first_customer_message(session: Session, ticket_id: str) -> str:
    """What the customer first wrote on this ticket ('' if nothing)."""
    text = (
        session.execute(
            select(Message.text)
            .where(Message.ticket_id == ticket_id, Message.role == MessageRole.customer)
            .order_by(Message.id)
            .limit(1)
        )
        .scalars()
        .first()
    )
    return text or ""


def model_spend(session: Session, ticket_id: str) -> tuple[int, float]:
    """Tokens and model seconds the drafter recorded for a ticket's replies so far."""
    tokens, seconds = 0, 0.0
    for payload in session.execute(
        select(Event.payload).where(
            Event.ticket_id == ticket_id, Event.type == EventType.model_call
        )
    ).scalars():
        tokens += int(payload.get("tokens") or 0)
        seconds += float(payload.get("latency_ms") or 0) / 1000
    return tokens, seconds
