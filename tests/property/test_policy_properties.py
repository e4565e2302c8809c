"""The money invariants of the policy engine, over any case (10,000 examples each in CI)."""

from __future__ import annotations

import os
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import OfferKind, Tier, minor_unit
from bot.policy import Policy, decide, load_policy
from tests.strategies import cases

POLICY = load_policy()
POLICY_AGAIN = load_policy()
EXAMPLES = 10_000 if os.environ.get("HYPOTHESIS_PROFILE") == "ci" else 500
REFUNDS = {OfferKind.refund_partial, OfferKind.refund_full}


def limits(case, policy: Policy) -> tuple[Decimal, Decimal, Decimal]:
    tier = policy.tiers[case.customer.tier]
    seg = policy.segments.get(case.customer.segment)
    share = seg.clv_share if seg and seg.clv_share is not None else tier.clv_share
    order_share = policy.categories[case.issue.category].order_share[case.issue.severity - 1]
    return (
        share * case.customer.residual_clv,
        tier.max_amount,
        order_share * case.order.value,
    )


@settings(max_examples=EXAMPLES)
@given(cases())
def test_money_invariants_hold_for_any_case(case) -> None:
    """One example checks every per-case invariant, so CI runs each of them 10,000 times."""
    d = decide(case, POLICY)
    # amount <= cap <= each limit, in the order's currency, rounded to its minor unit
    assert Decimal(0) <= d.offer.amount <= d.cap
    for limit in limits(case, POLICY):
        assert d.cap <= max(limit, Decimal(0))
    assert d.offer.currency == case.order.currency
    unit = minor_unit(case.order.currency)
    assert d.cap == d.cap.quantize(unit) and d.offer.amount == d.offer.amount.quantize(unit)
    # residual CLV at or below zero: no money
    if case.customer.residual_clv <= 0:
        assert d.offer.amount == 0
        assert d.offer.kind in (OfferKind.apology_only, OfferKind.none)
    # low tiers never get refunds; nobody gets a kind their tier may not have
    if case.customer.tier in (Tier.bronze, Tier.silver):
        assert d.offer.kind not in REFUNDS
    assert d.offer.kind in POLICY.tiers[case.customer.tier].kinds or d.offer.amount == 0
    # repeat claimants escalate without money
    abuse = POLICY.abuse
    if (
        case.customer.appeasements_90d > abuse.max_appeasements
        or case.customer.appeasement_spend_90d > abuse.max_spend
    ):
        assert d.escalate and d.offer.amount == 0
    # same input, same decision and version (also from a separately loaded policy)
    assert decide(case, POLICY_AGAIN) == d


@settings(max_examples=EXAMPLES)
@given(cases(), st.decimals(min_value=0, max_value=5000, places=2))
def test_more_residual_clv_never_lowers_the_cap(case, extra) -> None:
    richer = case.model_copy(
        update={
            "customer": case.customer.model_copy(
                update={"residual_clv": case.customer.residual_clv + extra}
            )
        }
    )
    assert decide(richer, POLICY).cap >= decide(case, POLICY).cap
