"""The backtest: what a policy would have cost on past cases, counted the way a business asks."""

from __future__ import annotations

from decimal import Decimal

from bot.policy import decide, default_policy_path, load_policy, simulate
from tests.factories import make_case

POLICY = load_policy()
STRICT = load_policy(default_policy_path().with_name("strict.yaml"))
GENEROUS = load_policy(default_policy_path().with_name("generous.yaml"))
CASES = [
    make_case(customer_id=f"c{i}", tier=t, clv="400", order_value="90", category=c, severity=s)
    for i, (t, c, s) in enumerate(
        (t, c, s)
        for t in ("bronze", "gold")
        for c in ("late_delivery", "damaged_item")
        for s in (1, 3)
    )
]


def test_totals_are_the_sum_of_the_decisions() -> None:
    summary = simulate(CASES, POLICY)
    decisions = [decide(c, POLICY) for c in CASES]
    assert summary.cases == 8 and summary.policy_version == POLICY.version
    assert summary.total_goodwill("USD") == sum(d.offer.amount for d in decisions)
    assert summary.escalations == sum(d.escalate for d in decisions)
    assert sum(summary.overall.by_kind.values()) == 8
    assert summary.overall.money_offers == sum(d.offer.amount > 0 for d in decisions)


def test_goodwill_share_of_clv_and_mean_per_ticket() -> None:
    summary = simulate(CASES, POLICY)
    total = summary.total_goodwill("USD")
    assert summary.overall.share_of_clv("USD") == (total / Decimal(3200)).quantize(
        Decimal("0.0001")
    )
    assert summary.overall.mean_goodwill("USD") == (total / 8).quantize(Decimal("0.01"))


def test_breakdowns_by_tier_and_category_add_up_to_the_total() -> None:
    summary = simulate(CASES, POLICY)
    assert set(summary.by_tier) == {"bronze", "gold"}
    assert set(summary.by_category) == {"late_delivery", "damaged_item"}
    for groups in (summary.by_tier, summary.by_category):
        assert sum(g.cases for g in groups.values()) == summary.cases
        assert sum(g.goodwill["USD"] for g in groups.values()) == summary.total_goodwill("USD")
        assert sum(g.escalations for g in groups.values()) == summary.escalations
    # gold's higher share and limits cost more than bronze's on the same complaints
    assert summary.by_tier["gold"].goodwill["USD"] > summary.by_tier["bronze"].goodwill["USD"]


def test_strict_costs_less_and_generous_more_than_the_default() -> None:
    base = simulate(CASES, POLICY).total_goodwill("USD")
    assert simulate(CASES, STRICT).total_goodwill("USD") < base
    assert simulate(CASES, GENEROUS).total_goodwill("USD") > base


def test_money_in_different_currencies_is_never_added_together() -> None:
    cases = [make_case(order_id="a", currency="USD"), make_case(order_id="b", currency="EUR")]
    summary = simulate(cases, POLICY)
    assert summary.currencies == ["EUR", "USD"]
    for cur, case in zip(("USD", "EUR"), cases, strict=True):
        assert summary.total_goodwill(cur) == decide(case, POLICY).offer.amount
        assert summary.overall.mean_goodwill(cur) == decide(case, POLICY).offer.amount


def test_escalations_are_counted_with_their_rate() -> None:
    cases = [make_case(appeasements_90d=9), make_case(residual_clv="0"), make_case()]
    summary = simulate(cases, POLICY)
    assert summary.escalations == 2
    assert summary.overall.escalation_rate == Decimal("0.6667")


def test_no_cases_is_an_empty_summary() -> None:
    summary = simulate([], POLICY)
    assert summary.cases == 0 and summary.currencies == []
    assert summary.overall.share_of_clv("USD") == 0 and summary.overall.escalation_rate == 0
