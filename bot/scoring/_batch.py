"""Scoring in batches: what an engine needs to score customers a batch at a time and get the
same numbers, tiers and segments as `score_summary` on the whole population at once.

Tiers and segments depend on the whole population (CLV quantiles, RFM quintiles); everything
else is per customer. So an engine first gathers the population's few cut points (from value
counts it can aggregate where the data lives), then maps `score_batch` over its batches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bot.errors import ConvergenceError
from bot.scoring._bgnbd import BgNbd, compress
from bot.scoring._gammagamma import GammaGamma
from bot.scoring._segments import TierThresholds, segment_names
from bot.scoring._value import purchase_terms

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "BATCH_COLUMNS",
    "QuintileEdges",
    "order_positions",
    "quantile_from_order_statistics",
    "quintile_edges",
    "score_batch",
    "tier_cut_points",
]

Array = NDArray[np.float64]
# What `score_batch` returns: every score column but the tier, which needs all the CLVs first.
BATCH_COLUMNS = [
    "customer_id",
    "frequency",
    "recency",
    "T",
    "monetary_value",
    "p_alive",
    "expected_purchases",
    "clv",
    "segment",
]


@dataclass(frozen=True)
class QuintileEdges:
    """Where each 1-5 quintile score starts: score = 1 + number of edges at or below a value.

    Built from a feature's distinct values and counts over the whole population with the same
    ranks (ties averaged) as `rfm_scores`, so a batch scores a customer as the population does.
    """

    edges: tuple[float, ...]
    higher_is_better: bool

    def score(self, values: ArrayLike) -> NDArray[np.int64]:
        v = np.asarray(values, dtype=float)
        key = v if self.higher_is_better else -v
        return np.asarray(1 + np.searchsorted(np.asarray(self.edges), key, side="right"))

    def sql(self, value: str) -> str:
        """`score` as a SQL expression over a column expression (DuckDB and Spark SQL alike)."""
        key = f"({value})" if self.higher_is_better else f"(-({value}))"
        terms = [
            f"CASE WHEN {key} >= CAST('{edge!r}' AS DOUBLE) THEN 1 ELSE 0 END"
            for edge in self.edges
        ]
        return "(1 + " + " + ".join(terms) + ")"


def quintile_edges(
    values: ArrayLike, counts: ArrayLike, *, higher_is_better: bool
) -> QuintileEdges:
    """Edges from distinct values and their counts (any order)."""
    v = np.asarray(values, dtype=float)
    c = np.asarray(counts, dtype=float)
    key = v if higher_is_better else -v
    order = np.argsort(key, kind="stable")
    key, c = key[order], c[order]
    n = c.sum()
    below = np.cumsum(c) - c
    # The average of ranks below+1 .. below+c, as `_quintile` computes it (sum / count).
    avg = (c * (below + 1) + c * (c - 1) / 2) / c
    score = np.clip(np.ceil(avg / n * 5).astype(np.int64), 1, 5)
    edges = []
    for k in range(2, 6):
        at = np.flatnonzero(score >= k)
        edges.append(float(key[at[0]]) if at.size else float("inf"))
    return QuintileEdges(tuple(edges), higher_is_better)


def quantile_from_order_statistics(n: int, q: float, lower: float, upper: float) -> float:
    """np.quantile's linear interpolation, from the two order statistics around (n - 1) q."""
    h = (n - 1) * q
    t = h - np.floor(h)
    diff = upper - lower
    # numpy's _lerp: from the nearer end, so the result is monotone and exact at the ends.
    return float(upper - diff * (1 - t)) if t >= 0.5 else float(lower + diff * t)


def order_positions(n: int, thresholds: TierThresholds) -> list[int]:
    """The 0-based positions of the sorted CLVs that the tier cut points interpolate between."""
    out = []
    for q in (thresholds.silver, thresholds.gold, thresholds.platinum):
        lo = int(np.floor((n - 1) * q))
        out += [lo, min(lo + 1, n - 1)]
    return out


def tier_cut_points(
    n: int, thresholds: TierThresholds, order_stats: dict[int, float]
) -> tuple[float, float, float]:
    """Silver, gold and platinum cut points from the order statistics `order_positions` named."""
    if thresholds.absolute:
        return (thresholds.silver, thresholds.gold, thresholds.platinum)
    cuts = []
    for q in (thresholds.silver, thresholds.gold, thresholds.platinum):
        lo = int(np.floor((n - 1) * q))
        hi = min(lo + 1, n - 1)
        cuts.append(quantile_from_order_statistics(n, q, order_stats[lo], order_stats[hi]))
    return (cuts[0], cuts[1], cuts[2])


def score_batch(
    summary: pd.DataFrame,
    bg: BgNbd,
    gg: GammaGamma,
    recency_edges: QuintileEdges,
    frequency_edges: QuintileEdges,
    monetary_edges: QuintileEdges,
    *,
    horizon_months: int = 12,
    discount_rate: float = 0.01,
    unit: str = "D",
) -> pd.DataFrame:
    """Score one batch of summary rows (customer_id, frequency, recency, T, monetary_value)."""
    import pandas as pd

    x = summary["frequency"].to_numpy(dtype=float)
    t_x = summary["recency"].to_numpy(dtype=float)
    T = summary["T"].to_numpy(dtype=float)
    m = summary["monetary_value"].to_numpy(dtype=float)
    # The purchase-process terms once per distinct (x, t_x, T), gathered back: the same numbers
    # per customer as `score_summary` computes, at a fraction of the hypergeometric calls.
    (ux, utx, uT), _, back = compress(x, t_x, T)
    p_alive_u, expected_u, per_spend_u = purchase_terms(
        bg, ux, utx, uT, horizon_months=horizon_months, discount_rate=discount_rate, unit=unit
    )
    p_alive, expected = p_alive_u[back], expected_u[back]
    value = np.maximum(gg.expected_spend(x, m) * per_spend_u[back], 0.0)
    unfit = ~(np.isfinite(value) & np.isfinite(p_alive) & np.isfinite(expected))
    if unfit.any():
        raise ConvergenceError(
            f"the fitted models give no finite score for {int(unfit.sum())} customers in a batch "
            "(too little or too extreme purchase history to fit); nothing was scored"
        )
    R = recency_edges.score(T - t_x)
    F = frequency_edges.score(x)
    M = monetary_edges.score(m)
    return pd.DataFrame(
        {
            "customer_id": summary["customer_id"].astype(str).to_numpy(),
            "frequency": x,
            "recency": t_x,
            "T": T,
            "monetary_value": m,
            "p_alive": p_alive,
            "expected_purchases": expected,
            "clv": value,
            "segment": segment_names(x, R, F, M),
        }
    )
