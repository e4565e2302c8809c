"""Triage: raw customer text -> category, bounded severity, sentiment, language, intent."""

from bot.triage._triager import (
    MAX_MESSAGE_CHARS,
    Triager,
    load_triager,
    read_labelled,
    sentiment_score,
    train,
)

__all__ = [
    "MAX_MESSAGE_CHARS",
    "Triager",
    "load_triager",
    "read_labelled",
    "sentiment_score",
    "train",
]
