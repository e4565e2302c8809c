"""The KPI maths against hand-computed figures (tests/data/kpi_tickets.json, worked out below).

The five fixture tickets:
  T1 c1 gold    late_delivery web   CLV 200 -> 180 after the 90-day window      = 90 %
  T2 c2 silver  damaged_item  email CLV 500 (residual 100) -> 350 after window  = 70 %
  T3 c3 bronze  late_delivery chat  CLV 100 -> 50 rescored on new transactions  = 50 %
  T4 c1 gold    billing_error web   CLV 180, only a rescore inside the window   = pending
  T5 c1 gold    late_delivery web   CLV 0 at the issue (nothing left to lose)   = excluded
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from bot.kpi import (
    KpiFilters,
    KpiWindows,
    OfferRecord,
    PerceptionReading,
    Snapshot,
    TicketRecord,
    build_report,
    clv_band,
    perception_band,
)
from bot.kpi._metrics import pick_after_snapshot, ticket_clv_pct
from bot.scoring import residual_clv, simple_clv
from tests.unit.kpi.fixtures import AT, load_records

T0 = datetime.fromisoformat("2024-01-01T00:00:00+00:00")


def report(records=None, **filters):
    return build_report(
        load_records() if records is None else records,
        KpiFilters(**filters),
        KpiWindows(),
        generated_at=AT,
    )


def ticket(tid="t", customer="c", clv="200", after=None, **kw) -> TicketRecord:
    snaps = (
        () if after is None else (Snapshot(clv=Decimal(after), taken_at=T0 + timedelta(days=91)),)
    )
    return TicketRecord(
        ticket_id=tid,
        customer_id=customer,
        created_at=kw.pop("created_at", T0),
        channel=kw.pop("channel", "web"),
        category=kw.pop("category", "late_delivery"),
        clv_at_issue=Decimal(clv) if clv is not None else None,
        later_snapshots=snaps,
        **kw,
    )


# --- CLV post-issue ---------------------------------------------------------------------------


def test_clv_post_issue_is_the_median_of_per_customer_ratios():
    clv = report().clv_post_issue
    # c1: T1 90 % (T4 pending, T5 excluded); c2: 70 %; c3: 50 % -> median 70, mean 70
    assert clv.value == 70.0 and clv.mean_pct == 70.0
    assert clv.band == "moderate"
    assert clv.n == 3
    assert clv.tickets_measured == 3
    assert clv.pending == 1 and clv.excluded == 1
    assert {c.customer_id: c.pct for c in clv.customers} == {"c1": 90.0, "c2": 70.0, "c3": 50.0}
    assert clv.bands == {"strong": 1, "moderate": 1, "act_now": 1}
    assert clv.ticket_ids == ["T1", "T2", "T3"]


def test_a_few_near_zero_clvs_at_the_issue_do_not_carry_the_headline():
    """Seen in the demo: ratios in the thousands made the mean 'strong' while most customers
    were in 'act now'. The headline is the median customer; the mean is reported beside it."""
    records = [
        ticket("a1", "a", clv="100", after="40"),
        ticket("b1", "b", clv="100", after="50"),
        ticket("c1", "c", clv="100", after="55"),
        ticket("d1", "d", clv="2", after="60"),  # 3,000 %: a customer worth almost nothing
        ticket("e1", "e", clv="100", after="90"),
    ]
    clv = report(records).clv_post_issue
    assert clv.value == 55.0 and clv.band == "act_now"
    assert clv.bands == {"strong": 2, "moderate": 0, "act_now": 3}
    assert clv.mean_pct == 647.0  # (40 + 50 + 55 + 3000 + 90) / 5: "strong", and wrong


def test_clv_post_issue_also_reports_the_ratio_of_sums():
    # (180 + 350 + 50) / (200 + 500 + 100) = 580 / 800 = 72.5 %
    assert report().clv_post_issue.ratio_of_sums_pct == 72.5


def test_a_repeat_claimant_weighs_once_in_the_clv_mean():
    records = [
        ticket("a1", "a", clv="100", after="100"),
        ticket("a2", "a", clv="100", after="100", created_at=T0 + timedelta(hours=1)),
        ticket("a3", "a", clv="100", after="100", created_at=T0 + timedelta(hours=2)),
        ticket("b1", "b", clv="100", after="40"),
    ]
    clv = report(records).clv_post_issue
    assert clv.value == 70.0  # (100 + 40) / 2, not (100 * 3 + 40) / 4 = 85
    assert clv.ratio_of_sums_pct == 85.0


def test_the_first_rescore_after_the_window_is_the_post_issue_clv():
    record = ticket(clv="100")
    record = TicketRecord(
        **{
            **{f: getattr(record, f) for f in record.__slots__},
            "later_snapshots": (
                Snapshot(clv=Decimal(10), taken_at=T0 + timedelta(days=30), reason="rescore"),
                Snapshot(clv=Decimal(95), taken_at=T0 + timedelta(days=120), reason="rescore"),
                Snapshot(clv=Decimal(85), taken_at=T0 + timedelta(days=90), reason="rescore"),
            ),
        }
    )
    assert pick_after_snapshot(record, 90).clv == Decimal(85)  # exactly at the window's end
    assert ticket_clv_pct(record, 90) == Decimal(85)
    assert pick_after_snapshot(record, 100).clv == Decimal(95)


def test_new_transactions_measure_clv_before_the_window_ends():
    snaps = (
        Snapshot(clv=Decimal(60), taken_at=T0 + timedelta(days=5), reason="transactions"),
        Snapshot(clv=Decimal(70), taken_at=T0 + timedelta(days=9), reason="import"),
        Snapshot(clv=Decimal(99), taken_at=T0 + timedelta(days=10), reason="ticket"),
    )
    record = TicketRecord(
        ticket_id="t",
        customer_id="c",
        created_at=T0,
        channel="web",
        category="other",
        clv_at_issue=Decimal(100),
        later_snapshots=snaps,
    )
    assert pick_after_snapshot(record, 90).clv == Decimal(70)


def test_a_rescore_inside_the_window_without_new_data_leaves_the_ticket_pending():
    snaps = (Snapshot(clv=Decimal(60), taken_at=T0 + timedelta(days=89), reason="rescore"),)
    record = TicketRecord(
        ticket_id="t",
        customer_id="c",
        created_at=T0,
        channel="web",
        category="other",
        clv_at_issue=Decimal(100),
        later_snapshots=snaps,
    )
    assert pick_after_snapshot(record, 90) is None
    clv = report([record]).clv_post_issue
    assert clv.value is None and clv.band is None and clv.pending == 1


def test_zero_clv_at_the_issue_is_excluded_not_divided_by():
    clv = report([ticket(clv="0", after="50"), ticket("u", clv=None, after="50")]).clv_post_issue
    assert clv.excluded == 2 and clv.n == 0 and clv.value is None


@pytest.mark.parametrize(
    ("after", "pct", "band"),
    [
        ("160.02", 80.01, "strong"),  # just above 80
        ("160", 80.0, "moderate"),  # exactly 80 is moderate: "above 80" is strict
        ("159.99", 80.0, "moderate"),  # 79.995 rounds to 80.00, still moderate
        ("120", 60.0, "moderate"),  # exactly 60 is moderate: "60-80" includes both ends
        ("119.98", 59.99, "act_now"),  # just below 60
        ("0", 0.0, "act_now"),
        ("300", 150.0, "strong"),  # a customer can end up worth more than before
    ],
)
def test_clv_band_boundaries_on_a_200_dollar_customer(after, pct, band):
    clv = report([ticket(clv="200", after=after)]).clv_post_issue
    assert clv.value == pct
    assert clv.band == band


@pytest.mark.parametrize(
    ("value", "band"),
    [
        (80.01, "strong"),
        (80, "moderate"),
        (60, "moderate"),
        (59.99, "act_now"),
        (80.004, "moderate"),
    ],
)
def test_clv_band_function_boundaries(value, band):
    assert clv_band(value) == band


def test_clv_post_issue_works_with_the_simple_formula():
    """(ARPU - cost to serve) x retention ^ year, summed over years: before 0.9, after 0.8."""
    before = simple_clv(100, 40, 0.9, 3)
    after = simple_clv(100, 40, 0.8, 3)
    # by hand: 60 x (0.9 + 0.81 + 0.729) = 146.34 and 60 x (0.8 + 0.64 + 0.512) = 117.12
    assert (before, after) == (Decimal("146.340"), Decimal("117.120"))
    clv = report([ticket(clv=str(before), after=str(after))]).clv_post_issue
    assert clv.value == 80.03  # 117.12 / 146.34 = 80.03 %: just strong
    assert clv.band == "strong"


def test_clv_post_issue_works_with_the_fitted_model():
    """BG/NBD + Gamma-Gamma CLV at the issue and 13 weeks later with no purchase in between."""
    from bot.scoring import BgNbd, BgNbdParams, GammaGamma, GammaGammaParams, clv

    bgnbd, gg = BgNbd(), GammaGamma()
    bgnbd.params_ = BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426)  # CDNOW, FHL 2005
    gg.params_ = GammaGammaParams(p=6.25, q=3.74, v=15.44)
    at_issue, later = clv(bgnbd, gg, [2, 2], [30.0, 30.0], [38.0, 51.0], [35.0, 35.0], unit="W")
    before = Decimal(str(at_issue)).quantize(Decimal("0.01"))
    after = Decimal(str(later)).quantize(Decimal("0.01"))
    assert after < before  # 13 quiet weeks lower the odds the customer is still active
    result = report([ticket(clv=str(before), after=str(after))]).clv_post_issue
    assert result.value == float((after / before * 100).quantize(Decimal("0.01")))
    assert result.band == clv_band(after / before * 100)


# --- Perception change ------------------------------------------------------------------------


def test_perception_change_is_mean_post_minus_mean_pre_from_surveys():
    perception = report().perception_change
    # survey pairs: T1 40 -> 80, T2 30 -> 55: 67.5 - 35 = +32.5 points
    assert perception.source == "survey"
    assert perception.value == 32.5
    assert (perception.mean_pre, perception.mean_post) == (35.0, 67.5)
    assert perception.n == 2
    # positive (>= 60) after resolution: c1 (80) yes, c2 (55) no -> 50 %: moderate, inclusive
    assert perception.positive_share_pct == 50.0
    assert perception.band == "moderate"
    assert perception.ticket_ids == ["T1", "T2"]


def test_estimated_perception_is_reported_separately_and_marked():
    by_source = report().perception_change.by_source
    estimated = by_source["estimated"]
    assert estimated.ticket_ids == ["T3"]
    assert estimated.value == 50.0  # 20 -> 70
    assert estimated.positive_share_pct == 100.0 and estimated.band == "strong"
    assert by_source["simulated"].n == 0
    assert by_source["survey"].ticket_ids == ["T1", "T2"]


def _perceived(tid, customer, pre, post, source="survey", hours=0):
    return TicketRecord(
        ticket_id=tid,
        customer_id=customer,
        created_at=T0 + timedelta(hours=hours),
        channel="web",
        category="other",
        perception_pre=PerceptionReading(score=pre, source=source),
        perception_post=PerceptionReading(score=post, source=source),
    )


@pytest.mark.parametrize(
    ("posts", "share", "band"),
    [
        ([60, 60, 60, 59], 75.0, "moderate"),  # exactly 75 is moderate: "above 75" is strict
        ([60, 60, 60, 60, 59], 80.0, "strong"),
        ([60, 59], 50.0, "moderate"),  # exactly 50 is moderate
        ([60, 59, 59], 33.33, "urgent"),
        ([100, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 5.0, "urgent"),
    ],
)
def test_perception_band_boundaries_on_the_positive_share(posts, share, band):
    records = [_perceived(f"t{i}", f"c{i}", 50, post) for i, post in enumerate(posts)]
    perception = report(records).perception_change
    assert perception.positive_share_pct == share
    assert perception.band == band


def test_a_score_of_exactly_sixty_counts_as_positive():
    perception = report([_perceived("t", "c", 10, 60)]).perception_change
    assert perception.positive_share_pct == 100.0


def test_positive_share_counts_each_customer_once_by_latest_score():
    records = [
        _perceived("a1", "a", 50, 90, hours=0),
        _perceived("a2", "a", 50, 20, hours=1),  # a's latest: not positive
        _perceived("b1", "b", 50, 70, hours=2),
    ]
    perception = report(records).perception_change
    assert perception.positive_share_pct == 50.0
    assert perception.value == 10.0  # (90 + 20 + 70) / 3 - 50


def test_simulated_answers_head_the_report_only_when_no_real_survey_exists():
    sim = [_perceived("s", "s", 30, 70, source="simulated")]
    assert report(sim).perception_change.source == "simulated"
    both = [*sim, _perceived("r", "r", 50, 40, hours=1)]
    perception = report(both).perception_change
    assert perception.source == "survey" and perception.value == -10.0
    assert perception.by_source["simulated"].value == 40.0


def test_a_pair_with_any_estimated_score_is_estimated():
    record = TicketRecord(
        ticket_id="t",
        customer_id="c",
        created_at=T0,
        channel="web",
        category="other",
        perception_pre=PerceptionReading(score=30, source="estimated"),
        perception_post=PerceptionReading(score=80, source="survey"),
    )
    perception = report([record]).perception_change
    assert perception.source == "estimated"
    assert report([record]).rows[0].perception_source == "estimated"


@pytest.mark.parametrize(
    ("share", "band"), [(75.01, "strong"), (75, "moderate"), (50, "moderate"), (49.99, "urgent")]
)
def test_perception_band_function_boundaries(share, band):
    assert perception_band(share) == band


# --- Goodwill ---------------------------------------------------------------------------------


def test_source_example_forty_dollars_is_twenty_percent_of_a_200_dollar_clv():
    offer = OfferRecord(kind="store_credit", amount=Decimal(40), currency="USD", status="accepted")
    row = report([ticket(clv="200", offer=offer, tier="gold")]).goodwill.by_tier[0]
    assert (row.key, row.spend, row.clv) == ("gold", Decimal(40), Decimal(200))
    assert row.share_of_clv_pct == 20.0


def test_source_example_residual_clv_of_500_minus_400_is_100():
    """A $500 customer who already spent $400 has $100 residual: a $50 offer is half of it."""
    clv, spent_so_far = Decimal(500), Decimal(400)
    assert residual_clv(clv, spent_so_far) == 100  # the scorer's own arithmetic
    offer = OfferRecord(kind="refund_partial", amount=Decimal(50), currency="USD", status="sent")
    record = ticket(
        clv=str(clv), offer=offer, tier="silver", residual_clv_at_issue=clv - spent_so_far
    )
    row = report([record]).goodwill.by_tier[0]
    assert row.residual_clv == Decimal(100)
    assert row.share_of_clv_pct == 10.0
    assert row.share_of_residual_clv_pct == 50.0


def test_entitlements_are_counted_apart_from_goodwill():
    """EU261 compensation is owed, not goodwill: it never shows as spend against CLV."""
    owed = OfferRecord(
        kind="refund_partial",
        amount=Decimal(600),
        currency="EUR",
        status="sent",
        basis="entitlement",
    )
    given = OfferRecord(kind="store_credit", amount=Decimal(40), currency="EUR", status="sent")
    goodwill = report(
        [
            ticket(clv="200", offer=owed, tier="gold", currency="EUR"),
            ticket(clv="200", offer=given, tier="gold", currency="EUR"),
        ]
    ).goodwill
    assert [(m.amount, m.currency) for m in goodwill.spend] == [(Decimal(40), "EUR")]
    assert [(m.amount, m.currency) for m in goodwill.entitlements] == [(Decimal(600), "EUR")]


def test_spend_counts_offers_sent_or_accepted_not_declined_or_proposed():
    goodwill = report().goodwill
    # T1 40 accepted + T2 50 sent + T5 5 accepted; T3's 10 was declined
    assert [(m.amount, m.currency) for m in goodwill.spend] == [(Decimal(95), "USD")]
    proposed = OfferRecord(
        kind="store_credit", amount=Decimal(9), currency="USD", status="proposed"
    )
    assert report([ticket(offer=proposed)]).goodwill.spend == []


def test_spend_share_of_clv_by_tier_and_segment():
    goodwill = report().goodwill
    tiers = {row.key: row for row in goodwill.by_tier}
    assert set(tiers) == {"bronze", "gold", "silver"}
    # gold: T1 (40 on CLV 200), T4 (0 on CLV 180), T5 (5 on CLV 0, left out): 40 / 380 = 10.53 %
    assert tiers["gold"].spend == Decimal(45)
    assert tiers["gold"].clv == Decimal(380)
    assert tiers["gold"].share_of_clv_pct == 10.53
    assert tiers["gold"].share_of_residual_clv_pct == 11.76  # 40 / (200 + 140)
    assert tiers["gold"].ticket_ids == ["T1", "T4", "T5"]
    assert tiers["silver"].share_of_clv_pct == 10.0  # 50 / 500
    assert tiers["bronze"].share_of_clv_pct == 0.0  # declined offer costs nothing
    segments = {row.key: row.spend for row in goodwill.by_segment}
    assert segments == {"at_risk": 0, "champions": 45, "loyal": 50}


def test_spend_is_kept_apart_by_currency():
    eur = OfferRecord(kind="store_credit", amount=Decimal(10), currency="EUR", status="accepted")
    usd = OfferRecord(kind="store_credit", amount=Decimal(20), currency="USD", status="accepted")
    records = [ticket("a", offer=eur, tier="gold"), ticket("b", offer=usd, tier="gold")]
    goodwill = report(records).goodwill
    assert [(m.currency, m.amount) for m in goodwill.spend] == [
        ("EUR", Decimal(10)),
        ("USD", Decimal(20)),
    ]
    assert [(r.currency, r.share_of_clv_pct) for r in goodwill.by_tier] == [
        ("EUR", 5.0),
        ("USD", 10.0),
    ]


def test_offer_acceptance_counts_answered_offers_only():
    offers = report().goodwill.offers
    assert offers.by_status == {"accepted": 2, "declined": 1, "sent": 1}
    assert offers.by_kind == {
        "discount_code": 1,
        "free_shipping": 1,
        "refund_partial": 1,
        "store_credit": 1,
    }
    assert (offers.acceptance.count, offers.acceptance.n) == (2, 3)
    assert offers.acceptance.pct == 66.67
    assert offers.acceptance.ticket_ids == ["T1", "T5"]
    assert offers.awaiting_answer == 1


def test_recontact_within_fourteen_days():
    recontact = report().goodwill.recontact
    # T1 -> T4 after 10 days: recontact; T4 -> T5 after 31 days: not
    assert (recontact.count, recontact.n, recontact.pct) == (1, 5, 20.0)
    assert recontact.ticket_ids == ["T1"]


def test_recontact_window_boundary_is_inclusive():
    day14 = ticket("a", next_contact_at=T0 + timedelta(days=14))
    day14_plus = ticket("b", customer="d", next_contact_at=T0 + timedelta(days=14, seconds=1))
    assert report([day14, day14_plus]).goodwill.recontact.ticket_ids == ["a"]


def test_automation_escalation_and_guard_figures():
    goodwill = report().goodwill
    # automated: T1, T2 (template fallback still needs no human), T3; T4 human; T5 no reply yet
    assert goodwill.automation.ticket_ids == ["T1", "T2", "T3"]
    assert goodwill.automation.pct == 60.0
    assert (goodwill.escalations.count, goodwill.escalations.rate_pct) == (1, 20.0)
    assert goodwill.escalations.ticket_ids == ["T4"]
    assert goodwill.guard.rejections == 1
    assert goodwill.guard.tickets_with_rejection.ticket_ids == ["T2"]
    assert goodwill.guard.template_fallbacks.pct == 20.0


def test_model_tokens_and_latency():
    model = report().goodwill.model
    assert (model.calls, model.tokens_total, model.tokens_per_ticket) == (3, 300, 100.0)
    assert model.latency_ms_mean == 400.0
    assert model.latency_ms_p95 == 580.0  # 400 + 0.9 x (600 - 400)
    assert model.by_provider == {"local": 2, "openai": 1}


def test_time_to_first_response():
    first = report().goodwill.first_response
    # waits 30, 90, 10, 600 s; T5 has no reply yet
    assert first.n == 4
    assert (first.mean_s, first.median_s) == (182.5, 60.0)
    assert first.p95_s == 523.5  # 90 + 0.85 x (600 - 90)


# --- Root causes ------------------------------------------------------------------------------


def test_root_causes_by_category_with_kpi_impact():
    by_category = {b.key: b for b in report().root_causes.by_category}
    assert list(by_category) == ["late_delivery", "billing_error", "damaged_item"]
    late = by_category["late_delivery"]
    assert (late.tickets, late.share_pct) == (3, 60.0)
    assert late.clv_post_issue_pct == 70.0  # c1 90 %, c3 50 %
    assert late.perception_change == 40.0  # only T1 has a survey pair: 40 -> 80
    assert late.recurring == 1  # T5: c1's second late delivery
    assert late.ticket_ids == ["T1", "T3", "T5"]
    assert [(m.amount, m.currency) for m in late.spend] == [(Decimal(45), "USD")]
    assert by_category["billing_error"].escalation_rate_pct == 100.0


def test_top_recurring_causes_and_repeat_claimants():
    causes = report().root_causes
    assert [b.key for b in causes.top_recurring] == ["late_delivery"]
    [claimant] = causes.repeat_claimants
    assert claimant.customer_id == "c1"
    assert claimant.tickets == 3
    assert claimant.categories == ["billing_error", "late_delivery"]
    assert claimant.ticket_ids == ["T1", "T4", "T5"]
    assert [(m.amount, m.currency) for m in claimant.spend] == [(Decimal(45), "USD")]


def test_breakdown_by_channel():
    channels = {b.key: b.ticket_ids for b in report().by_channel}
    assert channels == {"web": ["T1", "T4", "T5"], "email": ["T2"], "chat": ["T3"]}


# --- Filters and drill-down -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filters", "ids"),
    [
        ({"tier": "gold"}, ["T1", "T4", "T5"]),
        ({"segment": "loyal"}, ["T2"]),
        ({"category": "late_delivery"}, ["T1", "T3", "T5"]),
        ({"channel": "chat"}, ["T3"]),
        ({"policy_version": "v2"}, ["T3", "T5"]),
        ({"date_from": date(2024, 1, 15), "date_to": date(2024, 1, 20)}, ["T2", "T4"]),
        ({"date_to": date(2024, 1, 10)}, ["T1"]),
        ({"tier": "gold", "category": "late_delivery"}, ["T1", "T5"]),
        ({"tier": "platinum"}, []),
    ],
)
def test_every_figure_follows_the_filters(filters, ids):
    result = report(**filters)
    assert [row.ticket_id for row in result.rows] == ids
    assert result.tickets == len(ids)
    assert result.goodwill.automation.n == len(ids)


def test_filtered_kpis_are_recomputed_on_the_selection():
    gold = report(tier="gold")
    assert gold.clv_post_issue.value == 90.0 and gold.clv_post_issue.band == "strong"
    assert gold.perception_change.value == 40.0
    assert gold.perception_change.positive_share_pct == 100.0


def test_recontact_sees_tickets_outside_the_filter():
    # T1's recontact is T4, a billing error: filtering on late deliveries keeps the recontact
    assert report(category="late_delivery").goodwill.recontact.ticket_ids == ["T1"]


def test_an_empty_selection_gives_empty_figures_not_errors():
    result = report([])
    assert result.tickets == 0
    assert result.clv_post_issue.value is None
    assert result.perception_change.value is None and result.perception_change.source is None
    assert result.goodwill.automation.pct is None
    assert result.goodwill.first_response.mean_s is None


def test_every_ticket_has_a_drill_down_row():
    rows = {row.ticket_id: row for row in report().rows}
    assert rows["T1"].clv_after == Decimal(180) and rows["T1"].clv_post_issue_pct == 90.0
    assert rows["T1"].recontacted and rows["T1"].automated and rows["T1"].tokens == 120
    assert rows["T4"].clv_post_issue_pct is None  # pending
    assert rows["T4"].first_response_s == 600.0
    assert rows["T3"].perception_source == "estimated"


def test_the_json_contract_has_value_band_and_n():
    data = report().model_dump(mode="json")
    assert data["clv_post_issue"]["value"] == 70.0
    assert data["clv_post_issue"]["band"] == "moderate"
    assert data["clv_post_issue"]["n"] == 3
    assert data["perception_change"]["value"] == 32.5
    assert data["perception_change"]["n"] == 2
    assert data["goodwill"]["spend"] == [{"amount": "95.00", "currency": "USD"}]


# --- Filters from query parameters ------------------------------------------------------------


def test_filters_parse_from_query_parameters_and_ignore_empty_values():
    filters = KpiFilters.from_query(
        {"date_from": "2024-01-01", "date_to": "2024-01-31", "tier": "gold", "channel": ""}
    )
    assert filters.date_from == date(2024, 1, 1) and filters.date_to == date(2024, 1, 31)
    assert filters.tier == "gold" and filters.channel is None
    assert filters.describe() == "2024-01-01..2024-01-31, tier=gold"
    assert KpiFilters.from_query({}).describe() == "all tickets"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"tier": "diamond"}, "tier"),
        ({"category": "alien_abduction"}, "category"),
        ({"date_from": "yesterday"}, "date_from"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_filters_are_input_errors_naming_the_parameter(params, field):
    from bot.errors import InputError

    with pytest.raises(InputError) as info:
        KpiFilters.from_query(params)
    assert info.value.field == field


def test_a_date_range_that_ends_before_it_starts_is_refused():
    from bot.errors import InputError

    with pytest.raises(InputError, match="date_from is after date_to"):
        KpiFilters.from_query({"date_from": "2024-02-01", "date_to": "2024-01-01"})


def test_windows_come_from_the_policy_kpi_section_with_defaults():
    from types import SimpleNamespace

    policy = SimpleNamespace(kpi=SimpleNamespace(measurement_window_days=30))
    windows = KpiWindows.from_policy(policy)
    assert windows.measurement_window_days == 30
    assert windows.recontact_window_days == 14
    assert KpiWindows.from_policy(SimpleNamespace()) == KpiWindows()


def test_a_shorter_measurement_window_measures_tickets_sooner():
    # T4's rescore on 2024-04-15 is 86 days after the issue: inside 90 days, past 30
    windows = KpiWindows(measurement_window_days=30)
    result = build_report(load_records(), KpiFilters(), windows, generated_at=AT)
    assert result.clv_post_issue.pending == 0
    rows = {r.ticket_id: r for r in result.rows}
    assert rows["T4"].clv_post_issue_pct == 100.0  # 180 -> 180
    # c1 now has T1 (first rescore after 30 days: 2024-04-15, 180 of 200 = 90) and T4 (100)
    assert {c.customer_id: c.pct for c in result.clv_post_issue.customers}["c1"] == 95.0


def test_a_reply_retried_after_a_guard_rejection_counts_every_model_request():
    from bot.kpi import ModelCall

    retried = ticket(model_calls=(ModelCall("local", tokens=300, latency_ms=900.0, calls=2),))
    template_only = ticket("u", model_calls=(ModelCall("template", 0, 0.0, calls=0),))
    model = report([retried, template_only]).goodwill.model
    assert (model.calls, model.tokens_total, model.tokens_per_ticket) == (2, 300, 300.0)
    assert model.latency_ms_mean == 900.0  # per drafted reply
    assert model.by_provider == {"local": 2}


def test_a_replied_ticket_left_open_for_the_offer_is_still_automated():
    replied = ticket(status="open", first_response_at=T0 + timedelta(seconds=5))
    failed = ticket("f", status="failed", first_response_at=T0 + timedelta(seconds=5))
    unanswered = ticket("u", status="resolved")
    assert report([replied, failed, unanswered]).goodwill.automation.ticket_ids == ["t"]
