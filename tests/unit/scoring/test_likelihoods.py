"""The fast likelihoods equal the papers' formulas row by row, and the fit lands on the optimum
whatever the order or summation of its rows (what lets engines share one fit)."""

from __future__ import annotations

import numpy as np
from scipy import special

from bot.scoring import BgNbd, BgNbdParams, GammaGamma, _bgnbd, _gammagamma, simulate_summary


def summary(n: int = 4000, seed: int = 1):
    s = simulate_summary(BgNbdParams(0.243, 30.9, 0.793, 2.426), n, seed=seed)
    return tuple(s[c].to_numpy(float) for c in ("frequency", "recency", "T"))


def test_bgnbd_loglik_equals_equation_6_per_customer() -> None:
    x, t, T = summary()
    w = np.random.default_rng(0).integers(1, 4, len(x)).astype(float)
    for r, al, a, b in [(0.3, 25.0, 0.8, 2.4), (1.5, 3.0, 0.2, 9.0), (0.05, 80.0, 3.0, 0.5)]:
        A1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(al)
        A2 = (
            special.gammaln(a + b)
            + special.gammaln(b + x)
            - special.gammaln(b)
            - special.gammaln(a + b + x)
        )
        A3 = -(r + x) * np.log(al + T)
        A4 = np.where(
            x > 0, np.log(a) - np.log(b + np.maximum(x, 1) - 1) - (r + x) * np.log(al + t), -np.inf
        )
        expected = w @ (A1 + A2 + np.logaddexp(A3, A4)) / w.sum()
        got = _bgnbd._loglik_and_grad(np.array([r, al, a, b]), x, t, T, w)[0]
        assert got == np.float64(expected) or abs(got - expected) < 1e-12 * abs(expected)


def test_gamma_gamma_loglik_equals_the_formula_per_customer() -> None:
    rng = np.random.default_rng(2)
    x = rng.integers(1, 20, 3000).astype(float)
    m = np.round(rng.gamma(4.0, 10.0, 3000), 2)
    w = rng.integers(1, 3, 3000).astype(float)
    p, q, v = 2.5, 3.5, 20.0
    ll = (
        special.gammaln(p * x + q)
        - special.gammaln(p * x)
        - special.gammaln(q)
        + q * np.log(v)
        + (p * x - 1) * np.log(m)
        + p * x * np.log(x)
        - (p * x + q) * np.log(x * m + v)
    )
    got = _gammagamma._loglik_and_grad(np.array([p, q, v]), x, m, w)[0]
    assert abs(got - (w @ ll) / w.sum()) < 1e-12 * abs(got)


def test_the_fit_does_not_depend_on_row_order_or_weighting() -> None:
    x, t, T = summary(30_000, seed=3)  # above the warm-start size: subsample + Newton
    perm = np.random.default_rng(4).permutation(len(x))
    a = BgNbd().fit(x, t, T).params_
    b = BgNbd().fit(x[perm], t[perm], T[perm], weights=np.ones(len(x))).params_
    assert a is not None and b is not None
    np.testing.assert_allclose(list(vars(a).values()), list(vars(b).values()), rtol=1e-9)


def test_gamma_gamma_lands_on_the_optimum_to_1e_9_whatever_the_summation() -> None:
    rng = np.random.default_rng(5)
    x = rng.integers(1, 15, 20_000).astype(float)
    m = np.round(rng.gamma(4.0, rng.gamma(6.0, 5.0, 20_000) / 4.0), 2) + 0.01
    # the same spend summed in another order differs in the last bit, as engines' sums do
    m2 = m * (1 + rng.choice([-1.0, 0.0, 1.0], len(m)) * np.finfo(float).eps)
    a = GammaGamma().fit(x, m).params_
    b = GammaGamma().fit(x, m2).params_
    assert a is not None and b is not None
    np.testing.assert_allclose(list(vars(a).values()), list(vars(b).values()), rtol=1e-9)
