"""Decisions under the default policy: the source's worked examples, the ladder, the limits."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.domain import OfferKind
from bot.policy import decide, default_policy_path, format_money, load_policy, parse_policy
from tests.factories import make_case

POLICY = load_policy()
DEFAULT_TEXT = default_policy_path().read_text(encoding="utf-8")


def edited(old: str, new: str) -> object:
    """The default policy with one edit (the edit must apply)."""
    assert old in DEFAULT_TEXT
    return parse_policy(DEFAULT_TEXT.replace(old, new, 1), "edited.yaml")


# The source's worked examples ---------------------------------------------------------------


def test_source_example_twenty_percent_of_a_200_dollar_clv_is_a_40_dollar_cap() -> None:
    case = make_case(tier="gold", clv="200", order_value="400", category="damaged_item", severity=3)
    d = decide(case, POLICY)
    assert d.cap == Decimal("40.00")
    assert d.offer.amount == Decimal("40.00")  # severity 3 uses the whole cap
    assert d.reasons[0] == "gold: 20% of residual CLV $200.00 = $40.00"
    assert "cap $40.00 (the CLV share)" in d.reasons


def test_source_example_clv_500_with_400_spent_leaves_100_residual_and_a_20_dollar_cap() -> None:
    case = make_case(
        tier="gold",
        clv="500",
        residual_clv="100",
        order_value="1000",
        category="damaged_item",
        severity=3,
    )
    d = decide(case, POLICY)
    assert d.cap == Decimal("20.00")
    assert "residual CLV $100.00" in d.reasons[0]


def test_reasons_read_like_the_policy_and_carry_the_version() -> None:
    d = decide(make_case(tier="gold", clv="180", order_value="120", severity=2), POLICY)
    assert d.reasons == [
        "gold: 20% of residual CLV $180.00 = $36.00",
        "gold limit $100.00; late_delivery severity 2: 20% of order $120.00 = $24.00",
        "cap $24.00 (the order-value limit)",
        "late_delivery severity 2 -> store credit $18.00 (75% of the cap)",
    ]
    assert d.offer.kind == OfferKind.store_credit and d.offer.amount == Decimal("18.00")
    assert d.policy_version == POLICY.version and d.policy_version.startswith("2026-11-22+")


# The cap: the smallest of three limits -------------------------------------------------------


@pytest.mark.parametrize(
    ("over", "cap", "binding"),
    [
        ({"clv": "100", "order_value": "1000"}, "20.00", "the CLV share"),
        ({"clv": "5000", "order_value": "1000"}, "100.00", "the tier limit"),
        ({"clv": "5000", "order_value": "30"}, "30.00", "the order-value limit"),
    ],
)
def test_cap_is_the_smallest_limit_and_the_reasons_say_which(over, cap, binding) -> None:
    d = decide(make_case(tier="gold", category="damaged_item", severity=3, **over), POLICY)
    assert d.cap == Decimal(cap)
    assert f"cap ${cap} ({binding})" in d.reasons


def test_segment_share_overrides_the_tier_share() -> None:
    case = make_case(
        tier="gold",
        segment="cant_lose_them",
        clv="200",
        order_value="1000",
        category="damaged_item",
        severity=3,
    )
    d = decide(case, POLICY)
    assert d.cap == Decimal("50.00")  # 25% for customers we cannot lose, not gold's 20%
    assert d.reasons[0].startswith("gold (cant_lose_them segment): 25%")


def test_no_money_when_residual_clv_is_zero_and_a_human_is_asked() -> None:
    d = decide(make_case(clv="300", residual_clv="0"), POLICY)
    assert d.offer.kind == OfferKind.apology_only and d.offer.amount == 0 and d.cap == 0
    assert d.escalate
    assert "not positive: no money offer" in d.reasons[0]


def test_negative_residual_clv_without_escalation_when_the_policy_says_so() -> None:
    policy = edited("no_residual:\n  escalate: true", "no_residual:\n  escalate: false")
    d = decide(make_case(residual_clv="-40"), policy)
    assert d.offer.amount == 0 and not d.escalate
    assert d.reasons == ["residual CLV -$40.00 is not positive: no money offer"]


# The ladder ------------------------------------------------------------------------------


def test_late_delivery_severity_1_gets_free_shipping_first() -> None:
    d = decide(make_case(tier="silver", clv="500", order_value="100", severity=1), POLICY)
    assert d.offer.kind == OfferKind.free_shipping
    assert d.offer.amount == Decimal("7.95")  # the policy's money value of free shipping


def test_free_shipping_worth_more_than_the_cap_falls_to_a_discount_code() -> None:
    d = decide(make_case(tier="silver", clv="500", order_value="50", severity=1), POLICY)
    assert d.cap == Decimal("5.00")  # 10% of a $50 order
    assert d.offer.kind == OfferKind.discount_code
    assert d.offer.amount == Decimal("2.50")  # severity 1 uses half the cap


def test_replacement_for_a_damaged_item_when_it_fits_under_the_cap() -> None:
    d = decide(
        make_case(
            tier="platinum", clv="5000", order_value="60", category="damaged_item", severity=2
        ),
        POLICY,
    )
    assert d.offer.kind == OfferKind.replacement
    assert d.offer.amount == Decimal("60.00")
    assert (
        d.reasons[-1] == "damaged_item severity 2 -> replacement worth $60.00 (the order's value)"
    )


def test_replacement_above_the_cap_falls_to_the_next_rung() -> None:
    d = decide(
        make_case(tier="gold", clv="200", order_value="90", category="wrong_item", severity=2),
        POLICY,
    )
    assert d.cap == Decimal("40.00")
    assert d.offer.kind == OfferKind.store_credit
    assert d.offer.amount == Decimal("30.00")


@pytest.mark.parametrize("tier", ["bronze", "silver"])
def test_low_tiers_get_future_purchase_offers_never_refunds(tier) -> None:
    for category in ("damaged_item", "wrong_item", "missing_item", "late_delivery"):
        for severity in (1, 2, 3):
            d = decide(
                make_case(
                    tier=tier, clv="100000", order_value="900", category=category, severity=severity
                ),
                POLICY,
            )
            assert d.offer.kind in {
                OfferKind.discount_code,
                OfferKind.free_shipping,
                OfferKind.store_credit,
                OfferKind.replacement,
            }


def test_gold_late_delivery_at_severity_3_prefers_store_credit_to_a_refund() -> None:
    d = decide(make_case(tier="gold", clv="1000", order_value="100", severity=3), POLICY)
    assert d.offer.kind == OfferKind.store_credit  # cheaper rung first; the refund is the next


def test_a_refund_when_the_tier_may_get_one_and_the_cheaper_rungs_may_not() -> None:
    policy = edited(
        "kinds: [discount_code, free_shipping, store_credit, replacement, refund_partial]\n",
        "kinds: [refund_partial]\n",
    )
    d = decide(make_case(tier="gold", clv="1000", order_value="100", severity=3), policy)
    assert d.offer.kind == OfferKind.refund_partial and d.offer.amount == Decimal("30.00")


def test_severity_scales_the_money_offer_within_the_cap() -> None:
    amounts = [
        decide(
            make_case(
                tier="gold", clv="200", order_value="1000", category="billing_error", severity=s
            ),
            POLICY,
        ).offer
        for s in (1, 2, 3)
    ]
    assert [a.kind for a in amounts] == [
        OfferKind.discount_code,
        OfferKind.store_credit,
        OfferKind.store_credit,
    ]
    # caps 40 (sev 1: 5% of 1000 = 50 > 40), 40, 40: half, three quarters, all of it
    assert [a.amount for a in amounts] == [Decimal("20.00"), Decimal("30.00"), Decimal("40.00")]


def test_an_offer_below_the_minimum_amount_is_not_made() -> None:
    d = decide(
        make_case(tier="bronze", clv="8", order_value="100", category="poor_service", severity=1),
        POLICY,
    )
    assert d.cap == Decimal("0.80")
    assert d.offer.kind == OfferKind.apology_only and d.offer.amount == 0
    assert "no rung of the poor_service ladder fits under the cap" in d.reasons[-1]


def test_other_at_severity_1_is_an_apology_by_the_ladder() -> None:
    d = decide(make_case(category="other", severity=1), POLICY)
    assert d.offer.kind == OfferKind.apology_only and not d.escalate
    assert d.reasons[-1] == "other severity 1 -> an apology"


def test_a_category_can_send_a_severity_to_a_human_and_still_offer() -> None:
    d = decide(make_case(tier="gold", clv="1000", category="billing_error", severity=3), POLICY)
    assert d.escalate and d.offer.kind == OfferKind.store_credit and d.offer.amount > 0
    assert d.reasons[-1] == "billing_error at severity 3 also goes to a human"


# Abuse and budgets ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "spend", "escalates"),
    [(3, "150", False), (4, "0", True), (0, "150.01", True), (3, "149.99", False)],
)
def test_repeat_claimants_beyond_the_limits_go_to_a_human(count, spend, escalates) -> None:
    d = decide(make_case(appeasements_90d=count, appeasement_spend_90d=spend), POLICY)
    assert d.escalate is escalates
    assert (d.offer.amount == 0) is escalates
    if escalates:
        assert d.reasons == [
            f"repeat claimant: {count} appeasements worth ${Decimal(spend):.2f} in 90 days "
            "(limits 3 and $150.00): no automatic offer, escalate to a human"
        ]


def test_daily_budget_lowers_the_cap_then_stops_automatic_money() -> None:
    policy = edited("daily: null", "daily: 100")
    case = make_case(tier="gold", clv="1000", order_value="200", severity=3)
    assert decide(case, policy).cap == Decimal("60.00")  # no spend given: no budget applied
    low = decide(case, policy, budget_spent=Decimal("95"))
    assert low.cap == Decimal("5.00") and low.offer.amount <= Decimal("5.00")
    assert "daily goodwill budget leaves $5.00: cap $5.00" in low.reasons
    spent = decide(case, policy, budget_spent=Decimal("100"))
    assert spent.escalate and spent.offer.amount == 0
    assert spent.reasons[-1] == "goodwill budget exhausted: no automatic offer, escalate to a human"


def test_monthly_budget_applies_when_its_spend_is_given() -> None:
    policy = edited("monthly: null", "monthly: 5000")
    case = make_case(tier="gold", clv="1000", order_value="200", severity=3)
    assert decide(case, policy, budget_spent_month=Decimal("4990")).cap == Decimal("10.00")
    over = decide(case, policy, budget_spent=Decimal("0"), budget_spent_month=Decimal("6000"))
    assert over.escalate and over.offer.amount == 0


# Money ---------------------------------------------------------------------------------


def test_amounts_round_down_to_the_currency_minor_unit() -> None:
    jpy = decide(
        make_case(
            tier="gold",
            clv="333",
            order_value="1000",
            currency="JPY",
            category="damaged_item",
            severity=3,
        ),
        POLICY,
    )
    assert jpy.cap == Decimal("66") and jpy.offer.currency == "JPY"  # 66.6 rounds down
    kwd = decide(
        make_case(
            tier="gold",
            clv="33.3337",
            order_value="1000",
            currency="KWD",
            category="damaged_item",
            severity=3,
        ),
        POLICY,
    )
    assert kwd.cap == Decimal("6.666")
    usd = decide(
        make_case(
            tier="gold", clv="33.339", order_value="1000", category="damaged_item", severity=3
        ),
        POLICY,
    )
    assert usd.cap == Decimal("6.66")


def test_decision_is_in_the_orders_currency_and_serializes_amounts_as_decimal_text() -> None:
    d = decide(make_case(currency="eur"), POLICY)
    assert d.offer.currency == "EUR"
    data = d.model_dump(mode="json")
    assert isinstance(data["offer"]["amount"], str) and isinstance(data["cap"], str)
    none = decide(make_case(residual_clv="0"), POLICY).model_dump(mode="json")
    assert none["offer"]["amount"] == "0.00" and none["cap"] == "0.00"


def test_same_case_same_decision() -> None:
    case = make_case(tier="platinum", clv="2500", category="missing_item", severity=3)
    assert decide(case, POLICY) == decide(case, load_policy())


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        ("1234.5", "USD", "$1,234.50"),
        ("-40", "USD", "-$40.00"),
        ("66", "JPY", "¥66"),
        ("6.666", "KWD", "6.666 KWD"),
        ("12", "CHF", "12.00 CHF"),
    ],
)
def test_format_money_uses_the_currency_minor_unit(amount, currency, text) -> None:
    assert format_money(Decimal(amount), currency) == text
