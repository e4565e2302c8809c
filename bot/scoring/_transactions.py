"""Transactions in, RFM summary out: the sufficient statistics the CLV models need.

`frequency` counts repeat purchase periods (same-day purchases collapse into one), `recency` is
the age at the last purchase, `T` the age at the end of observation, and `monetary_value` the
mean of the repeat purchases (the first is excluded, as in the CLV literature and lifetimes).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from bot.domain import MAX_MONEY
from bot.errors import InputError

# Moved to the pandas-free `_formats` (the SQL engines import them), still importable from here.
from bot.scoring._formats import SPEND_ROUNDING_LIMIT as SPEND_ROUNDING_LIMIT
from bot.scoring._formats import CsvFormat as CsvFormat
from bot.scoring._formats import Unit as Unit
from bot.scoring._formats import round_spend as round_spend
from bot.scoring._formats import spend_rounding_sql as spend_rounding_sql

__all__ = ["CsvFormat", "parse_dates", "read_transactions", "summarize", "validate_transactions"]

_DAYS_PER_UNIT = {"D": 1.0, "W": 7.0}
_CLOCK_WORDS = frozenset({"now", "today", "tomorrow", "yesterday"})


def read_transactions(
    path: str | Path,
    *,
    customer_col: str = "customer_id",
    date_col: str = "date",
    amount_col: str = "amount",
    fmt: CsvFormat | None = None,
) -> pd.DataFrame:
    """Read and validate a transactions CSV; an error names the column or the 1-based data row."""
    fmt = fmt or CsvFormat()
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, sep=fmt.sep)
    except FileNotFoundError as exc:
        raise InputError(str(path), "no such file") from exc
    except pd.errors.EmptyDataError as exc:
        raise InputError(str(path), "the file is empty") from exc
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"not a readable CSV file: {exc}") from exc
    wanted = (customer_col, date_col, amount_col)
    if len(raw.columns) == 1 and raw.columns[0] not in wanted:
        _wrong_separator(str(path), str(raw.columns[0]), fmt.sep)
    if not isinstance(raw.index, pd.RangeIndex):
        # Rows with one field more than the header: pandas would silently take the first
        # column as an index and shift every value one column left.
        hint = (
            " Amounts with a decimal comma in a comma-separated file? Give --sep ';' "
            "--decimal ',' if the export uses semicolons, or quote the amounts."
            if fmt.sep == "," and _decimal_comma_split(raw)
            else " A trailing comma? Name every column."
        )
        raise InputError(str(path), "rows have more fields than the header." + hint)
    for col in wanted:
        if f"{col}.1" in raw.columns:  # pandas renames a second `amount` to `amount.1`
            raise InputError(col, "column given twice: which one holds the data is unclear")
    return validate_transactions(
        raw, customer_col=customer_col, date_col=date_col, amount_col=amount_col, fmt=fmt
    )


def _wrong_separator(path: str, header: str, sep: str) -> None:
    """One column whose name holds another separator: say so rather than 'missing column'."""
    for other, name in ((";", "semicolon"), ("\t", "tab"), ("|", "pipe"), (",", "comma")):
        if other != sep and other in header:
            shown = "\\t" if other == "\t" else other
            raise InputError(
                path,
                f"the header {header!r} is one column when split on {sep!r}: the file is "
                f"{name}-separated; give --sep '{shown}'",
            )


def _decimal_comma_split(raw: pd.DataFrame) -> bool:
    """Rows one field too long whose last two fields are digits: 12,50 split in two."""
    if raw.shape[1] < 2:
        return False
    whole, cents = (raw.iloc[:, i].astype(str).str.fullmatch(r"\d+") for i in (-2, -1))
    return bool((whole & cents).mean() > 0.5)


def validate_transactions(
    raw: pd.DataFrame,
    *,
    customer_col: str = "customer_id",
    date_col: str = "date",
    amount_col: str = "amount",
    fmt: CsvFormat | None = None,
) -> pd.DataFrame:
    """Check columns and values of a frame of strings or typed values; return the clean frame."""
    fmt = fmt or CsvFormat()
    for col in (customer_col, date_col, amount_col):
        if col not in raw.columns:
            raise InputError(
                col, f"missing column (columns are: {', '.join(map(str, raw.columns))})"
            )
    if raw.empty:
        raise InputError(amount_col, "no transactions (the file has a header but no rows)")

    customers = raw[customer_col].astype(str).str.strip()
    blank = customers == ""
    if blank.any():
        raise InputError(customer_col, f"row {_row(blank)}: empty customer id")

    dates = parse_dates(raw[date_col], date_col, fmt)
    amounts = _parse_amounts(raw[amount_col], amount_col, fmt.decimal)
    if (amounts < 0).any():
        bad = amounts < 0
        raise InputError(amount_col, f"row {_row(bad)}: negative amount {amounts[bad].iloc[0]}")
    if (amounts > float(MAX_MONEY)).any():  # what the store can hold, and the models can sum
        bad = amounts > float(MAX_MONEY)
        raise InputError(
            amount_col, f"row {_row(bad)}: {raw[amount_col][bad].iloc[0]!r} is above {MAX_MONEY}"
        )

    return pd.DataFrame(
        {
            "customer_id": customers.to_numpy(),
            "date": dates.to_numpy(),
            "amount": amounts.to_numpy(dtype=float),
        }
    )


def _parse_amounts(column: pd.Series, name: str, decimal: str) -> pd.Series:
    text = column if not _is_text(column) else column.astype(str).str.strip()
    if _is_text(column) and decimal == ",":
        grouped = text.str.fullmatch(r"[+-]?\d{1,3}(\.\d{3})+(,\d*)?")
        stray_dot = text.str.contains(".", regex=False) & ~grouped
        if stray_dot.any():
            raise InputError(
                name,
                f"row {_row(stray_dot)}: {column[stray_dot].iloc[0]!r} has a '.' but the "
                "decimal mark is ','",
            )
        text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    amounts = pd.to_numeric(text, errors="coerce")
    bad = amounts.isna() | ~np.isfinite(amounts.fillna(0).to_numpy(dtype=float))
    if bad.any():
        value = column[bad].iloc[0]
        hint = ""
        if decimal == "." and isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d*,\d+\s*", value):
            hint = " (a decimal comma? give --decimal ',')"
        raise InputError(name, f"row {_row(bad)}: {value!r} is not a number{hint}")
    return amounts


def _is_text(column: pd.Series) -> bool:
    return bool(pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column))


# Day, month and year as numbers (05/06/2026, 5.6.26, 05-06-2026 14:30): which of the first two
# is the day is what the file's country decides and the text cannot tell.
_NUMERIC_DATE = re.compile(r"^\s*(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?=$|[\sT])(.*)$")


def parse_dates(column: pd.Series, name: str, fmt: CsvFormat | None = None) -> pd.Series:
    """Dates to naive UTC timestamps; numeric day/month dates read in one order or refused."""
    fmt = fmt or CsvFormat()
    if _is_text(column):
        text = column.astype(str).str.strip()
        # pandas reads "now" and "today" as the clock's time: not a purchase date, and an
        # import that gave other scores each time it ran.
        relative = text.str.lower().isin(_CLOCK_WORDS)
        text = text.where(~relative)
        if fmt.date_format is not None:
            dates = pd.to_datetime(text, errors="coerce", format=fmt.date_format, utc=True)
            _refuse_unread(dates, column, name, f" with the format {fmt.date_format!r}")
            return dates.dt.tz_localize(None)
        text = _numeric_dates_to_iso(text, name, fmt.dayfirst)
    else:
        text = column
    # utc=True: a file mixing offsets (or offsets and none) is one timeline, not an error;
    # dates without an offset are read as UTC, as before.
    dates = pd.to_datetime(text, errors="coerce", format="mixed", utc=True)
    _refuse_unread(dates, column, name, "")
    return dates.dt.tz_localize(None)


def _refuse_unread(dates: pd.Series, column: pd.Series, name: str, how: str) -> None:
    if dates.isna().any():
        bad = dates.isna()
        raise InputError(
            name, f"row {_row(bad)}: cannot read {column[bad].iloc[0]!r} as a date{how}"
        )


def _numeric_dates_to_iso(text: pd.Series, name: str, dayfirst: bool | None) -> pd.Series:
    """Rewrite d/m/y or m/d/y dates as ISO once the order is known; never guess it per row."""
    if not text.str.contains(r"^\s*\d{1,2}[/.-]\d{1,2}[/.-]", regex=True, na=False).any():
        return text  # ISO or words: nothing ambiguous
    parts = text.str.extract(_NUMERIC_DATE)
    numeric = parts[0].notna()
    first = pd.to_numeric(parts[0], errors="coerce")
    second = pd.to_numeric(parts[2], errors="coerce")
    if dayfirst is None:
        day_only = numeric & (first > 12) & (second <= 12)
        month_only = numeric & (second > 12) & (first <= 12)
        if day_only.any() and month_only.any():
            raise InputError(
                name,
                f"rows {_row(day_only)} ({text[day_only].iloc[0]!r}) and {_row(month_only)} "
                f"({text[month_only].iloc[0]!r}) put the day in different places: fix the "
                "file or give --date-format",
            )
        # Only a date whose two readings differ is ambiguous: 08/08/2025 is the same either way.
        differ = numeric & (first != second)
        if not day_only.any() and not month_only.any() and differ.any():
            row = _row(differ)
            value = text[differ].iloc[0]
            d, m, y = (
                int(first[differ].iloc[0]),
                int(second[differ].iloc[0]),
                parts[3][differ].iloc[0],
            )
            year = _year(y)
            raise InputError(
                name,
                f"row {row}: {value!r} reads as {year}-{m:02d}-{d:02d} (day first) or "
                f"{year}-{d:02d}-{m:02d} (month first), and no date in the column settles "
                "which: give --dayfirst, --monthfirst or --date-format",
            )
        dayfirst = bool(day_only.any())
    day, month = (first, second) if dayfirst else (second, first)
    years = parts[3].map(lambda y: _year(y) if isinstance(y, str) else "")
    iso = (
        years
        + "-"
        + month.fillna(0).astype(int).map("{:02d}".format)
        + "-"
        + day.fillna(0).astype(int).map("{:02d}".format)
        + parts[4].fillna("")
    )
    return text.where(~numeric, iso)


def _year(text: str) -> str:
    """Two-digit years as strptime's %y reads them: 69-99 are 19xx, 00-68 are 20xx."""
    if len(text) == 4:
        return text
    return str((1900 if int(text) >= 69 else 2000) + int(text))


def _row(mask: pd.Series) -> int:
    """The first offending data row, counted from 1 as a spreadsheet user would."""
    return int(np.flatnonzero(mask.to_numpy())[0]) + 1


def summarize(
    transactions: pd.DataFrame,
    *,
    as_of: str | pd.Timestamp | None = None,
    unit: Unit = "D",
) -> pd.DataFrame:
    """RFM summary per customer as of `as_of` (default: the last transaction day), in D or W.

    Transactions after `as_of` are ignored. Purchases are floored to the day; a customer's
    purchases on one day count as one purchase of their summed value.
    """
    if unit not in _DAYS_PER_UNIT:
        raise InputError("unit", "must be 'D' (days) or 'W' (weeks)")
    tx = transactions[["customer_id", "date", "amount"]]
    day = pd.to_datetime(tx["date"]).dt.floor("D")
    end = day.max() if as_of is None else pd.Timestamp(as_of).floor("D")
    keep = day <= end
    if not keep.any():
        raise InputError("as_of", f"no transactions on or before {end.date()}")
    daily = (
        pd.DataFrame(
            {
                "customer_id": tx["customer_id"][keep].to_numpy(),
                "day": day[keep].to_numpy(),
                "amount": tx["amount"][keep].to_numpy(),
            }
        )
        .groupby(["customer_id", "day"], sort=True, observed=True)["amount"]
        .sum()
        .reset_index()
    )
    g = daily.groupby("customer_id", sort=True)
    first = g["day"].transform("min")
    is_repeat = daily["day"] != first
    per = _DAYS_PER_UNIT[unit]
    first_day = g["day"].min()
    last_day = g["day"].max()
    frequency = g.size() - 1
    repeat_sum = daily["amount"].where(is_repeat, 0.0).groupby(daily["customer_id"]).sum()
    repeat_sum = round_spend(repeat_sum.to_numpy(dtype=float))
    out = pd.DataFrame(
        {
            "frequency": frequency.astype(float),
            "recency": (last_day - first_day).dt.days / per,
            "T": (end - first_day).dt.days / per,
            "monetary_value": np.where(
                frequency > 0, repeat_sum / frequency.clip(lower=1).to_numpy(), 0.0
            ),
        }
    )
    out.index.name = "customer_id"
    return out
