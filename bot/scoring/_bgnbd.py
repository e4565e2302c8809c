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
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bot.errors import ConvergenceError, InputError, NotFittedError

if TYPE_CHECKING:
    from scipy import optimize

# SciPy is imported where it is used, not with this module: its special functions and optimiser
# are 0.5-0.8 s of a process's start, which the DuckDB engine spends on a thread of its own while
# the summary runs (`bot.engines._duckdb`).

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
    """The data reduced once, so an evaluation does little per distinct row.

    Customers without repeat purchases (x = 0, t_x = 0) contribute only through terms in T:
    they collapse to weights per distinct T. Gamma-function terms depend on x alone and the
    logs on T or t_x alone: each is evaluated once per distinct value and gathered. Per distinct
    row with x > 0 one exp and one log1p remain.
    """

    total: float
    ux: Array  # distinct x, with their summed weights
    wux: Array
    uT: Array  # distinct T, with summed weights and summed w * x over all rows
    wT: Array
    wxT: Array
    x: Array  # rows with x > 0
    w: Array
    ix: NDArray[np.intp]
    iT: NDArray[np.intp]
    utx: Array
    itx: NDArray[np.intp]

    @classmethod
    def of(cls, x: Array, t_x: Array, T: Array, w: Array) -> _Stats:
        ux, ix_all = np.unique(x, return_inverse=True)
        uT, iT_all = np.unique(T, return_inverse=True)
        ix_all, iT_all = ix_all.ravel(), iT_all.ravel()
        has = x > 0
        utx, itx = np.unique(t_x[has], return_inverse=True)

        def per(index: NDArray[np.intp], weights: Array, size: int) -> Array:
            return np.bincount(index, weights=weights, minlength=size).astype(float)

        return cls(
            total=float(w.sum()),
            ux=ux,
            wux=per(ix_all, w, len(ux)),
            uT=uT,
            wT=per(iT_all, w, len(uT)),
            wxT=per(iT_all, w * x, len(uT)),
            x=x[has],
            w=w[has],
            ix=ix_all[has],
            iT=iT_all[has],
            utx=utx,
            itx=itx.ravel(),
        )


def _loglik_and_grad(theta: Array, x: Array, t_x: Array, T: Array, w: Array) -> tuple[float, Array]:
    """Weighted mean log-likelihood (eq. 6) and its gradient in (r, alpha, a, b)."""
    return _loglik_and_grad_stats(theta, _Stats.of(x, t_x, T, w))


def _loglik_and_grad_stats(theta: Array, st: _Stats) -> tuple[float, Array]:
    """Eq. 6 on precomputed distinct values, as log(e^A3 + e^A4) = A3 + softplus(A4 - A3).

    A3 = -(r + x) log(alpha + T) sums per distinct T; d = A4 - A3 = log a - log(b + x - 1)
    + (r + x)(log(alpha + T) - log(alpha + t_x)) is the one per-row quantity, and its
    logistic sigma(d) weights every per-row gradient term.
    """
    from scipy import special

    r, alpha, a, b = theta
    ux = st.ux
    W = st.total
    base_u = (
        special.gammaln(r + ux)
        - special.gammaln(r)
        + special.gammaln(a + b)
        + special.gammaln(b + ux)
        - special.gammaln(b)
        - special.gammaln(a + b + ux)
    )
    dig_ab = special.digamma(a + b)
    dig_abx_u = special.digamma(a + b + ux)
    dr_u = special.digamma(r + ux) - special.digamma(r)
    da_u = dig_ab - dig_abx_u
    db_u = dig_ab + special.digamma(b + ux) - special.digamma(b) - dig_abx_u
    has_u = ux > 0
    xm1_u = np.where(has_u, ux - 1.0, 0.0)
    la4_u = np.where(has_u, np.log(a) - np.log(b + xm1_u), 0.0)
    inv_bx_u = np.where(has_u, 1.0 / (b + xm1_u), 0.0)

    log_aT_u = np.log(alpha + st.uT)
    inv_aT_u = 1.0 / (alpha + st.uT)
    rwT = r * st.wT + st.wxT  # sum of w (r + x) per distinct T

    # Per row with x > 0.
    log_atx_u = np.log(alpha + st.utx)
    inv_atx_u = 1.0 / (alpha + st.utx)
    diff = log_aT_u[st.iT] - log_atx_u[st.itx]
    rx = r + st.x
    d = la4_u[st.ix] + rx * diff
    e = np.exp(-np.abs(d))
    softplus = np.maximum(d, 0.0) + np.log1p(e)
    sigma = np.where(d >= 0, 1.0, e) / (1.0 + e)
    u = st.w * sigma
    u_x = np.bincount(st.ix, weights=u, minlength=len(ux))

    ll = st.wux @ base_u + W * r * np.log(alpha) - rwT @ log_aT_u + st.w @ softplus
    d_r = st.wux @ dr_u + W * np.log(alpha) - st.wT @ log_aT_u + u @ diff
    d_alpha = W * r / alpha - rwT @ inv_aT_u + (u * rx) @ (inv_aT_u[st.iT] - inv_atx_u[st.itx])
    d_a = st.wux @ da_u + u_x.sum() / a
    d_b = st.wux @ db_u - u_x @ inv_bx_u
    return float(ll / W), np.array([d_r, d_alpha, d_a, d_b]) / W


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
    # Continuous values (spend, fractional weeks): a lexicographic sort and a diff, the order
    # np.unique(axis=0) gives but several times faster on a million rows.
    order = np.lexsort(stacked.T[::-1])
    ordered = stacked[order]
    new = np.ones(len(ordered), dtype=bool)
    new[1:] = np.any(ordered[1:] != ordered[:-1], axis=1)
    group = np.cumsum(new) - 1
    inverse = np.empty(len(ordered), dtype=np.intp)
    inverse[order] = group
    uniq = ordered[new]
    counts = np.bincount(group, minlength=len(uniq))
    cols = tuple(np.asarray(uniq[:, i], dtype=float) for i in range(uniq.shape[1]))
    return cols, counts.astype(float), inverse


Objective = Callable[[Array], tuple[float, Array]]


def one_blas_thread() -> AbstractContextManager[object]:
    """BLAS on one thread for the fit's dot products.

    They are over ~1e5 values, where OpenBLAS hands the work to its threads; on a busy 2-core
    machine each hand-off waits to be scheduled, and a 1M-customer fit took 3.1 s instead of 0.8.
    """
    from threadpoolctl import threadpool_limits

    limits: AbstractContextManager[object] = threadpool_limits(limits=1, user_api="blas")
    return limits


@dataclass(frozen=True)
class NewtonResult:
    x: Array
    fun: float
    jac: Array
    success: bool


def _fd_hessian(objective: Objective, phi: Array, g: Array) -> Array:
    """The Hessian from forward differences of the analytic gradient (len(phi) gradients)."""
    n = len(phi)
    H = np.empty((n, n))
    for j in range(n):
        h = 1e-6 * max(1.0, abs(phi[j]))
        shifted = phi.copy()
        shifted[j] += h
        H[:, j] = (objective(shifted)[1] - g) / h
    return np.asarray((H + H.T) / 2)


def newton(objective: Objective, start: Array, *, max_iter: int = 30) -> NewtonResult:
    """Newton's method from a Hessian by finite differences of the analytic gradient.

    From a start near the optimum (a fit on a subsample, or L-BFGS) it converges in a few
    steps to where the step itself is below 1e-10: the optimum to that precision, not wherever
    a quasi-Newton search ran out of progress. The Hessian is differenced once (1 + len(start)
    gradients) and then updated by BFGS from each step's change in gradient, one gradient a
    step; it is differenced again whenever the update stops giving a descent direction.
    """
    phi = np.array(start, dtype=float)
    f, g = objective(phi)
    if not (np.isfinite(f) and np.all(np.isfinite(g))):
        return NewtonResult(phi, f, g, False)
    H: Array | None = None
    fresh = False
    for _ in range(max_iter):
        if H is None:
            H, fresh = _fd_hessian(objective, phi, g), True
        try:
            step = -np.linalg.solve(H, g)
        except np.linalg.LinAlgError:
            step = np.full_like(g, np.nan)
        slope = float(g @ step)
        if not np.all(np.isfinite(step)) or slope >= 0:  # not a descent direction
            if not fresh:
                H = None  # the updated Hessian drifted: difference it again
                continue
            return NewtonResult(phi, f, g, bool(np.max(np.abs(g)) < 1e-9))  # not convex here
        if np.max(np.abs(step)) < 1e-10:
            # The full step is below the tolerance: converged, whatever rounding does to the
            # line search's comparison of f.
            f2, g2 = objective(phi + step)
            if np.isfinite(f2) and np.all(np.isfinite(g2)):
                return NewtonResult(phi + step, f2, g2, True)
            return NewtonResult(phi, f, g, bool(np.max(np.abs(g)) < 1e-9))
        t = 1.0
        while t > 1e-6:
            f2, g2 = objective(phi + t * step)
            ok = np.isfinite(f2) and np.all(np.isfinite(g2))
            # at the optimum f changes by rounding only: a smaller gradient is then progress
            if ok and (
                f2 <= f + 1e-4 * t * slope
                or (f2 - f <= 1e-12 * abs(f) and np.max(np.abs(g2)) < np.max(np.abs(g)))
            ):
                break
            t /= 2
        else:
            if not fresh:
                H = None
                continue
            return NewtonResult(phi, f, g, bool(np.max(np.abs(g)) < 1e-9))
        moved, change = t * step, g2 - g
        phi, f, g = phi + moved, f2, g2
        # Judged on the undamped step: a line search cut short by rounding takes tiny steps
        # far from the optimum (gradients of 1e-8 at 600k rows), which is not convergence.
        if t == 1.0 and np.max(np.abs(step)) < 1e-10:
            return NewtonResult(phi, f, g, True)
        curvature = float(change @ moved)
        Hm = H @ moved
        if curvature > 0 and float(moved @ Hm) > 0:
            H = H + np.outer(change, change) / curvature - np.outer(Hm, Hm) / float(moved @ Hm)
            fresh = False
        else:
            H = None
    return NewtonResult(phi, f, g, bool(np.max(np.abs(g)) < 1e-9))


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
        with one_blas_thread():
            return self._fit(frequency, recency, T, weights)

    def _fit(
        self,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,
        weights: ArrayLike | None,
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

        def objective_on(stats: _Stats) -> Objective:
            def objective(phi: Array) -> tuple[float, Array]:
                theta = np.exp(phi)
                ll, grad = _loglik_and_grad_stats(theta, stats)
                value = -ll + pen * float(np.sum(theta**2))
                return value, (-grad + 2 * pen * theta) * theta  # chain rule through exp

            return objective

        def minimize(objective: Objective, start: Array, ftol: float) -> optimize.OptimizeResult:
            from scipy import optimize

            with np.errstate(all="ignore"):
                return optimize.minimize(
                    objective,
                    start,
                    jac=True,
                    method="L-BFGS-B",
                    options={"maxiter": 1000, "ftol": ftol, "gtol": 1e-9},
                )

        full = objective_on(_Stats.of(xs, txs, Ts, w))
        start = np.zeros(4)
        searched: optimize.OptimizeResult | None = None
        if len(xs) > _WARM_START_ROWS:
            # Warm start from every k-th distinct row (deterministic); from there Newton needs
            # a handful of steps on the full data where L-BFGS needed a few dozen evaluations.
            k = len(xs) // (_WARM_START_ROWS // 2)
            sub = slice(None, None, k)
            coarse = minimize(
                objective_on(_Stats.of(xs[sub], txs[sub], Ts[sub], w[sub])), start, 1e-10
            )
            if np.all(np.isfinite(coarse.x)):
                start = coarse.x
        else:
            searched = minimize(full, start, 1e-14)
            if np.all(np.isfinite(searched.x)):
                start = searched.x
        with np.errstate(all="ignore"):
            res = newton(full, start)
        if not res.success:
            # Newton left the convex region (a flat or boundary optimum): the robust search.
            if searched is None:
                searched = minimize(full, start, 1e-14)
            # L-BFGS-B can stop 'abnormally' at machine precision on the optimum: judge by the
            # gradient too.
            ok = bool(searched.success) or float(np.max(np.abs(searched.jac))) < 1e-6
            res = NewtonResult(searched.x, float(searched.fun), searched.jac, ok)
        if not np.all(np.isfinite(res.x)):
            raise ConvergenceError("BG/NBD fit failed: no finite optimum")
        r, alpha_s, a, b = np.exp(res.x)
        self.params_ = BgNbdParams(float(r), float(alpha_s / scale), float(a), float(b))
        self.converged_ = res.success or float(np.max(np.abs(res.jac))) < 1e-6
        self.n_customers_ = int(w.sum())
        self.loglik_ = float(-res.fun * w.sum())
        if not self.converged_:
            warnings.warn(
                f"BG/NBD fit did not converge (gradient {float(np.max(np.abs(res.jac))):.1e})",
                ConvergenceWarning,
                stacklevel=3,
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
        return np.asarray(
            self.unconditional_part(t, frequency, T) / self.alive_divisor(frequency, recency, T)
        )

    def unconditional_part(self, t: ArrayLike, frequency: ArrayLike, T: ArrayLike) -> Array:
        """Eq. 10's numerator: what `expected_purchases` divides by `alive_divisor`.

        It depends on (x, T) and t, not on recency: a scorer evaluates the hypergeometric terms
        once per distinct (x, T) pair (tens of thousands) instead of per distinct (x, t_x, T)
        row (about a million at 10M transactions).
        """
        from scipy import special

        p = self._params()
        t = np.asarray(t, dtype=float)
        x, TT = (np.asarray(v, dtype=float) for v in (frequency, T))
        r, alpha, a, b = p.r, p.alpha, _off_one(p.a), p.b
        hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + TT + t))
        first = (a + b + x - 1) / (a - 1)
        second = 1 - ((alpha + TT) / (alpha + TT + t)) ** (r + x) * hyp
        return np.asarray(first * second)

    def alive_divisor(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> Array:
        """1 + the odds of having dropped out (eq. 10's denominator; p_alive is its inverse)."""
        p = self._params()
        x, t_x, TT = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
        r, alpha, a, b = p.r, p.alpha, _off_one(p.a), p.b
        log_ratio = (r + x) * (np.log(alpha + TT) - np.log(alpha + t_x))
        return np.asarray(
            1 + np.where(x > 0, a / (b + np.maximum(x, 1) - 1) * np.exp(log_ratio), 0.0)
        )

    def expected_purchases_new(self, t: ArrayLike) -> Array:
        """E[X(t)] for a customer just acquired (eq. 7): the population's prior expectation."""
        from scipy import special

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
