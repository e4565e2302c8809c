"""The Gamma-Gamma spend model (Fader, Hardie and Lee 2005, "RFM and CLV", and Fader-Hardie's
2013 note "The Gamma-Gamma model of monetary value").

Per customer `x` repeat purchases with mean value `m`; population parameters `p, q, v`. Only
customers with x > 0 inform the fit. The model assumes spend is independent of frequency.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special

from bot.errors import ConvergenceError, InputError, NotFittedError
from bot.scoring._bgnbd import ConvergenceWarning, compress

__all__ = ["GammaGamma", "GammaGammaParams"]

Array = NDArray[np.float64]
_FORMAT = "appease.gammagamma/1"


@dataclass(frozen=True)
class GammaGammaParams:
    p: float
    q: float
    v: float


def _loglik_and_grad(theta: Array, x: Array, m: Array, w: Array) -> tuple[float, Array]:
    p, q, v = theta
    px = p * x
    log_xmv = np.log(x * m + v)
    ll = (
        special.gammaln(px + q) - special.gammaln(px) - special.gammaln(q) + q * np.log(v)
        + (px - 1) * np.log(m) + px * np.log(x) - (px + q) * log_xmv
    )  # fmt: skip
    dig = special.digamma(px + q)
    d_p = x * (dig - special.digamma(px) + np.log(m) + np.log(x) - log_xmv)
    d_q = dig - special.digamma(q) + np.log(v) - log_xmv
    d_v = q / v - (px + q) / (x * m + v)
    total = w.sum()
    grad = np.array([(w * d).sum() for d in (d_p, d_q, d_v)]) / total
    return float((w * ll).sum() / total), grad


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

        def objective(phi: Array) -> tuple[float, Array]:
            theta = np.exp(phi)
            ll, grad = _loglik_and_grad(theta, x, m, w)
            return -ll + pen * float(np.sum(theta**2)), (-grad + 2 * pen * theta) * theta

        with np.errstate(all="ignore"):
            res = optimize.minimize(
                objective, np.zeros(3), jac=True, method="L-BFGS-B",
                options={"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-10},
            )  # fmt: skip
        if not np.all(np.isfinite(res.x)):
            raise ConvergenceError(f"Gamma-Gamma fit failed: {res.message}")
        p, q, v = np.exp(res.x)
        self.params_ = GammaGammaParams(float(p), float(q), float(v))
        # L-BFGS-B can stop 'abnormally' at machine precision on the optimum: judge by the gradient.
        self.converged_ = bool(res.success) or float(np.max(np.abs(res.jac))) < 1e-6
        self.n_customers_ = int(w.sum())
        if not self.converged_:
            warnings.warn(
                f"Gamma-Gamma fit did not converge: {res.message}", ConvergenceWarning, stacklevel=2
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
            {"format": _FORMAT, "params": asdict(self._params()), "converged": self.converged_,
             "n_customers": self.n_customers_}
        )  # fmt: skip

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
