"""Tier cut points, segment rules and the non-convergence warning, as a policy author sees them."""

from __future__ import annotations

import numpy as np
import pytest

from bot.domain import Segment, Tier
from bot.errors import InputError
from bot.sample import cdnow_summary
from bot.scoring import (
    BgNbd,
    ConvergenceWarning,
    TierThresholds,
    _bgnbd,
    assign_segments,
    assign_tiers,
)


def test_default_tiers_split_customers_at_the_50_80_95_percent_quantiles() -> None:
    tiers = assign_tiers(np.arange(1, 101, dtype=float))
    counts = {t: tiers.count(t) for t in Tier}
    assert counts == {Tier.bronze: 50, Tier.silver: 30, Tier.gold: 15, Tier.platinum: 5}
    assert tiers[0] is Tier.bronze and tiers[-1] is Tier.platinum


def test_absolute_thresholds_put_a_customer_on_the_cut_point_in_the_higher_tier() -> None:
    cuts = TierThresholds(silver=100, gold=500, platinum=2000, absolute=True)
    assert assign_tiers([99.99, 100, 499, 500, 2000, 1e6], cuts) == [
        Tier.bronze,
        Tier.silver,
        Tier.silver,
        Tier.gold,
        Tier.platinum,
        Tier.platinum,
    ]


def test_thresholds_out_of_order_or_outside_zero_one_are_rejected() -> None:
    with pytest.raises(InputError, match="non-decreasing"):
        TierThresholds(silver=0.9, gold=0.8)
    with pytest.raises(InputError, match=r"\[0, 1\]"):
        TierThresholds(platinum=1.5)


def test_no_customers_means_no_tiers() -> None:
    assert assign_tiers([]) == []


def test_segment_rules_on_a_population_of_ten() -> None:
    # T is 100 days for all; since-last-purchase = T - recency.
    frequency = [0, 9, 8, 7, 1, 5, 3, 0, 2, 0]
    recency = [0, 99, 95, 5, 98, 96, 80, 0, 30, 0]
    T = [2] + [100] * 9
    spend = [0, 50, 60, 70, 10, 20, 15, 0, 5, 0]
    seg = assign_segments(frequency, recency, T, spend)
    assert seg[0] is Segment.new  # bought two days ago, no repeat yet
    assert seg[1] is Segment.champions  # recent and the most frequent
    assert seg[2] is Segment.loyal  # frequent, but five days is only the middle quintile
    assert seg[3] is Segment.cant_lose_them  # frequent big spender, silent for 95 days
    assert seg[4] is Segment.potential_loyalists  # recent, one repeat
    assert seg[5] is Segment.champions
    assert seg[6] is Segment.loyal
    assert seg[7] is Segment.lost  # one purchase, 100 days ago
    assert seg[8] is Segment.at_risk  # some repeats, silent for 70 days
    assert seg[9] is Segment.lost


def test_every_cdnow_customer_gets_one_segment_and_the_main_rules_fire() -> None:
    s = cdnow_summary()
    seg = assign_segments(s["frequency"], s["recency"], s["T"], s["frequency"] * 10.0)
    assert len(seg) == len(s)
    assert {x.value for x in seg} >= {"new", "champions", "loyal", "lost", "cant_lose_them"}


def test_a_fit_stopped_early_warns_that_it_did_not_converge(monkeypatch) -> None:
    from scipy import optimize  # imported where the fit uses it, so patched there too

    real = optimize.minimize

    def two_steps(*args, **kwargs):
        kwargs["options"] = {**kwargs.get("options", {}), "maxiter": 2}
        return real(*args, **kwargs)

    real_newton = _bgnbd.newton

    def one_newton_step(objective, start, **kwargs):
        return real_newton(objective, start, max_iter=1)

    monkeypatch.setattr(optimize, "minimize", two_steps)
    # Newton alone now reaches the optimum from two L-BFGS steps: stop it early as well
    monkeypatch.setattr(_bgnbd, "newton", one_newton_step)
    s = cdnow_summary()
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        model = BgNbd().fit(s["frequency"], s["recency"], s["T"])
    assert model.converged_ is False and model.params_ is not None
