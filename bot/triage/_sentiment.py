"""Sentiment on the 0-100 perception scale, for triage and for the KPI's estimated scores.

VADER (vaderSentiment) is the base: rule-based, offline, fast, and good on short informal text
with shouting, emoji and "!!!". Two things it misses in support mail are added here. Its
lexicon is English and general, so a few hundred complaint words in the six languages of our
set ("late", "roto", "déçu", "kaputt") get valences next to it. And it reads "Great job, truly
impressive. My parcel is three weeks late." as delighted; when a message holds a clearly
negative sentence, praise beside it is read as sarcasm or courtesy and does not count.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from bot.triage._text import MAX_MESSAGE_CHARS

__all__ = ["sentiment_score"]

_NEGATIVE_SENTENCE = -0.25
_SENTENCE = re.compile(r"[^.!?¡¿\n]+[.!?\n]*")

# Valences on VADER's -4..4 scale; single lower-case tokens, as VADER looks them up.
_DOMAIN_LEXICON: dict[str, float] = {
    # en: complaint words VADER scores as neutral
    "late": -1.2,
    "overdue": -1.5,
    "delayed": -1.3,
    "missing": -1.3,
    "cracked": -1.6,
    "shattered": -2.0,
    "smashed": -1.8,
    "dented": -1.3,
    "leaks": -1.3,
    "unusable": -2.2,
    "overcharged": -2.0,
    "crashing": -1.6,
    "crashes": -1.6,
    "outage": -1.5,
    "rude": -2.2,
    "dismissive": -1.8,
    "condescending": -2.0,
    "ignored": -1.8,
    "disconnected": -1.2,
    "stuck": -1.2,
    "scratch": -0.8,
    "scratched": -1.0,
    "refund": -0.3,
    "lapsed": -1.0,
    "locked": -0.8,
    "twice": -0.4,
    "wrong": -1.5,
    "empty": -0.8,
    "still": -0.3,
    # es
    "retraso": -1.4,
    "roto": -1.8,
    "rota": -1.8,
    "rotos": -1.8,
    "equivocado": -1.5,
    "falta": -1.2,
    "decepcionado": -2.2,
    "decepcionada": -2.2,
    "grosero": -2.2,
    "nadie": -1.0,
    "peligroso": -2.0,
    "mal": -1.5,
    "terrible": -2.5,
    "gracias": 1.5,
    "excelente": 2.8,
    "genial": 2.5,
    "problema": -1.2,
    "nunca": -0.8,
    "vacía": -0.8,
    "cobraron": -1.0,
    # fr
    "retard": -1.4,
    "cassé": -1.8,
    "cassée": -1.8,
    "déçu": -2.2,
    "déçue": -2.2,
    "impoli": -2.2,
    "manque": -1.2,
    "mauvais": -1.6,
    "mauvaise": -1.6,
    "panne": -1.5,
    "dangereux": -2.0,
    "merci": 1.5,
    "bravo": 2.0,
    "inutilisable": -2.2,
    "abîmé": -1.5,
    "jamais": -0.8,
    # de
    "verspätet": -1.4,
    "kaputt": -1.8,
    "enttäuscht": -2.2,
    "unhöflich": -2.2,
    "fehlt": -1.2,
    "falsche": -1.5,
    "falsch": -1.5,
    "gefährlich": -2.0,
    "beschädigt": -1.6,
    "danke": 1.5,
    "toll": 2.2,
    "unbrauchbar": -2.2,
    "niemand": -1.0,
    "leider": -1.0,
    "ärgerlich": -2.0,
    # pt / it
    "atrasado": -1.4,
    "partido": -1.6,
    "errado": -1.5,
    "desapontado": -2.2,
    "obrigado": 1.5,
    "ritardo": -1.4,
    "rotto": -1.8,
    "sbagliata": -1.5,
    "deluso": -2.2,
    "scortese": -2.2,
    "grazie": 1.5,
}


@functools.cache
def _vader() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    analyzer.lexicon.update(_DOMAIN_LEXICON)
    return analyzer


def _compound(text: str) -> float:
    return float(_vader().polarity_scores(text)["compound"])


def sentiment_score(text: str) -> float:
    """Perception 0-100 (50 neutral) from VADER's compound -1..1, domain words and sarcasm."""
    if not isinstance(text, str):
        raise TypeError("sentiment_score takes text")
    text = text[:MAX_MESSAGE_CHARS]
    sentences = [s for s in (m.group(0).strip() for m in _SENTENCE.finditer(text)) if s]
    compound = _compound(text)
    if len(sentences) > 1:
        scores = [_compound(s) for s in sentences]
        if min(scores) <= _NEGATIVE_SENTENCE:
            negatives = [s for s in scores if s < 0]
            compound = min(compound, sum(negatives) / len(negatives))
    return round((compound + 1.0) * 50.0, 1)
