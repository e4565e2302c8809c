"""The SQL that DuckDB and Spark score with is written from the same rules as the numpy path:
segments, quintile scores, spend rounding and the purchase terms agree value for value."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from bot.sample import cdnow_summary
from bot.scoring import (
    SEGMENT_NAMES,
    BgNbd,
    purchase_terms,
    segment_codes,
    segment_sql,
    spend_rounding_sql,
)
from bot.scoring._batch import QuintileEdges
from bot.scoring._segments import segment_names
from bot.scoring._transactions import round_spend
from bot.scoring._value import DAYS_PER_MONTH

duckdb = pytest.importorskip("duckdb")


def test_segment_sql_gives_segment_names_on_every_score_combination() -> None:
    combos = np.array(list(itertools.product([0.0, 2.0], range(1, 6), range(1, 6), range(1, 6))))
    x, R, F, M = (combos[:, i] for i in range(4))
    expected = segment_names(x, R.astype(int), F.astype(int), M.astype(int))
    con = duckdb.connect()
    con.register("t", {"x": x, "r": R, "f": F, "m": M})
    got = [
        row[0] for row in con.execute(f"SELECT {segment_sql('x', 'r', 'f', 'm')} FROM t").fetchall()
    ]
    assert got == expected.tolist()


def test_segment_codes_name_the_segment_names_on_every_score_combination() -> None:
    combos = np.array(list(itertools.product([0.0, 2.0], range(1, 6), range(1, 6), range(1, 6))))
    x, R, F, M = (combos[:, i] for i in range(4))
    R, F, M = R.astype(int), F.astype(int), M.astype(int)
    codes = segment_codes(x, R, F, M)
    assert codes.dtype == np.uint8
    assert [SEGMENT_NAMES[c] for c in codes] == segment_names(x, R, F, M).tolist()


@pytest.mark.parametrize("higher", [True, False])
def test_quintile_sql_gives_score_at_and_around_the_edges(higher) -> None:
    edges = QuintileEdges((-3.0, 0.0, 0.1 + 0.2, float("inf")), higher_is_better=higher)
    v = np.array([-5.0, -3.0, -2.9, -0.0, 0.0, 0.3, 0.1 + 0.2, 7.0, 3.0, -0.30000000000000004])
    con = duckdb.connect()
    con.register("t", {"v": v})
    got = [row[0] for row in con.execute(f"SELECT {edges.sql('v')} FROM t").fetchall()]
    assert got == edges.score(v).tolist()


def test_spend_rounding_is_the_same_in_sql_and_numpy() -> None:
    rng = np.random.default_rng(3)
    totals = np.r_[
        rng.gamma(2.0, 40.0, 5000).round(2) + rng.normal(0, 1e-13, 5000),
        0.0,
        0.1 + 0.2,
        2.5e-7,
        1e9 + 0.123,
        5e9,
    ]
    con = duckdb.connect()
    con.register("t", {"v": totals})
    got = np.array(
        [r[0] for r in con.execute(f"SELECT {spend_rounding_sql('v')} FROM t").fetchall()]
    )
    assert got.tolist() == round_spend(totals).tolist()
    assert round_spend(np.array([0.1 + 0.2]))[0] == 0.3


def test_purchase_terms_are_the_per_row_formulas() -> None:
    s = cdnow_summary()
    x, t_x, T = (s[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    bg = BgNbd().fit(x, t_x, T)
    p_alive, expected, per_spend = purchase_terms(bg, x, t_x, T, horizon_months=12, unit="W")
    np.testing.assert_array_equal(p_alive, bg.p_alive(x, t_x, T))
    np.testing.assert_array_equal(
        expected, bg.expected_purchases(12 * DAYS_PER_MONTH["W"], x, t_x, T)
    )
    # the month-by-month sum per customer, as before the terms were shared per (x, T)
    months = np.arange(0, 13, dtype=float)[None, :]
    cum = bg.expected_purchases(months * DAYS_PER_MONTH["W"], x[:, None], t_x[:, None], T[:, None])
    cum[:, 0] = 0.0
    direct = (np.diff(cum, axis=1) * 1.01 ** -months[:, 1:]).sum(axis=1)
    np.testing.assert_allclose(per_spend, direct, rtol=1e-13, atol=0)
