"""What every engine provides, and the steps they share: fit on compressed rows, score them.

An engine builds the RFM summary where the data lives and hands the fit its sufficient
statistics (distinct rows with counts, sorted as `compress` sorts them, so the fit sees the
same arrays whatever the engine). The purchase terms of each distinct (x, t_x, T) row are
computed once in Python (`purchase_terms`); DuckDB and Spark join them back to the customers and
compute spend, CLV, segments and tiers where the data lives, pandas calls `score_batch`.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from bot.errors import ConvergenceError, InputError
from bot.scoring import (
    BgNbd,
    GammaGamma,
    QuintileEdges,
    TierThresholds,
    purchase_terms,
    quintile_edges,
)
from bot.scoring._bgnbd import one_blas_thread

__all__ = [
    "SUMMARY_COLUMNS",
    "Engine",
    "Models",
    "Rows",
    "ScoreSettings",
    "ScoringTerms",
    "fit_models",
    "need_spend_model",
    "population_edges",
    "scoring_terms",
    "unfit_error",
]

# The fit's compressed rows: column name to values, a pandas frame or NumPy arrays (DuckDB hands
# over arrays, so its runs never import pandas).
Rows = Mapping[str, Any]

SUMMARY_COLUMNS = ["customer_id", "frequency", "recency", "T", "monetary_value"]
OUT_COLUMNS = [
    "customer_id",
    "frequency",
    "recency",
    "T",
    "monetary_value",
    "p_alive",
    "expected_purchases",
    "clv",
    "tier",
    "segment",
]
TIERS = ("bronze", "silver", "gold", "platinum")


@dataclass(frozen=True)
class ScoreSettings:
    horizon_months: int = 12
    discount_rate: float = 0.01
    unit: str = "D"
    thresholds: TierThresholds = field(default_factory=TierThresholds)


@dataclass(frozen=True)
class Models:
    bgnbd: BgNbd
    gamma_gamma: GammaGamma | None


class Engine(Protocol):
    name: str

    def customers(self) -> int: ...

    def write_summary(self, out: Path) -> None: ...

    def bgnbd_rows(self) -> Rows:
        """frequency, recency, T, weight: distinct rows sorted by those three columns."""
        ...

    def gamma_gamma_rows(self) -> Rows:
        """frequency, monetary_value, weight for customers with repeat spend, sorted."""
        ...

    def score(self, out: Path, models: Models, settings: ScoreSettings) -> None: ...

    def close(self) -> None: ...


def fit_models(engine: Engine) -> Models:
    """BG/NBD and Gamma-Gamma on the engine's compressed rows.

    BG/NBD fits on a thread of its own while the engine aggregates the spend rows and
    Gamma-Gamma fits: the engine's query (DuckDB's, Spark's) runs without the GIL, and the two
    fits' NumPy work on large arrays releases it too, so the second core is not left idle for
    the longer fit (about 0.7 s at 10M transactions). Each fit sees the same arrays as it would
    alone: the same parameters.
    """
    from concurrent.futures import ThreadPoolExecutor

    rows = engine.bgnbd_rows()
    # BLAS on one thread for both fits at once (each fit also asks for it, and restores it on
    # leaving: inside this, to one thread again)
    with one_blas_thread(), ThreadPoolExecutor(1, thread_name_prefix="appease-fit") as pool:
        fitting = pool.submit(
            BgNbd().fit, rows["frequency"], rows["recency"], rows["T"], weights=rows["weight"]
        )
        try:
            spend = engine.gamma_gamma_rows()
            gg = None
            if len(spend["weight"]):
                gg = GammaGamma().fit(
                    spend["frequency"], spend["monetary_value"], weights=spend["weight"]
                )
        finally:
            bg = fitting.result()
    return Models(bg, gg)


def population_edges(engine: Engine) -> tuple[QuintileEdges, QuintileEdges, QuintileEdges]:
    """The R, F and M quintile edges of the whole population, from the fit's compressed rows.

    Time since the last purchase (T - recency) and frequency are functions of the BG/NBD rows;
    monetary value is the Gamma-Gamma rows' values plus zero for everyone else (no repeat
    spend). So no engine aggregates its customers again for them.
    """
    rows = engine.bgnbd_rows()
    weight = np.asarray(rows["weight"], dtype=float)
    since_last = np.asarray(rows["T"], dtype=float) - np.asarray(rows["recency"], dtype=float)
    spend = engine.gamma_gamma_rows()
    m = np.asarray(spend["monetary_value"], dtype=float)
    m_weight = np.asarray(spend["weight"], dtype=float)
    zero = float(weight.sum() - m_weight.sum())
    if zero > 0:
        m, m_weight = np.append(m, 0.0), np.append(m_weight, zero)
    return (
        _edges(since_last, weight, higher_is_better=False),
        _edges(np.asarray(rows["frequency"], dtype=float), weight, higher_is_better=True),
        _edges(m, m_weight, higher_is_better=True),
    )


def _edges(values: np.ndarray, weights: np.ndarray, *, higher_is_better: bool) -> QuintileEdges:
    uniq, inverse = np.unique(values, return_inverse=True)
    counts = np.bincount(inverse.ravel(), weights=weights, minlength=len(uniq))
    return quintile_edges(uniq, counts, higher_is_better=higher_is_better)


@dataclass
class ScoringTerms:
    """What every engine's scorer starts from: the spend model, the population's quintile edges
    and the purchase terms of each distinct (frequency, recency, T) row of the fit."""

    spend: GammaGamma
    edges: tuple[QuintileEdges, QuintileEdges, QuintileEdges]
    rows: Rows
    p_alive: np.ndarray
    expected: np.ndarray
    per_spend: np.ndarray


def purchase_arrays(
    models: Models, rows: Any, settings: ScoreSettings
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """p_alive, expected purchases and the discounted purchases per unit of spend of the fit's
    distinct (x, t_x, T) rows, as float arrays."""
    p_alive, expected, per_spend = (
        np.asarray(values, dtype=float)
        for values in purchase_terms(
            models.bgnbd,
            rows["frequency"],
            rows["recency"],
            rows["T"],
            horizon_months=settings.horizon_months,
            discount_rate=settings.discount_rate,
            unit=settings.unit,
        )
    )
    return p_alive, expected, per_spend


def scoring_terms(engine: Engine, models: Models, settings: ScoreSettings) -> ScoringTerms:
    spend = need_spend_model(models)
    edges = population_edges(engine)
    rows = engine.bgnbd_rows()
    p_alive, expected, per_spend = purchase_arrays(models, rows, settings)
    return ScoringTerms(spend, edges, rows, p_alive, expected, per_spend)


def import_scipy_in_background() -> threading.Thread:
    """Import what the fits use from SciPy on a thread of its own, while the engine waits on
    something that does not hold the GIL (DuckDB's summary query, the JVM's start): 0.5-0.8 s
    of a run's start off its path. The engine joins it before fitting."""

    def load() -> None:
        try:
            import scipy.optimize
            import scipy.special  # noqa: F401
        except ImportError:  # pragma: no cover - a core dependency; the fit names it
            pass

    thread = threading.Thread(target=load, name="appease-import-scipy", daemon=True)
    thread.start()
    return thread


def unfit_error(n: int) -> ConvergenceError:
    """Every engine refuses to write scores some customers lack (pandas' rule)."""
    return ConvergenceError(
        f"the fitted models give no finite score for {n} customers (too little or too extreme "
        "purchase history to fit); nothing was scored"
    )


def need_spend_model(models: Models) -> GammaGamma:
    if models.gamma_gamma is None:
        raise InputError("amount", "no customer with repeat purchases: spend cannot be modelled")
    return models.gamma_gamma


def tier_codes(clv: np.ndarray, cuts: tuple[float, float, float]) -> np.ndarray:
    """assign_tiers' rule (a customer on a cut point goes up) with given cut points, as
    indexes into `TIERS`."""
    return np.searchsorted(np.asarray(cuts), clv, side="right")


def tier_of(clv: np.ndarray, cuts: tuple[float, float, float]) -> np.ndarray:
    """`tier_codes` as the tiers' names."""
    names: np.ndarray = np.asarray(TIERS, dtype=object)[tier_codes(clv, cuts)]
    return names
