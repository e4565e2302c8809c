"""Customer lifetime value: RFM summary, BG/NBD + Gamma-Gamma, simple formula, tiers, segments.

Pure: arrays and frames in, arrays and frames out. `read_transactions` is the one reader of files.
"""

from typing import TYPE_CHECKING, Any

from bot.scoring._batch import (
    BATCH_COLUMNS,
    QuintileEdges,
    order_positions,
    quintile_edges,
    score_batch,
    tier_cut_points,
)
from bot.scoring._bgnbd import BgNbd, BgNbdParams, ConvergenceWarning, compress
from bot.scoring._formats import CsvFormat, Unit, spend_rounding_sql
from bot.scoring._gammagamma import GammaGamma, GammaGammaParams
from bot.scoring._segments import (
    SEGMENT_NAMES,
    TierThresholds,
    assign_segments,
    assign_tiers,
    rfm_scores,
    segment_codes,
    segment_sql,
)
from bot.scoring._value import clv, purchase_terms, residual_clv, simple_clv

if TYPE_CHECKING:
    from bot.scoring._score import (
        SCORE_COLUMNS,
        ScoringResult,
        score_summary,
        score_transactions,
    )
    from bot.scoring._simulate import simulate_summary, simulate_transactions
    from bot.scoring._transactions import (
        parse_dates,
        read_transactions,
        summarize,
        validate_transactions,
    )

# What needs pandas loads on first use: the SQL engines score without importing it (0.3 s of a
# DuckDB run's start).
_LAZY = {
    "SCORE_COLUMNS": "_score",
    "ScoringResult": "_score",
    "score_summary": "_score",
    "score_transactions": "_score",
    "simulate_summary": "_simulate",
    "simulate_transactions": "_simulate",
    "parse_dates": "_transactions",
    "read_transactions": "_transactions",
    "summarize": "_transactions",
    "validate_transactions": "_transactions",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "BATCH_COLUMNS",
    "SCORE_COLUMNS",
    "SEGMENT_NAMES",
    "BgNbd",
    "BgNbdParams",
    "ConvergenceWarning",
    "CsvFormat",
    "GammaGamma",
    "GammaGammaParams",
    "QuintileEdges",
    "ScoringResult",
    "TierThresholds",
    "Unit",
    "assign_segments",
    "assign_tiers",
    "clv",
    "compress",
    "order_positions",
    "parse_dates",
    "purchase_terms",
    "quintile_edges",
    "read_transactions",
    "residual_clv",
    "rfm_scores",
    "score_batch",
    "score_summary",
    "score_transactions",
    "segment_codes",
    "segment_sql",
    "simple_clv",
    "simulate_summary",
    "simulate_transactions",
    "spend_rounding_sql",
    "summarize",
    "tier_cut_points",
    "validate_transactions",
]
