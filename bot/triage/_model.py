"""The offline classifiers: category and severity from text, with scikit-learn.

Why this shape: a few hundred labelled messages is small data, so a linear model over sparse
features beats anything deep here and trains in about a second on first use, which lets us ship
a CSV instead of a pickle (no code runs from a file, no scikit-learn version lock). Features:

- word 1-2 grams and character 2-5 grams (TF-IDF) of the primary issue (the text before an
  "also"/"además"/"außerdem"), so typos and inflections still match and a second complaint tacked
  on at the end does not steal the label;
- character n-grams of the whole message at a lower weight;
- hand-written multilingual cue counts (`bot.triage._text`), which carry domain knowledge to
  wording the labelled set never showed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from bot.errors import NotFittedError
from bot.triage._text import CATEGORY_CUES, SEVERITY_CUES, cue_counts, primary_part

__all__ = ["TextClassifiers"]

_SEED = 7


def _primary_lower(text: str) -> str:
    return primary_part(text).lower()


def _cue_rows(texts: Sequence[str], *families: dict[str, re.Pattern[str]]) -> Any:
    """The cue features of `texts`, dense (log1p of the cue counts)."""
    return np.log1p(np.asarray([cue_counts(t, *families) for t in texts], dtype=float))


def _cue_matrix(texts: Sequence[str], *families: dict[str, re.Pattern[str]]) -> Any:
    from scipy.sparse import csr_matrix

    return csr_matrix(_cue_rows(texts, *families))


def _weighted_tfidf(
    parts: Iterable[tuple[Iterable[int], Any, float, int]],
) -> tuple[Any, Any]:
    """Column indices and values of one text, as the fitted FeatureUnion would give: per part,
    the vocabulary indices of its n-grams counted, sublinear tf x idf, L2-normalised, weighted."""
    all_idx, all_vals = [], []
    for indices, idf, weight, offset in parts:
        counts = Counter(indices)  # first-seen order, as the vectorizer's own count
        if not counts:
            continue
        idx = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
        vals = np.log(np.fromiter(counts.values(), dtype=float, count=len(counts))) + 1.0
        vals *= idf[idx]
        vals *= weight / np.sqrt(vals @ vals)
        all_idx.append(idx + offset)
        all_vals.append(vals)
    if not all_idx:
        return np.zeros(0, dtype=np.intp), np.zeros(0)
    return np.concatenate(all_idx), np.concatenate(all_vals)


def _known(grams: Iterable[str], vocabulary: dict[str, int]) -> list[int]:
    get = vocabulary.get
    return [j for j in map(get, grams) if j is not None]


def _vectorizer() -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    return FeatureUnion(
        [
            (
                "words",
                TfidfVectorizer(preprocessor=_primary_lower, ngram_range=(1, 2), sublinear_tf=True),
            ),
            (
                "chars",
                TfidfVectorizer(
                    preprocessor=_primary_lower,
                    analyzer="char_wb",
                    ngram_range=(2, 5),
                    sublinear_tf=True,
                    min_df=2,
                ),
            ),
            (
                "whole",
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=2
                ),
            ),
        ],
        transformer_weights={"words": 1.0, "chars": 1.0, "whole": 0.4},
    )


def _classifier(c: float) -> Any:
    from sklearn.linear_model import LogisticRegression

    # saga: L-BFGS needed ten times as long on these ~30,000 sparse columns for the same F1.
    return LogisticRegression(C=c, solver="saga", tol=3e-3, max_iter=1000, random_state=_SEED)


class _Constant:
    """A severity head for a training set that has only one severity."""

    def __init__(self, value: int) -> None:
        self.classes_ = np.array([value])

    def predict_proba(self, features: Any) -> Any:
        return np.ones((features.shape[0], 1))


def _softmax_rows(logits: Any) -> Any:
    if logits.shape[1] == 1:  # binary logistic regression: one column of log-odds
        p = 1.0 / (1.0 + np.exp(-logits[:, 0]))
        return np.column_stack([1.0 - p, p])
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


class _Head:
    """A fitted linear head as plain arrays, so one message costs a few dot products."""

    def __init__(self, model: Any) -> None:
        self.classes_ = model.classes_
        if isinstance(model, _Constant):
            self.coef = self.intercept = None
        else:
            self.coef = np.ascontiguousarray(model.coef_.T)  # features x classes
            self.intercept = model.intercept_

    def proba(self, rows: list[tuple[Any, Any]], cues: Any) -> Any:
        if self.coef is None:
            return np.ones((len(rows), 1))
        n_cues = cues.shape[1]
        cue_coef = self.coef[-n_cues:]
        logits = np.vstack([vals @ self.coef[idx] for idx, vals in rows]) + cues @ cue_coef
        return _softmax_rows(logits + self.intercept)


class TextClassifiers:
    """One shared TF-IDF vocabulary, two linear heads: category and severity (1-3).

    scikit-learn fits; prediction re-uses its fitted vocabularies, idf weights and coefficients
    directly (same numbers, checked by a test) because its per-call input validation costs
    about ten times the arithmetic when triaging one message at a time.
    """

    def __init__(self) -> None:
        self.vectorizer_: Any = None
        self.category_: Any = None
        self.severity_: Any = None
        self._parts: list[tuple[Any, dict[str, int], Any, float, int]] = []
        self._heads: tuple[_Head, _Head] | None = None

    def fit(
        self, texts: Sequence[str], categories: Sequence[str], severities: Sequence[int]
    ) -> TextClassifiers:
        from scipy.sparse import hstack

        texts = list(texts)
        self.vectorizer_ = _vectorizer()
        tfidf = self.vectorizer_.fit_transform(texts)
        cues = _cue_matrix(texts, CATEGORY_CUES, SEVERITY_CUES)
        n_cat = len(CATEGORY_CUES)
        self.category_ = _classifier(10.0).fit(
            hstack([tfidf, cues[:, :n_cat]]).tocsr(), list(categories)
        )
        severities = [int(s) for s in severities]
        if len(set(severities)) == 1:  # a business's set may hold one severity: it is the answer
            self.severity_ = _Constant(severities[0])
        else:
            self.severity_ = _classifier(5.0).fit(hstack([tfidf, cues]).tocsr(), severities)
        self._compile()
        return self

    def _compile(self) -> None:
        parts, offset = [], 0
        weights = self.vectorizer_.transformer_weights
        for name, vectorizer in self.vectorizer_.transformer_list:
            vocabulary = vectorizer.vocabulary_
            parts.append(
                (
                    vectorizer.build_analyzer(),
                    vocabulary,
                    vectorizer.idf_,
                    float(weights[name]),
                    offset,
                )
            )
            offset += len(vocabulary)
        self._parts = parts
        self._heads = (_Head(self.category_), _Head(self.severity_))

    def _tfidf_row(self, text: str) -> tuple[Any, Any]:
        """Column indices and values of one text, as the fitted FeatureUnion would give."""
        return _weighted_tfidf(
            (_known(analyzer(text), vocabulary), idf, weight, offset)
            for analyzer, vocabulary, idf, weight, offset in self._parts
        )

    def predict_proba(self, texts: Sequence[str]) -> tuple[Any, Any]:
        """Category and severity probabilities, rows in `texts` order, columns in `classes`."""
        if self._heads is None:
            raise NotFittedError("triage classifiers used before fit")
        texts = list(texts)
        rows = [self._tfidf_row(t) for t in texts]
        cues = _cue_rows(texts, CATEGORY_CUES, SEVERITY_CUES)
        category, severity = self._heads
        return category.proba(rows, cues[:, : len(CATEGORY_CUES)]), severity.proba(rows, cues)

    def predict_proba_sklearn(self, texts: Sequence[str]) -> tuple[Any, Any]:
        """The same probabilities through scikit-learn's own transform (slow; for tests)."""
        from scipy.sparse import hstack

        texts = list(texts)
        tfidf = self.vectorizer_.transform(texts)
        cues = _cue_matrix(texts, CATEGORY_CUES, SEVERITY_CUES)
        n_cat = len(CATEGORY_CUES)
        cat = self.category_.predict_proba(hstack([tfidf, cues[:, :n_cat]]).tocsr())
        sev = self.severity_.predict_proba(hstack([tfidf, cues]).tocsr())
        return cat, sev

    @property
    def categories(self) -> list[str]:
        return [str(c) for c in self.category_.classes_]

    @property
    def severities(self) -> list[int]:
        return [int(c) for c in self.severity_.classes_]


_TOKEN = re.compile(r"(?u)\b\w\w+\b")


def _word_ngrams(text: str, low: int, high: int) -> list[str]:
    """scikit-learn's word analyzer (default token pattern), as plain Python."""
    tokens = _TOKEN.findall(text)
    out = list(tokens) if low == 1 else []
    for n in range(max(low, 2), min(high + 1, len(tokens) + 1)):
        out += [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
    return out


def _word_char_ngrams(word: str, low: int, high: int) -> list[str]:
    """One word's n-grams as scikit-learn's `char_wb` analyzer makes them (same n-grams, same
    order): it pads each word with a space and never crosses words."""
    out = []
    w = f" {word} "
    for n in range(low, high + 1):
        offset = 0
        out.append(w[offset : offset + n])
        while offset + n < len(w):
            offset += 1
            out.append(w[offset : offset + n])
        if offset == 0:
            break
    return out


# Distinct words whose n-gram indices a process keeps per feature view (a few MB): customers
# reuse a small vocabulary, so most words of a message are a dict hit instead of 15-30 slices
# and lookups each. Past it the cache starts over (random words cannot grow it without bound).
_WORD_CACHE_MAX = 50_000


class CompiledClassifiers:
    """A fitted TextClassifiers as plain arrays and dicts: predicts without importing scikit-learn.

    What the triage cache holds, so a command-line call skips scikit-learn's import (most of a
    cold start) as well as the training.
    """

    def __init__(self, fitted: TextClassifiers) -> None:
        spec = {"words": ("word", True), "chars": ("char_wb", True), "whole": ("char_wb", False)}
        self._parts = []
        for (name, vectorizer), (_, vocabulary, idf, weight, offset) in zip(
            fitted.vectorizer_.transformer_list, fitted._parts, strict=True
        ):
            kind, primary = spec[name]
            low, high = vectorizer.ngram_range
            self._parts.append(
                (kind, primary, low, high, dict(vocabulary), np.asarray(idf), weight, offset)
            )
        assert fitted._heads is not None
        self._heads = fitted._heads
        self.categories = fitted.categories
        self.severities = fitted.severities

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_words"}  # the cache stays here

    def _word_cache(self) -> list[dict[str, list[int]]]:
        words: list[dict[str, list[int]]] | None = self.__dict__.get("_words")  # not pickled
        if words is None:
            words = [{} for _ in self._parts]
            self._words = words
        return words

    def _char_indices(
        self, n: int, text: str, low: int, high: int, vocabulary: dict[str, int]
    ) -> list[int]:
        """The vocabulary indices of `text`'s `char_wb` n-grams, word by word through the cache
        (the analyzer splits on runs of whitespace, as `str.split` does)."""
        cache = self._word_cache()[n]
        if len(cache) > _WORD_CACHE_MAX:
            cache.clear()
        out: list[int] = []
        for word in text.split():
            known = cache.get(word)
            if known is None:
                known = cache[word] = _known(_word_char_ngrams(word, low, high), vocabulary)
            out += known
        return out

    def _row(self, text: str) -> tuple[Any, Any]:
        primary = _primary_lower(text)

        def indices(
            n: int, kind: str, prim: bool, low: int, high: int, vocab: dict[str, int]
        ) -> list[int]:
            prepared = primary if prim else text.lower()
            if kind == "word":
                return _known(_word_ngrams(prepared, low, high), vocab)
            return self._char_indices(n, prepared, low, high, vocab)

        return _weighted_tfidf(
            (indices(n, kind, primary_, low, high, vocabulary), idf, weight, offset)
            for n, (kind, primary_, low, high, vocabulary, idf, weight, offset) in enumerate(
                self._parts
            )
        )

    def predict_proba(self, texts: Sequence[str]) -> tuple[Any, Any]:
        texts = list(texts)
        rows = [self._row(t) for t in texts]
        cues = _cue_rows(texts, CATEGORY_CUES, SEVERITY_CUES)
        category, severity = self._heads
        return category.proba(rows, cues[:, : len(CATEGORY_CUES)]), severity.proba(rows, cues)
