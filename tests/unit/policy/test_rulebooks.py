"""The two shipped rulebooks, sentence by sentence, at and around every boundary they draw.

EU261 (Regulation (EC) No 261/2004, Article 7) is an entitlement in EUR per passenger; the
tau-bench airline rules are goodwill certificates. Each test names the sentence it encodes.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from bot.domain import Case, OfferKind
from bot.policy import decide, default_policy_path, explain, load_policy
from tests.factories import case_dict

EXAMPLES = default_policy_path().parent / "examples"
EU = load_policy(EXAMPLES / "eu261.yaml")
AIR = load_policy(EXAMPLES / "airline.yaml")


def eu_case(
    category: str = "flight_delayed", *, currency: str = "EUR", customer: Any = None, **attrs: Any
) -> Case:
    """A flight from the EU, 1,000 km, one passenger, on an EU carrier; attrs override.

    Order attributes and issue attributes are told apart by name; None leaves one out.
    """
    order = {
        "distance_km": 1000,
        "intra_eu": True,
        "departs_eu": True,
        "arrives_eu": True,
        "eu_carrier": True,
        "passengers": 1,
    }
    issue: dict[str, Any] = {}
    for key, value in attrs.items():
        (order if key in order else issue)[key] = value
    data = case_dict(category=category, currency=currency, **(customer or {}))
    data["order"]["attributes"] = {k: v for k, v in order.items() if v is not None}
    data["issue"]["attributes"] = {k: v for k, v in issue.items() if v is not None}
    return Case.model_validate(data)


def owed(case: Case) -> Decimal:
    d = decide(case, EU)
    assert d.offer.basis == "entitlement"
    assert d.offer.currency == "EUR"
    assert d.offer.amount == d.cap  # an entitlement's cap is the amount itself
    if d.offer.amount:
        assert d.offer.kind == OfferKind.refund_partial
    return d.offer.amount


# Article 3(1): where the Regulation applies -----------------------------------------------


@pytest.mark.parametrize(
    ("departs_eu", "arrives_eu", "eu_carrier", "expected"),
    [
        (True, False, False, "400"),  # departs from the EU: any carrier
        (True, True, True, "400"),
        (False, True, True, "400"),  # arrives in the EU on an EU carrier
        (False, True, False, "0"),  # arrives in the EU on a non-EU carrier: not covered
        (False, False, True, "0"),  # neither departs nor arrives in the EU
        (None, True, None, "0"),  # missing means false
    ],
)
def test_the_regulation_covers_departures_from_the_eu_and_eu_carriers_arriving(
    departs_eu, arrives_eu, eu_carrier, expected
) -> None:
    case = eu_case(
        departs_eu=departs_eu,
        arrives_eu=arrives_eu,
        eu_carrier=eu_carrier,
        distance_km=2000,
        arrival_delay_hours=5,
    )
    assert owed(case) == Decimal(expected)


@pytest.mark.parametrize(
    ("extraordinary", "expected"), [(True, "0"), (False, "250"), (None, "250")]
)
def test_nothing_is_owed_for_extraordinary_circumstances(extraordinary, expected) -> None:
    assert owed(eu_case(arrival_delay_hours=6, extraordinary=extraordinary)) == Decimal(expected)
    cancelled = eu_case("flight_cancelled", extraordinary=extraordinary)
    assert owed(cancelled) == Decimal(expected)


# Article 7(1): the distance bands ---------------------------------------------------------


@pytest.mark.parametrize(
    ("distance_km", "intra_eu", "expected"),
    [
        (1, True, "250"),
        (1499, False, "250"),
        (1500, False, "250"),
        (1500, True, "250"),
        (1500.5, False, "400"),
        (1501, False, "400"),
        (1501, True, "400"),
        (3499, False, "400"),
        (3500, False, "400"),
        (3500.01, False, "600"),
        (3501, False, "600"),
        (9000, False, "600"),
        (3501, True, "400"),
        (9000, True, "400"),  # intra-EU over 1,500 km: 400 however far
        (3501, None, "600"),  # not said to be intra-EU: all other flights
    ],
)
def test_bands_up_to_1500_km_250_intra_eu_or_up_to_3500_km_400_else_600(
    distance_km, intra_eu, expected
) -> None:
    case = eu_case(distance_km=distance_km, intra_eu=intra_eu, arrival_delay_hours=5)
    assert owed(case) == Decimal(expected)
    cancelled = eu_case("flight_cancelled", distance_km=distance_km, intra_eu=intra_eu)
    assert owed(cancelled) == Decimal(expected)


@pytest.mark.parametrize(("passengers", "expected"), [(1, "400"), (2, "800"), (7, "2800")])
def test_compensation_is_per_passenger(passengers, expected) -> None:
    case = eu_case(distance_km=2000, passengers=passengers, arrival_delay_hours=5)
    assert owed(case) == Decimal(expected)


def test_no_passengers_no_money_and_an_unknown_count_goes_to_a_person() -> None:
    assert owed(eu_case(passengers=0, arrival_delay_hours=5)) == 0
    unknown = decide(eu_case(passengers=None, arrival_delay_hours=5), EU)
    assert unknown.offer.amount == 0 and unknown.escalate
    assert any("order.passengers is missing" in r for r in unknown.reasons)
    far = decide(eu_case(distance_km=None, arrival_delay_hours=5), EU)
    assert far.offer.amount == 0 and far.escalate


# Delays: owed from 3 hours; the 600 band pays half from 3 to under 4 hours -----------------


@pytest.mark.parametrize(
    ("distance_km", "intra_eu", "hours", "expected"),
    [
        (1000, True, 2.99, "0"),
        (1000, True, 3, "250"),
        (1000, True, 3.5, "250"),
        (2000, False, 2.99, "0"),
        (2000, False, 3, "400"),
        (2000, False, 3.99, "400"),
        (5000, True, 3, "400"),
        (5000, True, 3.99, "400"),  # intra-EU: the 400 band, whole
        (5000, False, 2.99, "0"),
        (5000, False, 3, "300"),
        (5000, False, 3.99, "300"),
        (5000, False, 4, "600"),
        (5000, False, 12, "600"),
        (1000, True, None, "0"),  # no delay given: nothing owed
        (1000, True, 0, "0"),
    ],
)
def test_a_delay_is_owed_from_3_hours_and_halved_under_4_hours_in_the_600_band(
    distance_km, intra_eu, hours, expected
) -> None:
    case = eu_case(distance_km=distance_km, intra_eu=intra_eu, arrival_delay_hours=hours)
    assert owed(case) == Decimal(expected)


# Cancellations: notice and reroutes (Article 5(1)(c)) --------------------------------------


@pytest.mark.parametrize(
    ("notice", "rerouted", "earlier", "later", "expected"),
    [
        # 14 days or more: nothing, reroute or not
        (14, None, None, None, "0"),
        (30, False, None, None, "0"),
        (13.99, None, None, None, "250"),
        # 7 to 13 days: nothing only with a reroute leaving <= 2 h earlier, arriving < 4 h late
        (13, True, 2, 3.99, "0"),
        (7, True, 0, 0, "0"),
        (7, True, 2.01, 3, "250"),
        (7, True, 2, 4, "250"),
        (10, False, 1, 1, "250"),
        (10, None, None, None, "250"),
        (10, True, None, 1, "250"),  # reroute departure not known: owed
        # under 7 days: nothing only with a reroute leaving <= 1 h earlier, arriving < 2 h late
        (6.99, True, 1, 1.99, "0"),
        (0, True, 0, 0, "0"),
        (6, True, 1.01, 1, "250"),
        (6, True, 2, 3, "250"),  # fine for 7-13 days, not under 7
        # notice not known: owed
        (None, None, None, None, "250"),
    ],
)
def test_a_cancellation_is_owed_unless_told_early_enough_with_a_close_reroute(
    notice, rerouted, earlier, later, expected
) -> None:
    case = eu_case(
        "flight_cancelled",
        notice_days=notice,
        rerouted=rerouted,
        reroute_departs_earlier_hours=earlier,
        reroute_arrival_delay_hours=later,
    )
    amount = owed(case)
    # a reroute arriving at most 2 hours late halves what is owed in the 250 band
    if expected != "0" and rerouted and later is not None and later <= 2:
        assert amount == Decimal(expected) / 2
    else:
        assert amount == Decimal(expected)


@pytest.mark.parametrize(
    ("distance_km", "intra_eu", "later", "expected"),
    [
        (1500, True, 2, "125"),
        (1500, True, 2.01, "250"),
        (1000, True, 0, "125"),
        (2000, False, 3, "200"),
        (2000, False, 3.01, "400"),
        (6000, True, 3, "200"),
        (6000, True, 3.5, "400"),  # intra-EU far: the 400 band's 3 h
        (6000, False, 4, "300"),
        (6000, False, 4.01, "600"),
        (6000, False, 2, "300"),
    ],
)
def test_owed_and_rerouted_within_2_3_or_4_hours_by_band_is_halved(
    distance_km, intra_eu, later, expected
) -> None:
    # told 3 days before, reroute left 3 hours early: owed, and halved by how late it arrived
    case = eu_case(
        "flight_cancelled",
        distance_km=distance_km,
        intra_eu=intra_eu,
        notice_days=3,
        rerouted=True,
        reroute_departs_earlier_hours=3,
        reroute_arrival_delay_hours=later,
    )
    assert owed(case) == Decimal(expected)


def test_the_halving_for_a_reroute_is_only_for_cancellations() -> None:
    # a delay with reroute attributes is still paid by its delay
    case = eu_case(arrival_delay_hours=5, rerouted=True, reroute_arrival_delay_hours=1)
    assert owed(case) == Decimal(250)


# An entitlement is owed whatever the customer is worth --------------------------------------


@pytest.mark.parametrize(
    "customer",
    [
        {"residual_clv": "-50"},  # no residual value: goodwill would give nothing
        {"appeasements_90d": 9, "appeasement_spend_90d": "5000"},  # a repeat claimant
        {"tier": "bronze", "clv": "1", "residual_clv": "1"},
    ],
)
def test_an_entitlement_is_not_capped_by_clv_or_refused_for_a_repeat_claim(customer) -> None:
    case = eu_case(
        distance_km=5000, intra_eu=False, passengers=2, arrival_delay_hours=5, customer=customer
    )
    d = decide(case, EU, budget_spent=Decimal("1e9"), budget_spent_month=Decimal("1e9"))
    assert d.offer.amount == Decimal(1200) and not d.escalate


def test_amounts_in_euros_are_not_converted_a_person_pays_another_currency() -> None:
    d = decide(eu_case(arrival_delay_hours=5, currency="USD"), EU)
    assert d.offer.amount == 0 and d.escalate
    assert any("in EUR, the order is in USD" in r for r in d.reasons)


def test_other_issues_get_nothing_from_this_rulebook() -> None:
    d = decide(eu_case("late_delivery"), EU)
    assert d.offer.kind == OfferKind.apology_only and d.offer.amount == 0
    assert d.reasons[-1] == "no rule applies: no offer"


def test_explain_names_the_rule_that_matched_and_why_the_others_did_not() -> None:
    out = explain(eu_case("flight_cancelled", notice_days=20), EU)
    status = {t.name: t.status for t in out.rules}
    assert status["cancellation told 14 days or more before"] == "applied"
    assert status["extraordinary circumstances"] == "did not match"
    assert status["Article 7 compensation"] == "not reached (would match)"
    why = {t.name: t.why for t in out.rules}
    assert "issue.notice_days is 20" in why["cancellation told 14 days or more before"]
    assert "issue.extraordinary is missing" in why["extraordinary circumstances"]
    assert out.decision.offer.amount == 0
    assert any("does not apply" in r for r in out.decision.reasons)


# The tau-bench airline rules (goodwill) -----------------------------------------------------


def air_case(
    category: str = "flight_cancelled",
    *,
    membership: Any = "gold",
    cabin: Any = "economy",
    insurance: Any = False,
    passengers: Any = 2,
    asked: Any = True,
    **over: Any,
) -> Case:
    data = case_dict(**{"category": category, "clv": "5000", "residual_clv": "5000", **over})
    attrs = {"membership": membership}
    data["customer"]["attributes"] = {k: v for k, v in attrs.items() if v is not None}
    order = {"cabin": cabin, "insurance": insurance, "passengers": passengers}
    data["order"]["attributes"] = {k: v for k, v in order.items() if v is not None}
    issue = {"asked_for_compensation": asked}
    data["issue"]["attributes"] = {k: v for k, v in issue.items() if v is not None}
    return Case.model_validate(data)


def certificate(case: Case) -> Decimal:
    d = decide(case, AIR)
    assert d.offer.basis == "goodwill"
    if d.offer.amount:
        assert d.offer.kind == OfferKind.store_credit
    return d.offer.amount


@pytest.mark.parametrize(("passengers", "expected"), [(1, "100"), (2, "200"), (5, "500")])
def test_a_cancelled_flight_gets_100_dollars_times_the_passengers(passengers, expected) -> None:
    assert certificate(air_case(passengers=passengers)) == Decimal(expected)


@pytest.mark.parametrize(("passengers", "expected"), [(1, "50"), (2, "100"), (5, "250")])
def test_a_delayed_flight_gets_50_dollars_times_the_passengers(passengers, expected) -> None:
    assert certificate(air_case("flight_delayed", passengers=passengers)) == Decimal(expected)


@pytest.mark.parametrize(
    ("membership", "insurance", "cabin", "expected"),
    [
        ("regular", False, "basic_economy", "0"),  # never: regular, no insurance, (basic) economy
        ("regular", False, "economy", "0"),
        ("regular", None, "economy", "0"),  # insurance not said: none
        (None, False, "economy", "0"),  # membership not said: not silver or gold
        ("regular", True, "basic_economy", "200"),  # travel insurance
        ("regular", False, "business", "200"),  # flies business
        ("silver", False, "basic_economy", "200"),  # silver member
        ("gold", False, "economy", "200"),  # gold member
    ],
)
def test_only_silver_or_gold_members_insured_customers_or_business_are_compensated(
    membership, insurance, cabin, expected
) -> None:
    case = air_case(membership=membership, insurance=insurance, cabin=cabin)
    assert certificate(case) == Decimal(expected)


@pytest.mark.parametrize(("asked", "expected"), [(True, "200"), (False, "0"), (None, "0")])
def test_never_compensated_unless_the_customer_explicitly_asks(asked, expected) -> None:
    assert certificate(air_case(asked=asked)) == Decimal(expected)
    d = decide(air_case(asked=asked), AIR)
    if asked is not True:
        assert d.reasons[0].startswith("rule 'only when asked' applies")


def test_no_compensation_for_any_other_reason() -> None:
    d = decide(air_case("late_delivery"), AIR)
    assert d.offer.amount == 0 and d.reasons[-1] == "no rule applies: no offer"


def test_a_certificate_is_goodwill_capped_by_the_customers_value() -> None:
    d = decide(air_case(passengers=3, clv="120", residual_clv="120"), AIR)
    assert d.offer.amount == Decimal("120.00") and d.cap == Decimal("120.00")
    assert any("over the cap" in r for r in d.reasons)
    repeat = decide(air_case(appeasements_90d=5), AIR)
    assert repeat.offer.amount == 0 and repeat.escalate
