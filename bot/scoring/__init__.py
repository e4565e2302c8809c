"""Customer lifetime value: RFM summary, BG/NBD + Gamma-Gamma, simple formula, tiers, segments.

Pure: arrays and frames in, arrays and frames out. `read_transactions` is the one reader of files.
"""

from bot.scoring._bgnbd import BgNbd, BgNbdParams, ConvergenceWarning
from bot.scoring._gammagamma import GammaGamma, GammaGammaParams
from bot.scoring._score import SCORE_COLUMNS, ScoringResult, score_summary, score_transactions
from bot.scoring._segments import TierThresholds, assign_segments, assign_tiers, rfm_scores
from bot.scoring._simulate import simulate_summary, simulate_transactions
from bot.scoring._transactions import read_transactions, summarize, validate_transactions
from bot.scoring._value import clv, residual_clv, simple_clv

__all__ = [
    "SCORE_COLUMNS",
    "BgNbd",
    "BgNbdParams",
    "ConvergenceWarning",
    "GammaGamma",
    "GammaGammaParams",
    "ScoringResult",
    "TierThresholds",
    "assign_segments",
    "assign_tiers",
    "clv",
    "read_transactions",
    "residual_clv",
    "rfm_scores",
    "score_summary",
    "score_transactions",
    "simple_clv",
    "simulate_summary",
    "simulate_transactions",
    "summarize",
    "validate_transactions",
]
