"""HTML for people: the dashboard page and the one-file report, from a `KpiReport`.

Both are a single self-contained file (inline CSS, inline SVG charts, a few lines of inline
script for drill-down) so the report opens from disk with no network. The dashboard adds a filter
form that submits to its own URL.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from bot.domain import IssueCategory, Segment, Tier
from bot.experiments import ExperimentAnalysis, metric_label
from bot.kpi._charts import (
    BAND_COLOURS,
    Bar,
    Interval,
    band_colour,
    bar_chart,
    gauge,
    grouped_bar_chart,
    interval_chart,
)
from bot.kpi._metrics import clv_band
from bot.kpi._report import KpiReport, Money, TicketKpi

__all__ = ["render_dashboard", "render_report"]

_SOURCE_GUIDANCE_PCT = 20.0  # the source: "20% of a $200 CLV is $40"
_BAND_LABELS = {
    "strong": "strong",
    "moderate": "moderate",
    "act_now": "act now",
    "urgent": "urgent",
}


@functools.cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("bot.kpi", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=False,
    )
    env.globals.update(
        pct=_pct, points=_points, num=_num, money=_money, band_badge=_band_badge, flags=_flags
    )
    return env


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:g} %"


def _points(value: float | None) -> str:
    return "—" if value is None else f"{value:+g} pts"


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:,.2f}".rstrip("0").rstrip(".")


def _money(items: Sequence[Money]) -> str:
    return ", ".join(f"{m.amount} {m.currency}" for m in items) or "—"


def _band_badge(band: str | None) -> Markup:
    label = _BAND_LABELS.get(band or "", "no data")
    return Markup('<span class="band band-{}">{}</span>').format(band or "none", label)


def _flags(row: TicketKpi) -> str:
    flags = [
        name
        for name, on in (
            ("automated", row.automated),
            ("escalated", row.escalated),
            ("recontacted", row.recontacted),
            ("fallback", row.template_fallback),
            (f"guard x{row.guard_rejections}", row.guard_rejections > 0),
        )
        if on
    ]
    return ", ".join(flags)


def _charts(report: KpiReport) -> dict[str, Markup]:
    clv, perception, goodwill = report.clv_post_issue, report.perception_change, report.goodwill
    charts: dict[str, str] = {}
    charts["clv_gauge"] = gauge(
        "chart-clv-gauge",
        "CLV post-issue",
        clv.value,
        band=clv.band,
        unit=" %",
        scale_max=max(120.0, clv.value or 0.0),
        thresholds=(60, 80),
        subtitle="CLV after / CLV at the issue",
    )
    charts["perception_gauge"] = gauge(
        "chart-perception-gauge",
        "Customers positive after resolution",
        perception.positive_share_pct,
        band=perception.band,
        unit=" %",
        scale_max=100.0,
        thresholds=(50, 75),
        subtitle=f"positive after; change {_points(perception.value)}",
    )
    charts["clv_bands"] = bar_chart(
        "chart-clv-bands",
        "CLV post-issue: customers per band",
        [
            Bar(
                _BAND_LABELS[band],
                float(clv.bands.get(band, 0)),
                BAND_COLOURS[band],
                [t for c in clv.customers if c.band == band for t in c.ticket_ids],
            )
            for band in ("strong", "moderate", "act_now")
        ],
    )
    charts["spend_by_tier"] = bar_chart(
        "chart-spend-tier",
        "Goodwill spend as % of CLV, by tier",
        [
            Bar(
                f"{row.key} ({row.currency})",
                row.share_of_clv_pct or 0.0,
                ticket_ids=row.ticket_ids,
                note=f"{row.spend} of {row.clv} {row.currency}",
            )
            for row in goodwill.by_tier
        ],
        unit=" %",
        markers=[(_SOURCE_GUIDANCE_PCT, "#6a1b9a")],
    )
    charts["perception"] = grouped_bar_chart(
        "chart-perception",
        "Perception before and after resolution (0-100), by source",
        [
            (
                f"{source} (n={group.n})",
                [
                    Bar("before", group.mean_pre or 0.0, "#90a4ae", group.ticket_ids),
                    Bar("after", group.mean_post or 0.0, band_colour(group.band), group.ticket_ids),
                ],
            )
            for source, group in perception.by_source.items()
            if group.n
        ],
    )
    charts["categories"] = bar_chart(
        "chart-categories",
        "Tickets by issue category (colour: CLV post-issue band)",
        [
            Bar(
                b.key,
                float(b.tickets),
                band_colour(_clv_band_of(b.clv_post_issue_pct)),
                b.ticket_ids,
                note=f"CLV post-issue {_pct(b.clv_post_issue_pct)}",
            )
            for b in report.root_causes.by_category
        ],
    )
    rate_rows = [
        ("automation", goodwill.automation.pct, goodwill.automation.ticket_ids),
        ("offer acceptance", goodwill.offers.acceptance.pct, goodwill.offers.acceptance.ticket_ids),
        ("recontact", goodwill.recontact.pct, goodwill.recontact.ticket_ids),
        ("escalation", goodwill.escalations.rate_pct, goodwill.escalations.ticket_ids),
        (
            "template fallback",
            goodwill.guard.template_fallbacks.pct,
            goodwill.guard.template_fallbacks.ticket_ids,
        ),
        (
            "guard rejection",
            goodwill.guard.tickets_with_rejection.pct,
            goodwill.guard.tickets_with_rejection.ticket_ids,
        ),
    ]
    if goodwill.guard.tickets_with_quality_rejection is not None:
        q = goodwill.guard.tickets_with_quality_rejection
        rate_rows.append(("quality-gate rejection", q.pct, q.ticket_ids))
    if goodwill.guard.model_written is not None:
        m = goodwill.guard.model_written
        rate_rows.append(("model-written reply", m.pct, m.ticket_ids))
    charts["rates"] = bar_chart(
        "chart-rates",
        "Operations (% of tickets; acceptance: % of answered offers)",
        [Bar(name, pct, ticket_ids=ids) for name, pct, ids in rate_rows if pct is not None],
        unit=" %",
        max_value=100.0,
    )
    charts["channels"] = bar_chart(
        "chart-channels",
        "Tickets by channel",
        [Bar(b.key, float(b.tickets), ticket_ids=b.ticket_ids) for b in report.by_channel],
    )
    return {name: Markup(svg) for name, svg in charts.items()}  # built with escaped text only


_CHART_METRICS = ("net_value", "net_value_cuped", "clv_after", "clv_after_cuped", "spend")


def _experiment_panels(report: KpiReport) -> list[tuple[ExperimentAnalysis, Markup]]:
    """Each experiment with its interval chart: every arm minus the control, money metrics."""
    panels = []
    for i, exp in enumerate(report.experiments):
        several = len(exp.arms) > 2  # name the arm only when there is more than one to compare
        rows = [
            Interval(
                f"{e.arm}: {metric_label(e.metric)}" if several else metric_label(e.metric),
                e.estimate,
                e.ci_low,
                e.ci_high,
                note=f"p = {e.p_value:.3g}, n = {e.n_arm} vs {e.n_control}",
                higher_is_better=e.metric != "spend",
            )
            for metric in _CHART_METRICS
            for e in exp.effects
            if e.metric == metric
        ]
        svg = interval_chart(
            f"chart-experiment-{i}",
            f"{' / '.join(a.arm for a in exp.arms if not a.control)} minus {exp.control}: "
            f"{exp.currency} per customer, 95% intervals",
            rows,
        )
        panels.append((exp, Markup(svg)))  # built with escaped text only
    return panels


def _clv_band_of(pct: float | None) -> str | None:
    return None if pct is None else clv_band(pct)


def _tiles(report: KpiReport) -> list[tuple[str, str, str]]:
    g = report.goodwill
    return [
        ("goodwill spend", _money(g.spend), f"{report.tickets} tickets"),
        ("automation", _pct(g.automation.pct), f"{g.automation.count} without a human"),
        ("offer acceptance", _pct(g.offers.acceptance.pct), f"of {g.offers.acceptance.n} answered"),
        ("recontact", _pct(g.recontact.pct), f"within {report.windows.recontact_window_days} days"),
        ("escalations", str(g.escalations.count), _pct(g.escalations.rate_pct)),
        (
            "template replies",
            str(g.guard.template_fallbacks.count),
            f"model drafts refused: {g.guard.rejections} by the guard, "
            f"{g.guard.quality_rejections} by the quality gate",
        ),
        (
            "model-written replies",
            _pct(g.guard.model_written.pct if g.guard.model_written else None),
            "the rest: approved phrases only",
        ),
    ]


def _render(
    report: KpiReport,
    *,
    dashboard: bool,
    title: str,
    json_url: str | None,
    max_rows: int | None = None,
) -> str:
    template = _environment().get_template("kpi.html")
    filters = report.filters
    return template.render(
        title=title,
        report=report,
        rows=report.rows[-max_rows:] if max_rows else report.rows,
        clv=report.clv_post_issue,
        perception=report.perception_change,
        g=report.goodwill,
        charts=_charts(report),
        experiments=_experiment_panels(report),
        metric_label=metric_label,
        tiles=_tiles(report),
        dashboard=dashboard,
        json_url=json_url,
        choices=[
            ("tier", [t.value for t in Tier]),
            ("segment", [s.value for s in Segment]),
            ("category", [c.value for c in IssueCategory]),
        ],
        selected={
            "tier": filters.tier and filters.tier.value,
            "segment": filters.segment and filters.segment.value,
            "category": filters.category and filters.category.value,
        },
    )


def render_dashboard(report: KpiReport, *, json_url: str | None = None, max_rows: int = 500) -> str:
    """The `/dashboard` page: charts, bands as colours, a filter form submitting to itself.

    The drill-down table lists the latest `max_rows` tickets so the page stays light; the bars
    still carry every ticket id.
    """
    return _render(
        report, dashboard=True, title="appease KPI dashboard", json_url=json_url, max_rows=max_rows
    )


def render_report(report: KpiReport, *, title: str = "appease KPI report") -> str:
    """One self-contained HTML file with every chart and the tickets behind them."""
    return _render(report, dashboard=False, title=title, json_url=None)
