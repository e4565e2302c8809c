"""Money and band invariants of the KPI maths, over generated tickets (hypothesis)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from bot.kpi import (
    KpiFilters,
    KpiWindows,
    OfferRecord,
    Snapshot,
    TicketRecord,
    build_report,
    clv_band,
    perception_band,
)

T0 = datetime.fromisoformat("2024-01-01T00:00:00+00:00")
ORDER = {"act_now": 0, "urgent": 0, "moderate": 1, "strong": 2}

money = st.decimals(min_value=0, max_value=10_000, places=2, allow_nan=False, allow_infinity=False)


offers = st.one_of(
    st.none(),
    st.builds(
        OfferRecord,
        kind=st.sampled_from(["store_credit", "refund_partial", "discount_code"]),
        amount=money,
        currency=st.sampled_from(["USD", "EUR"]),
        status=st.sampled_from(["proposed", "sent", "accepted", "declined"]),
    ),
)
ticket_fields = st.tuples(
    st.one_of(st.none(), money),  # CLV at the issue
    money,  # CLV after the window
    offers,
    st.sampled_from(["a", "b", "c", "d"]),
    st.sampled_from([None, "bronze", "gold"]),
    st.sampled_from([None, "loyal", "lost"]),
    st.sampled_from(["late_delivery", "billing_error"]),
)


def _ticket(i: int, fields) -> TicketRecord:
    clv, after, offer, customer, tier, segment, category = fields
    return TicketRecord(
        ticket_id=f"t{i}",
        customer_id=customer,
        created_at=T0 + timedelta(hours=i),
        channel="web" if i % 2 else "chat",
        category=category,
        currency=offer.currency if offer else "USD",
        tier=tier,
        segment=segment,
        clv_at_issue=clv,
        residual_clv_at_issue=clv,
        later_snapshots=(Snapshot(clv=after, taken_at=T0 + timedelta(days=200)),),
        offer=offer,
    )


ticket_lists = st.lists(ticket_fields, max_size=15).map(
    lambda rows: [_ticket(i, fields) for i, fields in enumerate(rows)]
)


def _totals(rows, amount=lambda r: r.spend):
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        totals[row.currency] += amount(row)
    return {c: a for c, a in totals.items() if a}


@given(ticket_lists)
def test_spend_by_tier_segment_and_category_adds_up_to_the_total(records):
    report = build_report(records, KpiFilters(), KpiWindows(), generated_at=T0)
    total = {m.currency: m.amount for m in report.goodwill.spend}
    spent = defaultdict(Decimal)
    for r in records:
        if r.offer and r.offer.status in ("sent", "accepted"):
            spent[r.offer.currency] += r.offer.amount
    assert total == {c: a for c, a in spent.items() if a}
    assert _totals(report.goodwill.by_tier) == total
    assert _totals(report.goodwill.by_segment) == total
    by_category = defaultdict(Decimal)
    for b in report.root_causes.by_category:
        for m in b.spend:
            by_category[m.currency] += m.amount
    assert dict(by_category) == total


@given(ticket_lists)
def test_every_ticket_is_counted_once_per_breakdown(records):
    report = build_report(records, KpiFilters(), KpiWindows(), generated_at=T0)
    ids = sorted(r.ticket_id for r in records)
    for rows in (report.goodwill.by_tier, report.root_causes.by_category, report.by_channel):
        assert sorted(t for row in rows for t in row.ticket_ids) == ids


@given(ticket_lists)
def test_share_of_clv_is_spend_over_clv(records):
    report = build_report(records, KpiFilters(), KpiWindows(), generated_at=T0)
    for row in report.goodwill.by_tier:
        if row.share_of_clv_pct is None:
            assert row.clv == 0
            continue
        spend_with_clv = sum(
            (
                r.offer.amount
                for r in records
                if r.ticket_id in row.ticket_ids
                and r.clv_at_issue
                and r.offer
                and r.offer.status in ("sent", "accepted")
            ),
            Decimal(0),
        )
        assert abs(Decimal(str(row.share_of_clv_pct)) - spend_with_clv / row.clv * 100) <= Decimal(
            "0.005"
        )


@given(ticket_lists, st.sampled_from(["bronze", "gold"]))
def test_filtered_tickets_are_a_subset_that_partitions_by_tier(records, tier):
    everything = build_report(records, KpiFilters(), KpiWindows(), generated_at=T0)
    one = build_report(records, KpiFilters(tier=tier), KpiWindows(), generated_at=T0)
    assert {r.ticket_id for r in one.rows} <= {r.ticket_id for r in everything.rows}
    assert all(r.tier == tier for r in one.rows)


@given(
    st.decimals(min_value=0, max_value=200, places=3, allow_nan=False),
    st.decimals(min_value=0, max_value=200, places=3, allow_nan=False),
)
def test_bands_never_get_worse_as_the_value_rises(low, high):
    low, high = min(low, high), max(low, high)
    assert ORDER[clv_band(low)] <= ORDER[clv_band(high)]
    assert ORDER[perception_band(low)] <= ORDER[perception_band(high)]
