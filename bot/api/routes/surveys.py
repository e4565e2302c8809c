"""Perception answers: pre (at ticket open) and post (the follow-up survey), 0-100."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from bot.api.deps import PrincipalDep, SessionsDep
from bot.service import record_survey

router = APIRouter(prefix="/v1", tags=["surveys"])


class SurveyAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ticket_id: str = Field(min_length=1, max_length=64)
    phase: Literal["pre", "post"]
    score: float = Field(ge=0, le=100)


@router.post("/surveys", status_code=201)
async def create_survey(
    body: SurveyAnswer, principal: PrincipalDep, sessions: SessionsDep
) -> dict[str, str]:
    principal.require("service")
    await run_in_threadpool(
        record_survey, sessions, ticket_id=body.ticket_id, phase=body.phase, score=body.score
    )
    return {"status": "recorded"}
