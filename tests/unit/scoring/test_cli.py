"""The `appease clv` contract: JSON shape, exit code 2 on bad input, no half-written output."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.sample import dataset_path
from bot.scoring import BgNbdParams, simulate_transactions

runner = CliRunner()


def test_fit_on_a_summary_prints_the_contract_json() -> None:
    path = dataset_path("cdnow_customers_summary.csv")
    result = runner.invoke(app, ["clv", "fit", "--summary", str(path), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["customers"] == 2357
    assert set(out["bgnbd"]) == {"r", "alpha", "a", "b"}
    assert round(out["bgnbd"]["r"], 3) == 0.243
    assert out["gamma_gamma"] is None


def test_fit_on_a_summary_with_spend_also_fits_gamma_gamma(tmp_path: Path) -> None:
    df = pd.read_csv(dataset_path("cdnow_customers_summary_with_transactions.csv"))
    df = df.rename(columns={"x": "frequency", "t_x": "recency", "zbar": "monetary_value"})
    path = tmp_path / "summary.csv"
    df.to_csv(path, index=False)
    out = json.loads(runner.invoke(app, ["clv", "fit", "--summary", str(path), "--json"]).stdout)
    assert out["gamma_gamma"]["p"] == pytest.approx(6.2488, rel=1e-3)


def test_score_writes_one_row_per_customer(tmp_path: Path) -> None:
    tx = tmp_path / "tx.csv"
    log = simulate_transactions(BgNbdParams(0.243, 30.9, 0.793, 2.426), 300, seed=9)
    log.rename(columns={"customer_id": "cust", "date": "day", "amount": "spend"}).to_csv(
        tx, index=False
    )
    out = tmp_path / "scores.csv"
    result = runner.invoke(
        app,
        [
            "clv",
            "score",
            str(tx),
            "--out",
            str(out),
            "--customer-col",
            "cust",
            "--date-col",
            "day",
            "--amount-col",
            "spend",
        ],
    )
    assert result.exit_code == 0, result.output
    scores = pd.read_csv(out)
    assert list(scores.columns) == [
        "customer_id",
        "frequency",
        "recency",
        "T",
        "monetary_value",
        "p_alive",
        "expected_purchases",
        "clv",
        "tier",
        "segment",
    ]
    assert len(scores) == 300


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("customer_id,date\n1,2024-01-01\n", "amount: missing column"),
        ("customer_id,date,amount\n1,2024-01-01,5\n2,soon,3\n", "date: row 2"),
        ("customer_id,date,amount\n1,2024-01-01,-5\n", "amount: row 1"),
        ("", "empty"),
    ],
)
def test_bad_input_exits_2_naming_the_problem_and_writes_nothing(
    tmp_path: Path, text: str, message: str
) -> None:
    tx = tmp_path / "tx.csv"
    tx.write_text(text)
    out = tmp_path / "scores.csv"
    result = runner.invoke(app, ["clv", "score", str(tx), "--out", str(out)])
    assert result.exit_code == 2
    assert message in result.stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [tx]
