"""From tickets to verdict: exposures in the store, outcomes measured like the KPIs, the panel
in the HTML report, and the CSV the report writes analysed again by `experiment analyze`."""

from __future__ import annotations

import json
import random
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.domain import Order
from bot.drafting import Drafter
from bot.fx import FxRates
from bot.kpi import KpiWindows, compute_kpis, render_report, write_csv
from bot.policy import default_policy_path, load_policy
from bot.scoring import BgNbdParams, simulate_transactions
from bot.service import arm_specs, handle_ticket, import_transactions, rescore, start_experiment
from bot.store import Transaction, make_engine, make_sessionmaker, upgrade, utcnow
from tests.unit.service.helpers import ticket

DEFAULT = default_policy_path()
HOLDOUT = DEFAULT.with_name("holdout_apology_only.yaml")


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    """120 customers through an experiment, simulated purchases, a rescore after the window."""
    url = f"sqlite:///{tmp_path_factory.mktemp('exp') / 'e.db'}"
    upgrade(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    import_transactions(
        sessions, simulate_transactions(BgNbdParams(0.5, 20.0, 0.6, 3.0), 200, seed=3)
    )
    arms = arm_specs([("default", DEFAULT), ("apology_only", HOLDOUT)], control="default")
    start_experiment(sessions, name="e1", arms=arms, salt="t")
    t0 = utcnow()
    policy, drafter = load_policy(), Drafter(None)
    outs = [
        handle_ticket(sessions, ticket(str(i), f"O{i}"), policy=policy, drafter=drafter, now=t0)
        for i in range(120)
    ]
    for i in range(120, 130):  # orders in euros: measured at their base (dollar) amounts
        eur = ticket(str(i), f"O{i}").model_copy(
            update={"order": Order(id=f"O{i}", value=Decimal("80"), currency="EUR")}
        )
        handle_ticket(
            sessions,
            eur,
            policy=policy,
            drafter=drafter,
            now=t0,
            fx=FxRates(base="USD", rates={"EUR": Decimal("1.08")}),
        )
    rng = random.Random(5)
    with sessions.begin() as s:
        for i, out in enumerate(outs):
            if rng.random() < (0.6 if out.decision.offer.amount > 0 else 0.3):
                s.add(
                    Transaction(
                        customer_id=str(i),
                        date=t0 + timedelta(days=rng.randint(5, 80)),
                        amount=Decimal("40"),
                        source="simulated",
                    )
                )
    window = t0 + timedelta(days=91)
    rescore(
        sessions, as_of=window, reason="transactions", customer_ids={str(i) for i in range(120)}
    )
    with sessions() as s:
        report = compute_kpis(s, windows=KpiWindows(), generated_at=window, estimate=lambda _: 50.0)
    yield report
    engine.dispose()


def test_the_kpi_report_carries_the_experiment(measured) -> None:
    (exp,) = measured.experiments
    assert exp.experiment == "e1" and exp.control == "default" and exp.simulated
    arms = {a.arm: a for a in exp.arms}
    assert arms["default"].tickets + arms["apology_only"].tickets == 130  # euro orders too
    assert arms["default"].n + arms["apology_only"].n == 120  # theirs are still pending
    assert arms["apology_only"].spend_total == 0
    assert arms["default"].spend_total > 0
    assert arms["apology_only"].expected_share_pct == 50.0
    assert {e.metric for e in exp.effects} >= {"clv_after", "net_value", "spend", "retention"}
    spend = next(e for e in exp.effects if e.metric == "spend")
    assert spend.estimate < 0  # the holdout gives nothing
    assert exp.verdicts and exp.verdicts[0].startswith("apology_only")
    assert len(measured.experiment_outcomes) == 130
    assert "left out" not in " ".join(exp.notes)


def test_euro_goodwill_is_measured_at_its_dollar_base_amount(measured) -> None:
    """The holdout must not look cheaper only because euro orders were dropped from the count."""
    rows = {r.ticket_id: r for r in measured.rows}
    paid = [
        (o, rows[o.ticket_id])
        for o in measured.experiment_outcomes
        if rows[o.ticket_id].offer_currency == "EUR" and o.spend > 0
    ]
    assert paid, "some euro orders in the default arm got goodwill"
    for outcome, row in paid:
        assert outcome.currency == "USD"
        # 1 EUR = 1.08 USD; the ledger keeps the base amount to a hundredth of a cent, rounded up
        assert outcome.spend == (row.offer_amount * Decimal("1.08")).quantize(
            Decimal("0.0001"), rounding="ROUND_CEILING"
        )


def test_the_html_report_shows_the_panel_with_intervals(measured) -> None:
    html = render_report(measured)
    assert 'id="experiment-e1"' in html and 'id="chart-experiment-0"' in html
    assert "outcomes SIMULATED" in html
    assert measured.experiments[0].verdicts[0] in html
    assert html.count('class="interval"') == sum(
        1
        for e in measured.experiments[0].effects
        if e.metric in ("net_value", "net_value_cuped", "clv_after", "clv_after_cuped", "spend")
    )


def test_the_report_csv_analyses_to_the_same_numbers(measured, tmp_path: Path) -> None:
    paths = write_csv(measured, tmp_path)
    csv_path = next(p for p in paths if p.stem == "experiment_outcomes")
    result = CliRunner().invoke(
        app,
        ["experiment", "analyze", str(csv_path), "--control", "default", "--json"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    (again,) = json.loads(result.stdout)["experiments"]
    ours = {(e.arm, e.metric): e for e in measured.experiments[0].effects}
    for e in again["effects"]:
        mine = ours[(e["arm"], e["metric"])]
        assert e["estimate"] == pytest.approx(mine.estimate, abs=1e-6)
        assert e["ci_low"] == pytest.approx(mine.ci_low, abs=1e-6)
