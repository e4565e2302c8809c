"""Transactions to per-customer scores: the step `clv score`, imports and the demo share."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bot.errors import ConvergenceError
from bot.scoring._bgnbd import BgNbd
from bot.scoring._gammagamma import GammaGamma
from bot.scoring._segments import TierThresholds, assign_segments, assign_tiers
from bot.scoring._transactions import Unit, summarize
from bot.scoring._value import DAYS_PER_MONTH, clv, residual_clv

__all__ = ["SCORE_COLUMNS", "ScoringResult", "score_summary", "score_transactions"]

SCORE_COLUMNS = [
    "customer_id",
    "frequency",
    "recency",
    "T",
    "monetary_value",
    "p_alive",
    "expected_purchases",
    "clv",
    "residual_clv",
    "tier",
    "segment",
]


@dataclass
class ScoringResult:
    """Scores per customer plus the fitted models that produced them (for persistence)."""

    scores: pd.DataFrame
    bgnbd: BgNbd
    gamma_gamma: GammaGamma
    unit: Unit


def score_summary(
    summary: pd.DataFrame,
    *,
    goodwill: Mapping[str, float] | None = None,
    thresholds: TierThresholds | None = None,
    horizon_months: int = 12,
    discount_rate: float = 0.01,
    unit: Unit = "D",
    bgnbd: BgNbd | None = None,
    gamma_gamma: GammaGamma | None = None,
) -> ScoringResult:
    """Fit (unless fitted models are given) and score an RFM summary indexed by customer id.

    Customers with a single purchase get the population's predictions (predictive CLV at first
    purchase): p_alive 1, expected purchases from the prior, spend at the population mean.
    """
    x = summary["frequency"].to_numpy(dtype=float)
    t_x = summary["recency"].to_numpy(dtype=float)
    T = summary["T"].to_numpy(dtype=float)
    m = summary["monetary_value"].to_numpy(dtype=float)
    bg = bgnbd if bgnbd is not None else BgNbd().fit(x, t_x, T)
    gg = gamma_gamma if gamma_gamma is not None else GammaGamma().fit(x, m)
    value = clv(
        bg, gg, x, t_x, T, m, horizon_months=horizon_months, discount_rate=discount_rate, unit=unit
    )
    horizon = horizon_months * DAYS_PER_MONTH[unit]
    p_alive = bg.p_alive(x, t_x, T)
    expected = bg.expected_purchases(horizon, x, t_x, T)
    unfit = ~(np.isfinite(value) & np.isfinite(p_alive) & np.isfinite(expected))
    if unfit.any():  # a NaN score would reach the store as NULL, or a CSV as "nan"
        raise ConvergenceError(
            f"the fitted models give no finite score for {int(unfit.sum())} of {len(x)} "
            "customers (too little or too extreme purchase history to fit); nothing was scored"
        )
    spent = np.zeros(len(x))
    ids = summary.index.astype(str)
    if goodwill:
        spent = np.array([float(goodwill.get(cid, 0.0)) for cid in ids])
    scores = pd.DataFrame(
        {
            "customer_id": ids,
            "frequency": x,
            "recency": t_x,
            "T": T,
            "monetary_value": m,
            "p_alive": p_alive,
            "expected_purchases": expected,
            "clv": value,
            "residual_clv": residual_clv(value, spent),
            "tier": [t.value for t in assign_tiers(value, thresholds)],
            "segment": [s.value for s in assign_segments(x, t_x, T, m)],
        }
    )
    return ScoringResult(scores=scores, bgnbd=bg, gamma_gamma=gg, unit=unit)


def score_transactions(
    transactions: pd.DataFrame,
    *,
    as_of: str | pd.Timestamp | None = None,
    goodwill: Mapping[str, float] | None = None,
    thresholds: TierThresholds | None = None,
    horizon_months: int = 12,
    discount_rate: float = 0.01,
    unit: Unit = "D",
) -> ScoringResult:
    """Summarise, fit BG/NBD and Gamma-Gamma, and score every customer."""
    summary = summarize(transactions, as_of=as_of, unit=unit)
    return score_summary(
        summary,
        goodwill=goodwill,
        thresholds=thresholds,
        horizon_months=horizon_months,
        discount_rate=discount_rate,
        unit=unit,
    )
