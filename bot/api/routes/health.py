"""Liveness with a real database round trip."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from bot.api.deps import StateDep
from bot.errors import StoreUnavailable
from bot.store import ping

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz(state: StateDep) -> dict[str, Any]:
    def round_trip() -> None:
        with state.sessions() as s:
            ping(s)

    try:
        await run_in_threadpool(round_trip)
    except Exception as exc:
        raise StoreUnavailable("database unreachable") from exc
    return {
        "status": "ok",
        "policy_version": state.policy.version,
        "llm": state.settings.llm,
        "triage": "ready" if state.triager is not None else "on first use",
    }
