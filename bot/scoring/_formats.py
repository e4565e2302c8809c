"""What reading transactions and rounding spend need without pandas: the CSV conventions, the
time unit and the spend rounding (in NumPy and as SQL), so that the SQL engines import them
without loading pandas."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from bot.errors import InputError

__all__ = ["SPEND_ROUNDING_LIMIT", "CsvFormat", "Unit", "round_spend", "spend_rounding_sql"]

Unit = Literal["D", "W"]


@dataclass(frozen=True)
class CsvFormat:
    """How a business's export writes its file: field separator, decimal mark, date layout.

    `date_format` is a strftime pattern (`%d/%m/%Y`); `dayfirst` reads numeric dates such as
    05/06/2026 day first (True) or month first (False). With neither, numeric dates are read
    only when the column itself settles the order (a 13/06 somewhere); otherwise refused.
    """

    sep: str = ","
    decimal: str = "."
    date_format: str | None = None
    dayfirst: bool | None = None

    def __post_init__(self) -> None:
        if len(self.sep) != 1 or self.sep in '"\r\n':
            raise InputError(
                "sep", f"must be one character (not a quote or newline), got {self.sep!r}"
            )
        if self.decimal not in (".", ","):
            raise InputError("decimal", f"must be '.' or ',', got {self.decimal!r}")
        if self.decimal == self.sep:
            raise InputError("decimal", f"the decimal mark {self.decimal!r} is also the separator")
        if self.date_format is not None and self.dayfirst is not None:
            raise InputError("date_format", "give either a date format or day-first, not both")


# Repeat spend is rounded to a millionth of the currency unit (below a billion, where a double
# still resolves that): sums of the same amounts in another order, or as all days less the
# first (the DuckDB and Spark engines), differ in the last bits, and a last bit decides an RFM
# score when a value sits on a quintile edge. Engines write the same formula in SQL.
SPEND_ROUNDING_LIMIT = 1e9


def round_spend(total: NDArray[np.float64]) -> NDArray[np.float64]:
    """floor(total * 1e6 + 0.5) / 1e6 below SPEND_ROUNDING_LIMIT (`spend_rounding_sql`)."""
    rounded = np.floor(total * 1e6 + 0.5) / 1e6
    return np.asarray(np.where(np.abs(total) < SPEND_ROUNDING_LIMIT, rounded, total))


def spend_rounding_sql(total: str) -> str:
    """`round_spend` as SQL (DuckDB and Spark SQL alike)."""
    # 1e6, 5e-1, 1e9: double literals in both dialects (1000000.0 is a DECIMAL in Spark SQL)
    return f"CASE WHEN abs({total}) < 1e9 THEN floor({total} * 1e6 + 5e-1) / 1e6 ELSE {total} END"
