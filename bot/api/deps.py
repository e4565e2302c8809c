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
    "DrafterDep",
    "FxDep",
    "PolicyDep",
    "PrincipalDep",
    "SessionsDep",
    "SettingsDep",
    "StateDep",
    "TriagerDep",
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


def get_policy(state: StateDep) -> Policy:
    return state.policy


def get_fx(state: StateDep) -> FxRates:
    return state.fx


def get_triager(state: StateDep) -> Triager | None:
    return state.triager


def get_drafter(state: StateDep) -> Drafter:
    return state.drafter


def get_settings_dep(state: StateDep) -> Settings:
    return state.settings


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


SessionsDep = Annotated[Sessions, Depends(get_sessions)]
PolicyDep = Annotated[Policy, Depends(get_policy)]
DrafterDep = Annotated[Drafter, Depends(get_drafter)]
FxDep = Annotated[FxRates, Depends(get_fx)]
TriagerDep = Annotated[Triager | None, Depends(get_triager)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
