"""Agent assist: a draft with its decision and reasons; an agent approves, edits or rejects."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from bot.api._limits import check_message
from bot.api.deps import PipelineDep, PrincipalDep, SessionsDep
from bot.service import TicketRequest, approve_draft, create_assist_draft

router = APIRouter(prefix="/v1/assist", tags=["assist"])


class Approval(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agent: str = Field(min_length=1, max_length=200)
    edited_text: str | None = Field(default=None, max_length=5000)
    reject: bool = False


@router.post("/drafts")
async def create_draft(
    body: TicketRequest,
    principal: PrincipalDep,
    pipeline: PipelineDep,
) -> dict[str, Any]:
    """Draft a reply for an agent: the text, the decision and the reasons behind it."""
    principal.require("agent")
    check_message(pipeline.settings, body.message)
    return await run_in_threadpool(
        create_assist_draft,
        pipeline.sessions,
        body,
        agent=principal.label,
        **pipeline.tools(),
    )


@router.post("/drafts/{draft_id}/approve")
async def approve(
    draft_id: str, body: Approval, principal: PrincipalDep, sessions: SessionsDep
) -> dict[str, Any]:
    """Approve as is, approve an edit (guarded: money beyond the decision is a 422), or reject."""
    principal.require("agent")
    return await run_in_threadpool(
        approve_draft,
        sessions,
        draft_id,
        agent=body.agent,
        edited_text=body.edited_text,
        reject=body.reject,
    )
