"""The KPI dashboard in Debian's chromium: charts drawn, bands coloured, drill-down, filters.

A tiny loopback server plays `/dashboard`: it parses the query with `KpiFilters.from_query`,
computes the report from the hand-made records and renders the page, as the API does. The test
saves a screenshot to docs/screenshots/dashboard.png, which the README shows.
"""

from __future__ import annotations

import importlib.util
import shutil
import threading
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from bot.errors import InputError
from bot.kpi import KpiFilters, KpiWindows, build_report, render_dashboard
from tests.conftest import require_service
from tests.unit.kpi.fixtures import varied_records

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "dashboard.png"
GENERATED_AT = datetime.fromisoformat("2024-06-01T00:00:00+00:00")
RECORDS = varied_records()


class _Dashboard(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path != "/dashboard":
            self.send_error(404)
            return
        params = dict(parse_qsl(url.query))
        if params.pop("key", None) != "k3y":  # the API's `?key=` for a bookmarked dashboard
            self.send_error(401)
            return
        try:
            filters = KpiFilters.from_query(params)
        except InputError as exc:
            self.send_error(422, str(exc))
            return
        report = build_report(RECORDS, filters, KpiWindows(), generated_at=GENERATED_AT)
        body = render_dashboard(report, json_url="/v1/kpi").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Dashboard)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    available = shutil.which(CHROMIUM) is not None and importlib.util.find_spec("playwright")
    require_service(bool(available), "needs Debian's chromium and the playwright package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def test_dashboard_draws_every_chart_and_saves_a_screenshot(server, page):
    page.goto(f"{server}/dashboard?key=k3y")
    charts = page.locator("svg.chart")
    assert charts.count() == 8
    for i in range(charts.count()):
        box = charts.nth(i).bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 100
    sizes = page.eval_on_selector_all(
        "svg.chart rect.bar",
        "els => els.map(e => { const b = e.getBBox(); return [b.width, b.height]; })",
    )
    assert len(sizes) > 20
    assert all(w > 0 and h > 0 for w, h in sizes)
    assert sum(1 for w, _ in sizes if w > 20) > 10  # real bars, not hairlines
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert SCREENSHOT.stat().st_size > 20_000


def test_bands_are_painted_in_their_colours(server, page):
    page.goto(f"{server}/dashboard?key=k3y")
    fills = page.eval_on_selector_all(
        "#chart-clv-bands rect.bar",
        "els => els.map(e => [e.dataset.label, getComputedStyle(e).fill])",
    )
    assert fills == [
        ["strong", "rgb(46, 125, 50)"],
        ["moderate", "rgb(249, 168, 37)"],
        ["act now", "rgb(198, 40, 40)"],
    ]
    badge = page.locator("span.band").first
    assert badge.evaluate("e => getComputedStyle(e).backgroundColor") in {
        "rgb(46, 125, 50)",
        "rgb(249, 168, 37)",
        "rgb(198, 40, 40)",
    }


def test_clicking_a_bar_lists_and_highlights_its_tickets(server, page):
    page.goto(f"{server}/dashboard?key=k3y")
    bar = page.locator("#chart-channels rect.bar").first
    expected = bar.get_attribute("data-tickets").split()
    bar.click()
    assert page.locator("#drill").is_visible()
    assert page.locator("#drill-ids").inner_text().split() == expected
    highlighted = page.eval_on_selector_all(
        "#tickets tr.hit", "rows => rows.map(r => r.dataset.ticket)"
    )
    assert highlighted == sorted(highlighted, key=expected.index) and set(highlighted) == set(
        expected
    )


def test_the_filter_form_narrows_the_figures(server, page):
    page.goto(f"{server}/dashboard?key=k3y")
    everything = page.locator("#tickets tr[data-ticket]").count()
    page.select_option("select[name=tier]", "gold")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**tier=gold**")
    assert "key=k3y" in page.url  # the access key survives the filter change
    gold = page.locator("#tickets tr[data-ticket]")
    expected = sum(1 for r in RECORDS if r.tier == "gold")
    assert 0 < gold.count() == expected < everything
    tiers = page.eval_on_selector_all(
        "#tickets tr[data-ticket] td:nth-child(6)", "cells => cells.map(c => c.textContent)"
    )
    assert set(tiers) == {"gold"}
    assert "tier=gold" in page.locator("header p").inner_text()
