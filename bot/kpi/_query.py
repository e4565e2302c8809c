"""Load `TicketRecord`s from the store: the only place bot.kpi touches the database.

A handful of set-based SELECTs (tickets in the date range, then their snapshots, decisions,
offers, surveys, messages and events by ticket or customer id, in chunks) joined in Python into
one record per ticket; the KPI maths then runs on those records. The date range is pushed into
SQL; the other filters apply to the joined records (tier and segment are the snapshot's, not a
ticket column).

A human handled the ticket when an agent wrote in it, it went through agent assist (a draft for
a person to approve), or a handoff event was logged.

Perception scores: a survey answer for the phase wins; without one, `estimate(text)` (sentiment,
0-100) on the customer's words gives an `estimated` score: pre from their first message, post
from what they wrote after the first reply.
"""

from __future__ import annotations

import itertools
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import MetaData, Table, select
from sqlalchemy.orm import Session

from bot.kpi._records import (
    ModelCall,
    OfferRecord,
    PerceptionReading,
    PerceptionSource,
    Snapshot,
    TicketRecord,
)
from bot.kpi._report import KpiFilters

__all__ = ["load_records"]

log = logging.getLogger(__name__)

Estimator = Callable[[str], float]
_CHUNK = 500
_HUMAN_ROLES = frozenset({"agent", "human", "staff"})
_CUSTOMER_ROLES = frozenset({"customer", "user"})
_GUARD_EVENTS = frozenset({"guard_rejected", "guard_rejection", "guard_violation"})
_FALLBACK_EVENTS = frozenset({"fallback", "template_fallback"})
_HUMAN_EVENTS = frozenset({"agent_approved", "agent_edited", "handoff", "human_handoff"})


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _chunks(ids: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


class _Tables:
    """The store's tables, reflected once per bind: the query names columns, not ORM classes."""

    def __init__(self, session: Session) -> None:
        meta = MetaData()
        meta.reflect(bind=session.connection())
        self.t = meta.tables

    def get(self, name: str) -> Table | None:
        return self.t.get(name)


def _col(table: Table, *names: str) -> Any:
    for name in names:
        if name in table.c:
            return table.c[name]
    return None


def _rows_by(
    session: Session, table: Table | None, key: str, ids: Sequence[Any]
) -> dict[Any, list[Any]]:
    grouped: dict[Any, list[Any]] = defaultdict(list)
    if table is None or key not in table.c or not ids:
        return grouped
    for chunk in _chunks(ids):
        for row in session.execute(select(table).where(table.c[key].in_(chunk))).mappings():
            grouped[row[key]].append(row)
    return grouped


def _payload(row: Any) -> dict[str, Any]:
    value = row.get("payload")
    return value if isinstance(value, dict) else {}


def _perception(
    surveys: Iterable[Any],
    phase: str,
    fallback_texts: Sequence[str],
    estimate: Estimator | None,
) -> PerceptionReading | None:
    answered = sorted(
        (s for s in surveys if s.get("phase") == phase and s.get("score") is not None),
        key=lambda s: _utc(s.get("created_at")) or datetime.min.replace(tzinfo=UTC),
    )
    # A customer's own answer beats the sentiment estimate logged at ticket time.
    answered = [s for s in answered if s.get("source") != "estimated"] or answered
    if answered:
        chosen = answered[0] if phase == "pre" else answered[-1]
        source = str(chosen.get("source") or "survey")
        kind: PerceptionSource = (
            "simulated" if source == "simulated" else "estimated" if source == "estimated" else
            "survey"
        )  # fmt: skip
        return PerceptionReading(score=float(chosen["score"]), source=kind)
    text = " ".join(t for t in fallback_texts if t).strip()
    if estimate is None or not text:
        return None
    return PerceptionReading(score=float(estimate(text)), source="estimated")


def load_records(
    session: Session, filters: KpiFilters, *, estimate: Estimator | None = None
) -> list[TicketRecord]:
    """Every ticket in the filters' date range, joined with what the KPIs need."""
    tables = _Tables(session)
    tickets = tables.get("tickets")
    if tickets is None:
        return []
    created = tickets.c["created_at"]
    # SQLite keeps naive UTC text; other databases compare timestamps with time zones.
    tz = None if session.get_bind().dialect.name == "sqlite" else UTC
    query = select(tickets)
    if filters.date_from:
        query = query.where(created >= datetime.combine(filters.date_from, time.min, tzinfo=tz))
    if filters.date_to:
        end = datetime.combine(filters.date_to + timedelta(days=1), time.min, tzinfo=tz)
        query = query.where(created < end)
    ticket_rows = list(session.execute(query.order_by(created)).mappings())
    ticket_ids = [t["id"] for t in ticket_rows]
    customer_ids = sorted({t["customer_id"] for t in ticket_rows if t["customer_id"] is not None})

    snapshots = _rows_by(session, tables.get("score_snapshots"), "customer_id", customer_ids)
    decisions = _rows_by(session, tables.get("decisions"), "ticket_id", ticket_ids)
    offers = _rows_by(session, tables.get("offers"), "ticket_id", ticket_ids)
    surveys = _rows_by(session, tables.get("surveys"), "ticket_id", ticket_ids)
    messages = _rows_by(session, tables.get("messages"), "ticket_id", ticket_ids)
    events = _rows_by(session, tables.get("events"), "ticket_id", ticket_ids)
    drafts = _rows_by(session, tables.get("drafts"), "ticket_id", ticket_ids)
    next_contact = _next_contacts(session, tickets, customer_ids)

    records = []
    for t in ticket_rows:
        tid, cid = t["id"], t["customer_id"]
        opened = _utc(t["created_at"])
        assert opened is not None
        snaps = sorted(snapshots.get(cid, []), key=lambda s: _utc(s["taken_at"]) or opened)
        at_issue = _issue_snapshot(snaps, tid, opened)
        later = tuple(
            Snapshot(
                clv=Decimal(str(s["clv"])),
                taken_at=_utc(s["taken_at"]) or opened,
                reason=str(s.get("reason") or "rescore"),
                residual_clv=_dec(s.get("residual_clv")),
            )
            for s in snaps
            if s is not at_issue and (_utc(s["taken_at"]) or opened) > opened
        )
        decision = _latest(decisions.get(tid, []))
        offer = _latest(offers.get(tid, []))
        msgs = sorted(messages.get(tid, []), key=lambda m: _utc(m.get("created_at")) or opened)
        evts = events.get(tid, [])
        ticket_drafts = drafts.get(tid, [])
        # Agent assist parks the bot's reply for a person: the customer's first response is then
        # the agent's message, and the ticket is human-handled by design.
        responders = _HUMAN_ROLES if ticket_drafts else None
        first_reply = next(
            (
                m
                for m in msgs
                if str(m.get("role") or "") not in _CUSTOMER_ROLES
                and (responders is None or str(m.get("role") or "") in responders)
            ),
            None,
        )
        first_reply_at = _utc(first_reply.get("created_at")) if first_reply else None
        customer_texts = [
            (m.get("text") or "", _utc(m.get("created_at")) or opened)
            for m in msgs
            if str(m.get("role") or "") in _CUSTOMER_ROLES
        ]
        pre_texts = [customer_texts[0][0]] if customer_texts else []
        post_texts = [
            text for text, at in customer_texts[1:] if first_reply_at and at > first_reply_at
        ]
        human = (
            bool(ticket_drafts)
            or any(str(m.get("role") or "") in _HUMAN_ROLES for m in msgs)
            or any(e.get("type") in _HUMAN_EVENTS for e in evts)
        )
        records.append(
            TicketRecord(
                ticket_id=str(tid),
                customer_id=str(cid),
                created_at=opened,
                channel=str(t.get("channel") or "unknown"),
                category=str(t.get("category") or "other"),
                currency=str((offer or {}).get("currency") or t.get("currency") or "USD"),
                severity=int(t.get("severity") or 1),
                status=str(t.get("status") or "resolved"),
                tier=_str(at_issue.get("tier")) if at_issue else None,
                segment=_str(at_issue.get("segment")) if at_issue else None,
                policy_version=_str((decision or {}).get("policy_version")),
                clv_at_issue=_dec(at_issue.get("clv")) if at_issue else None,
                residual_clv_at_issue=_dec(at_issue.get("residual_clv")) if at_issue else None,
                later_snapshots=later,
                offer=OfferRecord(
                    kind=str(offer.get("kind")),
                    amount=_dec(offer.get("amount")) or Decimal(0),
                    currency=str(offer.get("currency") or "USD"),
                    status=str(offer.get("status") or "proposed"),
                    basis=str(offer.get("basis") or "goodwill"),
                )
                if offer
                else None,
                escalated=bool((decision or {}).get("escalate")) or t.get("status") == "escalated",
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
                perception_pre=_perception(surveys.get(tid, []), "pre", pre_texts, estimate),
                perception_post=_perception(surveys.get(tid, []), "post", post_texts, estimate),
            )
        )
    return records


def _str(value: Any) -> str | None:
    return None if value is None else str(getattr(value, "value", value))


def _latest(rows: Sequence[Any]) -> Any:
    if not rows:
        return None
    return max(rows, key=lambda r: (_utc(r.get("created_at")) or datetime.min.replace(tzinfo=UTC),
                                    r.get("id") or 0))  # fmt: skip


def _issue_snapshot(snaps: Sequence[Any], ticket_id: Any, opened: datetime) -> Any:
    """The snapshot taken with the ticket: linked by id, else the latest taken by its opening."""
    for s in snaps:
        if "ticket_id" in s and s["ticket_id"] == ticket_id:
            return s
    before = [s for s in snaps if (_utc(s["taken_at"]) or opened) <= opened + timedelta(seconds=5)]
    return before[-1] if before else None


def _next_contacts(
    session: Session, tickets: Table, customer_ids: Sequence[Any]
) -> dict[Any, datetime]:
    """Each ticket's customer's next ticket opening, on any channel, category or date."""
    out: dict[Any, datetime] = {}
    by_customer: dict[Any, list[tuple[datetime, Any]]] = defaultdict(list)
    for chunk in _chunks(customer_ids):
        rows = session.execute(
            select(tickets.c["id"], tickets.c["customer_id"], tickets.c["created_at"]).where(
                tickets.c["customer_id"].in_(chunk)
            )
        )
        for tid, cid, at in rows:
            by_customer[cid].append((_utc(at) or datetime.min.replace(tzinfo=UTC), tid))
    for opened in by_customer.values():
        opened.sort()
        for (_, tid), (next_at, _) in itertools.pairwise(opened):
            out[tid] = next_at
    return out


def _is_model_call(event: Any) -> bool:
    """The drafter's usage event (`model_calls`, `tokens`, `latency_ms`); template-only replies,
    with no model request, do not count."""
    payload = _payload(event)
    if "model_calls" in payload:
        return int(payload.get("model_calls") or 0) > 0
    return "tokens" in payload or "latency_ms" in payload


def _model_call(event: Any) -> ModelCall:
    payload = _payload(event)
    return ModelCall(
        provider=str(payload.get("provider") or "unknown"),
        tokens=int(payload.get("tokens") or 0),
        latency_ms=float(payload.get("latency_ms") or 0.0),
        calls=int(payload.get("model_calls") or 1),
    )


def _guard_rejections(events: Sequence[Any]) -> int:
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
        if e.get("type") in _GUARD_EVENTS
        or _payload(e).get("guard_violations")
        or _payload(e).get("violations")
    )


def _is_fallback(event: Any) -> bool:
    return event.get("type") in _FALLBACK_EVENTS or bool(_payload(event).get("fallback"))
