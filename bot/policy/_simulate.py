"""Backtest: what a policy would have given on past cases, to see a change's cost first."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from bot.domain import Case
from bot.policy._engine import decide
from bot.policy._schema import Policy

__all__ = ["SimulationSummary", "simulate"]


@dataclass
class SimulationSummary:
    policy_version: str
    cases: int = 0
    escalations: int = 0
    total_goodwill: Decimal = Decimal(0)
    total_clv: Decimal = Decimal(0)
    by_kind: Counter[str] = field(default_factory=Counter)
    goodwill_by_tier: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    goodwill_by_category: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))

    @property
    def mean_goodwill(self) -> Decimal:
        return (
            (self.total_goodwill / self.cases).quantize(Decimal("0.01"))
            if self.cases
            else Decimal(0)
        )

    @property
    def goodwill_share_of_clv(self) -> Decimal:
        """Goodwill as a share of the CLV of the customers who complained (0.2 = 20%)."""
        if self.total_clv <= 0:
            return Decimal(0)
        return (self.total_goodwill / self.total_clv).quantize(Decimal("0.0001"))


def simulate(cases: Iterable[Case], policy: Policy) -> SimulationSummary:
    out = SimulationSummary(policy_version=policy.version)
    for case in cases:
        d = decide(case, policy)
        out.cases += 1
        out.escalations += d.escalate
        out.by_kind[d.offer.kind.value] += 1
        out.total_goodwill += d.offer.amount
        out.total_clv += max(case.customer.clv, Decimal(0))
        out.goodwill_by_tier[case.customer.tier.value] += d.offer.amount
        out.goodwill_by_category[case.issue.category.value] += d.offer.amount
    return out
