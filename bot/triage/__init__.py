"""Triage: raw customer text -> category, policy-bounded severity, sentiment, language, intent.

`load_triager()` trains once per process on the shipped labelled set; `train(path)` fits a
business's own labelled tickets; `sentiment_score` is the 0-100 perception estimate the KPIs use
where no survey came back.
"""

from bot.triage._compensation import asks_for_compensation
from bot.triage._evaluate import Evaluation, evaluate
from bot.triage._refine import ModelReading
from bot.triage._text import check_message
from bot.triage._triager import (
    DATA,
    MAX_MESSAGE_CHARS,
    LabelledRow,
    Triager,
    load_triager,
    read_labelled,
    sentiment_score,
    train,
)

__all__ = [
    "DATA",
    "MAX_MESSAGE_CHARS",
    "Evaluation",
    "LabelledRow",
    "ModelReading",
    "Triager",
    "asks_for_compensation",
    "check_message",
    "evaluate",
    "load_triager",
    "read_labelled",
    "sentiment_score",
    "train",
]
