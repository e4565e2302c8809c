"""Transactions files as businesses export them: day-first dates, semicolons, decimal commas.

Written from the cases in the issue: 13/06/2026 was read silently wrong (`format="mixed"` took
05/06 month first and 13/06 day first), a semicolon file said "missing column (columns are:
customer_id;date;amount)", and decimal commas said "a trailing comma?".
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.errors import InputError
from bot.scoring import BgNbdParams, CsvFormat, read_transactions, simulate_transactions, summarize

runner = CliRunner()


def write(tmp_path: Path, text: str, name: str = "tx.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# One customer with a one-year history: first purchase 13 June 2025, last 3 June 2026, and the
# file's last day (another customer) 11 June 2026: recency 355 and T 363.
DAY_FIRST = """customer_id,date,amount
a,13/06/2025,10.00
a,05/01/2026,20.50
a,03/06/2026,30.25
b,11/06/2026,5.00
"""


def test_a_day_first_file_is_read_day_first_when_its_dates_settle_the_order(tmp_path) -> None:
    tx = read_transactions(write(tmp_path, DAY_FIRST))
    s = summarize(tx)
    assert s.loc["a", "recency"] == 355
    assert s.loc["a", "T"] == 363
    assert tx["date"].iloc[1] == pd.Timestamp("2026-01-05")  # 05/01 is 5 January here


def test_dates_that_read_both_ways_are_refused_naming_the_column_and_both_readings(
    tmp_path,
) -> None:
    path = write(tmp_path, "customer_id,date,amount\na,05/06/2026,10\nb,07/08/2026,5\n")
    with pytest.raises(InputError) as err:
        read_transactions(path)
    message = str(err.value)
    assert err.value.field == "date"
    assert "2026-06-05 (day first)" in message and "2026-05-06 (month first)" in message
    assert "--dayfirst" in message and "--date-format" in message


def test_dates_whose_day_equals_their_month_read_the_same_either_way(tmp_path) -> None:
    """Found by the parser fuzzer: 08/08/2025 was refused as ambiguous; both readings agree."""
    tx = read_transactions(
        write(tmp_path, "customer_id,date,amount\na,08/08/2025,10\nb,01/01/2026,5\n")
    )
    assert list(tx["date"]) == [pd.Timestamp("2025-08-08"), pd.Timestamp("2026-01-01")]


def test_ambiguous_dates_with_dayfirst_or_a_format_are_read_as_told(tmp_path) -> None:
    path = write(tmp_path, "customer_id,date,amount\na,05/06/2026,10\na,07/08/2026,5\n")
    day = read_transactions(path, fmt=CsvFormat(dayfirst=True))["date"].tolist()
    month = read_transactions(path, fmt=CsvFormat(dayfirst=False))["date"].tolist()
    fmt = read_transactions(path, fmt=CsvFormat(date_format="%d/%m/%Y"))["date"].tolist()
    assert day == fmt == [pd.Timestamp("2026-06-05"), pd.Timestamp("2026-08-07")]
    assert month == [pd.Timestamp("2026-05-06"), pd.Timestamp("2026-07-08")]


def test_a_column_that_puts_the_day_in_two_places_is_refused(tmp_path) -> None:
    path = write(tmp_path, "customer_id,date,amount\na,13/06/2026,10\nb,06/14/2026,5\n")
    with pytest.raises(InputError, match=r"rows 1 .*and 2 .*different places"):
        read_transactions(path)


def test_a_date_that_does_not_fit_the_given_format_names_the_row(tmp_path) -> None:
    path = write(tmp_path, "customer_id,date,amount\na,13/06/2026,10\nb,2026-06-14,5\n")
    with pytest.raises(InputError, match=r"row 2: cannot read '2026-06-14' .*'%d/%m/%Y'"):
        read_transactions(path, fmt=CsvFormat(date_format="%d/%m/%Y"))


def test_a_semicolon_file_is_named_as_such_not_a_missing_column(tmp_path) -> None:
    path = write(tmp_path, "customer_id;date;amount\na;2026-06-13;10,50\n")
    with pytest.raises(InputError) as err:
        read_transactions(path)
    message = str(err.value)
    assert "semicolon-separated" in message and "--sep ';'" in message
    assert "missing column" not in message


def test_decimal_commas_in_a_comma_file_are_named_not_a_trailing_comma(tmp_path) -> None:
    path = write(tmp_path, "customer_id,date,amount\na,2026-06-13,10,50\nb,2026-06-14,3,20\n")
    with pytest.raises(InputError) as err:
        read_transactions(path)
    message = str(err.value)
    assert "decimal comma" in message and "--decimal ','" in message
    assert "trailing comma" not in message


def test_a_trailing_comma_is_still_named_as_one(tmp_path) -> None:
    path = write(tmp_path, "customer_id,date,amount\na,2026-06-13,10.5,\nb,2026-06-14,3,\n")
    with pytest.raises(InputError, match="trailing comma"):
        read_transactions(path)


def test_a_decimal_comma_without_the_option_says_which_option(tmp_path) -> None:
    path = write(tmp_path, "customer_id;date;amount\na;2026-06-13;10,50\n")
    with pytest.raises(InputError, match=r"row 1: '10,50' is not a number \(a decimal comma\?"):
        read_transactions(path, fmt=CsvFormat(sep=";"))


def test_decimal_commas_and_thousands_dots_read_as_numbers(tmp_path) -> None:
    path = write(tmp_path, "customer_id;date;amount\na;2026-06-13;1.234,50\na;2026-06-14;7\n")
    tx = read_transactions(path, fmt=CsvFormat(sep=";", decimal=","))
    assert tx["amount"].tolist() == [1234.5, 7.0]


def test_a_dot_that_is_not_a_thousands_separator_is_refused_with_a_decimal_comma(tmp_path) -> None:
    path = write(tmp_path, "customer_id;date;amount\na;2026-06-13;12.50\n")
    with pytest.raises(InputError, match=r"row 1: '12.50' has a '\.' but the decimal mark is ','"):
        read_transactions(path, fmt=CsvFormat(sep=";", decimal=","))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"sep": ";;"}, "sep"),
        ({"decimal": ";"}, "decimal"),
        ({"sep": ",", "decimal": ","}, "decimal"),
        ({"date_format": "%d/%m/%Y", "dayfirst": True}, "date_format"),
    ],
)
def test_contradictory_format_options_are_refused(kwargs, field) -> None:
    with pytest.raises(InputError) as err:
        CsvFormat(**kwargs)
    assert err.value.field == field


def _exports(tmp_path: Path) -> dict[str, tuple[Path, list[str]]]:
    """The same transactions as three exports: ISO, day-first, semicolon + decimal comma."""
    log = simulate_transactions(BgNbdParams(0.5, 20.0, 0.6, 3.0), 150, seed=4)
    log["amount"] = log["amount"].round(2)
    iso = tmp_path / "iso.csv"
    log.assign(date=log["date"].dt.strftime("%Y-%m-%d")).to_csv(iso, index=False)
    dayfirst = tmp_path / "dayfirst.csv"
    log.assign(date=log["date"].dt.strftime("%d/%m/%Y")).to_csv(dayfirst, index=False)
    euro = tmp_path / "euro.csv"
    (
        log.assign(
            date=log["date"].dt.strftime("%d.%m.%Y"),
            amount=log["amount"].map(lambda v: f"{v:.2f}".replace(".", ",")),
        ).to_csv(euro, index=False, sep=";")
    )
    return {
        "iso": (iso, []),
        "dayfirst": (dayfirst, ["--dayfirst"]),
        "euro": (euro, ["--sep", ";", "--decimal", ",", "--date-format", "%d.%m.%Y"]),
    }


def test_iso_day_first_and_european_exports_of_the_same_transactions_score_identically(
    tmp_path,
) -> None:
    scores = {}
    for name, (path, options) in _exports(tmp_path).items():
        out = tmp_path / f"scores-{name}.csv"
        result = runner.invoke(
            app, ["clv", "score", str(path), "--out", str(out), "--engine", "pandas", *options]
        )
        assert result.exit_code == 0, result.output
        scores[name] = out.read_text()
    assert scores["iso"] == scores["dayfirst"] == scores["euro"]
    assert len(scores["iso"].splitlines()) == 151


def test_the_cli_refuses_ambiguous_dates_with_exit_2_and_writes_nothing(tmp_path) -> None:
    path = write(tmp_path, "customer_id,date,amount\na,05/06/2026,10\na,07/08/2026,5\n")
    for command in (
        ["score", "--out", str(tmp_path / "s.csv")],
        ["fit"],
        ["summary", "--out", str(tmp_path / "m.csv")],
    ):
        result = runner.invoke(app, ["clv", command[0], str(path), *command[1:]])
        assert result.exit_code == 2, result.output
        assert "date: row 1: '05/06/2026' reads as 2026-06-05 (day first)" in result.stderr
    assert not (tmp_path / "s.csv").exists() and not (tmp_path / "m.csv").exists()


def test_the_cli_names_a_semicolon_file(tmp_path) -> None:
    path = write(tmp_path, "customer_id;date;amount\na;2026-06-13;10,50\n")
    result = runner.invoke(app, ["clv", "fit", str(path), "--engine", "pandas"])
    assert result.exit_code == 2
    assert "semicolon-separated; give --sep ';'" in result.stderr
