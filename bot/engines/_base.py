"""What every engine provides, and the steps they share: fit on compressed rows, score in batches.

An engine builds the RFM summary where the data lives, hands the fit its sufficient statistics
(distinct rows with counts, sorted as `compress` sorts them, so the fit sees the same arrays
whatever the engine), and maps `score_batch` over its batches with the fitted models.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from bot.errors import InputError
from bot.scoring import (
    BgNbd,
    GammaGamma,
    QuintileEdges,
    TierThresholds,
    quintile_edges,
)

__all__ = ["SUMMARY_COLUMNS", "Engine", "Models", "ScoreSettings", "fit_models", "population_edges"]

SUMMARY_COLUMNS = ["customer_id", "frequency", "recency", "T", "monetary_value"]
OUT_COLUMNS = [
    "customer_id", "frequency", "recency", "T", "monetary_value", "p_alive",
    "expected_purchases", "clv", "tier", "segment",
]  # fmt: skip
TIERS = ("bronze", "silver", "gold", "platinum")


@dataclass(frozen=True)
class ScoreSettings:
    horizon_months: int = 12
    discount_rate: float = 0.01
    unit: str = "D"
    thresholds: TierThresholds = field(default_factory=TierThresholds)


@dataclass(frozen=True)
class Models:
    bgnbd: BgNbd
    gamma_gamma: GammaGamma | None


class Engine(Protocol):
    name: str

    def customers(self) -> int: ...

    def write_summary(self, out: Path) -> None: ...

    def bgnbd_rows(self) -> pd.DataFrame:
        """frequency, recency, T, weight: distinct rows sorted by those three columns."""
        ...

    def gamma_gamma_rows(self) -> pd.DataFrame:
        """frequency, monetary_value, weight for customers with repeat spend, sorted."""
        ...

    def value_counts(self, feature: str) -> pd.DataFrame:
        """value, count of `since_last` (T - recency), `frequency` or `monetary_value`."""
        ...

    def score(self, out: Path, models: Models, settings: ScoreSettings) -> None: ...

    def close(self) -> None: ...


def fit_models(engine: Engine) -> Models:
    """BG/NBD and Gamma-Gamma on the engine's compressed rows."""
    rows = engine.bgnbd_rows()
    bg = BgNbd().fit(rows["frequency"], rows["recency"], rows["T"], weights=rows["weight"])
    spend = engine.gamma_gamma_rows()
    gg = None
    if len(spend):
        gg = GammaGamma().fit(spend["frequency"], spend["monetary_value"], weights=spend["weight"])
    return Models(bg, gg)


def population_edges(engine: Engine) -> tuple[QuintileEdges, QuintileEdges, QuintileEdges]:
    """The R, F and M quintile edges of the whole population, from value counts."""
    out = []
    for feature, better in (("since_last", False), ("frequency", True), ("monetary_value", True)):
        counts = engine.value_counts(feature)
        out.append(quintile_edges(counts["value"], counts["count"], higher_is_better=better))
    return out[0], out[1], out[2]


def need_spend_model(models: Models) -> GammaGamma:
    if models.gamma_gamma is None:
        raise InputError("amount", "no customer with repeat purchases: spend cannot be modelled")
    return models.gamma_gamma


def tier_of(clv: np.ndarray, cuts: tuple[float, float, float]) -> np.ndarray:
    """assign_tiers' rule (a customer on a cut point goes up) with given cut points."""
    idx = np.searchsorted(np.asarray(cuts), clv, side="right")
    return np.asarray(TIERS, dtype=object)[idx]
