"""Draw customers from the BG/NBD process: test data with known truth, and benchmark loads.

Each customer's purchase rate is Gamma(r, alpha) and dropout probability Beta(a, b); after
each repeat purchase the customer leaves with that probability. Purchase times are floored to
whole days, so the draws look like a day-granular transaction log.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bot.scoring._bgnbd import BgNbdParams

__all__ = ["simulate_summary", "simulate_transactions"]


def _draw_times(
    params: BgNbdParams, T_days: np.ndarray, rng: np.random.Generator, max_repeats: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per customer, repeat purchase days (NaN past dropout or T) as an (n, max_repeats) array."""
    n = len(T_days)
    lam = rng.gamma(params.r, 1.0 / params.alpha, size=n)
    p = rng.beta(params.a, params.b, size=n)
    gaps = rng.exponential(1.0, size=(n, max_repeats)) / lam[:, None]
    times = np.cumsum(gaps, axis=1)
    # The j-th repeat happens only if the customer survived the j-1 earlier ones.
    survived = rng.random(size=(n, max_repeats)) >= p[:, None]
    alive_before = np.concatenate(
        [np.ones((n, 1), bool), np.cumprod(survived, axis=1)[:, :-1] > 0], axis=1
    )
    days = np.floor(times)
    days[(~alive_before) | (times > T_days[:, None])] = np.nan
    return days, lam


def simulate_summary(
    params: BgNbdParams, n: int, *, T_days: float = 365.0, seed: int = 0, max_repeats: int = 60
) -> pd.DataFrame:
    """An RFM summary (days) for `n` customers acquired uniformly over the first half of T."""
    rng = np.random.default_rng(seed)
    T = np.floor(rng.uniform(T_days / 2, T_days, size=n))
    days, _ = _draw_times(params, T, rng, max_repeats)
    # same-day purchases collapse, and day 0 is the first purchase
    x = np.zeros(n)
    t_x = np.zeros(n)
    for j in range(days.shape[1]):
        d = days[:, j]
        new_day = ~np.isnan(d) & (d > t_x)
        x += new_day
        t_x = np.where(new_day, d, t_x)
    return pd.DataFrame({"frequency": x, "recency": t_x, "T": T})


def simulate_transactions(
    params: BgNbdParams,
    n: int,
    *,
    start: str = "2024-01-01",
    T_days: int = 365,
    seed: int = 0,
    max_repeats: int = 60,
    mean_spend: float = 35.0,
) -> pd.DataFrame:
    """A transaction log (customer_id, date, amount) drawn from the process, with Gamma spend."""
    rng = np.random.default_rng(seed)
    first = rng.integers(0, T_days // 2, size=n)
    T = (T_days - first).astype(float)
    days, _ = _draw_times(params, T, rng, max_repeats)
    all_days = np.concatenate([np.zeros((n, 1)), days], axis=1)
    cust, k = np.nonzero(~np.isnan(all_days))
    offset = first[cust] + all_days[cust, k].astype(np.int64)
    scale = rng.gamma(6.0, mean_spend / 6.0, size=n)
    amount = np.round(rng.gamma(4.0, scale[cust] / 4.0), 2)
    return pd.DataFrame(
        {
            "customer_id": cust.astype(str),
            "date": pd.Timestamp(start) + pd.to_timedelta(offset, unit="D"),
            "amount": amount,
        }
    )
