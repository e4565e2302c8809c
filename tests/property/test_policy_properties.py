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

from bot.domain import Case, OfferDecision, OfferKind, PolicyCategory, Tier, minor_unit
from bot.errors import PolicyError
from bot.policy import Policy, decide, default_policy_path, load_policy, parse_policy
from tests.property._ladder_before import decide_before
from tests.strategies import cases, policies, policy_data, shares

POLICY = load_policy()
POLICY_AGAIN = load_policy()
EXAMPLES = 10_000 if os.environ.get("HYPOTHESIS_PROFILE") == "ci" else 500
REFUNDS = {OfferKind.refund_partial, OfferKind.refund_full}
NO_MONEY = {OfferKind.none, OfferKind.apology_only}
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
DEFAULT_TEXT = default_policy_path().read_text(encoding="utf-8")
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
        if not policy.compiled_rules:
            assert d.reasons[0].startswith("repeat claimant")
        else:  # a rule's reasons first say which rule applied and how its amount was reached
            assert any(
                r.startswith("repeat claimant") or r == "a person works out the amount"
                for r in d.reasons
            )
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


# Rulebooks: the ladder unchanged, goodwill under today's caps, entitlements as written --------

attribute_values = st.one_of(
    st.booleans(),
    st.integers(-5, 5000),
    st.text(max_size=6),
    st.floats(-10, 5000, allow_nan=False, allow_infinity=False),
)
attributes = st.dictionaries(
    st.sampled_from(["vip", "n", "kg", "cabin", "insured", "passengers"]),
    attribute_values,
    max_size=4,
)


def _with_attributes(case: Case, customer: dict, order: dict, issue: dict) -> Case:
    return case.model_copy(
        update={
            "customer": case.customer.model_copy(update={"attributes": customer}),
            "order": case.order.model_copy(update={"attributes": order}),
            "issue": case.issue.model_copy(update={"attributes": issue}),
        }
    )


@settings(max_examples=EXAMPLES)
@given(policies(), cases(), spends, spends, attributes, attributes, attributes)
def test_a_policy_without_rules_decides_exactly_as_before(
    policy: Policy, case: Case, day, month, customer, order, issue
) -> None:
    """Same offer, cap, escalation, reasons and version as the engine before rulebooks, and
    attributes change nothing a policy without rules decides."""
    before = decide_before(case, policy, budget_spent=day, budget_spent_month=month)
    assert decide(case, policy, budget_spent=day, budget_spent_month=month) == before
    with_attrs = _with_attributes(case, customer, order, issue)
    assert decide(with_attrs, policy, budget_spent=day, budget_spent_month=month) == before
    assert decide(case, POLICY) == decide_before(case, POLICY)


GOODWILL_RULES = """
rules:
  - name: vip per unit
    when: {{customer.vip: true}}
    offer: store_credit
    amount: {{fixed: {fixed}, per: order.n}}
  - name: heavy parcels
    when: {{order.kg: {{above: {kg}}}}}
    offer: {offer}
    amount:
      bands:
        by: order.kg
        rows:
          - {{up_to: {kg2}, amount: {band1}}}
          - {{amount: {band2}}}
    reduce: [{{name: small order, when: {{order_value: {{below: 20}}}}, by: {cut}}}]
  - name: share of the order
    when: {{severity: {{at_least: {sev}}}}}
    amount: {{share_of_order: {share}}}
"""


@settings(max_examples=EXAMPLES)
@given(
    cases(),
    spends,
    spends,
    attributes,
    attributes,
    st.decimals(0, 5000, places=2),
    st.decimals(0, 2000, places=2),
    st.decimals(0, 900, places=2),
    st.decimals(0, 900, places=2),
    shares,
    shares,
    st.integers(1, 3),
    st.sampled_from(["discount_code", "store_credit", "refund_partial"]),
)
def test_goodwill_from_rules_never_exceeds_todays_caps(
    case, day, month, customer, order, fixed, kg, band1, band2, cut, share, sev, offer
) -> None:
    text = DEFAULT_TEXT.replace("  daily: null\n  monthly: null", "  daily: 400\n  monthly: 5000")
    text += GOODWILL_RULES.format(
        fixed=fixed,
        kg=kg,
        kg2=kg + 100,
        band1=band1,
        band2=band2,
        cut=cut,
        share=share,
        sev=sev,
        offer=offer,
    )
    policy = parse_policy(text)
    case = _with_attributes(case, customer, order, {})
    d = decide(case, policy, budget_spent=day, budget_spent_month=month)
    assert d.offer.basis == "goodwill"
    check_invariants(case, policy, d, day, month)


EU = load_policy(default_policy_path().parent / "examples" / "eu261.yaml")
hours = st.one_of(
    st.none(),
    st.sampled_from([0, 1, 1.99, 2, 2.01, 2.99, 3, 3.01, 3.5, 3.99, 4, 4.01, 24]),
    st.floats(0, 48, allow_nan=False).map(lambda h: round(h, 2)),
)
flags = st.one_of(st.none(), st.booleans())


@st.composite
def eu_cases(draw: st.DrawFn) -> Case:
    base = draw(cases())
    order = {
        "distance_km": draw(
            st.one_of(
                st.sampled_from([1, 1499, 1500, 1500.5, 1501, 3499, 3500, 3500.01, 3501, 9000]),
                st.integers(1, 15000),
            )
        ),
        "intra_eu": draw(flags),
        "departs_eu": draw(flags),
        "arrives_eu": draw(flags),
        "eu_carrier": draw(flags),
        "passengers": draw(st.integers(0, 9)),
    }
    issue = {
        "arrival_delay_hours": draw(hours),
        "notice_days": draw(
            st.one_of(
                st.none(), st.sampled_from([0, 6, 6.99, 7, 13, 13.99, 14]), st.integers(0, 60)
            )
        ),
        "rerouted": draw(flags),
        "reroute_departs_earlier_hours": draw(hours),
        "reroute_arrival_delay_hours": draw(hours),
        "extraordinary": draw(flags),
    }
    category = draw(st.sampled_from(["flight_delayed", "flight_cancelled"]))
    case = base.model_copy(
        update={
            "order": base.order.model_copy(update={"currency": "EUR"}),
            "issue": base.issue.model_copy(update={"category": PolicyCategory(category)}),
        }
    )
    drop = lambda d: {k: v for k, v in d.items() if v is not None}  # noqa: E731
    return _with_attributes(case, {}, drop(order), drop(issue))


def eu261_owed(case: Case) -> Decimal:
    """Article 7 as the issue states it, written out longhand: the test's own reading."""
    o, i = case.order.attributes, case.issue.attributes
    if i.get("extraordinary") is True:
        return Decimal(0)
    if not (
        o.get("departs_eu") is True or (o.get("arrives_eu") is True and o.get("eu_carrier") is True)
    ):
        return Decimal(0)
    d = o["distance_km"]
    band = 250 if d <= 1500 else 400 if d <= 3500 or o.get("intra_eu") is True else 600
    late = i.get("reroute_arrival_delay_hours")
    rerouted = i.get("rerouted") is True
    if case.issue.category == "flight_delayed":
        h = i.get("arrival_delay_hours")
        if h is None or h < 3:
            return Decimal(0)
        amount = Decimal(band) / 2 if band == 600 and h < 4 else Decimal(band)
    else:
        n, early = i.get("notice_days"), i.get("reroute_departs_earlier_hours")
        close = rerouted and early is not None and late is not None
        if n is not None and n >= 14:
            return Decimal(0)
        if n is not None and 7 <= n < 14 and close and early <= 2 and late < 4:
            return Decimal(0)
        if n is not None and n < 7 and close and early <= 1 and late < 2:
            return Decimal(0)
        limit = {250: 2, 400: 3, 600: 4}[band]
        halved = rerouted and late is not None and late <= limit
        amount = Decimal(band) / 2 if halved else Decimal(band)
    return amount * o["passengers"]


@settings(max_examples=EXAMPLES)
@given(eu_cases(), spends, spends)
def test_entitlements_always_equal_the_rulebook(case: Case, day, month) -> None:
    """Whatever the customer's CLV, history or the budget, EU261 pays what Article 7 says."""
    d = decide(case, EU, budget_spent=day, budget_spent_month=month)
    assert d.offer.basis == "entitlement"
    assert d.offer.amount == eu261_owed(case) == d.cap
    assert not d.escalate
    assert d.reasons and d.policy_version == EU.version
