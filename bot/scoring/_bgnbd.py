"""The BG/NBD model (Fader, Hardie and Lee 2005, "Counting your customers the easy way").

Symbols stay as in the paper: per customer `x` repeat purchases (frequency), `t_x` time of the
last purchase (recency), `T` age; population parameters `r, alpha` (Gamma purchase rate) and
`a, b` (Beta dropout probability). Time is in whatever unit the summary uses.

The fit maximises the log-likelihood (paper eq. 6) over log-parameters, so they stay positive,
with the analytic gradient, on unique (x, t_x, T) rows weighted by their counts.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special

from bot.errors import ConvergenceError, InputError, NotFittedError

__all__ = ["BgNbd", "BgNbdParams", "ConvergenceWarning"]

Array = NDArray[np.float64]
_FORMAT = "appease.bgnbd/1"
_WARM_START_ROWS = 20_000


class ConvergenceWarning(UserWarning):
    """A fit stopped without the optimiser reporting convergence; parameters may be off."""


@dataclass(frozen=True)
class BgNbdParams:
    r: float
    alpha: float
    a: float
    b: float


def check_summary(x: Array, t_x: Array, T: Array) -> None:
    """The summary's own consistency rules, with the messages lifetimes users know."""
    if not (len(x) == len(t_x) == len(T)):
        raise InputError("summary", "frequency, recency and T must have the same length")
    if len(x) == 0:
        raise InputError("summary", "no customers")
    for name, arr in (("frequency", x), ("recency", t_x), ("T", T)):
        if not np.all(np.isfinite(arr)):
            raise InputError(name, "must be finite numbers")
        if np.any(arr < 0):
            raise InputError(name, "must not be negative")
    if np.any(t_x > T + 1e-9):
        raise InputError("recency", "some customers have recency > T")
    if np.any((x == 0) & (t_x != 0)):
        raise InputError("recency", "customers with frequency 0 must have recency 0")
    if np.any(x != np.round(x)):
        raise InputError("frequency", "must be whole numbers of repeat purchases")


@dataclass(frozen=True)
class _Stats:
    """The data split into distinct values of x, t_x and T with gather indices, computed once."""

    x: Array
    w: Array
    ux: Array
    ix: NDArray[np.intp]
    utx: Array
    itx: NDArray[np.intp]
    uT: Array
    iT: NDArray[np.intp]

    @classmethod
    def of(cls, x: Array, t_x: Array, T: Array, w: Array) -> _Stats:
        ux, ix = np.unique(x, return_inverse=True)
        utx, itx = np.unique(t_x, return_inverse=True)
        uT, iT = np.unique(T, return_inverse=True)
        return cls(x, w, ux, ix.ravel(), utx, itx.ravel(), uT, iT.ravel())


def _loglik_and_grad(theta: Array, x: Array, t_x: Array, T: Array, w: Array) -> tuple[float, Array]:
    """Weighted mean log-likelihood (eq. 6) and its gradient in (r, alpha, a, b)."""
    return _loglik_and_grad_stats(theta, _Stats.of(x, t_x, T, w))


def _loglik_and_grad_stats(theta: Array, st: _Stats) -> tuple[float, Array]:
    """Eq. 6 on precomputed distinct values.

    Gamma-function terms depend on x alone and the logs on T or t_x alone, so each is evaluated
    once per distinct value and gathered: per customer only a few multiplies and two exps remain.
    """
    r, alpha, a, b = theta
    ux, ix, x, w = st.ux, st.ix, st.x, st.w
    has_u = ux > 0
    xm1_u = np.where(has_u, ux - 1.0, 0.0)
    base_u = (
        special.gammaln(r + ux) - special.gammaln(r)
        + special.gammaln(a + b) + special.gammaln(b + ux)
        - special.gammaln(b) - special.gammaln(a + b + ux)
    )  # fmt: skip
    dig_ab = special.digamma(a + b)
    dig_abx_u = special.digamma(a + b + ux)
    dr_u = special.digamma(r + ux) - special.digamma(r)
    da_u = dig_ab - dig_abx_u
    db_u = dig_ab + special.digamma(b + ux) - special.digamma(b) - dig_abx_u
    la4_u = np.where(has_u, np.log(a) - np.log(b + xm1_u), -np.inf)
    inv_bx_u = np.where(has_u, 1.0 / (b + xm1_u), 0.0)

    log_aT = np.log(alpha + st.uT)[st.iT]
    log_atx = np.log(alpha + st.utx)[st.itx]
    inv_aT = (1.0 / (alpha + st.uT))[st.iT]
    inv_atx = (1.0 / (alpha + st.utx))[st.itx]
    has = has_u[ix]
    rx = r + x
    a3 = -rx * log_aT
    a4 = la4_u[ix] - rx * log_atx
    m = np.maximum(a3, a4)
    e3 = np.exp(a3 - m)
    e4 = np.exp(a4 - m)
    s = e3 + e4
    ll = base_u[ix] + r * np.log(alpha) + m + np.log(s)
    w3 = e3 / s
    ww3 = w * w3
    ww4 = np.where(has, w - ww3, 0.0)

    total = w.sum()
    wx = np.bincount(ix, weights=w, minlength=len(ux))
    wx4 = np.bincount(ix, weights=ww4, minlength=len(ux))
    d_r = wx @ dr_u + total * np.log(alpha) - ww3 @ log_aT - ww4 @ log_atx
    d_alpha = total * r / alpha - (ww3 * rx) @ inv_aT - (ww4 * rx) @ inv_atx
    d_a = wx @ da_u + wx4.sum() / a
    d_b = wx @ db_u - wx4 @ inv_bx_u
    grad = np.array([d_r, d_alpha, d_a, d_b]) / total
    return float((w @ ll) / total), grad


def _integral(values: Array) -> bool:
    return bool(np.all(values >= 0) and np.all(values == np.floor(values)))


def compress(*columns: Array) -> tuple[tuple[Array, ...], Array, NDArray[np.intp]]:
    """Unique rows and their counts (sufficient statistics), plus the inverse index."""
    stacked = np.column_stack(columns)
    if _integral(stacked):
        # Day- or week-granular data: pack each row into one int64 key, a 1-D unique is fast.
        ints = stacked.astype(np.int64)
        spans = ints.max(axis=0) + 1
        if float(np.prod(spans.astype(float))) < 2**62:
            key = np.zeros(len(ints), dtype=np.int64)
            for j in range(ints.shape[1]):
                key = key * spans[j] + ints[:, j]
            _, first, inverse, counts = np.unique(
                key, return_index=True, return_inverse=True, return_counts=True
            )
            uniq = stacked[first]
            cols = tuple(np.asarray(uniq[:, i], dtype=float) for i in range(uniq.shape[1]))
            return cols, counts.astype(float), np.asarray(inverse.ravel(), dtype=np.intp)
    uniq, inverse, counts = np.unique(stacked, axis=0, return_inverse=True, return_counts=True)
    cols = tuple(np.asarray(uniq[:, i], dtype=float) for i in range(uniq.shape[1]))
    return cols, counts.astype(float), np.asarray(inverse.ravel(), dtype=np.intp)


def _off_one(a: float) -> float:
    """Eq. 10 divides by a - 1; its limit at a = 1 is continuous, so step just off the pole."""
    return a if abs(a - 1.0) > 1e-7 else 1.0 + 1e-7


class BgNbd:
    """Fit and predict the BG/NBD purchase process; `fit(...)` returns self, state ends in `_`."""

    def __init__(self, penalizer_coef: float = 0.0) -> None:
        self.penalizer_coef = penalizer_coef
        self.params_: BgNbdParams | None = None
        self.converged_: bool | None = None
        self.n_customers_: int | None = None
        self.loglik_: float | None = None

    def fit(
        self,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,
        weights: ArrayLike | None = None,
    ) -> BgNbd:
        x, t_x, TT = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
        check_summary(x, t_x, TT)
        if weights is None:
            (x, t_x, TT), w, _ = compress(x, t_x, TT)
        else:
            w = np.asarray(weights, dtype=float)
        # Rescale time so max T is 1: the optimiser then sees alpha near 1 whatever the unit.
        scale = 1.0 / float(TT.max()) if TT.max() > 0 else 1.0
        xs, txs, Ts = x, t_x * scale, TT * scale
        pen = self.penalizer_coef

        def minimize(stats: _Stats, start: Array, ftol: float) -> optimize.OptimizeResult:
            def objective(phi: Array) -> tuple[float, Array]:
                theta = np.exp(phi)
                ll, grad = _loglik_and_grad_stats(theta, stats)
                value = -ll + pen * float(np.sum(theta**2))
                return value, (-grad + 2 * pen * theta) * theta  # chain rule through exp

            with np.errstate(all="ignore"):
                return optimize.minimize(
                    objective, start, jac=True, method="L-BFGS-B",
                    options={"maxiter": 1000, "ftol": ftol, "gtol": 1e-9},
                )  # fmt: skip

        start = np.zeros(4)
        if len(xs) > _WARM_START_ROWS:
            # Warm start from every k-th distinct row (deterministic): the full-data search then
            # needs a handful of evaluations instead of a few dozen.
            k = len(xs) // (_WARM_START_ROWS // 2)
            sub = slice(None, None, k)
            coarse = minimize(_Stats.of(xs[sub], txs[sub], Ts[sub], w[sub]), start, 1e-10)
            if np.all(np.isfinite(coarse.x)):
                start = coarse.x
        res = minimize(_Stats.of(xs, txs, Ts, w), start, 1e-14)
        if not np.all(np.isfinite(res.x)):
            raise ConvergenceError(f"BG/NBD fit failed: {res.message}")
        r, alpha_s, a, b = np.exp(res.x)
        self.params_ = BgNbdParams(float(r), float(alpha_s / scale), float(a), float(b))
        # L-BFGS-B can stop 'abnormally' at machine precision on the optimum: judge by the gradient.
        self.converged_ = bool(res.success) or float(np.max(np.abs(res.jac))) < 1e-6
        self.n_customers_ = int(w.sum())
        self.loglik_ = float(-res.fun * w.sum())
        if not self.converged_:
            warnings.warn(
                f"BG/NBD fit did not converge: {res.message}", ConvergenceWarning, stacklevel=2
            )
        return self

    def _params(self) -> BgNbdParams:
        if self.params_ is None:
            raise NotFittedError("BgNbd: call fit() or from_json() first")
        return self.params_

    def p_alive(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> Array:
        """P(still active | x, t_x, T), eq. 13 of Fader, Hardie and Lee (2008 note)."""
        p = self._params()
        x, t_x, TT = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
        log_ratio = (p.r + x) * (np.log(p.alpha + TT) - np.log(p.alpha + t_x))
        odds = np.where(x > 0, p.a / (p.b + np.maximum(x, 1) - 1) * np.exp(log_ratio), 0.0)
        return np.asarray(1.0 / (1.0 + odds))

    def expected_purchases(
        self, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> Array:
        """E[purchases in (T, T + t] | x, t_x, T] (eq. 10); `t` broadcasts against customers."""
        p = self._params()
        t = np.asarray(t, dtype=float)
        x, t_x, TT = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
        r, alpha, a, b = p.r, p.alpha, _off_one(p.a), p.b
        hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + TT + t))
        first = (a + b + x - 1) / (a - 1)
        second = 1 - ((alpha + TT) / (alpha + TT + t)) ** (r + x) * hyp
        log_ratio = (r + x) * (np.log(alpha + TT) - np.log(alpha + t_x))
        denom = 1 + np.where(x > 0, a / (b + np.maximum(x, 1) - 1) * np.exp(log_ratio), 0.0)
        return np.asarray(first * second / denom)

    def expected_purchases_new(self, t: ArrayLike) -> Array:
        """E[X(t)] for a customer just acquired (eq. 7): the population's prior expectation."""
        p = self._params()
        t = np.asarray(t, dtype=float)
        r, alpha, a, b = p.r, p.alpha, _off_one(p.a), p.b
        hyp = special.hyp2f1(r, b, a + b - 1, t / (alpha + t))
        return np.asarray((a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp))

    def to_json(self) -> str:
        p = self._params()
        payload: dict[str, Any] = {"format": _FORMAT, "params": asdict(p)}
        payload["converged"] = self.converged_
        payload["n_customers"] = self.n_customers_
        return json.dumps(payload)

    @classmethod
    def from_json(cls, text: str) -> BgNbd:
        data = json.loads(text)
        if data.get("format") != _FORMAT:
            raise InputError("format", f"expected {_FORMAT}, got {data.get('format')!r}")
        model = cls()
        model.params_ = BgNbdParams(**data["params"])
        model.converged_ = data.get("converged")
        model.n_customers_ = data.get("n_customers")
        return model
