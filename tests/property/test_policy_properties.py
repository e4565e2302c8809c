"""The money invariants of the policy engine, over any case and any valid policy.

Each per-case test checks every invariant in one example, so with HYPOTHESIS_PROFILE=ci each of
them runs 10,000 times (500 locally). Malformed and reformatted policy files write and parse a
whole YAML file per example, so they run a tenth and a twentieth of that; every key of the
shipped policies is also broken one by one in tests/unit/policy/test_schema.py.
"""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import Case, OfferDecision, OfferKind, Tier, minor_unit
from bot.errors import PolicyError
from bot.policy import Policy, decide, load_policy, parse_policy
from tests.strategies import cases, policies, policy_data

POLICY = load_policy()
POLICY_AGAIN = load_policy()
EXAMPLES = 10_000 if os.environ.get("HYPOTHESIS_PROFILE") == "ci" else 500
REFUNDS = {OfferKind.refund_partial, OfferKind.refund_full}
NO_MONEY = {OfferKind.none, OfferKind.apology_only}
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
spends = st.one_of(st.none(), st.decimals(min_value=0, max_value=3000, places=2))


def limits(case: Case, policy: Policy) -> tuple[Decimal, Decimal, Decimal]:
    """The three limits the policy sets for this case, before rounding."""
    tier = policy.tiers[case.customer.tier]
    seg = policy.segments.get(case.customer.segment)
    share = seg.clv_share if seg and seg.clv_share is not None else tier.clv_share
    order_share = policy.categories[case.issue.category].order_share[case.issue.severity - 1]
    return (
        share * case.customer.residual_clv,
        tier.max_amount,
        order_share * case.order.value,
    )


def check_invariants(
    case: Case,
    policy: Policy,
    d: OfferDecision,
    day: Decimal | None = None,
    month: Decimal | None = None,
) -> None:
    # amount <= cap <= each limit, in the order's currency, rounded to its minor unit
    assert Decimal(0) <= d.offer.amount <= d.cap
    for limit in limits(case, policy):
        assert d.cap <= max(limit, Decimal(0))
    if policy.budget.daily is not None and day is not None:
        assert d.cap <= max(policy.budget.daily - day, Decimal(0))
    if policy.budget.monthly is not None and month is not None:
        assert d.cap <= max(policy.budget.monthly - month, Decimal(0))
    assert d.offer.currency == case.order.currency
    unit = minor_unit(case.order.currency)
    assert d.cap == d.cap.quantize(unit) and d.offer.amount == d.offer.amount.quantize(unit)
    # residual CLV at or below zero: no money
    if case.customer.residual_clv <= 0:
        assert d.offer.amount == 0 and d.offer.kind in NO_MONEY
        assert d.escalate == policy.no_residual.escalate
    # nobody gets a kind their tier may not have; refunds only from the policy's refund tier up
    assert d.offer.kind in NO_MONEY or d.offer.kind in policy.tiers[case.customer.tier].kinds
    tiers = list(Tier)
    if tiers.index(case.customer.tier) < tiers.index(policy.refunds_from_tier):
        assert d.offer.kind not in REFUNDS
    # repeat claimants escalate without money
    abuse = policy.abuse
    if case.customer.residual_clv > 0 and (
        case.customer.appeasements_90d > abuse.max_appeasements
        or case.customer.appeasement_spend_90d > abuse.max_spend
    ):
        assert d.escalate and d.offer.amount == 0 and d.offer.kind in NO_MONEY
        assert d.reasons[0].startswith("repeat claimant")
    # explained, and stamped with the policy
    assert d.reasons and d.policy_version == policy.version


@settings(max_examples=EXAMPLES)
@given(cases())
def test_money_invariants_hold_for_any_case_under_the_default_policy(case: Case) -> None:
    d = decide(case, POLICY)
    check_invariants(case, POLICY, d)
    # the default policy keeps refunds from bronze and silver customers
    if case.customer.tier in (Tier.bronze, Tier.silver):
        assert d.offer.kind not in REFUNDS
    # same input, same decision and version (also from a separately loaded policy)
    assert decide(case, POLICY_AGAIN) == d


@settings(max_examples=EXAMPLES)
@given(policies(), cases(), spends, spends, st.decimals(min_value=0, max_value=5000, places=2))
def test_money_invariants_hold_for_any_valid_policy(
    policy: Policy, case: Case, day: Decimal | None, month: Decimal | None, extra: Decimal
) -> None:
    d = decide(case, policy, budget_spent=day, budget_spent_month=month)
    check_invariants(case, policy, d, day, month)
    assert decide(case, policy, budget_spent=day, budget_spent_month=month) == d
    # a higher residual CLV never lowers the cap (under this policy and the default one)
    richer = case.model_copy(
        update={
            "customer": case.customer.model_copy(
                update={"residual_clv": case.customer.residual_clv + extra}
            )
        }
    )
    richer_d = decide(richer, policy, budget_spent=day, budget_spent_month=month)
    assert richer_d.cap >= d.cap
    assert decide(richer, POLICY).cap >= decide(case, POLICY).cap


# A value no leaf of a policy accepts: every leaf is a number, text, flag or list of them.
NOT_A_LEAF = {"oops": [1, 2]}


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every non-mapping value's key path (lists count as one value: replace them whole)."""
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _leaves(v, (*path, k))] or [path]
    return [path]


def _mappings(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(node, dict):
        return [path, *(p for k, v in node.items() for p in _mappings(v, (*path, k)))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _mappings(v, (*path, i))]
    return []


def _at(node: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        node = node[part]
    return node


@settings(max_examples=EXAMPLES // 10)
@given(policy_data(), st.data())
def test_malformed_policy_files_are_rejected_naming_the_key(data: dict[str, Any], draw) -> None:
    if draw.draw(st.booleans(), label="unknown key"):
        where = draw.draw(st.sampled_from(_mappings(data)), label="mapping")
        _at(data, where)["bogus_key"] = 1
        path = (*where, "bogus_key")
    else:
        path = draw.draw(st.sampled_from(_leaves(data)), label="leaf")
        _at(data, path[:-1])[path[-1]] = NOT_A_LEAF
    text = yaml.dump(data, Dumper=DUMPER, sort_keys=False)
    with pytest.raises(PolicyError) as err:
        parse_policy(text, "p.yaml")
    key = ".".join(str(p) for p in path)
    field = err.value.field
    assert field == f"p.yaml:{key}" or field.startswith((f"p.yaml:{key} ", f"p.yaml:{key}."))
    assert "(line " in field


@settings(max_examples=EXAMPLES // 20)
@given(policy_data(), st.randoms(use_true_random=False))
def test_version_ignores_layout_but_not_content(data: dict[str, Any], rng) -> None:
    """Key order and the spelling of numbers (15, 15.0, 15.00) do not change the version."""
    version = parse_policy(yaml.dump(data, Dumper=DUMPER)).version

    def respell(node: Any) -> Any:
        if isinstance(node, dict):
            items = list(node.items())
            rng.shuffle(items)
            return {k: v if k == "version" else respell(v) for k, v in items}
        if isinstance(node, list):
            return [respell(v) for v in node]
        if isinstance(node, str) and node.replace(".", "", 1).isdigit() and "." in node:
            return node + "0"  # "0.15" -> "0.150": same number
        return node

    assert parse_policy(yaml.dump(respell(data), Dumper=DUMPER, sort_keys=False)).version == version
    data["abuse"]["max_appeasements"] += 1
    assert parse_policy(yaml.dump(data, Dumper=DUMPER)).version != version
