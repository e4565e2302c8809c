from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from bot.errors import InputError
from bot.scoring import (
    BgNbdParams,
    read_transactions,
    residual_clv,
    score_transactions,
    simple_clv,
    simulate_transactions,
    summarize,
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tx.csv"
    path.write_text(text)
    return path


def test_summary_equals_a_hand_computed_example() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "a", "b", "c", "c"],
            "date": pd.to_datetime(
                [
                    "2024-01-01",
                    "2024-01-01",
                    "2024-01-11",
                    "2024-01-31",
                    "2024-01-21",
                    "2024-01-05",
                    "2024-01-15",
                ]
            ),
            "amount": [10.0, 5.0, 20.0, 40.0, 7.0, 3.0, 9.0],
        }
    )
    s = summarize(tx, as_of="2024-02-10")
    # a: day 1 (15, first), day 11 (20), day 31 (40): 2 repeats, mean 30, recency 30, T 40
    assert s.loc["a"].tolist() == [2.0, 30.0, 40.0, 30.0]
    assert s.loc["b"].tolist() == [0.0, 0.0, 20.0, 0.0]
    assert s.loc["c"].tolist() == [1.0, 10.0, 36.0, 9.0]
    weeks = summarize(tx, as_of="2024-02-10", unit="W")
    assert weeks.loc["a", "T"] == pytest.approx(40 / 7)


def test_transactions_after_the_as_of_date_are_ignored() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a"],
            "date": pd.to_datetime(["2024-01-01", "2024-03-01"]),
            "amount": [1.0, 2.0],
        }
    )
    assert summarize(tx, as_of="2024-02-01").loc["a", "frequency"] == 0


@pytest.mark.parametrize(
    ("text", "field", "detail"),
    [
        ("customer_id,date\n1,2024-01-01\n", "amount", "missing column"),
        ("customer_id,date,amount\n", "amount", "no transactions"),
        ("customer_id,date,amount\n1,2024-01-01,3\n2,someday,4\n", "date", "row 2"),
        ("customer_id,date,amount\n1,2024-01-01,3\n2,2024-01-02,-4\n", "amount", "row 2"),
        ("customer_id,date,amount\n1,2024-01-01,abc\n", "amount", "row 1"),
        ("customer_id,date,amount\n,2024-01-01,3\n", "customer_id", "row 1"),
    ],
)
def test_bad_csv_names_the_column_and_row(
    tmp_path: Path, text: str, field: str, detail: str
) -> None:
    with pytest.raises(InputError) as err:
        read_transactions(write(tmp_path, text))
    assert err.value.field == field
    assert detail in str(err.value)


def test_empty_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="empty"):
        read_transactions(write(tmp_path, ""))


def test_custom_column_names(tmp_path: Path) -> None:
    path = write(tmp_path, "cust,when,value\nx,2024-01-01,3.5\n")
    df = read_transactions(path, customer_col="cust", date_col="when", amount_col="value")
    assert df["amount"].tolist() == [3.5]


def test_source_worked_example_residual_clv() -> None:
    # The source: CLV $500, $400 already spent on appeasements, $100 left to protect.
    assert residual_clv([500.0], [400.0])[0] == 100.0


def test_simple_formula_uses_retention_to_the_power_of_the_year() -> None:
    # (100 - 20) * (0.5 + 0.25) = 60
    assert simple_clv(100, 20, 0.5, 2) == Decimal("60.00")
    assert simple_clv(100, 20, 1, 3) == Decimal(240)
    with pytest.raises(InputError, match="retention"):
        simple_clv(100, 20, 1.5, 3)


def test_scores_cover_every_customer_with_tiers_and_segments() -> None:
    truth = BgNbdParams(0.243, 30.9, 0.793, 2.426)
    tx = simulate_transactions(truth, 3000, seed=4)
    result = score_transactions(tx, goodwill={"1": 5.0})
    s = result.scores.set_index("customer_id")
    assert len(s) == tx["customer_id"].nunique()
    assert set(s["tier"]) == {"bronze", "silver", "gold", "platinum"}
    assert (s["clv"] >= 0).all()
    assert s.loc["1", "residual_clv"] == pytest.approx(s.loc["1", "clv"] - 5.0)
    assert s["clv"].idxmax() in s.index[s["tier"] == "platinum"]
    assert result.bgnbd.params_ is not None
    assert result.bgnbd.params_.r == pytest.approx(truth.r, rel=0.25)
    single = s[s["frequency"] == 0]
    assert (single["clv"] > 0).all(), "one-purchase customers get a population-based CLV"
