"""The customer's answer to an offer: `POST /v1/offers/{id}/accept` and `/decline`.

Either credential in `Authorization: Bearer ...`:

- a `service` API key (the business's back end relays an answer given elsewhere), or
- the widget session token of the chat conversation the offer was made in (the token
  `POST /v1/chat/sessions` returned): the customer clicks Accept or No thanks in the widget.
  A token for another conversation is a 403; a customer token not scoped to a conversation
  too.

The answer is recorded once (`bot.service.answer_offer`): the same answer again returns the
offer unchanged (`changed: false`), the other answer is a 409 naming what the offer already is,
an unknown offer a 404. The response is `{"offer": {id, offer_id, status, ...}, "changed"}`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path
from starlette.concurrency import run_in_threadpool

from bot.api._errors import RateLimited
from bot.api._security import read_widget_token
from bot.api.deps import StateDep, principal_for_key
from bot.errors import Forbidden, Unauthorized
from bot.service import answer_offer

router = APIRouter(prefix="/v1/offers", tags=["offers"])

OfferId = Annotated[int, Path(ge=1)]  # one past any offer id is a 404


async def _answer(
    state: StateDep, offer_id: int, authorization: str | None, *, accepted: bool
) -> dict[str, Any]:
    scheme, _, credential = (authorization or "").partition(" ")
    credential = credential.strip()
    if scheme.lower() != "bearer" or not credential:
        raise Unauthorized("send Authorization: Bearer with a service key or a widget token")
    conversation_id = customer_id = None
    if credential in state.keys:
        principal_for_key(state, credential).require("service")
        by = "service"
    else:
        claims = read_widget_token(state.settings.widget_secret.get_secret_value(), credential)
        if claims.conversation_id is None:
            raise Forbidden("answer with the token of the conversation the offer was made in")
        wait = state.chat_limiter.take(claims.conversation_id)
        if wait is not None:
            raise RateLimited(wait)
        conversation_id, customer_id, by = claims.conversation_id, claims.customer_id, "widget"
    answer = await run_in_threadpool(
        answer_offer,
        state.sessions,
        offer_id,
        accepted=accepted,
        by=by,
        conversation_id=conversation_id,
        customer_id=customer_id,
    )
    return {"offer": answer.offer, "changed": answer.changed}


@router.post("/{offer_id}/accept")
async def accept_offer(
    offer_id: OfferId, state: StateDep, authorization: Annotated[str | None, Header()] = None
) -> dict[str, Any]:
    """The customer accepts the offer (service key, or the conversation's widget token)."""
    return await _answer(state, offer_id, authorization, accepted=True)


@router.post("/{offer_id}/decline")
async def decline_offer(
    offer_id: OfferId, state: StateDep, authorization: Annotated[str | None, Header()] = None
) -> dict[str, Any]:
    """The customer declines the offer: its amount is no longer goodwill given."""
    return await _answer(state, offer_id, authorization, accepted=False)
