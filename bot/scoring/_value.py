"""Customer value: discounted CLV from the fitted models, the source's simple formula, residual CLV.

The simple formula is the one in the KPI source ("CLV Post-Issue"): the sum over years of
(ARPU - cost to serve) x retention rate ^ year. Exponent convention: year k = 1..years carries
retention ** k, i.e. the first year's margin already counts only if the customer stays that
year (a customer retained with probability 0.8 is worth 0.8 of a year of margin in year 1).
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bot.errors import InputError
from bot.scoring._bgnbd import BgNbd, compress
from bot.scoring._gammagamma import GammaGamma

__all__ = [
    "DAYS_PER_MONTH",
    "clv",
    "discounted_purchases",
    "purchase_terms",
    "residual_clv",
    "simple_clv",
]

Array = NDArray[np.float64]
# Units per month of each summary time unit, as lifetimes counts them.
DAYS_PER_MONTH = {"D": 30.0, "W": 4.345, "M": 1.0}


def clv(
    bgnbd: BgNbd,
    gamma_gamma: GammaGamma,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    monetary_value: ArrayLike,
    *,
    horizon_months: int = 12,
    discount_rate: float = 0.01,
    unit: str = "D",
) -> Array:
    """Discounted expected spend over the next `horizon_months` (monthly `discount_rate`).

    Month k's expected purchases are E[X(k)] - E[X(k-1)] (eq. 10), valued at the Gamma-Gamma
    expected spend and discounted by (1 + d)^k: one broadcast over customers x months, the same
    sum lifetimes' `customer_lifetime_value` builds month by month.
    """
    value = discounted_purchases(
        bgnbd,
        frequency,
        recency,
        T,
        horizon_months=horizon_months,
        discount_rate=discount_rate,
        unit=unit,
    )
    spend = gamma_gamma.expected_spend(frequency, monetary_value)
    return np.asarray(np.maximum(spend * value, 0.0))


def discounted_purchases(
    bgnbd: BgNbd,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    *,
    horizon_months: int = 12,
    discount_rate: float = 0.01,
    unit: str = "D",
) -> Array:
    """Sum over months k of (E[X(k)] - E[X(k-1)]) / (1 + d)^k: CLV per unit of spend.

    It depends on (frequency, recency, T) alone, so a scorer can evaluate it once per distinct
    row and multiply by each customer's spend. Recency enters only through eq. 10's divisor,
    the same every month: the monthly hypergeometric terms are evaluated once per distinct
    (frequency, T) pair and divided by each row's divisor once.
    """
    return purchase_terms(
        bgnbd,
        frequency,
        recency,
        T,
        horizon_months=horizon_months,
        discount_rate=discount_rate,
        unit=unit,
    )[2]


def purchase_terms(
    bgnbd: BgNbd,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    *,
    horizon_months: int = 12,
    discount_rate: float = 0.01,
    unit: str = "D",
) -> tuple[Array, Array, Array]:
    """p_alive, expected purchases over the horizon and `discounted_purchases`, per row.

    The same numbers as `p_alive`, `expected_purchases(horizon)` and `discounted_purchases`
    (the horizon's expectation is the last month's cumulative term), with the hypergeometric
    terms evaluated once per distinct (frequency, T).
    """
    if unit not in DAYS_PER_MONTH:
        raise InputError("unit", f"must be one of {sorted(DAYS_PER_MONTH)}")
    if horizon_months < 1:
        raise InputError("horizon_months", "must be at least 1")
    x, t_x, TT = (np.asarray(v, dtype=float).ravel() for v in (frequency, recency, T))
    if x.size == 0:
        return np.zeros(0), np.zeros(0), np.zeros(0)
    (ux, uT), _, back = compress(x, TT)
    months = np.arange(0, horizon_months + 1, dtype=float)[None, :]
    cumulative = bgnbd.unconditional_part(months * DAYS_PER_MONTH[unit], ux[:, None], uT[:, None])
    cumulative[:, 0] = 0.0
    at_horizon = cumulative[:, horizon_months].copy()
    per_month = np.diff(cumulative, axis=1)
    discount = (1.0 + discount_rate) ** -months[:, 1:]
    per_pair = (per_month * discount).sum(axis=1)
    divisor = bgnbd.alive_divisor(x, t_x, TT)
    return (
        bgnbd.p_alive(x, t_x, TT),
        np.asarray(at_horizon[back] / divisor),
        np.asarray(per_pair[back] / divisor),
    )


def simple_clv(
    arpu: float | Decimal,
    cost_to_serve: float | Decimal,
    retention_rate: float | Decimal,
    years: int,
) -> Decimal:
    """sum_{k=1..years} (ARPU - cost to serve) * retention ** k, in Decimal (money)."""
    arpu, cost, retention = (
        Decimal(str(arpu)),
        Decimal(str(cost_to_serve)),
        Decimal(str(retention_rate)),
    )
    if not Decimal(0) <= retention <= Decimal(1):
        raise InputError("retention_rate", "must be between 0 and 1")
    if years < 0:
        raise InputError("years", "must not be negative")
    margin = arpu - cost
    return sum((margin * retention**k for k in range(1, years + 1)), Decimal(0))


def residual_clv(clv_value: ArrayLike, goodwill_spent: ArrayLike) -> Array:
    """CLV less the goodwill already given: what is left to protect (may be negative)."""
    return np.asarray(np.asarray(clv_value, dtype=float) - np.asarray(goodwill_spent, dtype=float))
