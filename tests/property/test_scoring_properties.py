"""Properties of the fitted BG/NBD predictions, for any customer history."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from bot.scoring import BgNbd, GammaGamma, clv
from bot.scoring._bgnbd import BgNbdParams
from bot.scoring._gammagamma import GammaGammaParams

params = st.builds(
    BgNbdParams,
    r=st.floats(0.05, 5),
    alpha=st.floats(0.5, 50),
    a=st.floats(0.1, 5),
    b=st.floats(0.1, 10),
)


@st.composite
def histories(draw):
    T = draw(st.floats(1, 500))
    x = draw(st.integers(0, 40))
    t_x = 0.0 if x == 0 else draw(st.floats(0, T))
    return float(x), t_x, T


def model(p: BgNbdParams) -> BgNbd:
    m = BgNbd()
    m.params_ = p
    return m


@given(params, histories())
def test_p_alive_is_a_probability_and_one_without_repeats(p, h) -> None:
    x, t_x, T = h
    value = model(p).p_alive([x], [t_x], [T])[0]
    assert 0.0 <= value <= 1.0
    if x == 0:
        assert value == 1.0


@given(params, histories(), st.floats(0.1, 200), st.floats(0.1, 200))
def test_expected_purchases_never_fall_as_the_horizon_grows(p, h, t1, dt) -> None:
    x, t_x, T = h
    m = model(p)
    first = m.expected_purchases(t1, [x], [t_x], [T])[0]
    later = m.expected_purchases(t1 + dt, [x], [t_x], [T])[0]
    assert first >= -1e-9
    assert later >= first - 1e-7 * max(1.0, abs(first))


@given(params, histories(), st.floats(0.1, 10))
def test_predictions_do_not_depend_on_the_time_unit(p, h, k) -> None:
    x, t_x, T = h
    a = model(p)
    b = model(BgNbdParams(p.r, p.alpha * k, p.a, p.b))
    np.testing.assert_allclose(
        a.p_alive([x], [t_x], [T]), b.p_alive([x], [t_x * k], [T * k]), rtol=1e-9
    )
    np.testing.assert_allclose(
        a.expected_purchases(30, [x], [t_x], [T]),
        b.expected_purchases(30 * k, [x], [t_x * k], [T * k]),
        rtol=1e-6,
        atol=1e-12,
    )


@given(params, histories(), st.floats(0, 500), st.integers(1, 36), st.floats(0, 0.1))
def test_clv_is_never_negative(p, h, spend, months, rate) -> None:
    x, t_x, T = h
    gg = GammaGamma()
    gg.params_ = GammaGammaParams(6.0, 3.7, 15.0)
    value = clv(
        model(p),
        gg,
        [x],
        [t_x],
        [T],
        [spend if x > 0 else 0.0],
        horizon_months=months,
        discount_rate=rate,
    )
    assert value[0] >= 0.0
