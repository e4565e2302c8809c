"""The chat widget: sessions from a token the business signs, replies streamed as server-sent events.

The first message of a conversation goes through the shared ticket service (decision, offer
recorded exactly once, guarded reply) and is streamed to the browser; its `done` event carries
the offer made (`offer`: id, kind, amount, currency, status; null when none) for the widget's
Accept / No thanks buttons (`POST /v1/offers/{id}/accept|decline` with the session token).
Later messages stream from the model sentence by sentence, each sentence guarded before it is
sent. A conversation past its turn, token or model-time budget gets the template and goes to a
human. The budgets count what the drafter recorded for every reply of the conversation (its
`model_call` events), the first one included; a turn's model call never gets more time than
the budget has left.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Header
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from bot.api._errors import RateLimited
from bot.api._limits import check_message
from bot.api._security import TokenClaims, check_conversation, mint_widget_token, read_widget_token
from bot.api.deps import AppState, StateDep
from bot.config import Settings
from bot.domain import Offer as DomainOffer
from bot.domain import OfferDecision, OfferKind, Order, category_of
from bot.drafting import Usage
from bot.errors import NotFound, Unauthorized
from bot.service import TicketRequest, handle_ticket, new_customer, ticket_offer
from bot.store import (
    Conversation,
    ConversationStatus,
    Customer,
    Decision,
    Event,
    EventType,
    Message,
    MessageRole,
    OfferStatus,
    Ticket,
)

router = APIRouter(prefix="/v1/chat", tags=["chat"])


class SessionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    order: Order


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message: str = Field(min_length=1, max_length=20_000)  # APPEASE_MAX_MESSAGE_CHARS lowers it


def _claims(state: AppState, authorization: str | None) -> TokenClaims:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("missing widget token: send Authorization: Bearer TOKEN")
    return read_widget_token(state.settings.widget_secret.get_secret_value(), token.strip())


@router.post("/sessions", status_code=201)
async def open_session(
    body: SessionRequest, state: StateDep, authorization: Annotated[str | None, Header()] = None
) -> dict[str, Any]:
    """Open a conversation for the customer named by the signed token; returns a scoped token."""
    claims = _claims(state, authorization)

    def create() -> str:
        with state.sessions.begin() as s:
            if s.get(Customer, claims.customer_id) is None:  # signed by the business: a guest
                new_customer(s, claims.customer_id, currency=body.order.currency)
            conv = Conversation(customer_id=claims.customer_id, order_id=body.order.id,
                                order_value=body.order.value, currency=body.order.currency)  # fmt: skip
            s.add(conv)
            s.flush()
            return conv.id

    conv_id = await run_in_threadpool(create)
    token = mint_widget_token(state.settings.widget_secret.get_secret_value(), claims.customer_id,
                              conversation_id=conv_id, ttl_s=3600)  # fmt: skip
    return {"session_id": conv_id, "token": token}


def _sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


@router.post("/sessions/{session_id}/messages")
async def send_message(
    session_id: str, body: ChatMessage, state: StateDep,
    authorization: Annotated[str | None, Header()] = None,
) -> StreamingResponse:  # fmt: skip
    """Send a customer message; the reply streams back as `text/event-stream` (delta, done)."""
    claims = _claims(state, authorization)
    check_conversation(claims, session_id)
    check_message(state.settings, body.message)
    wait = state.chat_limiter.take(session_id)
    if wait is not None:
        raise RateLimited(wait)

    def load() -> Conversation:
        with state.sessions() as s:
            conv = s.get(Conversation, session_id)
            if conv is None or conv.customer_id != claims.customer_id:
                raise NotFound("no such conversation")
            return conv

    conv = await run_in_threadpool(load)
    return StreamingResponse(
        iterate_in_threadpool(_reply(state, conv, body.message)),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _model_spend(s: Session, ticket_id: str) -> tuple[int, float]:
    """Tokens and model seconds the drafter recorded for this conversation's replies so far."""
    tokens, seconds = 0, 0.0
    for payload in s.execute(
        select(Event.payload).where(
            Event.ticket_id == ticket_id, Event.type == EventType.model_call
        )
    ).scalars():
        tokens += int(payload.get("tokens") or 0)
        seconds += float(payload.get("latency_ms") or 0) / 1000
    return tokens, seconds


def _over_budget(settings: Settings, turns: int, tokens: int, seconds: float) -> str | None:
    """Which budget this turn is past, if any."""
    if turns > settings.chat_max_turns:
        return "turns"
    if tokens > settings.chat_max_tokens:
        return "tokens"
    if seconds >= settings.chat_max_model_seconds:
        return "model_seconds"
    return None


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


def _reply(state: AppState, conv: Conversation, message: str) -> Iterator[str]:
    settings = state.settings
    if conv.ticket_id is None:
        request = TicketRequest(
            customer_id=conv.customer_id,
            order=Order(id=conv.order_id, value=conv.order_value, currency=conv.currency),
            message=message,
        )
        out = handle_ticket(state.sessions, request, policy=state.policy, drafter=state.drafter,
                            channel="chat", idempotency_key=f"chat-{conv.id}", fx=state.fx,
                            triager=state.triager)  # fmt: skip
        with state.sessions.begin() as s:
            row = s.get(Conversation, conv.id)
            assert row is not None
            row.ticket_id, row.turns = out.ticket_id, 1
            row.tokens = _model_spend(s, out.ticket_id)[0]
            row.status = (
                ConversationStatus.escalated if out.decision.escalate else ConversationStatus.open
            )
        for word in out.reply.text.split(" "):
            yield _sse("delta", {"text": word + " "})
        offer = ticket_offer(state.sessions, ticket_id=out.ticket_id)
        yield _sse("done", {"escalated": out.decision.escalate, "source": out.reply.source,
                            "offer": _offer_card(offer, out.ticket_id)})  # fmt: skip
        return

    with state.sessions.begin() as s:
        row = s.get(Conversation, conv.id)
        ticket = s.get(Ticket, conv.ticket_id)
        assert row is not None and ticket is not None
        d = (
            s.execute(
                select(Decision).where(Decision.ticket_id == ticket.id).order_by(Decision.id.desc())
            )
            .scalars()
            .first()
        )
        history = [
            (m.role, m.text)
            for m in s.execute(
                select(Message).where(Message.ticket_id == ticket.id).order_by(Message.id)
            ).scalars()
        ]
        s.add(Message(ticket_id=ticket.id, role=MessageRole.customer, text=message))
        row.turns += 1
        spent_tokens, spent_s = _model_spend(s, ticket.id)
        budget = _over_budget(settings, row.turns, spent_tokens, spent_s)
        over_budget = budget is not None
        category = category_of(ticket.category or "other")
        language = (ticket.triage or {}).get("language", "en")
    assert d is not None
    # Later turns repeat no offer: the guard sees a decision with nothing to give.
    decision = OfferDecision(
        offer=DomainOffer(kind=OfferKind.none, amount=0, currency=d.currency), cap=d.cap,
        escalate=over_budget, reasons=[], policy_version=d.policy_version,
    )  # fmt: skip
    usage = Usage(provider=state.drafter.provider)
    drafter = state.drafter
    if over_budget:
        from bot.drafting import Drafter

        drafter = Drafter(None, drafter.prompts)
    parts: list[str] = []
    time_left = settings.chat_max_model_seconds - spent_s
    for piece in drafter.stream_chat_turn(history=history, message=message, decision=decision,
                                          category=category, order_id=ticket.order_id,
                                          language=language, usage=usage, timeout_s=time_left):  # fmt: skip
        parts.append(piece)
        yield _sse("delta", {"text": piece})
    text = "".join(parts).strip()
    source = "template" if usage.fallback or drafter.chat_model is None else "llm"
    with state.sessions.begin() as s:
        row = s.get(Conversation, conv.id)
        assert row is not None
        row.tokens = spent_tokens + usage.input_tokens + usage.output_tokens
        if over_budget:
            row.status = ConversationStatus.escalated
            s.add(Event(ticket_id=ticket.id, type=EventType.escalated,
                        payload={"reason": "chat budget", "budget": budget}))  # fmt: skip
        s.add(Message(ticket_id=ticket.id, role=MessageRole.bot, text=text, source=source))
        s.add(
            Event(
                ticket_id=ticket.id,
                type=EventType.model_call if usage.model_calls else EventType.template_reply,
                payload=usage.as_event(),
            )
        )
    yield _sse("done", {"escalated": over_budget, "source": source})
