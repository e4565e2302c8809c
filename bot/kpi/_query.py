"""Load `TicketRecord`s from the store: the only place bot.kpi touches the database.

A handful of set-based SELECTs over the store's ORM models (tickets in the date range, then
their snapshots, decisions, offers, surveys, messages, events and drafts by ticket or customer
id, in chunks) joined in Python into one record per ticket; the KPI maths then runs on those
records. The date range is pushed into SQL; the other filters apply to the joined records (tier
and segment are the snapshot's, not a ticket column). Every name matched here is a member of
the store's enums (`MessageRole`, `EventType`, `OfferStatus`, ...), which the writers use too.

A human handled the ticket when an agent wrote in it (`MessageRole.agent`), or it went through
agent assist (a draft for a person to approve, and the `draft_*` event of their decision).
Escalation is its own figure: the decision's `escalate`, the ticket's `escalated` status, or an
`escalated` event (a chat past its turn, token or model-time budget goes to a person later).
A ticket whose request failed (`TicketState.failed`) is read with status `failed`.

A template fallback is a reply whose usage event says `fallback` (the model failed or was
refused and the template answered); a template reply with no model configured is not one.

Perception scores: a survey answer for the phase wins; without one, `estimate(text)` (sentiment,
0-100) on the customer's words gives an `estimated` score: pre from their first message, post
from what they wrote after the first reply.
"""

from __future__ import annotations

import itertools
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from bot.kpi._records import (
    ModelCall,
    OfferRecord,
    PerceptionReading,
    PerceptionSource,
    Snapshot,
    TicketRecord,
)
from bot.kpi._report import KpiFilters
from bot.store import (
    Decision,
    Draft,
    Event,
    EventType,
    Message,
    MessageRole,
    Offer,
    ScoreSnapshot,
    Session,
    Survey,
    SurveyPhase,
    SurveySource,
    TicketState,
    TicketStatus,
    rows_where_in,
    ticket_openings,
    tickets_between,
)

__all__ = ["load_records"]

log = logging.getLogger(__name__)

Estimator = Callable[[str], float]
_EPOCH = datetime.min.replace(tzinfo=UTC)
_HUMAN_EVENTS = frozenset(
    {EventType.draft_approved, EventType.draft_edited, EventType.draft_rejected}
)
_Row = TypeVar("_Row")
_Latest = TypeVar("_Latest", Decision, Offer)


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _rows_by(
    session: Session, model: type[_Row], key: str, ids: Sequence[Any]
) -> dict[Any, list[_Row]]:
    """The model's rows whose `key` column is one of `ids`, grouped by it."""
    grouped: dict[Any, list[_Row]] = defaultdict(list)
    for row in rows_where_in(session, model, key, ids):
        grouped[getattr(row, key)].append(row)
    return grouped


def _payload(event: Event) -> dict[str, Any]:
    value = event.payload
    return value if isinstance(value, dict) else {}


def _perception(
    surveys: Iterable[Survey],
    phase: str,
    fallback_texts: Sequence[str],
    estimate: Estimator | None,
) -> PerceptionReading | None:
    answered = sorted(
        (s for s in surveys if s.phase == phase and s.score is not None),
        key=lambda s: _utc(s.created_at) or _EPOCH,
    )
    # A customer's own answer beats the sentiment estimate logged at ticket time.
    answered = [s for s in answered if s.source != SurveySource.estimated] or answered
    if answered:
        chosen = answered[0] if phase == SurveyPhase.pre else answered[-1]
        kind: PerceptionSource = (
            "simulated"
            if chosen.source == SurveySource.simulated
            else "estimated"
            if chosen.source == SurveySource.estimated
            else "survey"
        )
        return PerceptionReading(score=float(chosen.score), source=kind)
    text = " ".join(t for t in fallback_texts if t).strip()
    if estimate is None or not text:
        return None
    return PerceptionReading(score=float(estimate(text)), source="estimated")


def load_records(
    session: Session, filters: KpiFilters, *, estimate: Estimator | None = None
) -> list[TicketRecord]:
    """Every ticket in the filters' date range, joined with what the KPIs need."""
    start = datetime.combine(filters.date_from, time.min, tzinfo=UTC) if filters.date_from else None
    end = (
        datetime.combine(filters.date_to + timedelta(days=1), time.min, tzinfo=UTC)
        if filters.date_to
        else None
    )
    tickets = tickets_between(session, start, end)
    ticket_ids = [t.id for t in tickets]
    customer_ids = sorted({t.customer_id for t in tickets if t.customer_id is not None})

    snapshots = _rows_by(session, ScoreSnapshot, "customer_id", customer_ids)
    decisions = _rows_by(session, Decision, "ticket_id", ticket_ids)
    offers = _rows_by(session, Offer, "ticket_id", ticket_ids)
    surveys = _rows_by(session, Survey, "ticket_id", ticket_ids)
    messages = _rows_by(session, Message, "ticket_id", ticket_ids)
    events = _rows_by(session, Event, "ticket_id", ticket_ids)
    drafts = _rows_by(session, Draft, "ticket_id", ticket_ids)
    next_contact = _next_contacts(session, customer_ids)

    records = []
    for t in tickets:
        tid, cid = t.id, t.customer_id
        opened = _utc(t.created_at)
        assert opened is not None
        snaps = sorted(snapshots.get(cid, []), key=lambda s: _utc(s.taken_at) or opened)
        at_issue = _issue_snapshot(snaps, tid, opened)
        later = tuple(
            Snapshot(
                clv=Decimal(str(s.clv)),
                taken_at=_utc(s.taken_at) or opened,
                reason=str(s.reason or "rescore"),
                residual_clv=_dec(s.residual_clv),
            )
            for s in snaps
            if s is not at_issue and (_utc(s.taken_at) or opened) > opened
        )
        decision = _latest(decisions.get(tid, []))
        offer = _latest(offers.get(tid, []))
        msgs = sorted(messages.get(tid, []), key=lambda m: (_utc(m.created_at) or opened, m.id))
        evts = events.get(tid, [])
        ticket_drafts = drafts.get(tid, [])
        # Agent assist parks the bot's reply for a person: the customer's first response is then
        # the agent's message, and the ticket is human-handled by design.
        first_reply = next(
            (
                m
                for m in msgs
                if m.role != MessageRole.customer
                and (not ticket_drafts or m.role == MessageRole.agent)
            ),
            None,
        )
        first_reply_at = _utc(first_reply.created_at) if first_reply else None
        customer_texts = [
            (m.text or "", _utc(m.created_at) or opened)
            for m in msgs
            if m.role == MessageRole.customer
        ]
        pre_texts = [customer_texts[0][0]] if customer_texts else []
        post_texts = [
            text for text, at in customer_texts[1:] if first_reply_at and at > first_reply_at
        ]
        human = (
            bool(ticket_drafts)
            or any(m.role == MessageRole.agent for m in msgs)
            or any(e.type in _HUMAN_EVENTS for e in evts)
        )
        status = TicketState.failed if t.state == TicketState.failed else t.status
        records.append(
            TicketRecord(
                ticket_id=str(tid),
                customer_id=str(cid),
                created_at=opened,
                channel=str(t.channel or "unknown"),
                category=str(t.category or "other"),
                currency=str((offer.currency if offer else None) or t.currency or "USD"),
                severity=int(t.severity or 1),
                status=str(status or "resolved"),
                tier=_str(at_issue.tier) if at_issue else None,
                segment=_str(at_issue.segment) if at_issue else None,
                policy_version=_str(decision.policy_version) if decision else None,
                clv_at_issue=_dec(at_issue.clv) if at_issue else None,
                residual_clv_at_issue=_dec(at_issue.residual_clv) if at_issue else None,
                later_snapshots=later,
                offer=OfferRecord(
                    kind=str(offer.kind),
                    amount=_dec(offer.amount) or Decimal(0),
                    currency=str(offer.currency or "USD"),
                    status=str(offer.status),
                    basis=str(offer.basis or "goodwill"),
                )
                if offer
                else None,
                escalated=bool(decision and decision.escalate)
                or t.status == TicketStatus.escalated
                or any(e.type == EventType.escalated for e in evts),
                human_handled=human,
                guard_rejections=_guard_rejections(evts),
                template_fallback=any(_is_fallback(e) for e in evts),
                quality_rejections=sum(
                    int(_payload(e).get("quality_rejections") or 0) for e in evts
                ),
                model_text=any(bool(_payload(e).get("model_text")) for e in evts),
                model_calls=tuple(_model_call(e) for e in evts if _is_model_call(e)),
                first_response_at=first_reply_at,
                next_contact_at=next_contact.get(tid),
                perception_pre=_perception(
                    surveys.get(tid, []), SurveyPhase.pre, pre_texts, estimate
                ),
                perception_post=_perception(
                    surveys.get(tid, []), SurveyPhase.post, post_texts, estimate
                ),
            )
        )
    return records


def _str(value: Any) -> str | None:
    return None if value is None else str(getattr(value, "value", value))


def _latest(rows: Sequence[_Latest]) -> _Latest | None:
    if not rows:
        return None
    return max(rows, key=lambda r: (_utc(r.created_at) or _EPOCH, r.id or 0))


def _issue_snapshot(
    snaps: Sequence[ScoreSnapshot], ticket_id: str, opened: datetime
) -> ScoreSnapshot | None:
    """The snapshot taken with the ticket: linked by id, else the latest taken by its opening."""
    for s in snaps:
        if s.ticket_id == ticket_id:
            return s
    before = [s for s in snaps if (_utc(s.taken_at) or opened) <= opened + timedelta(seconds=5)]
    return before[-1] if before else None


def _next_contacts(session: Session, customer_ids: Sequence[str]) -> dict[str, datetime]:
    """Each ticket's customer's next ticket opening, on any channel, category or date."""
    out: dict[str, datetime] = {}
    by_customer: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for tid, cid, at in ticket_openings(session, customer_ids):
        by_customer[cid].append((_utc(at) or _EPOCH, tid))
    for opened in by_customer.values():
        opened.sort()
        for (_, tid), (next_at, _) in itertools.pairwise(opened):
            out[tid] = next_at
    return out


def _is_model_call(event: Event) -> bool:
    """The drafter's usage event (`model_calls`, `tokens`, `latency_ms`); template-only replies,
    with no model request, do not count."""
    payload = _payload(event)
    if "model_calls" in payload:
        return int(payload.get("model_calls") or 0) > 0
    return "tokens" in payload or "latency_ms" in payload


def _model_call(event: Event) -> ModelCall:
    payload = _payload(event)
    return ModelCall(
        provider=str(payload.get("provider") or "unknown"),
        tokens=int(payload.get("tokens") or 0),
        latency_ms=float(payload.get("latency_ms") or 0.0),
        calls=int(payload.get("model_calls") or 1),
    )


def _guard_rejections(events: Sequence[Event]) -> int:
    """The drafter's per-reply counts when logged; else one per rejection event.

    The service logs both a usage event (with `guard_rejections`) and a `guard_rejected` event
    for the same rejections: counting both would double them.
    """
    counted = [_payload(e) for e in events if "guard_rejections" in _payload(e)]
    if counted:
        return sum(int(p.get("guard_rejections") or 0) for p in counted)
    return sum(
        1
        for e in events
        if e.type == EventType.guard_rejected
        or _payload(e).get("guard_violations")
        or _payload(e).get("violations")
    )


def _is_fallback(event: Event) -> bool:
    """The drafter's usage event says the template answered for a model that failed."""
    return bool(_payload(event).get("fallback"))
