"""The chat widget's conversations, through the same service as every other channel.

The first message of a conversation is a ticket (`handle_ticket`: decision, offer recorded
exactly once, guarded reply). Later messages are turns on that ticket: the drafter streams a
reply sentence by sentence, each sentence guarded before it is yielded, with no offer repeated.
A conversation past its turn, token or model-time budget gets the template and goes to a
person. The budgets count what the drafter recorded for every reply of the conversation
(its `model_call` events), the first one included; a turn's model call never gets more time
than the budget has left.

Routes check the token and stream what `continue_chat` yields; everything written is written
here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from bot.domain import Offer as DomainOffer
from bot.domain import OfferDecision, OfferKind, Order, category_of
from bot.drafting import Drafter, Usage
from bot.errors import NotFound
from bot.fx import FxRates
from bot.policy import Policy
from bot.service._customers import new_customer
from bot.service._offers import ticket_offer
from bot.service._seam import store_errors
from bot.service._tickets import TicketRequest, handle_ticket
from bot.store import (
    Conversation,
    ConversationStatus,
    Customer,
    Event,
    EventType,
    Message,
    MessageRole,
    OfferStatus,
    Sessions,
    Ticket,
    history,
    latest_decision,
    model_spend,
)
from bot.triage import Triager

__all__ = ["ChatEvent", "ChatLimits", "continue_chat", "find_conversation", "open_conversation"]


@dataclass(frozen=True)
class ChatLimits:
    """A conversation's budgets (APPEASE_CHAT_MAX_*): past any, the template and a person."""

    max_turns: int = 20
    max_tokens: int = 4000
    max_model_seconds: float = 60.0

    def over(self, turns: int, tokens: int, seconds: float) -> str | None:
        """Which budget this turn is past, if any."""
        if turns > self.max_turns:
            return "turns"
        if tokens > self.max_tokens:
            return "tokens"
        if seconds >= self.max_model_seconds:
            return "model_seconds"
        return None


@dataclass(frozen=True)
class ChatEvent:
    """One piece of a streamed reply: `delta` (text) or `done` (how the turn ended)."""

    kind: str
    data: dict[str, Any]


@store_errors
def open_conversation(
    sessions: Sessions, customer_id: str, order: Order, *, base_currency: str = "USD"
) -> str:
    """A conversation about one order; a customer the store has never seen is answered too."""
    with sessions.begin() as s:
        if s.get(Customer, customer_id) is None:  # signed by the business: a guest
            new_customer(s, customer_id, currency=base_currency)
        conv = Conversation(
            customer_id=customer_id,
            order_id=order.id,
            order_value=order.value,
            currency=order.currency,
        )
        s.add(conv)
        s.flush()
        return conv.id


@store_errors
def find_conversation(sessions: Sessions, conversation_id: str, customer_id: str) -> Conversation:
    """The customer's own conversation; another customer's is as unknown as a missing one."""
    with sessions() as s:
        conv = s.get(Conversation, conversation_id)
        if conv is None or conv.customer_id != customer_id:
            raise NotFound("no such conversation")
        return conv


def continue_chat(
    sessions: Sessions,
    conv: Conversation,
    message: str,
    *,
    policy: Policy,
    drafter: Drafter,
    limits: ChatLimits,
    fx: FxRates | None = None,
    triager: Triager | None = None,
) -> Iterator[ChatEvent]:
    """Answer one customer message of a conversation, as a stream of events."""
    if conv.ticket_id is None:
        yield from _first_turn(
            sessions, conv, message, policy=policy, drafter=drafter, fx=fx, triager=triager
        )
    else:
        yield from _later_turn(sessions, conv, message, drafter=drafter, limits=limits)


def _first_turn(
    sessions: Sessions,
    conv: Conversation,
    message: str,
    *,
    policy: Policy,
    drafter: Drafter,
    fx: FxRates | None,
    triager: Triager | None,
) -> Iterator[ChatEvent]:
    request = TicketRequest(
        customer_id=conv.customer_id,
        order=Order(id=conv.order_id, value=conv.order_value, currency=conv.currency),
        message=message,
    )
    out = handle_ticket(
        sessions,
        request,
        policy=policy,
        drafter=drafter,
        channel="chat",
        idempotency_key=f"chat-{conv.id}",
        fx=fx,
        triager=triager,
    )
    with sessions.begin() as s:
        row = s.get(Conversation, conv.id)
        assert row is not None
        row.ticket_id, row.turns = out.ticket_id, 1
        row.tokens = model_spend(s, out.ticket_id)[0]
        row.status = (
            ConversationStatus.escalated if out.decision.escalate else ConversationStatus.open
        )
    for word in out.reply.text.split(" "):
        yield ChatEvent("delta", {"text": word + " "})
    offer = ticket_offer(sessions, ticket_id=out.ticket_id)
    yield ChatEvent(
        "done",
        {
            "escalated": out.decision.escalate,
            "source": out.reply.source,
            "offer": _offer_card(offer, out.ticket_id),
        },
    )


def _offer_card(offer: dict[str, Any] | None, ticket_id: str) -> dict[str, Any] | None:
    """What the widget shows of the reply's offer, to accept or decline (its id for the call).

    An earlier conversation's offer for this order that the customer declined is not shown:
    the reply offers nothing then (an apology), so there is nothing to answer.
    """
    if offer is None:
        return None
    if offer["status"] == OfferStatus.declined and offer["ticket_id"] != ticket_id:
        return None
    keep = ("id", "kind", "amount", "currency", "status")
    return {k: offer[k] for k in keep}


def _later_turn(
    sessions: Sessions,
    conv: Conversation,
    message: str,
    *,
    drafter: Drafter,
    limits: ChatLimits,
) -> Iterator[ChatEvent]:
    assert conv.ticket_id is not None
    with sessions.begin() as s:
        row = s.get(Conversation, conv.id)
        ticket = s.get(Ticket, conv.ticket_id)
        assert row is not None and ticket is not None
        standing = latest_decision(s, ticket.id)
        assert standing is not None, "a conversation's ticket always has its decision"
        said = history(s, ticket.id)
        s.add(Message(ticket_id=ticket.id, role=MessageRole.customer, text=message))
        row.turns += 1
        spent_tokens, spent_s = model_spend(s, ticket.id)
        budget = limits.over(row.turns, spent_tokens, spent_s)
        category = category_of(ticket.category or "other")
        language = (ticket.triage or {}).get("language", "en")
        order_id = ticket.order_id
    over_budget = budget is not None
    # Later turns repeat no offer: the guard sees a decision with nothing to give.
    decision = OfferDecision(
        offer=DomainOffer(kind=OfferKind.none, amount=0, currency=standing.currency),
        cap=standing.cap,
        escalate=over_budget,
        reasons=[],
        policy_version=standing.policy_version,
    )
    usage = Usage(provider=drafter.provider)
    if over_budget:
        drafter = Drafter(None, drafter.prompts)
    parts: list[str] = []
    for piece in drafter.stream_chat_turn(
        history=said,
        message=message,
        decision=decision,
        category=category,
        order_id=order_id,
        language=language,
        usage=usage,
        timeout_s=limits.max_model_seconds - spent_s,
    ):
        parts.append(piece)
        yield ChatEvent("delta", {"text": piece})
    text = "".join(parts).strip()
    source = "template" if usage.fallback or drafter.chat_model is None else "llm"
    _record_turn(
        sessions,
        conv.id,
        conv.ticket_id,
        text=text,
        source=source,
        usage=usage,
        tokens=spent_tokens,
        budget=budget,
    )
    yield ChatEvent("done", {"escalated": over_budget, "source": source})


@store_errors
def _record_turn(
    sessions: Sessions,
    conversation_id: str,
    ticket_id: str,
    *,
    text: str,
    source: str,
    usage: Usage,
    tokens: int,
    budget: str | None,
) -> None:
    with sessions.begin() as s:
        row = s.get(Conversation, conversation_id)
        assert row is not None
        row.tokens = tokens + usage.input_tokens + usage.output_tokens
        if budget is not None:
            row.status = ConversationStatus.escalated
            s.add(
                Event(
                    ticket_id=ticket_id,
                    type=EventType.escalated,
                    payload={"reason": "chat budget", "budget": budget},
                )
            )
        s.add(Message(ticket_id=ticket_id, role=MessageRole.bot, text=text, source=source))
        kind = EventType.model_call if usage.model_calls else EventType.template_reply
        s.add(Event(ticket_id=ticket_id, type=kind, payload=usage.as_event()))
