"""The in-memory engine: today's pandas summary, for files that fit in memory."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from bot.engines._base import (
    OUT_COLUMNS,
    Models,
    ScoreSettings,
    need_spend_model,
    population_edges,
    tier_of,
)
from bot.engines._input import Input, write_table
from bot.scoring import Unit, compress, read_transactions, score_batch, summarize
from bot.scoring import validate_transactions as validate

__all__ = ["PandasEngine", "read_input"]


def read_input(inp: Input) -> pd.DataFrame:
    """Every file of the input, validated, as one frame of customer_id, date, amount."""
    c = inp.columns
    parts = []
    for path in inp.paths:
        if inp.kind == "csv":
            parts.append(
                read_transactions(
                    path, customer_col=c.customer, date_col=c.date, amount_col=c.amount, fmt=inp.fmt
                )
            )
        else:
            raw = pd.read_parquet(path, columns=[c.customer, c.date, c.amount])
            parts.append(
                validate(
                    raw, customer_col=c.customer, date_col=c.date, amount_col=c.amount, fmt=inp.fmt
                )
            )
    return parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)


class PandasEngine:
    name = "pandas"

    def __init__(self, inp: Input, *, as_of: str | None = None, unit: Unit = "D") -> None:
        summary = summarize(read_input(inp), as_of=as_of, unit=unit)
        self.summary = summary.reset_index()
        self._rows: dict[str, pd.DataFrame] = {}  # the fit's compressed rows, for the scorer too

    def customers(self) -> int:
        return len(self.summary)

    def write_summary(self, out: Path) -> None:
        write_table(self.summary, out)

    def bgnbd_rows(self) -> pd.DataFrame:
        if "bgnbd" not in self._rows:
            self._rows["bgnbd"] = self._bgnbd_rows()
        return self._rows["bgnbd"]

    def gamma_gamma_rows(self) -> pd.DataFrame:
        if "gamma_gamma" not in self._rows:
            self._rows["gamma_gamma"] = self._gamma_gamma_rows()
        return self._rows["gamma_gamma"]

    def _bgnbd_rows(self) -> pd.DataFrame:
        s = self.summary
        cols = (s[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
        (x, t_x, T), w, _ = compress(*cols)
        return pd.DataFrame({"frequency": x, "recency": t_x, "T": T, "weight": w})

    def _gamma_gamma_rows(self) -> pd.DataFrame:
        s = self.summary
        keep = (s["frequency"] > 0) & (s["monetary_value"] > 0)
        if not keep.any():
            return pd.DataFrame({"frequency": [], "monetary_value": [], "weight": []})
        x, m = s["frequency"][keep].to_numpy(float), s["monetary_value"][keep].to_numpy(float)
        (x, m), w, _ = compress(x, m)
        return pd.DataFrame({"frequency": x, "monetary_value": m, "weight": w})

    def score(self, out: Path, models: Models, settings: ScoreSettings) -> None:
        gg = need_spend_model(models)
        r, f, m = population_edges(self)
        scored = score_batch(
            self.summary,
            models.bgnbd,
            gg,
            r,
            f,
            m,
            horizon_months=settings.horizon_months,
            discount_rate=settings.discount_rate,
            unit=settings.unit,
        )
        values = scored["clv"].to_numpy()
        cuts = settings.thresholds.cut_points(values)
        scored["tier"] = tier_of(values, (float(cuts[0]), float(cuts[1]), float(cuts[2])))
        write_table(scored[OUT_COLUMNS], out)

    def close(self) -> None:
        pass
