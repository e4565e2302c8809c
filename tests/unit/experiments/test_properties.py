"""Properties: assignment always lands in a real arm, the same one every time; intervals hold
their estimate and flip sign with the arms; no goodwill is lost or invented by the analysis."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.experiments import analyze, assign_arm, welch

shares_st = st.lists(st.integers(min_value=1, max_value=100), min_size=1, max_size=5).map(
    lambda ws: [(f"arm{i}", Decimal(w) / sum(ws)) for i, w in enumerate(ws)]
)


@given(customer=st.text(min_size=1, max_size=40), salt=st.text(max_size=20), shares=shares_st)
def test_assignment_is_one_of_the_arms_and_stable(customer, salt, shares) -> None:
    arm = assign_arm(customer, salt, shares)
    assert arm in {name for name, _ in shares}
    assert assign_arm(customer, salt, shares) == arm


values = st.lists(
    st.floats(min_value=-1e4, max_value=1e4, allow_nan=False), min_size=2, max_size=30
)


@given(a=values, b=values)
def test_interval_holds_the_estimate_and_flips_with_the_arms(a, b) -> None:
    one, other = welch(np.array(a), np.array(b)), welch(np.array(b), np.array(a))
    assert one.ci_low <= one.estimate + 1e-9 and one.estimate <= one.ci_high + 1e-9
    assert 0.0 <= one.p_value <= 1.0
    assert np.isclose(one.estimate, -other.estimate, atol=1e-6)
    assert np.isclose(one.ci_low, -other.ci_high, atol=1e-6)
    assert np.isclose(one.p_value, other.p_value, atol=1e-9)


@settings(max_examples=60)  # each example runs the whole pandas analysis
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["control", "B"]),
            st.integers(min_value=0, max_value=15),
            st.decimals(min_value=0, max_value=500, places=2),
            st.one_of(st.none(), st.decimals(min_value=0, max_value=900, places=2)),
        ),
        min_size=2,
        max_size=40,
    ).filter(lambda rs: {r[0] for r in rs} == {"control", "B"})
)
def test_goodwill_is_neither_lost_nor_invented(rows) -> None:
    frame = pd.DataFrame(
        {
            "experiment": "e",
            "arm": [r[0] for r in rows],
            "customer_id": [f"{r[0]}-{r[1]}" for r in rows],
            "clv_at_issue": 100.0,
            "clv_after": [np.nan if r[3] is None else float(r[3]) for r in rows],
            "spend": [float(r[2]) for r in rows],
        }
    )
    (result,) = analyze(frame, control="control")
    for arm in result.arms:
        given_here = sum(float(r[2]) for r in rows if r[0] == arm.arm)
        assert arm.spend_total == round(given_here, 2)
        assert arm.tickets == sum(1 for r in rows if r[0] == arm.arm)
        assert arm.n + arm.pending == len({r[1] for r in rows if r[0] == arm.arm})
