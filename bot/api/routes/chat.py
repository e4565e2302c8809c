"""The chat widget: sessions from a token the business signs, replies streamed as server-sent events.

Routes check the token and the limits and stream; the conversation itself is
`bot.service.continue_chat`. The first reply's `done` event carries the offer made (`offer`:
id, kind, amount, currency, status; null when none) for the widget's Accept / No thanks
buttons (`POST /v1/offers/{id}/accept|decline` with the session token).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Header
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from bot.api._errors import RateLimited
from bot.api._limits import check_message
from bot.api._security import TokenClaims, check_conversation, mint_widget_token, read_widget_token
from bot.api.deps import AppState, StateDep
from bot.domain import Order
from bot.errors import Unauthorized
from bot.service import ChatLimits, continue_chat, find_conversation, open_conversation

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
    state.fx.check(body.order.currency)
    conv_id = await run_in_threadpool(
        open_conversation,
        state.sessions,
        claims.customer_id,
        body.order,
        base_currency=state.fx.base,
    )
    token = mint_widget_token(
        state.settings.widget_secret.get_secret_value(),
        claims.customer_id,
        conversation_id=conv_id,
        ttl_s=3600,
    )
    return {"session_id": conv_id, "token": token}


def _sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


@router.post("/sessions/{session_id}/messages")
async def send_message(
    session_id: str,
    body: ChatMessage,
    state: StateDep,
    authorization: Annotated[str | None, Header()] = None,
) -> StreamingResponse:
    """Send a customer message; the reply streams back as `text/event-stream` (delta, done)."""
    claims = _claims(state, authorization)
    check_conversation(claims, session_id)
    check_message(state.settings, body.message)
    wait = state.chat_limiter.take(session_id)
    if wait is not None:
        raise RateLimited(wait)
    conv = await run_in_threadpool(
        find_conversation, state.sessions, session_id, claims.customer_id
    )
    settings = state.settings
    limits = ChatLimits(
        settings.chat_max_turns, settings.chat_max_tokens, settings.chat_max_model_seconds
    )

    def stream() -> Iterator[str]:
        for event in continue_chat(
            state.sessions,
            conv,
            body.message,
            policy=state.policy,
            drafter=state.drafter,
            limits=limits,
            fx=state.fx,
            triager=state.triager,
        ):
            yield _sse(event.kind, event.data)

    return StreamingResponse(
        iterate_in_threadpool(stream()),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
