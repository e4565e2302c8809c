"""Dependencies as `Annotated` aliases, so handler signatures read as their needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request

from bot.api._limits import Limiter
from bot.api._security import Principal
from bot.config import Settings
from bot.drafting import Drafter
from bot.errors import Unauthorized
from bot.fx import FxRates
from bot.policy import Policy
from bot.store import Sessions
from bot.triage import Triager

__all__ = [
    "AppState",
    "Pipeline",
    "PipelineDep",
    "PrincipalDep",
    "SessionsDep",
    "StateDep",
]


@dataclass
class AppState:
    """What the app built once at start-up and every request shares."""

    settings: Settings
    sessions: Sessions
    policy: Policy
    drafter: Drafter
    keys: dict[str, Any]
    limiter: Limiter
    chat_limiter: Limiter
    fx: FxRates = field(default_factory=FxRates)
    # Trained (or read from its cache) before the app answers anything, /healthz included: the
    # first tickets of a fresh `serve` would otherwise wait for it.
    triager: Triager | None = None


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.appease
    return state


StateDep = Annotated[AppState, Depends(get_state)]


def get_sessions(state: StateDep) -> Sessions:
    return state.sessions


def get_principal(request: Request, state: StateDep) -> Principal:
    """`Authorization: Bearer KEY`; the key's role comes from APPEASE_API_KEYS."""
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key:
        raise Unauthorized("missing API key: send Authorization: Bearer KEY")
    return principal_for_key(state, key)


def principal_for_key(state: AppState, key: str) -> Principal:
    found = state.keys.get(key.strip())
    if found is None:
        raise Unauthorized("unknown API key")
    wait = state.limiter.take(key)
    if wait is not None:
        from bot.api._errors import RateLimited

        raise RateLimited(wait)
    return Principal(role=found.role, label=f"{found.role}-key")


@dataclass(frozen=True)
class Pipeline:
    """What a route that resolves tickets hands to `bot.service`: one dependency, not six."""

    sessions: Sessions
    policy: Policy
    drafter: Drafter
    fx: FxRates
    triager: Triager | None
    settings: Settings

    def tools(self) -> dict[str, Any]:
        """The keyword arguments every ticket-resolving service function takes."""
        return {
            "policy": self.policy,
            "drafter": self.drafter,
            "fx": self.fx,
            "triager": self.triager,
        }


def get_pipeline(state: StateDep) -> Pipeline:
    return Pipeline(
        sessions=state.sessions,
        policy=state.policy,
        drafter=state.drafter,
        fx=state.fx,
        triager=state.triager,
        settings=state.settings,
    )


SessionsDep = Annotated[Sessions, Depends(get_sessions)]
PipelineDep = Annotated[Pipeline, Depends(get_pipeline)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
