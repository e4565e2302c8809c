"""Experiments in the service: the running experiment's sticky arm picks the ticket's policy.

`choose_arm` runs before the policy does, on every channel (they all go through
`handle_ticket`). The arm's policy is the text stored when the experiment was created, so it
passed `policy check` then and cannot drift. An arm's spend cap becomes a goodwill budget for
that arm: the policy engine already never lets a cap pass what a budget leaves, and escalates
to a person when it is used up, so a capped arm can never overspend by even one offer.
"""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.domain import OfferDecision
from bot.errors import InputError
from bot.experiments import ArmSpec, ExperimentSpec, assign_arm
from bot.policy import Policy, load_policy, parse_policy
from bot.service._seam import store_errors
from bot.store import (
    Experiment,
    Session,
    Sessions,
    arm_spend,
    create_experiment,
    goodwill_spent_since,
    list_experiments,
    running_experiment,
    stop_experiment,
    utcnow,
)

__all__ = [
    "ArmChoice",
    "arm_specs",
    "choose_arm",
    "end_experiment",
    "experiment_list",
    "start_experiment",
]


@dataclass(frozen=True)
class ArmChoice:
    experiment_id: str
    experiment: str
    arm: str
    policy: Policy
    cap_note: str | None = None

    def label(self, decision: OfferDecision) -> OfferDecision:
        """The decision's reasons say which experiment and arm chose its policy."""
        reasons = [*decision.reasons, f"experiment {self.experiment} arm {self.arm}"]
        if self.cap_note:
            reasons.append(self.cap_note)
        return decision.model_copy(update={"reasons": reasons})


@functools.lru_cache(maxsize=32)
def _policy(text: str, source: str) -> Policy:
    return parse_policy(text, source)


def choose_arm(
    sessions: Sessions, customer_id: str, *, now: datetime | None = None
) -> ArmChoice | None:
    """The customer's arm in the running experiment (None when none runs)."""
    with sessions() as s:
        return choose_arm_in(s, customer_id, now=now)


def choose_arm_in(s: Session, customer_id: str, *, now: datetime | None = None) -> ArmChoice | None:
    """As `choose_arm`, in the caller's session (one round trip fewer per ticket)."""
    exp = running_experiment(s)
    if exp is None:
        return None
    return _arm_choice(s, exp, customer_id, now or utcnow())


def _arm_choice(s: Session, exp: Experiment, customer_id: str, now: datetime) -> ArmChoice:
    shares = [(str(a["name"]), Decimal(str(a["share"]))) for a in exp.arms]
    name = assign_arm(customer_id, exp.salt, shares)
    arm = next(a for a in exp.arms if a["name"] == name)
    policy = _policy(str(arm["policy_text"]), f"experiment {exp.name} arm {name}")
    cap_note = None
    if arm.get("spend_cap") is not None:
        cap = Decimal(str(arm["spend_cap"]))
        left = max(cap - arm_spend(s, exp.id, name), Decimal(0))
        day = now.replace(hour=0, minute=0, second=0, microsecond=0)
        # The engine's "daily budget left" becomes `left` (both in the base currency).
        daily = goodwill_spent_since(s, day) + left
        if policy.budget.daily is not None:
            daily = min(daily, policy.budget.daily)
        budget = policy.budget.model_copy(update={"daily": daily})
        policy = policy.model_copy(update={"budget": budget})
        cap_note = f"arm {name} spend cap {cap}: {left} left"
    return ArmChoice(exp.id, exp.name, name, policy, cap_note)


def arm_specs(
    arms: list[tuple[str, Path]],
    *,
    control: str,
    shares: dict[str, Decimal] | None = None,
    caps: dict[str, Decimal] | None = None,
) -> list[ArmSpec]:
    """Arms from policy files: every file must pass `policy check` (PolicyError otherwise)."""
    names = [n for n, _ in arms]
    for what, given in (("--share", shares or {}), ("--cap", caps or {})):
        unknown = sorted(set(given) - set(names))
        if unknown:
            raise InputError(what, f"no arm named {', '.join(unknown)} (arms: {', '.join(names)})")
    if control not in names:
        raise InputError("--control", f"no arm named {control!r} (arms: {', '.join(names)})")
    if shares:
        missing = [n for n in names if n not in shares]
        if missing:
            raise InputError(
                "--share", f"give every arm a share or none (missing {', '.join(missing)})"
            )
    specs = []
    policies = {name: load_policy(path) for name, path in arms}
    owed = [r for r in policies[control].compiled_rules if r.kind == "entitlement"]
    for name, policy in policies.items():
        mine = policy.compiled_rules
        dropped = [r.name for r in owed if r not in mine]
        if dropped:
            raise InputError(
                f"arm {name}",
                f"drops the control's entitlement rule(s) {', '.join(dropped)}: money owed by law "
                "or contract is never withheld by an experiment arm",
            )
    for name, path in arms:
        policy = policies[name]
        specs.append(
            ArmSpec(
                name=name,
                policy_path=str(path),
                policy_text=path.read_text(encoding="utf-8"),
                policy_version=policy.version,
                share=(shares or {}).get(name, Decimal(1) / Decimal(len(arms))),
                control=name == control,
                spend_cap=(caps or {}).get(name),
            )
        )
    return specs


@store_errors
def start_experiment(
    sessions: Sessions,
    *,
    name: str,
    arms: list[ArmSpec],
    metric_window_days: int = 90,
    salt: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Validate and start an experiment; refused while another runs."""
    from pydantic import ValidationError

    try:
        spec = ExperimentSpec(
            name=name,
            salt=salt or secrets.token_hex(8),
            arms=arms,
            metric_window_days=metric_window_days,
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "experiment"
        raise InputError(field, err["msg"].removeprefix("Value error, ")) from exc
    with sessions.begin() as s:
        row = create_experiment(
            s,
            name=spec.name,
            salt=spec.salt,
            metric_window_days=spec.metric_window_days,
            arms=[a.model_dump(mode="json") for a in spec.arms],
            now=now,
        )
        return _describe(row, {})


@store_errors
def experiment_list(sessions: Sessions) -> list[dict[str, Any]]:
    with sessions() as s:
        return [_describe(row, counts) for row, counts in list_experiments(s)]


@store_errors
def end_experiment(sessions: Sessions, name: str, *, now: datetime | None = None) -> dict[str, Any]:
    with sessions.begin() as s:
        return _describe(stop_experiment(s, name, now=now), {})


def _describe(row: Experiment, exposures: dict[str, int]) -> dict[str, Any]:
    return {
        "experiment": row.name,
        "status": row.status,
        "started_at": row.started_at.isoformat(),
        "stopped_at": row.stopped_at.isoformat() if row.stopped_at else None,
        "metric_window_days": row.metric_window_days,
        "arms": [
            {
                "arm": a["name"],
                "control": a["control"],
                "share": a["share"],
                "policy": a["policy_path"],
                "policy_version": a["policy_version"],
                "spend_cap": a.get("spend_cap"),
                "exposures": exposures.get(a["name"], 0),
            }
            for a in row.arms
        ],
    }
