"""The customer's answer to an offer: accepted or declined, exactly once.

An offer that is `proposed` (an assist draft) or `sent` moves to `accepted` or `declined` by
one conditional UPDATE, so of two concurrent answers exactly one lands, on SQLite and
PostgreSQL alike. The same answer again is a no-op that reports the offer as it stands (a
retried click, a redelivered webhook); the other answer is a `Conflict` (HTTP 409) naming what
the offer already is. Each answer that lands is logged as an `offer_accepted` or
`offer_declined` event on the offer's ticket, with who answered.

A declined offer is no longer goodwill given (`GIVEN_STATUSES`): its amount goes back to the
customer's residual CLV and to the daily and monthly budgets.

Who may answer is the caller's business, with one check here: a widget conversation may answer
only the offer of its own ticket, or an offer for the same customer and order (one offer per
order and issue: a second conversation about the order is answered with the first offer).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.errors import Conflict, Forbidden, NotFound
from bot.service._seam import store_errors
from bot.store import (
    Conversation,
    Event,
    EventType,
    Offer,
    OfferStatus,
    Session,
    Sessions,
    Ticket,
    answer_offer_row,
    find_offer,
    offer_of_ticket,
    offers_of_order,
    ticket_by_key,
    utcnow,
)

__all__ = [
    "OPEN_STATUSES",
    "OfferAnswer",
    "answer_offer",
    "offer_row",
    "offers_for_order",
    "ticket_offer",
]

# Offers a customer may still answer.
OPEN_STATUSES = (OfferStatus.proposed, OfferStatus.sent)
_MAX_ID = 2**31 - 1  # offers.id is a 32-bit integer column


@dataclass(frozen=True)
class OfferAnswer:
    """The offer after an answer; `changed` is False when it already had this answer."""

    offer: dict[str, Any]
    changed: bool


def offer_row(o: Offer) -> dict[str, Any]:
    """An offer as the API shows it: `id` and (the older name) `offer_id` are the same."""
    return {
        "id": o.id,
        "offer_id": o.id,
        "ticket_id": o.ticket_id,
        "order_id": o.order_id,
        "category": o.category,
        "kind": o.kind,
        "amount": str(o.amount),
        "currency": o.currency,
        "status": str(o.status),
        "basis": o.basis,
        "policy_version": o.policy_version,
        "created_at": o.created_at.isoformat(),
    }


def _check_conversation(s: Session, offer: Offer, conversation_id: str, customer_id: str) -> None:
    conv = s.get(Conversation, conversation_id)
    if conv is None or conv.customer_id != customer_id or offer.customer_id != customer_id:
        raise Forbidden("this conversation may not answer that offer")
    if conv.ticket_id == offer.ticket_id:
        return
    if conv.order_id != offer.order_id:
        raise Forbidden("this conversation may not answer that offer")


@store_errors
def answer_offer(
    sessions: Sessions,
    offer_id: int,
    *,
    accepted: bool,
    by: str,
    conversation_id: str | None = None,
    customer_id: str | None = None,
    now: datetime | None = None,
) -> OfferAnswer:
    """Record the customer's answer to an offer, once.

    `by` says who relayed it (`service`, `widget`, `zendesk`, ...). With `conversation_id` (a
    widget token's conversation, and its `customer_id`), the offer must belong to that
    conversation; with `customer_id` alone, to that customer: `Forbidden` otherwise. `NotFound` for an unknown offer; `Conflict` when it
    was already answered the other way (or can no longer be answered).
    """
    want = OfferStatus.accepted if accepted else OfferStatus.declined
    if not 0 < offer_id <= _MAX_ID:  # PostgreSQL would refuse the number itself
        raise NotFound(f"offer {offer_id} not found")
    with sessions.begin() as s:
        offer = s.get(Offer, offer_id)
        if offer is None:
            raise NotFound(f"offer {offer_id} not found")
        if conversation_id is not None:
            _check_conversation(s, offer, conversation_id, customer_id or "")
        elif customer_id is not None and offer.customer_id != customer_id:
            raise Forbidden(f"offer {offer_id} was not made to this customer")
        before = OfferStatus(offer.status)
        if before == want:
            return OfferAnswer(offer_row(offer), changed=False)
        moved = answer_offer_row(s, offer_id, to=want, open_statuses=OPEN_STATUSES)
        s.refresh(offer)
        if not moved:
            if offer.status == want:  # a concurrent identical answer landed first
                return OfferAnswer(offer_row(offer), changed=False)
            raise Conflict(f"offer {offer_id} is already {offer.status}: it cannot now be {want}")
        s.add(
            Event(
                ticket_id=offer.ticket_id,
                type=EventType.for_answer(want),
                payload={"offer_id": offer.id, "by": by, "from": before.value},
                created_at=now or utcnow(),
            )
        )
        return OfferAnswer(offer_row(offer), changed=True)


@store_errors
def ticket_offer(
    sessions: Sessions,
    *,
    ticket_id: str | None = None,
    idempotency_key: str | None = None,
) -> dict[str, Any] | None:
    """The offer a ticket's customer was made: the ticket's own, or the one it was answered with.

    A duplicate ticket for an order and issue is answered with the first ticket's offer
    (`duplicate_offer_suppressed`): that one is found by the ticket's order and category. The
    ticket is named by id or by the Idempotency-Key it was opened with. None if no offer.
    """
    with sessions() as s:
        if ticket_id is not None:
            ticket = s.get(Ticket, ticket_id)
        elif idempotency_key is not None:
            ticket = ticket_by_key(s, idempotency_key)
        else:
            raise ValueError("name the ticket by ticket_id or idempotency_key")
        if ticket is None:
            raise NotFound("ticket not found")
        offer = offer_of_ticket(s, ticket.id)
        if offer is None and ticket.category is not None:
            same = find_offer(s, order_id=ticket.order_id, category=ticket.category)
            offer = same if same is not None and same.customer_id == ticket.customer_id else None
        return offer_row(offer) if offer is not None else None


@store_errors
def offers_for_order(sessions: Sessions, order_id: str) -> list[dict[str, Any]]:
    """The goodwill ledger's offers for an order, oldest first (`offer_row` each)."""
    with sessions() as s:
        return [offer_row(o) for o in offers_of_order(s, order_id)]
