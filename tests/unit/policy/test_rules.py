"""Rules a business writes: conditions, amounts, kinds, and the errors and warnings it sees."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from bot.domain import Case, OfferKind, PolicyCategory
from bot.errors import InputError, PolicyError
from bot.policy import decide, default_policy_path, explain, load_policy, parse_policy
from tests.factories import case_dict, make_case

DEFAULT_TEXT = default_policy_path().read_text(encoding="utf-8")
TIERS = """
tiers:
  bronze: {clv_share: 0.10, max_amount: 15, kinds: [discount_code, store_credit]}
  silver: {clv_share: 0.15, max_amount: 40, kinds: [discount_code, store_credit]}
  gold: {clv_share: 0.20, max_amount: 100, kinds: [discount_code, store_credit, refund_partial]}
  platinum: {clv_share: 0.25, max_amount: 250, kinds: [store_credit, refund_partial]}
"""


def rulebook(rules: str, extra: str = TIERS) -> str:
    return f'version: "t"\nissue_categories:\n  lost_bag: a lost bag\nrules:\n{rules}{extra}'


def case(
    category: str = "lost_bag",
    *,
    customer: dict[str, Any] | None = None,
    order: dict[str, Any] | None = None,
    issue: dict[str, Any] | None = None,
    **over: Any,
) -> Case:
    data = case_dict(**{"category": category, "clv": "1000", "residual_clv": "1000", **over})
    data["customer"]["attributes"] = customer or {}
    data["order"]["attributes"] = order or {}
    data["issue"]["attributes"] = issue or {}
    return Case.model_validate(data)


ENTITLED = """  - name: bag fee
    kind: entitlement
    when: {WHEN}
    offer: refund_partial
    amount: {fixed: 10}
"""


def matches(when: str, c: Case) -> bool:
    policy = parse_policy(rulebook(ENTITLED.replace("{WHEN}", when), ""))
    return decide(c, policy).offer.amount == Decimal(10)


@pytest.mark.parametrize(
    ("when", "attrs", "expected"),
    [
        ("{order.cabin: business}", {"cabin": "business"}, True),
        ("{order.cabin: business}", {"cabin": "economy"}, False),
        ("{order.cabin: business}", {}, False),  # missing means false
        ("{order.cabin: {is_not: business}}", {}, False),  # even for is_not
        ("{order.cabin: {is_not: business}}", {"cabin": "economy"}, True),
        ("{order.cabin: {in: [business, first]}}", {"cabin": "first"}, True),
        ("{order.cabin: {not_in: [business, first]}}", {"cabin": "first"}, False),
        ("{order.cabin: {present: false}}", {}, True),
        ("{order.cabin: {present: true}}", {"cabin": "x"}, True),
        ("{order.weight: {above: 20}}", {"weight": 20}, False),
        ("{order.weight: {above: 20}}", {"weight": 20.01}, True),
        ("{order.weight: {at_least: 20}}", {"weight": 20}, True),
        ("{order.weight: {below: 20}}", {"weight": 19.99}, True),
        ("{order.weight: {at_most: 20}}", {"weight": 20.0}, True),
        ("{order.weight: {at_least: 10, below: 20}}", {"weight": 15}, True),
        ("{order.weight: {at_least: 10, below: 20}}", {"weight": 20}, False),
        ("{order.weight: {above: 1}}", {"weight": "heavy"}, False),  # text is not a number
        ("{order.weight: {above: 0}}", {"weight": True}, False),  # nor is a boolean
        ("{order.insured: true}", {"insured": 1}, False),  # 1 is not true
        ("{order.insured: true}", {"insured": True}, True),
        ("{order.count: 3}", {"count": 3.0}, True),
        ("{order.ratio: 0.1}", {"ratio": 0.1}, True),
        ("{not: {order.insured: true}}", {}, True),
        ("{or: [{order.a: 1}, {order.b: 1}]}", {"b": 1}, True),
        ("{or: [{order.a: 1}, {order.b: 1}]}", {"c": 1}, False),
        ("{and: [{order.a: 1}, {order.b: 1}]}", {"a": 1}, False),
        ("{order.a: 1, order.b: 1}", {"a": 1, "b": 1}, True),
    ],
)
def test_conditions_compare_attributes_and_missing_means_false(when, attrs, expected) -> None:
    assert matches(when, case(order=attrs)) is expected


@pytest.mark.parametrize(
    ("when", "over", "expected"),
    [
        ("{tier: gold}", {"tier": "gold"}, True),
        ("{tier: {in: [silver, platinum]}}", {"tier": "gold"}, False),
        ("{segment: at_risk}", {"segment": "at_risk"}, True),
        ("{clv: {at_least: 1000}}", {}, True),
        ("{residual_clv: {above: 1000}}", {}, False),
        ("{severity: {at_least: 2}}", {"severity": 3}, True),
        ("{order_value: {below: 100}}", {"order_value": "99.99"}, True),
        ("{currency: EUR}", {"currency": "eur"}, True),
        ("{category: lost_bag}", {}, True),
        ("{category: late_delivery}", {}, False),
    ],
)
def test_conditions_read_the_standard_fields(when, over, expected) -> None:
    assert matches(when, case(**over)) is expected


def test_customer_and_issue_attributes_are_read_under_their_own_prefix() -> None:
    when = "{customer.vip: true, issue.asked: yes_please}"
    assert matches(when, case(customer={"vip": True}, issue={"asked": "yes_please"}))
    assert not matches(when, case(order={"vip": True}, issue={"asked": "yes_please"}))


def test_rules_are_read_in_order_and_the_first_match_decides() -> None:
    text = rulebook(
        """  - name: first
    kind: entitlement
    when: {order.n: {above: 1}}
    amount: {fixed: 5}
  - name: second
    kind: entitlement
    amount: {fixed: 7}
""",
        "",
    )
    policy = parse_policy(text)
    assert decide(case(order={"n": 2}), policy).offer.amount == 5
    d = decide(case(order={"n": 1}), policy)
    assert d.offer.amount == 7
    assert d.reasons[0].startswith("rule 'first' does not apply: order.n is 1")
    assert d.reasons[1] == "rule 'second' applies: it has no condition"


@pytest.mark.parametrize(
    ("amount", "order_value", "attrs", "expected"),
    [
        ("{fixed: 12.5}", "100", {}, "12.50"),
        ("{fixed: 12.5, per: order.bags}", "100", {"bags": 3}, "37.50"),
        ("{share_of_order: 0.25}", "80", {}, "20.00"),
        ("{share_of_order: 0.333}", "10", {}, "3.33"),  # rounds down to the cent
        ("{share_of_order: 0.5, per: order.bags}", "10", {"bags": 2}, "10.00"),
        (
            "{bands: {by: order.kg, rows: [{up_to: 10, amount: 5}, {amount: 9}]}}",
            "1",
            {"kg": 10},
            "5.00",
        ),
        (
            "{bands: {by: order.kg, rows: [{up_to: 10, amount: 5}, {amount: 9}]}}",
            "1",
            {"kg": 10.5},
            "9.00",
        ),
        (
            "{bands: {by: order_value, rows: [{up_to: 50, amount: 5}, {amount: 9}]}}",
            "51",
            {},
            "9.00",
        ),
    ],
)
def test_amounts_fixed_per_unit_share_of_order_and_bands(
    amount, order_value, attrs, expected
) -> None:
    text = rulebook(f"  - name: r\n    kind: entitlement\n    amount: {amount}\n", "")
    d = decide(case(order=attrs, order_value=order_value), parse_policy(text))
    assert d.offer.amount == Decimal(expected)
    assert d.offer.basis == "entitlement" and d.offer.kind == OfferKind.store_credit


def test_a_band_row_with_a_condition_and_reductions_first_match() -> None:
    text = rulebook(
        """  - name: r
    kind: entitlement
    amount:
      bands:
        by: order.kg
        rows:
          - {up_to: 10, amount: 10}
          - {when: {order.fragile: true}, amount: 40}
          - amount: 20
            reduce: [{name: late, when: {issue.days: {above: 3}}, by: 0.25}]
    reduce:
      - {name: very late, when: {issue.days: {above: 1}}, by: 0.5}
""",
        "",
    )
    policy = parse_policy(text)
    assert decide(case(order={"kg": 30, "fragile": True}), policy).offer.amount == 40
    assert decide(case(order={"kg": 30}), policy).offer.amount == 20
    # the row's own reduction comes first; only one reduction applies
    assert decide(case(order={"kg": 30}, issue={"days": 5}), policy).offer.amount == 15
    assert decide(case(order={"kg": 30}, issue={"days": 2}), policy).offer.amount == 10
    assert decide(case(order={"kg": 5}, issue={"days": 5}), policy).offer.amount == 5


def test_a_goodwill_rule_stays_under_todays_caps() -> None:
    text = rulebook("""  - name: bag
    when: {category: lost_bag}
    amount: {fixed: 500}
""")
    policy = parse_policy(text)
    d = decide(case(tier="gold", clv="1000", residual_clv="1000"), policy)
    assert d.offer.amount == Decimal(100) and d.cap == Decimal(100)  # gold limit
    d = decide(case(tier="bronze", clv="50", residual_clv="50"), policy)
    assert d.offer.amount == Decimal(5)  # 10% of residual CLV
    assert decide(case(residual_clv="-1"), policy).offer.amount == 0
    d = decide(case(tier="gold"), policy, budget_spent=Decimal(70))
    assert d.offer.amount == 100  # no budget in this policy
    budgeted = parse_policy(text + "budget: {daily: 100}\n")
    assert decide(case(tier="gold"), budgeted, budget_spent=Decimal(70)).offer.amount == 30
    spent = decide(case(tier="gold"), budgeted, budget_spent=Decimal(100))
    assert spent.offer.amount == 0 and spent.escalate
    assert d.offer.basis == "goodwill"


def test_a_goodwill_rule_offers_only_what_the_tier_may_get() -> None:
    text = rulebook("""  - name: bag
    offer: refund_partial
    amount: {fixed: 5}
""")
    policy = parse_policy(text)
    assert decide(case(tier="gold"), policy).offer.kind == OfferKind.refund_partial
    d = decide(case(tier="silver"), policy)
    assert d.offer.kind == OfferKind.apology_only
    assert "silver may not get partial refund" in d.reasons[-1]


def test_deny_and_escalate_and_because() -> None:
    text = rulebook("""  - name: fraud check
    when: {customer.flagged: true}
    deny: true
    escalate: true
    because: a person checks flagged accounts
""")
    d = decide(case(customer={"flagged": True}), parse_policy(text))
    assert d.offer.kind == OfferKind.apology_only and d.escalate
    assert d.reasons[-1] == "fraud check: a person checks flagged accounts"


def test_the_ladder_rule_hands_over_to_todays_formula() -> None:
    default = load_policy()
    yaml_text = (
        DEFAULT_TEXT
        + "rules:\n  - name: vip\n    when: {customer.vip: true}\n    amount: ladder\n"
        + "  - name: others\n    deny: true\n"
    )
    policy = parse_policy(yaml_text)
    vip = case("late_delivery", customer={"vip": True})
    plain = case("late_delivery")
    ladder = decide(make_case(category="late_delivery", clv="1000", residual_clv="1000"), default)
    got = decide(vip, policy)
    assert got.offer == ladder.offer and got.cap == ladder.cap
    assert decide(plain, policy).offer.amount == 0


def test_policy_categories_are_open_but_checked() -> None:
    policy = parse_policy(
        rulebook("  - name: r\n    kind: entitlement\n    amount: {fixed: 1}\n", "")
    )
    c = case("lost_bag")
    assert isinstance(c.issue.category, PolicyCategory) and c.issue.category.value == "lost_bag"
    assert policy.category_words("lost_bag") == "a lost bag"
    with pytest.raises(InputError, match=r"issue\.category"):
        decide(case("lost_parcel"), policy)
    with pytest.raises(InputError, match=r"issue\.category"):
        decide(case("lost_bag"), load_policy())  # the default policy has no such category
    with pytest.raises(ValueError, match="snake_case"):
        case("Lost Bag")


# Errors name the file, the key and the line ---------------------------------------------------


@pytest.mark.parametrize(
    ("rules", "key", "problem"),
    [
        (
            "  - name: r\n    when: {order.cabin: [a, b]}\n    deny: true\n",
            "rules.0.when.order.cabin",
            "needs `in:`",
        ),
        (
            "  - name: r\n    when: {order.kg: {over: 3}}\n    deny: true\n",
            "rules.0.when.order.kg.over",
            "not a test",
        ),
        (
            "  - name: r\n    when: {order.kg: {above: heavy}}\n    deny: true\n",
            "rules.0.when.order.kg.above",
            "needs a number",
        ),
        (
            "  - name: r\n    when: {cabin: business}\n    deny: true\n",
            "rules.0.when.cabin",
            "not a field",
        ),
        (
            "  - name: r\n    when: {tier: diamond}\n    deny: true\n",
            "rules.0.when.tier",
            "'diamond' is not a tier",
        ),
        (
            "  - name: r\n    when: {category: lost_bags}\n    deny: true\n",
            "rules.0.when.category",
            "declare it under issue_categories",
        ),
        (
            "  - name: r\n    when: {tier: {above: 2}}\n    deny: true\n",
            "rules.0.when.tier.above",
            "is a text",
        ),
        ("  - name: r\n    deny: true\n    amount: {fixed: 3}\n", "rules.0", "an amount or denies"),
        ("  - name: r\n    amount: {fixed: -3}\n", "rules.0.amount.fixed", "not negative"),
        (
            "  - name: r\n    amount: {fixed: 3, share_of_order: 0.1}\n",
            "rules.0.amount",
            "exactly one",
        ),
        (
            "  - name: r\n    amount: {share_of_order: 20}\n",
            "rules.0.amount.share_of_order",
            "0.50 means 50%",
        ),
        (
            "  - name: r\n    amount: {fixed: 3}\n    offer: replacement\n",
            "rules.0.offer",
            "one of discount_code",
        ),
        (
            "  - name: r\n    kind: owed\n    amount: {fixed: 3}\n",
            "rules.0.kind",
            "goodwill or entitlement",
        ),
        (
            "  - name: r\n    kind: entitlement\n    amount: ladder\n",
            "rules.0.amount",
            "ladder is goodwill",
        ),
        (
            "  - name: r\n    amount: {fixed: 3}\n    unless: {order.a: 1}\n",
            "rules.0.unless",
            "not a key of a rule",
        ),
        (
            "  - name: r\n    amount: {fixed: 3}\n  - name: R\n    amount: {fixed: 4}\n",
            "rules.1.name",
            "names must differ",
        ),
        ("  - amount: {fixed: 3}\n", "rules.0.name", "every rule has a name"),
        (
            "  - name: r\n    amount: {bands: {by: order.kg, rows: [{up_to: 5, amount: 1}, "
            "{up_to: 5, amount: 2}]}}\n",
            "rules.0.amount.bands.rows.1.up_to",
            "never be chosen",
        ),
        (
            "  - name: r\n    amount: {bands: {by: order.kg, rows: [{amount: 1}, "
            "{up_to: 9, amount: 2}]}}\n",
            "rules.0.amount.bands.rows.1",
            "never be chosen",
        ),
        (
            "  - name: r\n    amount: {fixed: 3, per: passengers}\n",
            "rules.0.amount.per",
            "order.passengers",
        ),
        (
            "  - name: r\n    amount: {fixed: 3}\n    reduce: [{name: x, when: {order.a: 1}, "
            "by: 2}]\n",
            "rules.0.reduce.0.by",
            "fraction",
        ),
    ],
)
def test_a_broken_rule_is_named_by_file_key_and_line(rules, key, problem) -> None:
    with pytest.raises(PolicyError) as err:
        parse_policy(rulebook(rules), "book.yaml")
    assert err.value.field.startswith(f"book.yaml:{key} (line "), err.value.field
    assert problem in err.value.problem
    line = int(err.value.field.split("(line ")[1].rstrip(")"))
    text = rulebook(rules)
    assert text.splitlines()[line - 1].strip()  # a real line of the file


def test_the_line_is_the_line_of_the_bad_test() -> None:
    rules = "  - name: r\n    when:\n      order.cabin: business\n      order.kg: {over: 3}\n    deny: true\n"
    with pytest.raises(PolicyError) as err:
        parse_policy(rulebook(rules), "book.yaml")
    line = int(err.value.field.split("(line ")[1].rstrip(")"))
    assert rulebook(rules).splitlines()[line - 1].strip().startswith("over:") or (
        "order.kg" in rulebook(rules).splitlines()[line - 1]
    )


def test_goodwill_rules_need_tiers_and_categories_must_be_declared() -> None:
    with pytest.raises(PolicyError, match="tiers"):
        parse_policy(rulebook("  - name: r\n    amount: {fixed: 3}\n", ""))
    with pytest.raises(PolicyError, match="retail category already"):
        parse_policy(
            'version: "t"\nissue_categories: {late_delivery: late}\nrules:\n'
            "  - {name: r, deny: true}\n"
        )


# Warnings: a rule that can never match, or that an earlier rule always takes ----------------


@pytest.mark.parametrize(
    ("rules", "warning"),
    [
        (
            "  - {name: a, when: {order.kg: {above: 5, below: 3}}, deny: true}\n",
            "rules.0 ('a') can never match",
        ),
        (
            "  - {name: a, when: {order.kg: {above: 5, at_most: 5}}, deny: true}\n",
            "can never match",
        ),
        ("  - {name: a, when: {order.cabin: x, order.cabin: y}, deny: true}\n", None),
        (
            "  - {name: a, when: {order.cabin: {in: [x, y], not_in: [x, y]}}, deny: true}\n",
            "can never match",
        ),
        (
            "  - {name: a, when: {order.kg: {present: false, above: 1}}, deny: true}\n",
            "can never match",
        ),
        (
            "  - {name: a, deny: true}\n  - {name: b, when: {order.kg: 1}, deny: true}\n",
            "rules.1 ('b') always overlaps rules.0 ('a')",
        ),
        (
            "  - {name: a, when: {order.kg: {above: 3}}, deny: true}\n"
            "  - {name: b, when: {order.kg: {above: 5}, order.x: 1}, deny: true}\n",
            "rules.1 ('b') always overlaps rules.0 ('a')",
        ),
        (
            "  - {name: a, when: {order.c: {in: [x, y]}}, deny: true}\n"
            "  - {name: b, when: {or: [{order.c: x}, {order.c: y}]}, deny: true}\n",
            "always overlaps",
        ),
    ],
)
def test_rules_that_never_match_or_always_overlap_are_warnings(rules, warning) -> None:
    if warning is None:  # a key given twice is an error, not a warning
        with pytest.raises(PolicyError, match="given twice"):
            parse_policy(rulebook(rules, ""))
        return
    policy = parse_policy(rulebook(rules, ""))
    assert any(warning in w for w in policy.warnings), policy.warnings


@pytest.mark.parametrize(
    "rules",
    [
        "  - {name: a, when: {order.kg: {above: 5}}, deny: true}\n"
        "  - {name: b, when: {order.kg: {above: 3}}, deny: true}\n",
        "  - {name: a, when: {order.kg: {at_least: 3}}, deny: true}\n"
        "  - {name: b, when: {order.kg: {above: 2}}, deny: true}\n",
        "  - {name: a, when: {order.c: x}, deny: true}\n"
        "  - {name: b, when: {order.c: {is_not: x}}, deny: true}\n",
        "  - {name: a, when: {not: {order.c: x}}, deny: true}\n"
        "  - {name: b, when: {order.c: y}, deny: true}\n",
    ],
)
def test_rules_that_can_both_apply_are_not_warned_about(rules) -> None:
    assert parse_policy(rulebook(rules, "")).warnings == ()


def test_the_shipped_rulebooks_have_no_warnings_and_the_default_keeps_its_version() -> None:
    examples = default_policy_path().parent / "examples"
    for name in ("airline.yaml", "eu261.yaml"):
        assert load_policy(examples / name).warnings == ()
    # adding empty rulebook sections changes nothing a decision depends on
    assert parse_policy(DEFAULT_TEXT + "rules: []\nissue_categories: {}\n").version == (
        load_policy().version
    )


def test_explain_without_rules_says_the_ladder_decides() -> None:
    out = explain(make_case(), load_policy())
    assert out.rules == [] and out.decision == decide(make_case(), load_policy())
