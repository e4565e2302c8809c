"""Triage: read category, severity, sentiment, language and intent from a raw message, offline.

Category and severity are TF-IDF (word and character n-grams) + logistic regression trained on
the shipped labelled set (or a business's own); language is a character n-gram classifier on
the same set, so no extra model is needed. Sentiment comes from VADER, mapped to the 0-100
perception scale. Money safety: severity read from text is capped by the policy
(`triage.max_text_severity`) unless the business's own order data confirms more, and a
low-confidence reading asks for a human instead of guessing.
"""

from __future__ import annotations

import csv
import functools
import pickle
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.domain import IssueCategory, TriageResult
from bot.errors import InputError

if TYPE_CHECKING:
    from bot.policy import Policy

__all__ = [
    "MAX_MESSAGE_CHARS",
    "Triager",
    "load_triager",
    "read_labelled",
    "sentiment_score",
    "train",
]

DATA = Path(__file__).resolve().parent / "data" / "complaints.csv"
MAX_MESSAGE_CHARS = 20_000
_ORDER_REF = re.compile(
    r"(?:#|\border\s*(?:no\.?|number|#)?\s*)?\b([A-Z]{1,3}-?\d{4,10})\b", re.IGNORECASE
)
_HUMAN = re.compile(
    r"\b(?:real|actual)\s+(?:person|human)\b|\bspeak\s+to\s+(?:a\s+)?(?:human|person|someone|manager|agent)\b"
    r"|\btalk\s+to\s+(?:a\s+)?(?:human|person|someone|manager|agent)\b|\bhuman\s+please\b"
    r"|\bhablar\s+con\s+una\s+persona\b|\bparler\s+à\s+un\s+humain\b|\bmit\s+einem\s+menschen\b",
    re.IGNORECASE,
)


def read_labelled(path: Path) -> list[dict[str, str]]:
    """Rows with text, category, severity (1-3) and optionally language; errors name the row."""
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            missing = [
                c for c in ("text", "category", "severity") if c not in (reader.fieldnames or [])
            ]
            if missing:
                raise InputError(missing[0], f"missing column in {path}")
            rows = []
            for i, row in enumerate(reader, start=1):
                if not (row.get("text") or "").strip():
                    raise InputError("text", f"row {i}: empty message")
                try:
                    IssueCategory(row["category"])
                except ValueError as exc:
                    raise InputError(
                        "category", f"row {i}: unknown category {row['category']!r}"
                    ) from exc
                if row["severity"] not in ("1", "2", "3"):
                    raise InputError(
                        "severity", f"row {i}: must be 1, 2 or 3, got {row['severity']!r}"
                    )
                rows.append(row)
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"cannot read: {exc}") from exc
    if len(rows) < 20:
        raise InputError(str(path), f"needs at least 20 labelled rows, has {len(rows)}")
    return rows


@functools.cache
def _vader() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def sentiment_score(text: str) -> float:
    """VADER compound (-1..1) on the 0-100 perception scale: 50 is neutral."""
    compound = float(_vader().polarity_scores(text[:MAX_MESSAGE_CHARS])["compound"])
    return round((compound + 1.0) * 50.0, 1)


def _pipeline() -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    features = FeatureUnion(
        [
            (
                "words",
                TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True, lowercase=True),
            ),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
        ]
    )
    return Pipeline([("features", features), ("clf", LogisticRegression(C=8.0, max_iter=2000))])


@dataclass
class Triager:
    """Fitted classifiers for category, severity and language."""

    category_model: Any
    severity_model: Any
    language_model: Any | None

    def triage(
        self,
        message: str,
        *,
        policy: Policy | None = None,
        confirmed_severity: int | None = None,
    ) -> TriageResult:
        if not isinstance(message, str):
            raise InputError("message", "must be text")
        if "\x00" in message:
            raise InputError("message", "binary data is not a message")
        text = message.strip()
        if not text:
            raise InputError("message", "empty message")
        if len(text) > MAX_MESSAGE_CHARS:
            raise InputError("message", f"longer than {MAX_MESSAGE_CHARS} characters")

        cat_p = self.category_model.predict_proba([text])[0]
        cat_i = int(cat_p.argmax())
        category = IssueCategory(self.category_model.classes_[cat_i])
        sev_p = self.severity_model.predict_proba([text])[0]
        sev_i = int(sev_p.argmax())
        read_severity = int(self.severity_model.classes_[sev_i])
        limit = policy.triage.max_text_severity if policy is not None else 2
        min_conf = policy.triage.min_confidence if policy is not None else 0.55
        severity = min(read_severity, limit)
        if confirmed_severity is not None:
            severity = max(severity, min(int(confirmed_severity), 3))
        language, lang_conf = "en", 0.0
        if self.language_model is not None:
            lang_p = self.language_model.predict_proba([text])[0]
            language = str(self.language_model.classes_[int(lang_p.argmax())])
            lang_conf = float(lang_p.max())
        confidence = {
            "category": round(float(cat_p[cat_i]), 3),
            "severity": round(float(sev_p[sev_i]), 3),
            "language": round(lang_conf, 3),
        }
        wants_human = bool(_HUMAN.search(text))
        if confidence["category"] < min_conf:
            wants_human = True  # low confidence: a person reads it rather than a guess
        refs = list(dict.fromkeys(m.group(1).upper() for m in _ORDER_REF.finditer(text)))
        return TriageResult(
            category=category,
            severity=severity,
            sentiment=sentiment_score(text),
            language=language,
            order_refs=refs[:5],
            wants_human=wants_human,
            confidence=confidence,
        )

    def save(self, path: Path) -> None:
        path.write_bytes(pickle.dumps(self))

    @classmethod
    def load(cls, path: Path) -> Triager:
        try:
            obj = pickle.loads(path.read_bytes())
        except (OSError, pickle.UnpicklingError, EOFError) as exc:
            raise InputError(str(path), f"not a triage model: {exc}") from exc
        if not isinstance(obj, cls):
            raise InputError(str(path), "not a triage model")
        return obj


def train(path: Path = DATA, *, rows: list[dict[str, str]] | None = None) -> Triager:
    """Fit the three classifiers on a labelled CSV (text, category, severity[, language])."""
    data = rows if rows is not None else read_labelled(path)
    texts = [r["text"] for r in data]
    cat = _pipeline().fit(texts, [r["category"] for r in data])
    sev = _pipeline().fit(texts, [int(r["severity"]) for r in data])
    langs = [r.get("language") or "" for r in data]
    lang = None
    if all(langs) and len(set(langs)) > 1:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import Pipeline

        lang = Pipeline(
            [("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3))),
             ("clf", LogisticRegression(C=10.0, max_iter=2000))]
        ).fit(texts, langs)  # fmt: skip
    return Triager(cat, sev, lang)


@functools.cache
def load_triager() -> Triager:
    """The classifier trained on the shipped set, once per process (about a second)."""
    return train(DATA)
