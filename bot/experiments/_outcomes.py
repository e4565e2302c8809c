"""Outcomes as CSV: one row per exposed ticket, from `appease kpi report --csv` or elsewhere.

Columns: experiment, arm, customer_id, clv_at_issue, clv_after, spend; optional retained,
perception_pre, perception_post, currency (of the spend and CLV: one analysis never adds two).
A blank clv_after means still pending; a blank spend is 0.
Every bad value is an `InputError` naming the row, its line and the column.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

import numpy as np
import pandas as pd

from bot.errors import InputError

__all__ = ["OPTIONAL_COLUMNS", "REQUIRED_COLUMNS", "read_outcomes", "read_outcomes_text"]

REQUIRED_COLUMNS = ("experiment", "arm", "customer_id", "clv_at_issue", "clv_after", "spend")
OPTIONAL_COLUMNS = ("retained", "perception_pre", "perception_post", "currency")
_TRUE = {"1", "true", "yes", "y", "t"}
_FALSE = {"0", "false", "no", "n", "f"}


def read_outcomes(path: Path) -> pd.DataFrame:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            return read_outcomes_text(handle, source=str(path))
    except FileNotFoundError as exc:
        raise InputError(str(path), "no such file") from exc
    except UnicodeDecodeError as exc:
        raise InputError(str(path), f"not UTF-8 text ({exc.reason})") from exc


def read_outcomes_text(handle: TextIO | Iterable[str], *, source: str = "<csv>") -> pd.DataFrame:
    reader = csv.DictReader(handle)
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise InputError(f"{source}: header", f"missing column(s) {', '.join(missing)}")
    reader.fieldnames = header
    records = []
    for row_no, raw in enumerate(reader, start=1):
        where = f"{source}: row {row_no} (line {reader.line_num})"
        records.append(_row(raw, where))
    if not records:
        raise InputError(source, "no outcome rows")
    frame = pd.DataFrame.from_records(records)
    return frame


def _row(raw: dict[str, str | None], where: str) -> dict[str, object]:
    def text(column: str) -> str:
        return (raw.get(column) or "").strip()

    out: dict[str, object] = {}
    for column in ("experiment", "arm", "customer_id"):
        value = text(column)
        if not value:
            raise InputError(f"{where}: column {column}", "must not be blank")
        out[column] = value
    out["clv_at_issue"] = _number(text("clv_at_issue"), f"{where}: column clv_at_issue")
    out["clv_after"] = _number(text("clv_after"), f"{where}: column clv_after")
    spend = _number(text("spend"), f"{where}: column spend")
    if spend < 0:
        raise InputError(f"{where}: column spend", "must not be negative")
    out["spend"] = 0.0 if math.isnan(spend) else spend
    out["retained"] = _flag(text("retained"), f"{where}: column retained")
    currency = text("currency").upper()
    if currency and not (len(currency) == 3 and currency.isalpha()):
        raise InputError(f"{where}: column currency", f"{currency!r} is not a 3-letter code")
    out["currency"] = currency or None
    for column in ("perception_pre", "perception_post"):
        score = _number(text(column), f"{where}: column {column}")
        if not math.isnan(score) and not 0 <= score <= 100:
            raise InputError(f"{where}: column {column}", "must be between 0 and 100")
        out[column] = score
    return out


def _number(value: str, field: str) -> float:
    if value == "":
        return math.nan
    try:
        number = float(value)
    except ValueError:
        raise InputError(field, f"{value!r} is not a number") from None
    if not math.isfinite(number):
        raise InputError(field, f"{value!r} is not a finite number")
    return number


def _flag(value: str, field: str) -> float:
    lowered = value.lower()
    if lowered == "":
        return np.nan
    if lowered in _TRUE:
        return 1.0
    if lowered in _FALSE:
        return 0.0
    raise InputError(field, f"{value!r} is not 0/1, true/false or yes/no")
