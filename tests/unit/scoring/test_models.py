"""Golden values on CDNOW: Fader, Hardie and Lee (2005) for BG/NBD, lifetimes for the rest."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import check_grad

from bot.errors import InputError, NotFittedError
from bot.sample import cdnow_summary, dataset_path
from bot.scoring import BgNbd, GammaGamma, _bgnbd, _gammagamma, clv


@pytest.fixture(scope="module")
def summary() -> pd.DataFrame:
    return cdnow_summary()


@pytest.fixture(scope="module")
def spend() -> pd.DataFrame:
    df = pd.read_csv(dataset_path("cdnow_customers_summary_with_transactions.csv"))
    return df[df["x"] > 0]


@pytest.fixture(scope="module")
def lifetimes_mod():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import lifetimes
    return lifetimes


def test_bgnbd_matches_fader_hardie_lee_2005_on_cdnow(summary: pd.DataFrame) -> None:
    model = BgNbd().fit(summary["frequency"], summary["recency"], summary["T"])
    p = model.params_
    assert p is not None and model.converged_
    assert (round(p.r, 3), round(p.alpha, 3), round(p.a, 3), round(p.b, 3)) == (
        0.243,
        4.414,
        0.793,
        2.426,
    )


def test_gamma_gamma_matches_lifetimes_on_cdnow(spend: pd.DataFrame) -> None:
    p = GammaGamma().fit(spend["x"], spend["zbar"]).params_
    assert p is not None
    np.testing.assert_allclose([p.p, p.q, p.v], [6.2488, 3.7446, 15.4477], rtol=1e-3)


def test_clv_per_customer_agrees_with_lifetimes(spend: pd.DataFrame, lifetimes_mod) -> None:
    x, t_x, T, m = (spend[c].astype(float) for c in ("x", "t_x", "T", "zbar"))
    bg = BgNbd().fit(x, t_x, T)
    gg = GammaGamma().fit(x, m)
    ours = clv(bg, gg, x, t_x, T, m, horizon_months=12, discount_rate=0.01, unit="W")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lbg = lifetimes_mod.BetaGeoFitter().fit(x, t_x, T)
        lgg = lifetimes_mod.GammaGammaFitter().fit(x, m)
        theirs = lgg.customer_lifetime_value(
            lbg, x, t_x, T, m, time=12, discount_rate=0.01, freq="W"
        )
    np.testing.assert_allclose(ours, theirs.to_numpy(), rtol=1e-3)


def test_predictions_agree_with_lifetimes(summary: pd.DataFrame, lifetimes_mod) -> None:
    x, t_x, T = (summary[c] for c in ("frequency", "recency", "T"))
    bg = BgNbd().fit(x, t_x, T)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lbg = lifetimes_mod.BetaGeoFitter().fit(x, t_x, T)
        their_alive = lbg.conditional_probability_alive(x, t_x, T)
        their_exp = lbg.conditional_expected_number_of_purchases_up_to_time(39, x, t_x, T)
    np.testing.assert_allclose(bg.p_alive(x, t_x, T), their_alive, rtol=1e-3)
    np.testing.assert_allclose(bg.expected_purchases(39, x, t_x, T), their_exp, rtol=1e-3)


def test_analytic_gradients_match_finite_differences(summary: pd.DataFrame, spend) -> None:
    x, t_x, T = (summary[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    w = np.ones_like(x)
    theta = np.array([0.3, 4.0, 0.8, 2.4])
    err = check_grad(
        lambda th: _bgnbd._loglik_and_grad(th, x, t_x, T, w)[0],
        lambda th: _bgnbd._loglik_and_grad(th, x, t_x, T, w)[1],
        theta,
    )
    assert err < 1e-5
    xs, ms = spend["x"].to_numpy(dtype=float), spend["zbar"].to_numpy(dtype=float)
    err = check_grad(
        lambda th: _gammagamma._loglik_and_grad(th, xs, ms, np.ones_like(xs))[0],
        lambda th: _gammagamma._loglik_and_grad(th, xs, ms, np.ones_like(xs))[1],
        np.array([6.0, 3.7, 15.0]),
    )
    assert err < 1e-5


def test_fit_on_compressed_rows_equals_fit_on_all_rows(summary: pd.DataFrame) -> None:
    full = BgNbd().fit(
        summary["frequency"], summary["recency"], summary["T"], weights=np.ones(len(summary))
    )
    compressed = BgNbd().fit(summary["frequency"], summary["recency"], summary["T"])
    a, b = full.params_, compressed.params_
    assert a is not None and b is not None
    np.testing.assert_allclose([a.r, a.alpha, a.a, a.b], [b.r, b.alpha, b.a, b.b], rtol=1e-6)


def test_params_survive_a_json_round_trip(summary: pd.DataFrame) -> None:
    model = BgNbd().fit(summary["frequency"], summary["recency"], summary["T"])
    again = BgNbd.from_json(model.to_json())
    assert again.params_ == model.params_
    np.testing.assert_array_equal(
        again.p_alive([2], [30.0], [38.0]), model.p_alive([2], [30.0], [38.0])
    )


def test_predict_before_fit_says_so() -> None:
    with pytest.raises(NotFittedError):
        BgNbd().p_alive([1], [1], [2])


def test_inconsistent_summaries_are_rejected_with_the_column_named() -> None:
    with pytest.raises(InputError, match="recency"):
        BgNbd().fit([1, 2], [5.0, 10.0], [4.0, 20.0])
    with pytest.raises(InputError, match="recency"):
        BgNbd().fit([0], [3.0], [10.0])
    with pytest.raises(InputError, match="frequency"):
        BgNbd().fit([-1], [0.0], [10.0])


def test_a_single_purchase_customer_is_scored_from_the_population(summary: pd.DataFrame) -> None:
    bg = BgNbd().fit(summary["frequency"], summary["recency"], summary["T"])
    assert bg.p_alive([0], [0.0], [10.0])[0] == 1.0
    assert bg.expected_purchases(52, [0], [0.0], [1e-9])[0] == pytest.approx(
        bg.expected_purchases_new(52), rel=1e-4
    )
