"""Automated ticket responses: `POST /v1/tickets` and `GET /v1/offers`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from starlette.concurrency import run_in_threadpool

from bot.api._limits import check_message
from bot.api.deps import PipelineDep, PrincipalDep, SessionsDep
from bot.service import TicketRequest, TicketResponse, handle_ticket, offers_for_order

router = APIRouter(prefix="/v1", tags=["tickets"])


@router.post("/tickets", response_model=TicketResponse)
async def create_ticket(
    body: TicketRequest,
    principal: PrincipalDep,
    pipeline: PipelineDep,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> TicketResponse:
    """Resolve a ticket: decision, guarded reply. Same Idempotency-Key + body: same response."""
    principal.require("service")
    check_message(pipeline.settings, body.message)
    return await run_in_threadpool(
        handle_ticket,
        pipeline.sessions,
        body,
        channel="api",
        idempotency_key=idempotency_key,
        **pipeline.tools(),
    )


@router.get("/offers")
async def list_offers(
    principal: PrincipalDep,
    sessions: SessionsDep,
    order_id: Annotated[str, Query(min_length=1, max_length=200)],
) -> dict[str, Any]:
    """The offers recorded for an order (the goodwill ledger)."""
    principal.require("service", "agent")
    return {
        "order_id": order_id,
        "offers": await run_in_threadpool(offers_for_order, sessions, order_id),
    }
