"""The ticket use cases every channel shares: store first, resolve, record exactly once.

    1. store the ticket and the customer's message, committed, before any model runs;
    2. resolve (triage, decide, draft, guard) outside any database transaction;
    3. record decision, offer (INSERT ... ON CONFLICT on order + category), bot message,
       events and the follow-up in one transaction, and store the response for the
       idempotency key.

A database error becomes `StoreUnavailable` (HTTP 503) with nothing half-written: step 3 is
one transaction, and a retry with the same key finds the message from step 1 and resumes the
same ticket. A ticket whose request failed is marked `failed`; one whose worker died stays
`in_flight` until its lease (`IN_FLIGHT_LEASE`) runs out. Either can then be claimed by a retry
with the same key and body, by one conditional UPDATE, so two retries never both resume it.

When the database goes away mid-request (a restart, a failover), the ticket cannot be marked
`failed` either: this process then remembers it as abandoned (`_ABANDONED`), and a retry that
reaches this process takes it over at once instead of waiting out the lease. A retry that
reaches another worker still waits for the lease: that worker cannot know nobody is on it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.domain import (
    Attributes,
    CaseCustomer,
    GuardResult,
    Issue,
    OfferDecision,
    OfferKind,
    Order,
    Reply,
)
from bot.domain import Offer as DomainOffer
from bot.domain import Ticket as DomainTicket
from bot.drafting import Drafter, check_draft, template_reply
from bot.drafting.quality import check_quality
from bot.errors import IdempotencyConflict, InputError, NotFound, OverCap, StoreUnavailable
from bot.fx import FxRates
from bot.pipeline import Resolution, resolve, settle
from bot.policy import Policy
from bot.service._customers import new_customer
from bot.service._experiments import ArmChoice, choose_arm_in
from bot.service._seam import store_errors
from bot.store import (
    DB_ERRORS,
    Customer,
    CustomerScore,
    CustomerStanding,
    Draft,
    DraftStatus,
    Event,
    EventType,
    IntegrityError,
    Message,
    MessageRole,
    Offer,
    OfferStatus,
    Session,
    Sessions,
    Survey,
    SurveyPhase,
    SurveySource,
    Ticket,
    TicketState,
    TicketStatus,
    budget_ledger,
    case_customer,
    claim_ticket,
    customer_ledger,
    customer_score,
    decision_from_row,
    decision_values,
    find_offer,
    finish_ticket,
    first_customer_message,
    insert_rows,
    latest_decision,
    ledger_mark,
    mark_ticket_failed,
    offer_from_row,
    offer_of_ticket,
    offers_of_order,
    open_ticket,
    record_exposure,
    record_goodwill_offer,
    record_offer,
    standing,
    ticket_by_key,
    utcnow,
)
from bot.triage import Triager

__all__ = [
    "IN_FLIGHT_LEASE",
    "Channel",
    "TicketRequest",
    "TicketResponse",
    "approve_draft",
    "create_assist_draft",
    "handle_ticket",
    "record_survey",
]

log = logging.getLogger(__name__)
Channel = Literal["api", "webhook", "assist", "chat", "cli", "demo"]

# How long a ticket may stay in flight before a retry with its key may take it over: longer
# than any resolve (model timeouts included), short enough that a crashed worker's ticket heals.
IN_FLIGHT_LEASE = timedelta(minutes=2)


class _AbandonedTickets:
    """Ids of tickets this process left `in_flight` because the database failed under it.

    Bounded: past `limit` ids (a long outage, clients that never retry) the oldest are
    forgotten, and those tickets heal by their lease as before.
    """

    def __init__(self, limit: int = 10_000) -> None:
        self._ids: dict[str, None] = {}  # insertion-ordered: the oldest first
        self._limit = limit
        self._lock = threading.Lock()

    def add(self, ticket_id: str) -> None:
        with self._lock:
            self._ids[ticket_id] = None
            while len(self._ids) > self._limit:
                del self._ids[next(iter(self._ids))]

    def take(self, ticket_id: str) -> bool:
        """True once per abandonment: only one retry may take it over."""
        with self._lock:
            return self._ids.pop(ticket_id, False) is None


_ABANDONED = _AbandonedTickets()


class TicketCustomer(BaseModel):
    """What a channel may say of the customer beyond the id: attributes a policy's rules read."""

    model_config = ConfigDict(extra="forbid")

    attributes: Attributes = Field(default_factory=dict)


class TicketRequest(BaseModel):
    """What a channel sends: who, which order, what they wrote (the issue is optional)."""

    model_config = ConfigDict(extra="forbid")

    customer_id: str = Field(min_length=1, max_length=200)
    customer: TicketCustomer | None = None
    order: Order
    issue: Issue | None = None
    message: str = Field(default="", max_length=20_000)


class TicketResponse(BaseModel):
    ticket_id: str
    decision: OfferDecision
    reply: Reply


def _hash(request: TicketRequest) -> str:
    return hashlib.sha256(request.model_dump_json().encode()).hexdigest()


@dataclass
class _Read:
    """What the ticket is decided on, read in step 1's transaction: the experiment arm (and the
    policy it runs), the ledger's offers for this order by category, the ledger mark the record
    step re-checks under the lock, the customer's standing and the budgets' spend."""

    arm: ArmChoice | None
    policy: Policy
    offers: dict[str, Offer]
    mark: int
    standing: CustomerStanding
    spent_day: Decimal | None
    spent_month: Decimal | None


@dataclass
class _Opened:
    ticket_id: str
    replay: TicketResponse | None
    read: _Read | None = None
    customer: Customer | CustomerScore | None = None  # held: an ORM row is held only weakly


def _open(
    sessions: Sessions,
    request: TicketRequest,
    *,
    channel: str,
    key: str | None,
    policy: Policy,
    now: datetime | None,
    fx: FxRates,
) -> _Opened:
    """Step 1: the ticket row and the customer's message, committed (or the stored reply),
    and in the same transaction what the decision rests on (no second session to read it)."""
    owned: list[str] = []  # the ticket this request created or took over, once it has an id
    try:
        with sessions.begin() as s:
            opened = _open_in(
                s, request, channel=channel, key=key, owned=owned, base_currency=fx.base
            )
            if opened.replay is None:
                opened.read = _read_case(s, request, opened.customer, policy=policy, now=now, fx=fx)
            return opened
    except DB_ERRORS:
        # The commit may or may not have landed: either way nobody is working on the ticket.
        for ticket_id in owned:
            _ABANDONED.add(ticket_id)
        raise


def _open_in(
    s: Session,
    request: TicketRequest,
    *,
    channel: str,
    key: str | None,
    owned: list[str],
    base_currency: str,
) -> _Opened:
    digest = _hash(request)
    customer: Customer | CustomerScore | None = customer_score(s, request.customer_id)
    if customer is None:  # a guest or a new requester: scored as a new customer, answered
        try:
            customer = new_customer(s, request.customer_id, currency=base_currency)
        except IntegrityError:  # another request created them first
            raise _RaceLost from None
    columns = dict(
        customer_id=customer.id,
        channel=channel,
        order_id=request.order.id,
        order_value=request.order.value,
        currency=request.order.currency,
        category=request.issue.category.value if request.issue else None,
        severity=request.issue.severity if request.issue else None,
        attributes=_attributes(request),
        idempotency_key=key,
        request_hash=digest,
        state=TicketState.in_flight,
    )
    ticket_id = open_ticket(s, message=request.message, **columns)
    if ticket_id is None:  # this key's ticket exists: answer from it, or resume it
        assert key is not None, "only an idempotency key can collide"
        prior = ticket_by_key(s, key)
        if prior is None:  # pragma: no cover - it conflicted, so it is there
            raise _RaceLost
        opened = _replay(s, prior, digest)
        if opened.replay is None:
            owned.append(opened.ticket_id)
        opened.customer = customer
        return opened
    owned.append(ticket_id)
    return _Opened(ticket_id, None, customer=customer)


def _attributes(request: TicketRequest) -> dict[str, Any] | None:
    """The case's attributes as the ticket row keeps them (None when there are none)."""
    parts = {
        "customer": request.customer.attributes if request.customer else {},
        "order": request.order.attributes,
        "issue": request.issue.attributes if request.issue else {},
    }
    return {k: v for k, v in parts.items() if v} or None


class _RaceLost(Exception):
    """Another request created the same customer (or took the key) first: open again."""


def _replay(s: Session, prior: Ticket, digest: str) -> _Opened:
    if prior.request_hash != digest:
        raise IdempotencyConflict("this Idempotency-Key was used with a different request body")
    if prior.state == TicketState.done and prior.response is not None:
        return _Opened(prior.id, TicketResponse.model_validate(prior.response))
    abandoned = prior.state == TicketState.in_flight and _ABANDONED.take(prior.id)
    try:
        claimed = _claim(s, prior.id, abandoned=abandoned)
    except DB_ERRORS:
        if abandoned:
            _ABANDONED.add(prior.id)
        raise
    if claimed:
        log.info("resuming ticket", extra={"ticket_id": prior.id, "state": prior.state})
        return _Opened(prior.id, None)
    raise IdempotencyConflict(
        "a request with this Idempotency-Key is still in flight", in_flight=True
    )


def _claim(s: Session, ticket_id: str, *, abandoned: bool = False) -> bool:
    """Take over a failed or abandoned ticket; only one caller's UPDATE matches the row.

    `abandoned`: this process left it in flight when the database failed, so no lease to wait.
    """
    return claim_ticket(s, ticket_id, now=utcnow(), lease=IN_FLIGHT_LEASE, abandoned=abandoned)


def _mark_failed(sessions: Sessions, ticket_id: str) -> None:
    """Let a retry with the same key resume at once, here or on another worker.

    If the database is down, a retry that reaches this process resumes it anyway (`_ABANDONED`);
    one that reaches another worker waits for the lease.
    """
    try:
        with sessions.begin() as s:
            mark_ticket_failed(s, ticket_id, now=utcnow())
    except DB_ERRORS:
        _ABANDONED.add(ticket_id)
        log.warning("could not mark ticket failed", extra={"ticket_id": ticket_id})


def handle_ticket(
    sessions: Sessions,
    request: TicketRequest,
    *,
    policy: Policy,
    drafter: Drafter,
    channel: str = "api",
    idempotency_key: str | None = None,
    triager: Triager | None = None,
    now: datetime | None = None,
    fx: FxRates | None = None,
) -> TicketResponse:
    """Resolve one ticket through the shared pipeline; at most one offer per order and issue.

    Money is in `fx.base` (default: USD, no other currency known): an order in a currency
    with no rate is refused (422 naming it) before anything is stored.
    """
    fx = fx or FxRates()
    if request.issue is not None and not policy.knows_category(str(request.issue.category)):
        raise InputError(
            "issue.category", f"{request.issue.category!s} is not a category of this policy"
        )
    fx.check(request.order.currency)
    try:
        open_once = functools.partial(
            _open,
            sessions,
            request,
            channel=channel,
            key=idempotency_key,
            policy=policy,
            now=now,
            fx=fx,
        )
        try:
            opened = open_once()
        except _RaceLost:  # another request created the customer (or the key's ticket) first
            opened = open_once()
        if opened.replay is not None:
            return opened.replay
        assert opened.read is not None
        try:
            return _resolve_and_record(
                sessions,
                opened.ticket_id,
                request,
                opened.read,
                drafter=drafter,
                triager=triager,
                key=idempotency_key,
                now=now,
                fx=fx,
            )
        except BaseException:
            _mark_failed(sessions, opened.ticket_id)
            raise
    except DB_ERRORS as exc:
        log.error("database unavailable", extra={"error": type(exc).__name__})
        raise StoreUnavailable(
            "the database did not answer; retry with the same Idempotency-Key"
        ) from exc


def _read_case(
    s: Session,
    request: TicketRequest,
    customer: Customer | CustomerScore | None,
    *,
    policy: Policy,
    now: datetime | None,
    fx: FxRates,
) -> _Read:
    """Everything decided before the model runs, read once. After the ticket's insert: on
    SQLite this transaction already holds the write lock, so no read precedes the write."""
    arm = choose_arm_in(s, request.customer_id, now=now)  # a running experiment's arm
    if arm is not None:
        policy = arm.policy
    # the ledger's offers for this order: a duplicate is answered from them, no model call
    offers = {o.category: o for o in offers_of_order(s, request.order.id)}
    customer = customer or customer_score(s, request.customer_id)  # step 1's: no second read
    if customer is None:
        raise NotFound(f"customer {request.customer_id!r} is not known; import them first")
    mark, st, spent_day, spent_month = _read_ledger(s, policy, customer, now=now, fx=fx)
    return _Read(arm, policy, offers, mark, st, spent_day, spent_month)


def _resolve_and_record(
    sessions: Sessions,
    ticket_id: str,
    request: TicketRequest,
    read: _Read,
    *,
    drafter: Drafter,
    triager: Triager | None,
    key: str | None,
    now: datetime | None,
    fx: FxRates,
) -> TicketResponse:
    """Steps 2 and 3: no transaction is open while the model runs."""
    ticket = DomainTicket(
        customer=_case_customer(read.standing, request),
        order=request.order,
        issue=request.issue,
        message=request.message,
    )
    result = resolve(
        ticket,
        policy=read.policy,
        drafter=drafter,
        triager=triager,
        budget_spent=read.spent_day,
        budget_spent_month=read.spent_month,
        fx=fx,
        prior=_ledger_answer(read.offers),
    )
    if read.arm is not None:
        result.decision = read.arm.label(result.decision)
    return _record(
        sessions,
        ticket_id,
        request,
        result,
        policy=read.policy,
        key=key,
        now=now,
        arm=read.arm,
        fx=fx,
        read=(read.mark, read.standing),
        known_offers=read.offers,
    )


def _ledger_answer(
    offers: dict[str, Offer],
) -> Callable[[Any, OfferDecision], OfferDecision | None]:
    """The existing offer for this order and the case's issue (read before drafting)."""

    def answer(case: Any, fresh: OfferDecision) -> OfferDecision | None:
        existing = offers.get(str(case.issue.category))
        return None if existing is None else _existing_decision(existing, fresh)

    return answer


def _case_customer(st: CustomerStanding, request: TicketRequest) -> CaseCustomer:
    who = case_customer(st)
    if request.customer is not None and request.customer.attributes:
        who = who.model_copy(update={"attributes": request.customer.attributes})
    return who


def _spends_goodwill(result: Resolution) -> bool:
    """A new goodwill money offer is about to be recorded (what budgets and residual CLV limit)."""
    offer = result.decision.offer
    return (
        not result.from_ledger
        and result.case is not None
        and offer.basis == "goodwill"
        and offer.kind not in (OfferKind.none, OfferKind.apology_only)
    )


def _has_budgets(policy: Policy) -> bool:
    return policy.budget.daily is not None or policy.budget.monthly is not None


def _ledger_mark(s: Session, policy: Policy, customer_id: str) -> int:
    """The mark matching the lock the record step takes: the whole ledger's with budgets, else
    the customer's (`lock_ledger`)."""
    return ledger_mark(s, None if _has_budgets(policy) else customer_id)


def _read_ledger(
    s: Session,
    policy: Policy,
    customer: Customer | CustomerScore,
    *,
    now: datetime | None,
    fx: FxRates,
) -> tuple[int, CustomerStanding, Decimal | None, Decimal | None]:
    """The ledger mark matching the record step's lock (`_ledger_mark`), the customer's
    standing, and the goodwill given today and this month (UTC, base currency) where the policy
    budgets it: one query without budgets, two with (the whole ledger's mark comes first)."""
    window = policy.abuse.window_days
    if not _has_budgets(policy):
        since = (now or utcnow()) - timedelta(days=window)
        mark, st = customer_ledger(s, customer, since, fx)
        return mark, st, None, None
    day = (now or utcnow()).replace(hour=0, minute=0, second=0, microsecond=0)
    mark, daily, monthly = budget_ledger(
        s,
        day=day if policy.budget.daily is not None else None,
        month=day.replace(day=1) if policy.budget.monthly is not None else None,
    )
    st = standing(s, customer, now=now, window_days=window, fx=fx)
    return mark, st, daily, monthly


def _decide_again(
    s: Session,
    request: TicketRequest,
    result: Resolution,
    *,
    policy: Policy,
    fx: FxRates,
    now: datetime | None,
    arm: ArmChoice | None,
    read: tuple[int, CustomerStanding],
) -> tuple[OfferDecision, CustomerStanding, bool]:
    """Inside the recording transaction, under the ledger lock: the decision with the ledger
    as it is now. Concurrent tickets decided on the same remaining budget and residual CLV;
    only one of them is recorded at a time, so the later ones get what is left: the largest
    offer that still fits, or a person. Returns the decision, the standing, and if it changed.
    `read` is the ledger mark and the standing the decision was made on: with no offer
    recorded since, they still hold, and nothing is read again.
    """
    mark, read_standing = read
    drafted = result.decision
    if not _spends_goodwill(result):
        return drafted, read_standing, False  # nothing to spend: nothing to check again
    if _ledger_mark(s, policy, request.customer_id) == mark:
        return drafted, read_standing, False
    customer = s.get(Customer, request.customer_id)
    assert customer is not None
    _, st, spent_day, spent_month = _read_ledger(s, policy, customer, now=now, fx=fx)
    assert result.case is not None
    case = result.case.model_copy(update={"customer": _case_customer(st, request)})
    fresh = settle(
        case, result.triage, policy, budget_spent=spent_day, budget_spent_month=spent_month, fx=fx
    )
    if arm is not None:
        fresh = arm.label(fresh)
    if fresh.offer.kind == drafted.offer.kind and fresh.cap >= drafted.offer.amount:
        return drafted, st, False  # what was drafted still fits
    note = (
        f"recorded after other tickets spent from the same budget or residual CLV: decided "
        f"again on the ledger as it is now (drafted: {drafted.offer.kind.value} "
        f"{drafted.offer.amount} {drafted.offer.currency})"
    )
    changed = fresh.model_copy(
        update={"reasons": [*fresh.reasons, note], "escalate": fresh.escalate or drafted.escalate}
    )
    return changed, st, True


def _record(
    sessions: Sessions,
    ticket_id: str,
    request: TicketRequest,
    result: Resolution,
    *,
    policy: Policy,
    key: str | None,
    now: datetime | None,
    arm: ArmChoice | None = None,
    fx: FxRates,
    read: tuple[int, CustomerStanding],
    known_offers: dict[str, Offer],
) -> TicketResponse:
    """Step 3. `read` and `known_offers` are what step 1 read of the ledger (its mark and the
    standing; the order's offers by category). Nothing here is read back: the rows are plain
    INSERTs (one per table), the ticket one UPDATE."""
    when = now or utcnow()
    reply = result.reply
    events: list[dict[str, Any]] = []

    def event(type_: EventType, payload: dict[str, Any]) -> None:
        events.append(
            {"ticket_id": ticket_id, "type": type_, "payload": payload, "created_at": when}
        )

    with sessions.begin() as s:
        # first: nothing below reads a ledger another ticket changes. The common case records
        # the offer here, with the ledger where step 1 read it: nothing to decide again.
        recorded = _spends_goodwill(result) and record_goodwill_offer(
            s,
            mark=read[0],
            budgets=_has_budgets(policy),
            fx=fx,
            **_offer_row(ticket_id, request, result, result.decision, key),
        )
        if recorded:
            decision, st, changed = result.decision, read[1], False
        else:
            decision, st, changed = _decide_again(
                s, request, result, policy=policy, fx=fx, now=now, arm=arm, read=read
            )
        if changed:
            reply = _template(decision, result, request)
            event(
                EventType.decided_again,
                {
                    "drafted": result.decision.offer.model_dump(mode="json"),
                    "recorded": decision.offer.model_dump(mode="json"),
                },
            )
        offer_kind = decision.offer.kind
        if result.from_ledger:
            # told the ledger's offer (or that it was turned down): nothing new to record
            existing = known_offers.get(result.issue.category.value)
            if existing is not None:
                event(EventType.duplicate_offer_suppressed, {"offer_id": existing.id})
        elif recorded:
            pass  # the goodwill offer went in first, under the lock
        elif offer_kind not in (OfferKind.none, OfferKind.apology_only):
            offer, inserted = record_offer(
                s,
                basis=decision.offer.basis,
                fx=fx,
                **_offer_row(ticket_id, request, result, decision, key),
            )
            if not inserted:
                # Someone resolved this order and issue first: answer with *their* offer.
                decision = _existing_decision(offer, decision)
                reply = _template(decision, result, request)
                event(EventType.duplicate_offer_suppressed, {"offer_id": offer.id})
        else:
            existing = find_offer(
                s, order_id=request.order.id, category=result.issue.category.value
            )
            if existing is not None:
                decision = _existing_decision(existing, decision)
                reply = _template(decision, result, request)
        if arm is not None:
            record_exposure(
                s,
                experiment_id=arm.experiment_id,
                ticket_id=ticket_id,
                customer_id=request.customer_id,
                arm=arm.arm,
                policy_version=arm.policy.version,
                now=when,
            )
        event(
            EventType.model_call if result.usage.model_calls else EventType.template_reply,
            result.usage.as_event(),
        )
        if result.usage.guard_rejections:
            event(
                EventType.guard_rejected,
                {"violations": [v.model_dump() for v in result.usage.violations]},
            )
        if decision.escalate:
            event(EventType.escalated, {"reasons": decision.reasons[-1:]})
        _insert_record_rows(s, ticket_id, decision, reply, result, st, policy, when, events)
        response = TicketResponse(ticket_id=ticket_id, decision=decision, reply=reply)
        finish_ticket(
            s,
            ticket_id,
            when=when,
            category=result.issue.category.value,
            severity=result.issue.severity,
            triage=result.triage.model_dump(mode="json") if result.triage else None,
            status=TicketStatus.escalated if decision.escalate else TicketStatus.resolved,
            state=TicketState.done,
            response=json.loads(response.model_dump_json()),
        )
    log.info(
        "ticket resolved",
        extra={
            "ticket_id": ticket_id,
            "policy_version": decision.policy_version,
            "provider": result.usage.provider,
        },
    )
    return response


def _offer_row(
    ticket_id: str,
    request: TicketRequest,
    result: Resolution,
    decision: OfferDecision,
    key: str | None,
) -> dict[str, Any]:
    """The ledger row's columns for the decided offer (`record_offer`'s keywords)."""
    return {
        "ticket_id": ticket_id,
        "customer_id": request.customer_id,
        "order_id": request.order.id,
        "category": result.issue.category.value,
        "kind": decision.offer.kind.value,
        "amount": decision.offer.amount,
        "currency": decision.offer.currency,
        "policy_version": decision.policy_version,
        "idempotency_key": key,
    }


def _insert_record_rows(
    s: Session,
    ticket_id: str,
    decision: OfferDecision,
    reply: Reply,
    result: Resolution,
    st: CustomerStanding,
    policy: Policy,
    when: datetime,
    events: list[dict[str, Any]],
) -> None:
    """The record step's rows, each table in one INSERT (the events in one executemany)."""
    insert_rows(s, "decisions", [decision_values(ticket_id, decision, created_at=when)])
    message = {
        "ticket_id": ticket_id,
        "role": MessageRole.bot,
        "text": reply.text,
        "source": reply.source,
        "created_at": when,
    }
    insert_rows(s, "messages", [message])
    insert_rows(s, "events", events)
    if result.triage is not None:
        survey = {
            "ticket_id": ticket_id,
            "phase": SurveyPhase.pre,
            "score": result.triage.sentiment,
            "source": SurveySource.estimated,
            "created_at": when,
        }
        insert_rows(s, "surveys", [survey])
    snapshot = {
        "customer_id": st.customer_id,
        "ticket_id": ticket_id,
        "clv": st.clv,
        "residual_clv": st.residual_clv,
        "tier": st.tier,
        "segment": st.segment,
        "reason": "ticket",
        "taken_at": when,
    }
    insert_rows(s, "score_snapshots", [snapshot])
    due = when + timedelta(days=policy.followup.after_days)
    insert_rows(s, "followups", [{"ticket_id": ticket_id, "due_at": due}])


def _existing_decision(offer: Offer, fresh: OfferDecision) -> OfferDecision:
    """The answer for a duplicate: the ledger's offer, or an apology if it was turned down."""
    if offer.status in (OfferStatus.declined, OfferStatus.withdrawn):
        who = (
            "the customer declined" if offer.status == OfferStatus.declined else "an agent withdrew"
        )
        return fresh.model_copy(
            update={
                "offer": DomainOffer(
                    kind=OfferKind.apology_only, amount=Decimal(0), currency=offer.currency
                ),
                "reasons": [
                    *fresh.reasons,
                    f"{who} the offer for this order and issue (offer {offer.id}): no second offer",
                ],
            }
        )
    return fresh.model_copy(
        update={
            "offer": offer_from_row(offer),
            "cap": max(fresh.cap, offer.amount),
            "reasons": [
                *fresh.reasons,
                f"an offer for this order and issue already exists (offer {offer.id}): no second offer",
            ],
            "policy_version": offer.policy_version,
        }
    )


def _template(decision: OfferDecision, result: Resolution, request: TicketRequest) -> Reply:
    lang = result.triage.language if result.triage else "en"
    text = template_reply(
        decision, category=result.issue.category, order_id=request.order.id, language=lang
    )
    return Reply(text=text, source="template", guard=check_draft(text, decision))


@store_errors
def record_survey(
    sessions: Sessions,
    *,
    ticket_id: str,
    phase: str,
    score: float,
    source: str = SurveySource.survey,
    now: datetime | None = None,
) -> None:
    if phase not in (SurveyPhase.pre, SurveyPhase.post):
        raise InputError("phase", "must be 'pre' or 'post'")
    if not 0 <= score <= 100:
        raise InputError("score", "must be between 0 and 100")
    with sessions.begin() as s:
        if s.get(Ticket, ticket_id) is None:
            raise NotFound(f"ticket {ticket_id!r} not found")
        s.add(
            Survey(
                ticket_id=ticket_id,
                phase=phase,
                score=float(score),
                source=source,
                created_at=now or utcnow(),
            )
        )


# -- agent assist ---------------------------------------------------------------------------


@store_errors
def create_assist_draft(
    sessions: Sessions,
    request: TicketRequest,
    *,
    policy: Policy,
    drafter: Drafter,
    agent: str,
    triager: Triager | None = None,
    fx: FxRates | None = None,
) -> dict[str, Any]:
    """Resolve as usual (the offer is recorded as proposed) and park the reply for an agent."""
    response = handle_ticket(
        sessions, request, policy=policy, drafter=drafter, channel="assist", triager=triager, fx=fx
    )
    with sessions.begin() as s:
        draft = Draft(
            ticket_id=response.ticket_id,
            text=response.reply.text,
            guard=response.reply.guard.model_dump(mode="json"),
        )
        s.add(draft)
        offer = offer_of_ticket(s, response.ticket_id)
        if offer is not None and offer.status == OfferStatus.sent:
            offer.status = OfferStatus.proposed
        s.add(
            Event(
                ticket_id=response.ticket_id, type=EventType.assist_draft, payload={"agent": agent}
            )
        )
        s.flush()
        return {
            "draft_id": draft.id,
            "ticket_id": response.ticket_id,
            "text": draft.text,
            "decision": response.decision.model_dump(mode="json"),
            "guard": response.reply.guard.model_dump(mode="json"),
            "status": draft.status,
        }


@store_errors
def approve_draft(
    sessions: Sessions,
    draft_id: str,
    *,
    agent: str,
    edited_text: str | None = None,
    reject: bool = False,
) -> dict[str, Any]:
    """An agent approves, edits or rejects; an edit promising more than the decision is refused."""
    with sessions.begin() as s:
        draft = s.get(Draft, draft_id)
        if draft is None:
            raise NotFound(f"draft {draft_id!r} not found")
        if draft.status != DraftStatus.pending:
            raise InputError("draft", f"already {draft.status}")
        row = latest_decision(s, draft.ticket_id)
        assert row is not None, "an assist draft always has its ticket's decision"
        decision = decision_from_row(row)
        offer = offer_of_ticket(s, draft.ticket_id)
        if reject:
            draft.status = DraftStatus.rejected
            if offer is not None:  # never shown to the customer: withdrawn, not declined
                offer.status = OfferStatus.withdrawn
        else:
            text = edited_text if edited_text is not None else draft.text
            verdict: GuardResult = check_draft(text, decision)
            if not verdict.ok:
                said = "; ".join(f"{v.kind}: {v.text}" for v in verdict.violations)
                raise OverCap(
                    f"the edit promises what the decision does not allow ({said}); the cap is "
                    f"{decision.cap} {decision.offer.currency} for {decision.offer.kind.value}"
                )
            # A person may send what they like within the money; the gate only warns them.
            customer_text = first_customer_message(s, draft.ticket_id)
            language = (s.get(Ticket, draft.ticket_id).triage or {}).get("language", "en")  # type: ignore[union-attr]
            warnings = check_quality(
                text, customer_message=customer_text, language=language
            ).problems
            draft.status = (
                DraftStatus.edited
                if edited_text is not None and edited_text != draft.text
                else DraftStatus.approved
            )
            draft.edited_text = edited_text
            if offer is not None and offer.status == OfferStatus.proposed:
                offer.status = OfferStatus.sent
            s.add(
                Message(
                    ticket_id=draft.ticket_id, role=MessageRole.agent, text=text, source="agent"
                )
            )
        draft.decided_by = agent
        draft.decided_at = utcnow()
        s.add(
            Event(
                ticket_id=draft.ticket_id,
                type=EventType.for_draft(draft.status),
                payload={"agent": agent},
            )
        )
        out: dict[str, Any] = {
            "draft_id": draft.id,
            "ticket_id": draft.ticket_id,
            "status": draft.status,
            "decided_by": agent,
        }
        if not reject:
            out["quality_warnings"] = [w.as_dict() for w in warnings]
        return out
