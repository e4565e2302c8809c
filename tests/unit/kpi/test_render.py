"""The dashboard page, the one-file report and the CSV tables drawn from a `KpiReport`."""

from __future__ import annotations

import csv
import re
import xml.etree.ElementTree as ET
from datetime import date

from bot.kpi import (
    CSV_TABLES,
    KpiFilters,
    KpiWindows,
    TicketRecord,
    build_report,
    render_dashboard,
    render_report,
    write_csv,
)
from tests.unit.kpi.fixtures import AT, load_records

SVG_NS = "{http://www.w3.org/2000/svg}"


def report(records=None, **filters):
    return build_report(
        load_records() if records is None else records,
        KpiFilters(**filters),
        KpiWindows(),
        generated_at=AT,
    )


def svgs(html: str) -> dict[str, ET.Element]:
    found = {}
    for match in re.finditer(r"<svg\b.*?</svg>", html, flags=re.S):
        element = ET.fromstring(match.group(0))  # the charts are well-formed XML
        found[element.get("id")] = element
    return found


def bars(chart: ET.Element) -> list[ET.Element]:
    return [r for r in chart.iter(f"{SVG_NS}rect") if r.get("class") == "bar"]


def test_report_is_one_file_that_needs_no_network():
    html = render_report(report())
    assert "<link" not in html
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert re.findall(r"https?://[^\"' ]+", html) == ["http://www.w3.org/2000/svg"] * len(
        svgs(html)
    )


def test_report_draws_every_chart():
    charts = svgs(render_report(report()))
    assert set(charts) == {
        "chart-clv-gauge",
        "chart-perception-gauge",
        "chart-clv-bands",
        "chart-spend-tier",
        "chart-perception",
        "chart-categories",
        "chart-rates",
        "chart-channels",
    }
    assert [b.get("data-label") for b in bars(charts["chart-categories"])] == [
        "late_delivery",
        "billing_error",
        "damaged_item",
    ]
    assert all(float(b.get("width")) > 0 for b in bars(charts["chart-rates"]))


def test_bands_are_colours():
    charts = svgs(render_report(report()))
    # CLV post-issue 70 %: moderate (amber); perception positive share 50 %: moderate
    arcs = [p for p in charts["chart-clv-gauge"].iter(f"{SVG_NS}path") if p.get("class") == "arc"]
    assert arcs[0].get("stroke") == "#f9a825"
    band_bars = {b.get("data-label"): b.get("fill") for b in bars(charts["chart-clv-bands"])}
    assert band_bars == {"strong": "#2e7d32", "moderate": "#f9a825", "act now": "#c62828"}
    gold = report(tier="gold")  # CLV post-issue 90 %: strong
    arc = next(
        p
        for p in svgs(render_report(gold))["chart-clv-gauge"].iter(f"{SVG_NS}path")
        if p.get("class") == "arc"
    )
    assert arc.get("stroke") == "#2e7d32"


def test_chart_bars_carry_the_tickets_behind_them():
    charts = svgs(render_report(report()))
    tickets = {b.get("data-label"): b.get("data-tickets") for b in bars(charts["chart-channels"])}
    assert tickets == {"web": "T1 T4 T5", "email": "T2", "chat": "T3"}
    html = render_report(report())
    for tid in ("T1", "T2", "T3", "T4", "T5"):
        assert f'data-ticket="{tid}"' in html


def test_the_spend_chart_marks_the_twenty_percent_guidance():
    chart = svgs(render_report(report()))["chart-spend-tier"]
    assert any(t.text == "20 %" for t in chart.iter(f"{SVG_NS}text"))


def test_customer_controlled_text_is_escaped():
    hostile = TicketRecord(
        ticket_id="<img src=x onerror=alert(1)>",
        customer_id="c",
        created_at=AT,
        channel='web"><script>alert(1)</script>',
        category="other",
    )
    html = render_report(report([hostile]))
    assert "<script>alert(1)</script>" not in html
    assert "<img src=x" not in html
    svgs(html)  # still well-formed


def test_an_empty_report_renders_with_no_data_notes():
    html = render_report(report([]))
    assert "no data for these filters" in html
    assert "—" in html


def test_dashboard_has_a_filter_form_showing_the_filters_in_force():
    html = render_dashboard(report(tier="gold", date_from=date(2024, 1, 1)), json_url="/v1/kpi")
    assert '<form class="filters" method="get">' in html
    assert '<option value="gold" selected>' in html
    assert 'value="2024-01-01"' in html
    assert 'href="/v1/kpi"' in html
    assert "tier=gold" in html  # the header names the filters


def test_csv_writes_every_table(tmp_path):
    paths = write_csv(report(), tmp_path / "tables")
    assert sorted(p.stem for p in paths) == sorted(CSV_TABLES)
    with (tmp_path / "tables" / "tickets.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert [r["ticket_id"] for r in rows] == ["T1", "T2", "T4", "T3", "T5"]
    assert rows[0]["clv_post_issue_pct"] == "90.0"
    with (tmp_path / "tables" / "summary.csv").open() as fh:
        summary = {r["metric"]: r for r in csv.DictReader(fh)}
    assert summary["clv_post_issue_pct"]["value"] == "70.0"
    assert summary["clv_post_issue_pct"]["band"] == "moderate"
    assert summary["perception_change_pts"]["value"] == "32.5"
    with (tmp_path / "tables" / "spend_by_tier.csv").open() as fh:
        gold = next(r for r in csv.DictReader(fh) if r["key"] == "gold")
    assert (gold["spend"], gold["share_of_clv_pct"], gold["ticket_ids"]) == (
        "45.00",
        "10.53",
        "T1 T4 T5",
    )
    assert not list((tmp_path / "tables").glob(".*.tmp"))


def test_dashboard_lists_only_the_latest_tickets_but_the_report_lists_all():
    html = render_dashboard(report(), max_rows=2)
    assert [t for t in ("T1", "T2", "T3", "T4", "T5") if f'data-ticket="{t}"' in html] == [
        "T3",
        "T5",
    ]
    assert "the latest 2 shown" in html
    assert render_report(report()).count("data-ticket=") == 5


def test_long_ticket_lists_fold_behind_a_count():
    """Read in the demo's report: 15 full ticket ids in a table cell made each row a wall of
    hex. More than three fold behind "N tickets"; every id is still in the page."""
    rep = report()
    many = [f"T{i:032d}" for i in range(15)]
    rows = rep.root_causes.by_category
    rows[0].ticket_ids[:] = many
    html = render_report(rep)
    assert "<summary>15 tickets</summary>" in html
    assert all(tid in html for tid in many)
    few = rows[1].ticket_ids
    assert 0 < len(few) <= 3
    assert all(f">{tid}" in html or f" {tid}" in html for tid in few)
    assert f"<summary>{len(few)} tickets</summary>" not in html.split('id="root-causes"')[1]
