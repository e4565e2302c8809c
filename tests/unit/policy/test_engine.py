from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from bot.domain import OfferKind
from bot.errors import PolicyError
from bot.policy import decide, load_policy, parse_policy, simulate
from tests.factories import make_case

POLICY = load_policy()
DEFAULT_TEXT = (
    Path("policies/default.yaml").read_text() if Path("policies/default.yaml").exists() else None
)


def test_source_example_twenty_percent_of_a_200_dollar_clv_is_a_40_dollar_cap() -> None:
    case = make_case(tier="gold", clv="200", order_value="400", category="damaged_item", severity=3)
    d = decide(case, POLICY)
    assert d.cap == Decimal("40.00")
    assert d.offer.amount <= Decimal("40.00")
    assert "20% of residual CLV $200.00 = $40.00" in d.reasons[0]


def test_source_example_residual_clv_after_400_of_500_spent_caps_at_share_of_100() -> None:
    case = make_case(tier="gold", clv="500", residual_clv="100", order_value="1000",
                     category="damaged_item", severity=3)  # fmt: skip
    assert decide(case, POLICY).cap == Decimal("20.00")


def test_reasons_read_like_the_policy_and_carry_the_version() -> None:
    d = decide(make_case(tier="gold", clv="180", order_value="120", severity=2), POLICY)
    assert d.offer.kind == OfferKind.store_credit
    assert d.offer.amount == Decimal("18.00")
    assert d.reasons[-1] == "late_delivery severity 2: 75% of cap -> store credit $18.00"
    assert d.policy_version == POLICY.version
    assert d.policy_version.startswith("2026-11-22+")


def test_cheapest_rung_first_replacement_for_a_damaged_item_when_it_fits() -> None:
    d = decide(make_case(tier="platinum", clv="5000", order_value="60", category="damaged_item",
                         severity=2), POLICY)  # fmt: skip
    assert d.offer.kind == OfferKind.replacement
    assert d.offer.amount == Decimal("60.00")


def test_bronze_gets_future_purchase_offers_only() -> None:
    d = decide(make_case(tier="bronze", clv="1000", order_value="100", category="damaged_item",
                         severity=3), POLICY)  # fmt: skip
    assert d.offer.kind in {
        OfferKind.store_credit,
        OfferKind.discount_code,
        OfferKind.free_shipping,
    }


def test_repeat_claimant_is_escalated_with_a_reason() -> None:
    d = decide(make_case(appeasements_90d=4), POLICY)
    assert d.escalate and d.offer.amount == 0
    assert d.reasons[0].startswith("repeat claimant")


def test_exhausted_daily_budget_means_no_automatic_money() -> None:
    policy = parse_policy(DEFAULT_TEXT.replace("daily: null", "daily: 100"), "budget.yaml")
    case = make_case(tier="gold", clv="1000", order_value="200", severity=3)
    assert decide(case, policy, budget_spent=Decimal("95")).cap == Decimal("5.00")
    spent = decide(case, policy, budget_spent=Decimal("100"))
    assert spent.escalate and spent.offer.amount == 0


def test_amounts_round_down_to_the_currency_minor_unit() -> None:
    d = decide(make_case(tier="gold", clv="333.33", order_value="1000", currency="JPY",
                         category="damaged_item", severity=3), POLICY)  # fmt: skip
    assert d.cap == Decimal("66")
    assert d.offer.currency == "JPY"


@pytest.mark.parametrize(
    ("edit", "key"),
    [
        (("clv_share: 0.10", "clv_share: 1.5"), "tiers.bronze.clv_share"),
        (("max_amount: 15", "max_amount: lots"), "tiers.bronze.max_amount"),
        (("  other:\n", "  otherwise:\n"), "categories.otherwise"),
        (
            ("kinds: [discount_code, free_shipping, store_credit]\n", "kinds: [cash]\n"),
            "tiers.bronze.kinds.0",
        ),
        (("severity_scale: [0.50, 0.75, 1.00]", "severity_scale: [0.5]"), "severity_scale"),
        (("abuse:\n", "abuse_rules:\n"), "abuse_rules"),
    ],
)
def test_malformed_policy_is_rejected_naming_file_key_and_line(edit, key) -> None:
    text = DEFAULT_TEXT.replace(*edit, 1)
    assert text != DEFAULT_TEXT
    with pytest.raises(PolicyError) as err:
        parse_policy(text, "broken.yaml")
    assert err.value.field.startswith(f"broken.yaml:{key}")
    assert "(line " in err.value.field or key == "severity_scale"


def test_invalid_yaml_names_the_line() -> None:
    with pytest.raises(PolicyError, match=r"broken.yaml \(line \d+\)"):
        parse_policy("version: 1\ntiers: [a, b\n", "broken.yaml")


def test_version_changes_with_content_and_not_with_comments() -> None:
    assert parse_policy(DEFAULT_TEXT + "\n# a comment\n").version == POLICY.version
    changed = parse_policy(DEFAULT_TEXT.replace("max_spend: 150", "max_spend: 151"))
    assert changed.version != POLICY.version


def test_example_policies_validate() -> None:
    for path in Path("policies").glob("*.yaml"):
        assert load_policy(path).version


def test_simulation_compares_costs() -> None:
    cases = [
        make_case(tier=t, clv="400", order_value="90", category=c, severity=s)
        for t in ("bronze", "gold")
        for c in ("late_delivery", "damaged_item")
        for s in (1, 3)
    ]
    base = simulate(cases, POLICY)
    strict = simulate(cases, load_policy("policies/strict.yaml"))
    assert base.cases == strict.cases == 8
    assert strict.total_goodwill < base.total_goodwill
    assert base.goodwill_share_of_clv == (base.total_goodwill / Decimal(3200)).quantize(
        Decimal("0.0001")
    )
