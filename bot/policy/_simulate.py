"""Backtest: what a policy would have given on past cases, to see a change's cost first.

Money is summed per currency (a dollar and a euro never add up); counts are over all cases.
Budgets are not replayed: past tickets carry no spend-so-far, so the totals show what the
rules alone would cost.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from bot.domain import Case, OfferDecision
from bot.policy._engine import decide
from bot.policy._schema import Policy

__all__ = ["SimulationGroup", "SimulationSummary", "simulate"]


def _ratio(num: Decimal, den: Decimal, places: str) -> Decimal:
    return (num / den).quantize(Decimal(places)) if den > 0 else Decimal(0)


@dataclass
class SimulationGroup:
    """Totals over one slice of the cases (all of them, one tier, one category)."""

    cases: int = 0
    escalations: int = 0
    money_offers: int = 0  # offers with a money value (not apologies)
    by_kind: Counter[str] = field(default_factory=Counter)
    goodwill: dict[str, Decimal] = field(default_factory=dict)
    entitlement: dict[str, Decimal] = field(default_factory=dict)  # owed, counted apart
    clv: dict[str, Decimal] = field(default_factory=dict)
    cases_in: Counter[str] = field(default_factory=Counter)  # cases per currency

    def add(self, case: Case, decision: OfferDecision) -> None:
        cur = case.order.currency
        self.cases += 1
        self.cases_in[cur] += 1
        self.escalations += decision.escalate
        self.money_offers += decision.offer.amount > 0
        self.by_kind[decision.offer.kind.value] += 1
        if decision.offer.basis == "entitlement":
            self.entitlement[cur] = self.entitlement.get(cur, Decimal(0)) + decision.offer.amount
        else:
            self.goodwill[cur] = self.goodwill.get(cur, Decimal(0)) + decision.offer.amount
        self.clv[cur] = self.clv.get(cur, Decimal(0)) + max(case.customer.clv, Decimal(0))

    def mean_goodwill(self, currency: str) -> Decimal:
        """Goodwill per case in that currency (cases in other currencies not counted)."""
        n = self.cases_in.get(currency, 0)
        return _ratio(self.goodwill.get(currency, Decimal(0)), Decimal(n), "0.01")

    def share_of_clv(self, currency: str) -> Decimal:
        """Goodwill over the CLV of the customers who complained (0.2 = 20%)."""
        return _ratio(
            self.goodwill.get(currency, Decimal(0)), self.clv.get(currency, Decimal(0)), "0.0001"
        )

    @property
    def escalation_rate(self) -> Decimal:
        return _ratio(Decimal(self.escalations), Decimal(self.cases), "0.0001")


@dataclass
class SimulationSummary:
    """A policy's backtest: everything, and the same measures by tier and by category."""

    policy_version: str
    overall: SimulationGroup = field(default_factory=SimulationGroup)
    by_tier: dict[str, SimulationGroup] = field(default_factory=dict)
    by_category: dict[str, SimulationGroup] = field(default_factory=dict)

    @property
    def cases(self) -> int:
        return self.overall.cases

    @property
    def escalations(self) -> int:
        return self.overall.escalations

    @property
    def currencies(self) -> list[str]:
        return sorted(self.overall.goodwill)

    def total_goodwill(self, currency: str) -> Decimal:
        return self.overall.goodwill.get(currency, Decimal(0))


def simulate(cases: Iterable[Case], policy: Policy) -> SimulationSummary:
    """Decide every case under `policy` and add up offers, goodwill and escalations."""
    out = SimulationSummary(policy_version=policy.version)
    for case in cases:
        decision = decide(case, policy)
        groups = (
            out.overall,
            out.by_tier.setdefault(case.customer.tier.value, SimulationGroup()),
            out.by_category.setdefault(str(case.issue.category), SimulationGroup()),
        )
        for group in groups:
            group.add(case, decision)
    return out
