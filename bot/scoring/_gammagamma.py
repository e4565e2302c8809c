"""The Gamma-Gamma spend model (Fader, Hardie and Lee 2005, "RFM and CLV", and Fader-Hardie's
2013 note "The Gamma-Gamma model of monetary value").

Per customer `x` repeat purchases with mean value `m`; population parameters `p, q, v`. Only
customers with x > 0 inform the fit. The model assumes spend is independent of frequency.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bot.errors import ConvergenceError, InputError, NotFittedError
from bot.scoring._bgnbd import (
    _WARM_START_ROWS,
    ConvergenceWarning,
    NewtonResult,
    Objective,
    compress,
    newton,
    one_blas_thread,
)

if TYPE_CHECKING:
    from scipy import optimize

__all__ = ["GammaGamma", "GammaGammaParams"]

Array = NDArray[np.float64]
_FORMAT = "appease.gammagamma/1"


@dataclass(frozen=True)
class GammaGammaParams:
    p: float
    q: float
    v: float


def _loglik_and_grad(theta: Array, x: Array, m: Array, w: Array) -> tuple[float, Array]:
    return _loglik_and_grad_stats(theta, _Stats.of(x, m, w))


@dataclass(frozen=True)
class _Stats:
    """What the likelihood needs, split so one evaluation does little per row.

    Gamma-function terms depend on x alone (a few hundred distinct values); the terms in log m
    and log x do not depend on the parameters at all and collapse to three sums. Per row and
    evaluation only log(x m + v) and 1 / (x m + v) remain.
    """

    xm: Array
    w: Array
    wx: Array
    ux: Array
    wux: Array
    total: float
    sum_wx_logm: float
    sum_w_logm: float
    sum_wx_logx: float

    @classmethod
    def of(cls, x: Array, m: Array, w: Array) -> _Stats:
        ux, ix = np.unique(x, return_inverse=True)
        log_m = np.log(m)
        wx = w * x
        return cls(
            xm=x * m,
            w=w,
            wx=wx,
            ux=ux,
            wux=np.bincount(ix.ravel(), weights=w, minlength=len(ux)).astype(float),
            total=float(w.sum()),
            sum_wx_logm=float(wx @ log_m),
            sum_w_logm=float(w @ log_m),
            sum_wx_logx=float(wx @ np.log(x)),
        )


def _loglik_and_grad_stats(theta: Array, st: _Stats) -> tuple[float, Array]:
    """Weighted mean log-likelihood and its gradient in (p, q, v)."""
    from scipy import special  # where used: see bot.scoring._bgnbd

    p, q, v = theta
    pux = p * st.ux
    gam_u = special.gammaln(pux + q) - special.gammaln(pux) - special.gammaln(q)
    dig_u = special.digamma(pux + q)
    log_xmv = np.log(st.xm + v)
    inv_xmv = 1.0 / (st.xm + v)
    s_wx_l = float(st.wx @ log_xmv)
    s_w_l = float(st.w @ log_xmv)
    W = st.total
    ll = (
        st.wux @ gam_u
        + W * q * np.log(v)
        + p * st.sum_wx_logm
        - st.sum_w_logm
        + p * st.sum_wx_logx
        - p * s_wx_l
        - q * s_w_l
    )
    d_p = (
        (st.wux * st.ux) @ (dig_u - special.digamma(pux)) + st.sum_wx_logm + st.sum_wx_logx - s_wx_l
    )
    d_q = st.wux @ dig_u - W * special.digamma(q) + W * np.log(v) - s_w_l
    d_v = W * q / v - p * float(st.wx @ inv_xmv) - q * float(st.w @ inv_xmv)
    return float(ll / W), np.array([d_p, d_q, d_v]) / W


class GammaGamma:
    """Fit and predict average spend per purchase; `fit(...)` returns self."""

    def __init__(self, penalizer_coef: float = 0.0) -> None:
        self.penalizer_coef = penalizer_coef
        self.params_: GammaGammaParams | None = None
        self.converged_: bool | None = None
        self.n_customers_: int | None = None

    def fit(
        self, frequency: ArrayLike, monetary_value: ArrayLike, weights: ArrayLike | None = None
    ) -> GammaGamma:
        with one_blas_thread():
            return self._fit(frequency, monetary_value, weights)

    def _fit(
        self, frequency: ArrayLike, monetary_value: ArrayLike, weights: ArrayLike | None
    ) -> GammaGamma:
        x = np.asarray(frequency, dtype=float)
        m = np.asarray(monetary_value, dtype=float)
        if len(x) != len(m):
            raise InputError("monetary_value", "must have the same length as frequency")
        if not np.all(np.isfinite(m)) or np.any(m < 0):
            raise InputError("monetary_value", "must be finite and not negative")
        keep = (x > 0) & (m > 0)
        if not keep.any():
            raise InputError("frequency", "no customer with repeat purchases to fit spend on")
        x, m = x[keep], m[keep]
        if weights is None:
            (x, m), w, _ = compress(x, m)
        else:
            w = np.asarray(weights, dtype=float)[keep]
        pen = self.penalizer_coef

        def objective_on(stats: _Stats) -> Objective:
            def objective(phi: Array) -> tuple[float, Array]:
                theta = np.exp(phi)
                ll, grad = _loglik_and_grad_stats(theta, stats)
                return -ll + pen * float(np.sum(theta**2)), (-grad + 2 * pen * theta) * theta

            return objective

        objective = objective_on(_Stats.of(x, m, w))

        def search(objective: Objective, ftol: float) -> optimize.OptimizeResult:
            from scipy import optimize

            return optimize.minimize(
                objective,
                np.zeros(3),
                jac=True,
                method="L-BFGS-B",
                options={"maxiter": 2000, "ftol": ftol, "gtol": 1e-10},
            )

        res: NewtonResult | None = None
        first: optimize.OptimizeResult | None = None
        with np.errstate(all="ignore"):
            if len(x) > _WARM_START_ROWS:
                # As BG/NBD: L-BFGS on every k-th row, then Newton on all of them (a few
                # evaluations where L-BFGS needed ~80 at 600k rows); the full search only if
                # Newton does not converge from there.
                k = len(x) // (_WARM_START_ROWS // 2)
                coarse = search(objective_on(_Stats.of(x[::k], m[::k], w[::k])), 1e-10)
                if np.all(np.isfinite(coarse.x)):
                    res = newton(objective, coarse.x)
            if res is None or not res.success:
                first = search(objective, 1e-15)
                # Newton from there: the optimum to 1e-10, so the same spend summary gives the
                # same parameters however its rows were summed (engines) or ordered.
                res = newton(objective, first.x) if np.all(np.isfinite(first.x)) else None
        if res is not None and res.success:
            ok, x_opt, jac = True, res.x, res.jac
        else:
            assert first is not None
            ok = bool(first.success) or float(np.max(np.abs(first.jac))) < 1e-6
            x_opt, jac = first.x, first.jac
        if not np.all(np.isfinite(x_opt)):
            raise ConvergenceError("Gamma-Gamma fit failed: no finite optimum")
        p, q, v = np.exp(x_opt)
        self.params_ = GammaGammaParams(float(p), float(q), float(v))
        self.converged_ = ok or float(np.max(np.abs(jac))) < 1e-6
        self.n_customers_ = int(w.sum())
        if not self.converged_:
            warnings.warn(
                "Gamma-Gamma fit did not converge: "
                + (str(first.message) if first is not None else "Newton stopped"),
                ConvergenceWarning,
                stacklevel=3,
            )
        return self

    def _params(self) -> GammaGammaParams:
        if self.params_ is None:
            raise NotFittedError("GammaGamma: call fit() or from_json() first")
        return self.params_

    def expected_spend(self, frequency: ArrayLike, monetary_value: ArrayLike) -> Array:
        """E[M | x, m]: a weighted mean of the population mean and the customer's own mean.

        At x = 0 it is the population mean p v / (q - 1): predictive spend at first purchase.
        """
        par = self._params()
        x = np.asarray(frequency, dtype=float)
        m = np.asarray(monetary_value, dtype=float)
        return np.asarray((par.p * (par.v + x * m)) / (par.p * x + par.q - 1))

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": _FORMAT,
                "params": asdict(self._params()),
                "converged": self.converged_,
                "n_customers": self.n_customers_,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> GammaGamma:
        data = json.loads(text)
        if data.get("format") != _FORMAT:
            raise InputError("format", f"expected {_FORMAT}, got {data.get('format')!r}")
        model = cls()
        model.params_ = GammaGammaParams(**data["params"])
        model.converged_ = data.get("converged")
        model.n_customers_ = data.get("n_customers")
        return model
