"""Tiers by CLV and RFM segments: the labels a policy writes its rules against.

Tiers: by default the CLV quantiles 50%, 80% and 95% split customers into bronze (below the
median), silver, gold and platinum (top 5%). A customer exactly on a cut point goes to the higher
tier. Fixed money thresholds may replace the quantiles.

Segments: recency score R (time since the last purchase, T - recency, lower is better) and
frequency and monetary scores F, M, each 1-5 by population quintile (percentile rank, ties
averaged), then the first rule that matches:

    1. new                  no repeat purchase yet (frequency 0) and R >= 4
    2. champions            R >= 4 and F >= 4
    3. cant_lose_them       R <= 2 and F >= 4 and M >= 4
    4. at_risk              R <= 2 and F >= 3
    5. loyal                R >= 3 and F >= 3
    6. potential_loyalists  R >= 3
    7. hibernating          R == 2
    8. lost                 otherwise (R == 1, few purchases)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bot.domain import Segment, Tier
from bot.errors import InputError

__all__ = [
    "SEGMENT_NAMES",
    "SEGMENT_RULES",
    "TierThresholds",
    "assign_segments",
    "assign_tiers",
    "rfm_scores",
    "segment_codes",
    "segment_names",
    "segment_sql",
    "segments_from_scores",
]

_TIERS = (Tier.bronze, Tier.silver, Tier.gold, Tier.platinum)


@dataclass(frozen=True)
class TierThresholds:
    """Cut points for silver, gold and platinum: CLV quantiles, or money amounts if `absolute`."""

    silver: float = 0.50
    gold: float = 0.80
    platinum: float = 0.95
    absolute: bool = False

    def __post_init__(self) -> None:
        if not self.silver <= self.gold <= self.platinum:
            raise InputError(
                "tiers", "thresholds must be non-decreasing: silver <= gold <= platinum"
            )
        if not self.absolute and not (self.silver >= 0 and self.platinum <= 1):
            raise InputError("tiers", "quantile thresholds must lie within [0, 1]")

    def cut_points(self, clv: NDArray[np.float64]) -> NDArray[np.float64]:
        cuts = np.array([self.silver, self.gold, self.platinum], dtype=float)
        return cuts if self.absolute else np.quantile(clv, cuts)


def assign_tiers(clv: ArrayLike, thresholds: TierThresholds | None = None) -> list[Tier]:
    values = np.asarray(clv, dtype=float)
    if values.size == 0:
        return []
    cuts = (thresholds or TierThresholds()).cut_points(values)
    idx = np.searchsorted(cuts, values, side="right")
    return [_TIERS[i] for i in idx]


def _quintile(values: NDArray[np.float64], higher_is_better: bool) -> NDArray[np.int64]:
    """1-5 by percentile rank with ties averaged, so equal values share a score."""
    if values.size == 0:
        return np.zeros(0, dtype=np.int64)
    order = values if higher_is_better else -values
    sorter = np.argsort(order, kind="stable")
    ranks = np.empty(values.size, dtype=float)
    ranks[sorter] = np.arange(1, values.size + 1)
    # average ranks within ties
    _, inverse, counts = np.unique(order, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse.ravel(), weights=ranks)
    avg = sums[inverse.ravel()] / counts[inverse.ravel()]
    pct = avg / values.size
    return np.clip(np.ceil(pct * 5).astype(np.int64), 1, 5)


def rfm_scores(
    frequency: ArrayLike, recency: ArrayLike, T: ArrayLike, monetary_value: ArrayLike
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    x = np.asarray(frequency, dtype=float)
    since_last = np.asarray(T, dtype=float) - np.asarray(recency, dtype=float)
    return (
        _quintile(since_last, higher_is_better=False),
        _quintile(x, higher_is_better=True),
        _quintile(np.asarray(monetary_value, dtype=float), higher_is_better=True),
    )


def assign_segments(
    frequency: ArrayLike, recency: ArrayLike, T: ArrayLike, monetary_value: ArrayLike
) -> list[Segment]:
    x = np.asarray(frequency, dtype=float)
    R, F, M = rfm_scores(x, recency, T, monetary_value)
    return segments_from_scores(x, R, F, M)


def segments_from_scores(
    frequency: ArrayLike, R: NDArray[np.int64], F: NDArray[np.int64], M: NDArray[np.int64]
) -> list[Segment]:
    """The rules above on given R, F, M scores (a batch scored against population edges)."""
    return [Segment(n) for n in segment_names(frequency, R, F, M)]


# The rules above as data, first match wins: (segment, needs frequency 0, lowest R, highest R,
# lowest F, lowest M). `segment_names` evaluates them on arrays, `segment_sql` writes them as a
# SQL CASE for engines that score where the data lives.
SEGMENT_RULES: tuple[tuple[Segment, bool, int, int, int, int], ...] = (
    (Segment.new, True, 4, 5, 1, 1),
    (Segment.champions, False, 4, 5, 4, 1),
    (Segment.cant_lose_them, False, 1, 2, 4, 4),
    (Segment.at_risk, False, 1, 2, 3, 1),
    (Segment.loyal, False, 3, 5, 3, 1),
    (Segment.potential_loyalists, False, 3, 5, 1, 1),
    (Segment.hibernating, False, 2, 2, 1, 1),
)


def segment_names(
    frequency: ArrayLike, R: NDArray[np.int64], F: NDArray[np.int64], M: NDArray[np.int64]
) -> NDArray[np.str_]:
    """The segments' names as an array: millions of customers need no enum object each."""
    x = np.asarray(frequency, dtype=float)
    r, f, m = R, F, M
    conditions = [
        ((x == 0) if zero else True) & (r >= r_lo) & (r <= r_hi) & (f >= f_lo) & (m >= m_lo)
        for _, zero, r_lo, r_hi, f_lo, m_lo in SEGMENT_RULES
    ]
    choices = [seg.value for seg, *_ in SEGMENT_RULES]
    return np.asarray(np.select(conditions, choices, default=Segment.lost.value))


def segment_sql(frequency: str, R: str, F: str, M: str) -> str:
    """`segment_names` as a SQL CASE over column expressions (DuckDB and Spark SQL alike)."""
    whens = []
    for seg, zero, r_lo, r_hi, f_lo, m_lo in SEGMENT_RULES:
        conds = [f"{frequency} = 0"] if zero else []
        conds += [f"{R} >= {r_lo}", f"{R} <= {r_hi}", f"{F} >= {f_lo}", f"{M} >= {m_lo}"]
        whens.append(f"WHEN {' AND '.join(conds)} THEN '{seg.value}'")
    return f"CASE {' '.join(whens)} ELSE '{Segment.lost.value}' END"


# The names `segment_codes` indexes: the rules' segments in order, then lost.
SEGMENT_NAMES: tuple[str, ...] = (
    *(seg.value for seg, *_ in SEGMENT_RULES),
    Segment.lost.value,
)


def segment_codes(
    frequency: ArrayLike, R: NDArray[np.int64], F: NDArray[np.int64], M: NDArray[np.int64]
) -> NDArray[np.uint8]:
    """`segment_names` as indices into `SEGMENT_NAMES`, for R, F, M scores 1-5: an engine names
    them where it writes (no string per customer in Python). The rules are evaluated once for
    each of the 250 (repeat or not, R, F, M) combinations and looked up per customer: seven
    rules' comparisons over every customer took 0.2 s at 1.9M customers."""
    repeats, r, f, m = np.meshgrid([0, 1], *[np.arange(1, 6)] * 3, indexing="ij")
    conditions = [
        ((repeats == 0) if zero else True) & (r >= r_lo) & (r <= r_hi) & (f >= f_lo) & (m >= m_lo)
        for _, zero, r_lo, r_hi, f_lo, m_lo in SEGMENT_RULES
    ]
    table = np.select(conditions, np.arange(len(SEGMENT_RULES)), default=len(SEGMENT_RULES))
    repeat = np.asarray(frequency, dtype=float) != 0
    index = ((repeat * 5 + (R - 1)) * 5 + (F - 1)) * 5 + (M - 1)
    return np.asarray(table.astype(np.uint8).ravel()[index])
