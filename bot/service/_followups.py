"""Follow-ups: a check-in and the perception survey some days after resolution.

Nothing is sent twice, however many workers run `appease followups run` at once. On PostgreSQL
due rows are claimed with SELECT ... FOR UPDATE SKIP LOCKED in one transaction, so each worker
takes a disjoint batch. SQLite has no row locks: each follow-up is drafted, then marked sent by
a conditional UPDATE (status still 'due') in its own short transaction; the loser's draft is
dropped. The conditional UPDATE runs on PostgreSQL too, as a second line of defence.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.domain import category_of
from bot.drafting import Drafter
from bot.service._seam import store_errors
from bot.store import (
    Event,
    EventType,
    Followup,
    FollowupStatus,
    Message,
    MessageRole,
    Session,
    Sessions,
    Ticket,
    bot_messages,
    decision_from_row,
    due_followups,
    first_customer_message,
    latest_decision,
    mark_followup,
    utcnow,
)

__all__ = ["run_followups"]

log = logging.getLogger(__name__)


@store_errors
def run_followups(
    sessions: Sessions,
    *,
    drafter: Drafter,
    now: datetime | None = None,
    limit: int = 100,
) -> list[str]:
    """Send what is due (as of `now`); returns the ticket ids followed up."""
    when = now or utcnow()
    sent: list[str] = []
    with sessions() as probe:
        dialect = probe.get_bind().dialect.name
    if dialect == "postgresql":
        with sessions.begin() as s:
            for fu in due_followups(s, now=when, limit=limit, lock=True):
                if _send(s, fu, drafter=drafter, when=when):
                    sent.append(fu.ticket_id)
    else:
        with sessions() as s:
            ids = [row.id for row in due_followups(s, now=when, limit=limit)]
        for followup_id in ids:
            with sessions.begin() as s:
                one = s.get(Followup, followup_id)
                if (
                    one is not None
                    and one.status == FollowupStatus.due
                    and _send(s, one, drafter=drafter, when=when)
                ):
                    sent.append(one.ticket_id)
    log.info("follow-ups sent", extra={"count": len(sent)})
    return sent


def _mark(s: Session, followup_id: int, **values: object) -> bool:
    """Move a follow-up out of 'due'; False if another worker already did."""
    return mark_followup(s, followup_id, **values)


def _send(s: Session, fu: Followup, *, drafter: Drafter, when: datetime) -> bool:
    ticket = s.get(Ticket, fu.ticket_id)
    row = latest_decision(s, fu.ticket_id)
    if ticket is None or row is None:
        _mark(s, fu.id, status=FollowupStatus.skipped)
        return False
    language = (ticket.triage or {}).get("language", "en")
    earlier = bot_messages(s, ticket.id)
    outcome = drafter.followup(
        decision=decision_from_row(row),
        category=category_of(ticket.category or "other"),
        order_id=ticket.order_id,
        days_after=max(0, (when - ticket.created_at).days),
        language=language,
        earlier=earlier,
        message=first_customer_message(s, ticket.id),
    )
    if not _mark(s, fu.id, status=FollowupStatus.sent, sent_at=when, text=outcome.reply.text):
        return False
    s.add(
        Message(
            ticket_id=ticket.id,
            role=MessageRole.bot,
            text=outcome.reply.text,
            source=outcome.reply.source,
            created_at=when,
        )
    )
    s.add(
        Event(
            ticket_id=ticket.id,
            type=EventType.followup_sent,
            payload=outcome.usage.as_event(),
            created_at=when,
        )
    )
    return True
