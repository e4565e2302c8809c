"""The KPI maths on plain `TicketRecord`s: no database, no clock, hand-checkable.

Definitions (README "KPIs" has the long form):

- CLV post-issue, per ticket: CLV after / CLV at the issue x 100. "After" is the first rescore
  taken once the measurement window has passed; if none yet, the latest rescore made because new
  transactions arrived; if neither, the ticket is pending. Per customer: the mean of their tickets'
  ratios. Headline: the median of per-customer ratios (each customer weighs the same, so a repeat
  claimant cannot dominate, and neither can a few near-zero CLVs at the issue whose ratios run
  into the thousands); their mean and the ratio of sums are reported beside it. Bands on the
  value rounded to 0.01: above 80 strong, 60 to 80 inclusive moderate, below 60 act now.
- Perception change: mean post score - mean pre score, in points on 0-100, over tickets that have
  both. Positive after resolution means a post score of at least `positive_threshold` (60); the
  positive share counts customers, each by their latest post score. Bands on that share: above 75
  strong, 50 to 75 inclusive moderate, below 50 urgent. A pair is `estimated` if either score came
  from sentiment, else `simulated` if either is simulated, else `survey`; each source is reported
  on its own and the headline uses surveys, else simulated, else estimated.
- Spend is the money value of offers sent or accepted; declined and merely proposed offers cost
  nothing. Acceptance counts answered offers only (accepted / (accepted + declined)).
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from statistics import fmean, median

from bot.domain import minor_unit
from bot.kpi._records import NEW_DATA_REASONS, Snapshot, TicketRecord
from bot.kpi._report import (
    Breakdown,
    ClvBand,
    ClvCustomer,
    ClvPostIssue,
    Escalations,
    FirstResponse,
    Goodwill,
    GuardStats,
    KpiFilters,
    KpiReport,
    KpiWindows,
    ModelUsage,
    Money,
    OfferStats,
    PerceptionBand,
    PerceptionChange,
    PerceptionGroup,
    Rate,
    RepeatClaimant,
    RootCauses,
    SpendRow,
    TicketKpi,
)
from bot.store import OfferStatus, TicketState, TicketStatus

__all__ = [
    "SPENT_STATUSES",
    "build_report",
    "clv_band",
    "clv_post_issue",
    "percent",
    "perception_band",
    "perception_change",
    "pick_after_snapshot",
    "select_records",
    "ticket_clv_pct",
]

SPENT_STATUSES = frozenset({OfferStatus.sent, OfferStatus.accepted})
_ANSWERED = frozenset({OfferStatus.accepted, OfferStatus.declined})
_HUNDRED = Decimal(100)
_CENT = Decimal("0.01")
_SOURCE_ORDER = ("survey", "simulated", "estimated")
_TOP_RECURRING = 5
# A ticket whose request failed (`TicketState.failed`) is read with that as its status.
_UNRESOLVED_STATUSES = frozenset({TicketState.failed, TicketStatus.escalated})


def _dec(value: Decimal | float) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def percent(part: Decimal | float, whole: Decimal | float) -> Decimal | None:
    """`part / whole` as a percentage rounded half-up to 0.01; None when `whole` is zero."""
    if _dec(whole) == 0:
        return None
    return (_dec(part) / _dec(whole) * _HUNDRED).quantize(_CENT, rounding=ROUND_HALF_UP)


def _round(value: Decimal | float | None) -> float | None:
    if value is None:
        return None
    return float(_dec(value).quantize(_CENT, rounding=ROUND_HALF_UP))


def clv_band(pct: Decimal | float) -> ClvBand:
    """Above 80 strong; 60 to 80, both ends included, moderate; below 60 act now."""
    value = _dec(pct).quantize(_CENT, rounding=ROUND_HALF_UP)
    if value > 80:
        return "strong"
    if value >= 60:
        return "moderate"
    return "act_now"


def perception_band(positive_share_pct: Decimal | float) -> PerceptionBand:
    """Above 75 strong; 50 to 75, both ends included, moderate; below 50 urgent."""
    value = _dec(positive_share_pct).quantize(_CENT, rounding=ROUND_HALF_UP)
    if value > 75:
        return "strong"
    if value >= 50:
        return "moderate"
    return "urgent"


def select_records(records: Iterable[TicketRecord], filters: KpiFilters) -> list[TicketRecord]:
    """The tickets the filters cover, oldest first (dates inclusive, on the ticket's UTC day)."""
    chosen = []
    for r in records:
        day = r.created_at.date()
        if (filters.date_from and day < filters.date_from) or (
            filters.date_to and day > filters.date_to
        ):
            continue
        wanted = (
            (filters.tier, r.tier),
            (filters.segment, r.segment),
            (filters.category, r.category),
            (filters.channel, r.channel),
            (filters.policy_version, r.policy_version),
        )
        if any(want is not None and str(want) != got for want, got in wanted):
            continue
        chosen.append(r)
    return sorted(chosen, key=lambda r: (r.created_at, r.ticket_id))


def pick_after_snapshot(record: TicketRecord, measurement_window_days: int) -> Snapshot | None:
    """The post-issue CLV snapshot: first rescore after the window, else latest new-data rescore."""
    window_end = record.created_at + timedelta(days=measurement_window_days)
    later = sorted(
        (s for s in record.later_snapshots if s.taken_at > record.created_at),
        key=lambda s: s.taken_at,
    )
    for snap in later:
        if snap.taken_at >= window_end:
            return snap
    new_data = [s for s in later if s.reason in NEW_DATA_REASONS]
    return new_data[-1] if new_data else None


def ticket_clv_pct(record: TicketRecord, measurement_window_days: int) -> Decimal | None:
    """One ticket's CLV post-issue percentage, unrounded; None if pending or not measurable."""
    if not record.clv_at_issue:  # None or zero: no ratio
        return None
    after = pick_after_snapshot(record, measurement_window_days)
    if after is None:
        return None
    return after.clv / record.clv_at_issue * _HUNDRED


def clv_post_issue(
    records: Sequence[TicketRecord],
    measurement_window_days: int,
    afters: Mapping[str, Snapshot | None] | None = None,
) -> ClvPostIssue:
    """`afters` (ticket id -> post-issue snapshot) saves re-picking when called per group."""
    per_customer: dict[str, list[tuple[str, Decimal]]] = defaultdict(list)
    before_sum = after_sum = Decimal(0)
    pending = excluded = 0
    measured_ids: list[str] = []
    for r in records:
        if not r.clv_at_issue:
            excluded += 1
            continue
        after = (
            afters[r.ticket_id]
            if afters is not None
            else pick_after_snapshot(r, measurement_window_days)
        )
        if after is None:
            pending += 1
            continue
        per_customer[r.customer_id].append((r.ticket_id, after.clv / r.clv_at_issue * _HUNDRED))
        before_sum += r.clv_at_issue
        after_sum += after.clv
        measured_ids.append(r.ticket_id)
    customers = []
    means: list[Decimal] = []
    for customer_id, pairs in sorted(per_customer.items()):
        pct = sum((p for _, p in pairs), Decimal(0)) / len(pairs)
        means.append(pct)
        customers.append(
            ClvCustomer(
                customer_id=customer_id,
                pct=float(pct.quantize(_CENT, rounding=ROUND_HALF_UP)),
                band=clv_band(pct),
                ticket_ids=[t for t, _ in pairs],
            )
        )
    value: Decimal | None = None
    mean: Decimal | None = None
    if means:
        # The median customer: each customer weighs the same, and a few whose CLV at the issue
        # was near zero (ratios in the thousands) cannot carry the headline over the bands.
        value = statistics.median(means).quantize(_CENT, rounding=ROUND_HALF_UP)
        mean = (sum(means, Decimal(0)) / len(means)).quantize(_CENT, rounding=ROUND_HALF_UP)
    bands = Counter(c.band for c in customers)
    return ClvPostIssue(
        value=_round(value),
        band=clv_band(value) if value is not None else None,
        n=len(customers),
        tickets_measured=len(measured_ids),
        ratio_of_sums_pct=_round(percent(after_sum, before_sum)),
        mean_pct=_round(mean),
        pending=pending,
        excluded=excluded,
        bands={b: bands.get(b, 0) for b in ("strong", "moderate", "act_now")},
        customers=customers,
        ticket_ids=measured_ids,
    )


def _pair_source(record: TicketRecord) -> str | None:
    pre, post = record.perception_pre, record.perception_post
    if pre is None or post is None:
        return None
    sources = {pre.source, post.source}
    for source in ("estimated", "simulated"):
        if source in sources:
            return source
    return "survey"


def _perception_group(records: Sequence[TicketRecord], threshold: float) -> PerceptionGroup:
    pres: list[float] = []
    posts: list[float] = []
    latest_post: dict[str, float] = {}
    for r in records:  # oldest first: the last write per customer is their latest score
        assert r.perception_pre is not None and r.perception_post is not None
        pres.append(r.perception_pre.score)
        posts.append(r.perception_post.score)
        latest_post[r.customer_id] = r.perception_post.score
    if not records:
        return PerceptionGroup(
            value=None,
            band=None,
            n=0,
            customers=0,
            mean_pre=None,
            mean_post=None,
            positive_share_pct=None,
            ticket_ids=[],
        )
    positive = sum(1 for score in latest_post.values() if score >= threshold)
    share = percent(positive, len(latest_post))
    mean_pre, mean_post = fmean(pres), fmean(posts)
    return PerceptionGroup(
        value=_round(Decimal(str(mean_post)) - Decimal(str(mean_pre))),
        band=perception_band(share) if share is not None else None,
        n=len(records),
        customers=len(latest_post),
        mean_pre=_round(mean_pre),
        mean_post=_round(mean_post),
        positive_share_pct=_round(share),
        ticket_ids=[r.ticket_id for r in records],
    )


def perception_change(records: Sequence[TicketRecord], threshold: float) -> PerceptionChange:
    by_source: dict[str, list[TicketRecord]] = {s: [] for s in _SOURCE_ORDER}
    for r in records:
        source = _pair_source(r)
        if source is not None:
            by_source[source].append(r)
    groups = {s: _perception_group(rs, threshold) for s, rs in by_source.items()}
    headline_source = next((s for s in _SOURCE_ORDER if groups[s].n), None)
    head = groups[headline_source] if headline_source else _perception_group([], threshold)
    return PerceptionChange(
        value=head.value,
        band=head.band,
        n=head.n,
        source=headline_source,
        positive_threshold=threshold,
        mean_pre=head.mean_pre,
        mean_post=head.mean_post,
        positive_share_pct=head.positive_share_pct,
        by_source=groups,
        ticket_ids=head.ticket_ids,
    )


def _money(amount: Decimal, currency: str) -> Decimal:
    """Money to the currency's minor unit (half-up: these are sums to report, not caps)."""
    return amount.quantize(minor_unit(currency), rounding=ROUND_HALF_UP)


def _spent(record: TicketRecord) -> Decimal:
    """Goodwill given; an entitlement is owed, not goodwill, and is counted apart."""
    offer = record.offer
    if offer is None or offer.status not in SPENT_STATUSES or offer.basis == "entitlement":
        return Decimal(0)
    return offer.amount


def _owed(record: TicketRecord) -> Decimal:
    """An entitlement given (owed by law or contract): counted apart from goodwill."""
    offer = record.offer
    if offer is None or offer.status not in SPENT_STATUSES or offer.basis != "entitlement":
        return Decimal(0)
    return offer.amount


def _money_totals(
    records: Iterable[TicketRecord], amount_of: Callable[[TicketRecord], Decimal] = _spent
) -> list[Money]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for r in records:
        amount = amount_of(r)
        if amount:
            totals[r.offer.currency if r.offer else r.currency] += amount
    return [Money(amount=_money(a, c), currency=c) for c, a in sorted(totals.items())]


def _spend_rows(
    records: Sequence[TicketRecord], key: Callable[[TicketRecord], str | None]
) -> list[SpendRow]:
    groups: dict[tuple[str, str], list[TicketRecord]] = defaultdict(list)
    for r in records:
        currency = r.offer.currency if r.offer else r.currency
        groups[(key(r) or "unknown", currency)].append(r)
    rows = []
    for (name, currency), rs in sorted(groups.items()):
        with_clv = [r for r in rs if r.clv_at_issue]
        spend_with_clv = sum((_spent(r) for r in with_clv), Decimal(0))
        clv = sum((r.clv_at_issue or Decimal(0) for r in with_clv), Decimal(0))
        residual = sum((r.residual_clv_at_issue or Decimal(0) for r in with_clv), Decimal(0))
        rows.append(
            SpendRow(
                key=name,
                currency=currency,
                tickets=len(rs),
                spend=_money(sum((_spent(r) for r in rs), Decimal(0)), currency),
                clv=_money(clv, currency),
                residual_clv=_money(residual, currency),
                share_of_clv_pct=_round(percent(spend_with_clv, clv)),
                share_of_residual_clv_pct=_round(percent(spend_with_clv, residual))
                if residual > 0
                else None,
                ticket_ids=[r.ticket_id for r in rs],
            )
        )
    return rows


def _rate(records: Sequence[TicketRecord], hit: Callable[[TicketRecord], bool]) -> Rate:
    ids = [r.ticket_id for r in records if hit(r)]
    return Rate(
        count=len(ids), n=len(records), pct=_round(percent(len(ids), len(records))), ticket_ids=ids
    )


def _recontacted(record: TicketRecord, window_days: int) -> bool:
    nxt = record.next_contact_at
    return nxt is not None and record.created_at < nxt <= record.created_at + timedelta(
        days=window_days
    )


def _automated(record: TicketRecord) -> bool:
    """Answered with no human in the loop: the customer got a reply, nobody escalated it or
    handled it as an agent, and the ticket did not fail. (A ticket may stay `open` while the
    customer considers an offer; it is still automated.)"""
    return (
        record.first_response_at is not None
        and not (record.escalated or record.human_handled)
        and record.status not in _UNRESOLVED_STATUSES
    )


def _quantile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default method)."""
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def _first_response(records: Sequence[TicketRecord]) -> FirstResponse:
    waits = [
        (r.first_response_at - r.created_at).total_seconds()
        for r in records
        if r.first_response_at is not None
    ]
    if not waits:
        return FirstResponse(n=0, mean_s=None, median_s=None, p95_s=None)
    return FirstResponse(
        n=len(waits),
        mean_s=_round(fmean(waits)),
        median_s=_round(median(waits)),
        p95_s=_round(_quantile(waits, 0.95)),
    )


def _model_usage(records: Sequence[TicketRecord]) -> ModelUsage:
    """Tokens per ticket count tickets that used the model; latency is per drafted reply."""
    usage = [c for r in records for c in r.model_calls if c.calls > 0]
    with_calls = sum(1 for r in records if any(c.calls > 0 for c in r.model_calls))
    tokens = sum(c.tokens for c in usage)
    latencies = [c.latency_ms for c in usage]
    by_provider: Counter[str] = Counter()
    for c in usage:
        by_provider[c.provider] += c.calls
    return ModelUsage(
        calls=sum(c.calls for c in usage),
        tokens_total=tokens,
        tokens_per_ticket=_round(tokens / with_calls) if with_calls else None,
        latency_ms_mean=_round(fmean(latencies)) if latencies else None,
        latency_ms_p95=_round(_quantile(latencies, 0.95)) if latencies else None,
        by_provider=dict(sorted(by_provider.items())),
    )


def _offer_stats(records: Sequence[TicketRecord]) -> OfferStats:
    offered = [r for r in records if r.offer is not None]
    answered = [r for r in offered if r.offer and r.offer.status in _ANSWERED]
    accepted = [r.ticket_id for r in answered if r.offer and r.offer.status == OfferStatus.accepted]
    return OfferStats(
        by_status=dict(sorted(Counter(r.offer.status for r in offered if r.offer).items())),
        by_kind=dict(sorted(Counter(r.offer.kind for r in offered if r.offer).items())),
        acceptance=Rate(
            count=len(accepted),
            n=len(answered),
            pct=_round(percent(len(accepted), len(answered))),
            ticket_ids=accepted,
        ),
        awaiting_answer=sum(1 for r in offered if r.offer and r.offer.status == OfferStatus.sent),
    )


def _recurring_ids(records: Sequence[TicketRecord], key: Callable[[TicketRecord], str]) -> set[str]:
    """Tickets whose customer already had an earlier ticket with the same key (in scope)."""
    seen: set[tuple[str, str]] = set()
    recurring = set()
    for r in records:  # oldest first
        k = (r.customer_id, key(r))
        if k in seen:
            recurring.add(r.ticket_id)
        seen.add(k)
    return recurring


def _breakdowns(
    records: Sequence[TicketRecord],
    key: Callable[[TicketRecord], str],
    windows: KpiWindows,
    afters: Mapping[str, Snapshot | None],
) -> list[Breakdown]:
    groups: dict[str, list[TicketRecord]] = defaultdict(list)
    for r in records:
        groups[key(r)].append(r)
    recurring = _recurring_ids(records, key)
    rows = []
    for name, rs in groups.items():
        clv = clv_post_issue(rs, windows.measurement_window_days, afters)
        perception = perception_change(rs, windows.positive_threshold)
        rows.append(
            Breakdown(
                key=name,
                tickets=len(rs),
                share_pct=_round(percent(len(rs), len(records))) or 0.0,
                spend=_money_totals(rs),
                clv_post_issue_pct=clv.value,
                perception_change=perception.value,
                escalation_rate_pct=_rate(rs, lambda r: r.escalated).pct,
                recontact_rate_pct=_rate(
                    rs, lambda r: _recontacted(r, windows.recontact_window_days)
                ).pct,
                recurring=sum(1 for r in rs if r.ticket_id in recurring),
                ticket_ids=[r.ticket_id for r in rs],
            )
        )
    return sorted(rows, key=lambda b: (-b.tickets, b.key))


def _repeat_claimants(records: Sequence[TicketRecord]) -> list[RepeatClaimant]:
    by_customer: dict[str, list[TicketRecord]] = defaultdict(list)
    for r in records:
        by_customer[r.customer_id].append(r)
    claimants = [
        RepeatClaimant(
            customer_id=cid,
            tickets=len(rs),
            categories=sorted({r.category for r in rs}),
            spend=_money_totals(rs),
            ticket_ids=[r.ticket_id for r in rs],
        )
        for cid, rs in by_customer.items()
        if len(rs) >= 2
    ]
    return sorted(claimants, key=lambda c: (-c.tickets, c.customer_id))


def _ticket_row(r: TicketRecord, windows: KpiWindows, after: Snapshot | None) -> TicketKpi:
    pct = after.clv / r.clv_at_issue * _HUNDRED if after and r.clv_at_issue else None
    latencies = [c.latency_ms for c in r.model_calls]
    return TicketKpi(
        ticket_id=r.ticket_id,
        customer_id=r.customer_id,
        created_at=r.created_at,
        channel=r.channel,
        category=r.category,
        severity=r.severity,
        tier=r.tier,
        segment=r.segment,
        policy_version=r.policy_version,
        offer_kind=r.offer.kind if r.offer else None,
        offer_amount=r.offer.amount if r.offer else None,
        offer_currency=r.offer.currency if r.offer else None,
        offer_status=r.offer.status if r.offer else None,
        clv_at_issue=r.clv_at_issue,
        clv_after=after.clv if after and r.clv_at_issue else None,
        clv_post_issue_pct=_round(pct),
        perception_pre=r.perception_pre.score if r.perception_pre else None,
        perception_post=r.perception_post.score if r.perception_post else None,
        perception_source=_pair_source(r),
        recontacted=_recontacted(r, windows.recontact_window_days),
        automated=_automated(r),
        escalated=r.escalated,
        guard_rejections=r.guard_rejections,
        template_fallback=r.template_fallback,
        tokens=sum(c.tokens for c in r.model_calls),
        latency_ms=_round(sum(latencies)) if latencies else None,
        first_response_s=_round((r.first_response_at - r.created_at).total_seconds())
        if r.first_response_at
        else None,
    )


def build_report(
    records: Iterable[TicketRecord],
    filters: KpiFilters,
    windows: KpiWindows,
    *,
    generated_at: datetime,
) -> KpiReport:
    """All the KPIs over the records the filters select."""
    rs = select_records(records, filters)
    escalated = [r.ticket_id for r in rs if r.escalated]
    goodwill = Goodwill(
        spend=_money_totals(rs),
        entitlements=_money_totals(rs, _owed),
        by_tier=_spend_rows(rs, lambda r: r.tier),
        by_segment=_spend_rows(rs, lambda r: r.segment),
        offers=_offer_stats(rs),
        recontact=_rate(rs, lambda r: _recontacted(r, windows.recontact_window_days)),
        automation=_rate(rs, _automated),
        escalations=Escalations(
            count=len(escalated),
            rate_pct=_round(percent(len(escalated), len(rs))),
            ticket_ids=escalated,
        ),
        guard=GuardStats(
            rejections=sum(r.guard_rejections for r in rs),
            tickets_with_rejection=_rate(rs, lambda r: r.guard_rejections > 0),
            template_fallbacks=_rate(rs, lambda r: r.template_fallback),
            quality_rejections=sum(r.quality_rejections for r in rs),
            tickets_with_quality_rejection=_rate(rs, lambda r: r.quality_rejections > 0),
            model_written=_rate(rs, lambda r: r.model_text),
        ),
        model=_model_usage(rs),
        first_response=_first_response(rs),
    )
    afters = {r.ticket_id: pick_after_snapshot(r, windows.measurement_window_days) for r in rs}
    by_category = _breakdowns(rs, lambda r: r.category, windows, afters)
    top_recurring = sorted(
        (b for b in by_category if b.recurring), key=lambda b: (-b.recurring, -b.tickets, b.key)
    )[:_TOP_RECURRING]
    return KpiReport(
        generated_at=generated_at,
        filters=filters,
        windows=windows,
        tickets=len(rs),
        clv_post_issue=clv_post_issue(rs, windows.measurement_window_days, afters),
        perception_change=perception_change(rs, windows.positive_threshold),
        goodwill=goodwill,
        root_causes=RootCauses(
            by_category=by_category,
            top_recurring=top_recurring,
            repeat_claimants=_repeat_claimants(rs),
        ),
        by_channel=_breakdowns(rs, lambda r: r.channel, windows, afters),
        rows=[_ticket_row(r, windows, afters[r.ticket_id]) for r in rs],
    )
