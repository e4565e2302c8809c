"""Transactions in, RFM summary out: the sufficient statistics the CLV models need.

`frequency` counts repeat purchase periods (same-day purchases collapse into one), `recency` is
the age at the last purchase, `T` the age at the end of observation, and `monetary_value` the
mean of the repeat purchases (the first is excluded, as in the CLV literature and lifetimes).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from bot.domain import MAX_MONEY
from bot.errors import InputError

__all__ = ["read_transactions", "summarize"]

Unit = Literal["D", "W"]
_DAYS_PER_UNIT = {"D": 1.0, "W": 7.0}
_CLOCK_WORDS = frozenset({"now", "today", "tomorrow", "yesterday"})


def read_transactions(
    path: str | Path,
    *,
    customer_col: str = "customer_id",
    date_col: str = "date",
    amount_col: str = "amount",
) -> pd.DataFrame:
    """Read and validate a transactions CSV; an error names the column or the 1-based data row."""
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError as exc:
        raise InputError(str(path), "no such file") from exc
    except pd.errors.EmptyDataError as exc:
        raise InputError(str(path), "the file is empty") from exc
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"not a readable CSV file: {exc}") from exc
    if not isinstance(raw.index, pd.RangeIndex):
        # Rows with one field more than the header: pandas would silently take the first
        # column as an index and shift every value one column left.
        raise InputError(
            str(path),
            "rows have more fields than the header (a trailing comma?): name every column",
        )
    for col in (customer_col, date_col, amount_col):
        if f"{col}.1" in raw.columns:  # pandas renames a second `amount` to `amount.1`
            raise InputError(col, "column given twice: which one holds the data is unclear")
    return validate_transactions(
        raw, customer_col=customer_col, date_col=date_col, amount_col=amount_col
    )


def validate_transactions(
    raw: pd.DataFrame,
    *,
    customer_col: str = "customer_id",
    date_col: str = "date",
    amount_col: str = "amount",
) -> pd.DataFrame:
    """Check columns and values of a frame of strings or typed values; return the clean frame."""
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

    column = raw[date_col]
    if pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column):
        # pandas reads "now" and "today" as the clock's time: not a purchase date, and an
        # import that gave other scores each time it ran.
        relative = column.astype(str).str.strip().str.lower().isin(_CLOCK_WORDS)
        column = column.where(~relative)
    # utc=True: a file mixing offsets (or offsets and none) is one timeline, not an error;
    # dates without an offset are read as UTC, as before.
    dates = pd.to_datetime(column, errors="coerce", format="mixed", utc=True)
    if dates.isna().any():
        bad = dates.isna()
        raise InputError(
            date_col, f"row {_row(bad)}: cannot read {raw[date_col][bad].iloc[0]!r} as a date"
        )
    dates = dates.dt.tz_localize(None)

    amounts = pd.to_numeric(raw[amount_col], errors="coerce")
    if amounts.isna().any() or not np.all(np.isfinite(amounts.to_numpy(dtype=float))):
        bad = amounts.isna() | ~np.isfinite(amounts.fillna(0).to_numpy(dtype=float))
        raise InputError(
            amount_col, f"row {_row(bad)}: {raw[amount_col][bad].iloc[0]!r} is not a number"
        )
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
        pd.DataFrame({"customer_id": tx["customer_id"][keep].to_numpy(),
                      "day": day[keep].to_numpy(), "amount": tx["amount"][keep].to_numpy()})
        .groupby(["customer_id", "day"], sort=True, observed=True)["amount"].sum()
        .reset_index()
    )  # fmt: skip
    g = daily.groupby("customer_id", sort=True)
    first = g["day"].transform("min")
    is_repeat = daily["day"] != first
    per = _DAYS_PER_UNIT[unit]
    first_day = g["day"].min()
    last_day = g["day"].max()
    frequency = g.size() - 1
    repeat_sum = daily["amount"].where(is_repeat, 0.0).groupby(daily["customer_id"]).sum()
    out = pd.DataFrame(
        {
            "frequency": frequency.astype(float),
            "recency": (last_day - first_day).dt.days / per,
            "T": (end - first_day).dt.days / per,
            "monetary_value": np.where(frequency > 0, repeat_sum / frequency.clip(lower=1), 0.0),
        }
    )
    out.index.name = "customer_id"
    return out
