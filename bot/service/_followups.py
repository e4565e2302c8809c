"""Follow-ups: a check-in and the perception survey some days after resolution.

Due rows are claimed with SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL, so several
workers can run `appease followups run` at once without sending anything twice; SQLite has a
single writer and needs no such clause.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.domain import IssueCategory, OfferDecision, OfferKind
from bot.domain import Offer as DomainOffer
from bot.drafting import Drafter
from bot.store import Decision, Event, Followup, Message, Ticket, utcnow

__all__ = ["run_followups"]

log = logging.getLogger(__name__)


def run_followups(
    sessions: sessionmaker[Session],
    *,
    drafter: Drafter,
    now: datetime | None = None,
    limit: int = 100,
) -> list[str]:
    """Send what is due (as of `now`); returns the ticket ids followed up."""
    when = now or utcnow()
    sent: list[str] = []
    with sessions.begin() as s:
        query = (
            select(Followup)
            .where(Followup.status == "due", Followup.due_at <= when)
            .order_by(Followup.due_at)
            .limit(limit)
        )
        if s.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        for fu in s.execute(query).scalars().all():
            ticket = s.get(Ticket, fu.ticket_id)
            decision_row = (
                s.execute(
                    select(Decision)
                    .where(Decision.ticket_id == fu.ticket_id)
                    .order_by(Decision.id.desc())
                )
                .scalars()
                .first()
            )
            if ticket is None or decision_row is None:
                fu.status = "skipped"
                continue
            decision = OfferDecision(
                offer=DomainOffer(kind=OfferKind(decision_row.kind), amount=decision_row.amount,
                                  currency=decision_row.currency),
                cap=decision_row.cap, escalate=False, reasons=[], policy_version=decision_row.policy_version,
            )  # fmt: skip
            language = (ticket.triage or {}).get("language", "en")
            days = max(0, (when - ticket.created_at).days)
            outcome = drafter.followup(
                decision=decision, category=IssueCategory(ticket.category or "other"),
                order_id=ticket.order_id, days_after=days, language=language,
            )  # fmt: skip
            fu.text = outcome.reply.text
            fu.status = "sent"
            fu.sent_at = when
            s.add(Message(ticket_id=ticket.id, role="bot", text=outcome.reply.text,
                          source=outcome.reply.source, created_at=when))  # fmt: skip
            s.add(Event(ticket_id=ticket.id, type="followup_sent", payload=outcome.usage.as_event(),
                        created_at=when))  # fmt: skip
            sent.append(ticket.id)
    log.info("follow-ups sent", extra={"count": len(sent)})
    return sent
