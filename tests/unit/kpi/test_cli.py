"""`appease kpi show` and `appease kpi report` on a seeded SQLite database."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from bot.cli import app
from tests.unit.kpi import store_schema
from tests.unit.kpi.test_query import _seed


@pytest.fixture
def seeded(tmp_path, monkeypatch):
    db = tmp_path / "kpi-cli.db"
    engine = create_engine(f"sqlite:///{db}")
    store_schema.create(engine)
    with Session(engine) as session:
        _seed(session)
    engine.dispose()
    monkeypatch.setenv("APPEASE_DATABASE_URL", f"sqlite:///{db}")
    from bot.config import get_settings

    get_settings.cache_clear()
    return tmp_path


def invoke(*args):
    return CliRunner().invoke(app, ["kpi", *args], catch_exceptions=False)


def test_kpi_show_prints_the_kpi_json(seeded):
    result = invoke("show")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["clv_post_issue"]["value"] == 70.0
    assert data["clv_post_issue"]["band"] == "moderate"
    assert data["perception_change"]["source"] == "survey"
    assert data["perception_change"]["value"] == 32.5
    assert data["tickets"] == 5


def test_kpi_show_takes_the_filters(seeded):
    result = invoke("show", "--tier", "gold", "--from", "2024-01-01", "--to", "2024-01-31")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [row["ticket_id"] for row in data["rows"]] == ["T1", "T4"]
    assert data["filters"]["tier"] == "gold"


def test_kpi_report_writes_html_and_csv(seeded):
    out, tables = seeded / "out" / "report.html", seeded / "tables"
    result = invoke(
        "report", "--out", str(out), "--csv", str(tables), "--category", "late_delivery"
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == str(out)
    html = out.read_text()
    assert html.startswith("<!doctype html>") and "<svg" in html
    assert "category=late_delivery" in html
    assert (tables / "tickets.csv").read_text().count("\n") == 4  # header + T1, T3, T5


def test_a_bad_filter_exits_2_naming_it_and_writes_nothing(seeded):
    out = seeded / "report.html"
    result = invoke("report", "--out", str(out), "--tier", "diamond")
    assert result.exit_code == 2
    assert "tier" in result.stderr
    assert result.stdout == ""
    assert not out.exists()


def test_the_measurement_window_comes_from_the_policy(seeded, monkeypatch):
    from bot.config import get_settings
    from bot.policy import default_policy_path

    text = (
        default_policy_path()
        .read_text()
        .replace("measurement_window_days: 90", "measurement_window_days: 30")
    )
    policy = seeded / "policy.yaml"
    policy.write_text(text)
    monkeypatch.setenv("APPEASE_POLICY_PATH", str(policy))
    get_settings.cache_clear()
    data = json.loads(invoke("show").stdout)
    assert data["windows"]["measurement_window_days"] == 30
    assert data["clv_post_issue"]["pending"] == 0  # T4's rescore, 86 days on, now counts
