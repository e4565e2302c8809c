"""Triage: read category, severity, sentiment, language and intent from a raw message, offline.

The guarded invariant is money safety: nothing a customer writes can raise an offer. Severity
read from text is capped by the policy (`triage.max_text_severity`, 2 without a policy) and only
the business's own order data (`confirmed_severity`) can lift it; a reading the classifier is
unsure of is never rounded up, and an unsure category becomes `other` (the policy's most
careful category) with `wants_human` set, so a person decides rather than a guess.

A trained triager is saved as its labelled rows (JSON), not as a pickle: loading retrains in
about a second, runs no code from the file and survives scikit-learn upgrades.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import json
import logging
import math
import os
import pickle
import threading
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.domain import IssueCategory, TriageResult, category_of
from bot.errors import InputError
from bot.triage._language import DEFAULT_LANGUAGE, detect_language
from bot.triage._model import CompiledClassifiers, TextClassifiers
from bot.triage._refine import ask_model
from bot.triage._sentiment import sentiment_score
from bot.triage._text import (
    MAX_MESSAGE_CHARS,
    check_message,
    find_order_refs,
    gives_instructions,
    issue_text,
    wants_human,
)

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from bot.policy import Policy

__all__ = [
    "DATA",
    "MAX_MESSAGE_CHARS",
    "LabelledRow",
    "Triager",
    "load_triager",
    "read_labelled",
    "sentiment_score",
    "train",
]

log = logging.getLogger(__name__)

DATA = Path(__file__).resolve().parent / "data" / "complaints.csv"
DEFAULT_MAX_TEXT_SEVERITY = 2
DEFAULT_MIN_CONFIDENCE = 0.55
MIN_ROWS = 20
_FORMAT = "appease-triage-rows"
_FORMAT_VERSION = 1


@dataclass(frozen=True)
class LabelledRow:
    """One labelled message; `group` keeps paraphrases of one template on one side of a split."""

    text: str
    category: str
    severity: int
    language: str | None = None
    group: str | None = None


def _check_rows(rows: Sequence[LabelledRow], source: str) -> None:
    if len(rows) < MIN_ROWS:
        raise InputError(source, f"needs at least {MIN_ROWS} labelled rows, has {len(rows)}")
    if len({r.category for r in rows}) < 2:
        raise InputError("category", f"{source}: needs at least two different categories")


def read_labelled(path: Path) -> list[LabelledRow]:
    """Rows of a CSV with text, category, severity (1-3) and optionally language and group.

    Errors name the column and the data row (row 1 is the first line after the header).
    """
    try:
        with Path(path).open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            columns = [c.strip() for c in reader.fieldnames or []]
            for needed in ("text", "category", "severity"):
                if needed not in columns:
                    raise InputError(needed, f"missing column in {path} (has: {columns})")
            rows = [_parse_row(i, row) for i, row in enumerate(reader, start=1)]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(str(path), f"cannot read as a UTF-8 CSV: {exc}") from exc
    _check_rows(rows, str(path))
    return rows


def _parse_row(i: int, raw: dict[str | Any, Any]) -> LabelledRow:
    row = {str(k).strip(): (v or "").strip() for k, v in raw.items() if k is not None}
    if None in raw:
        raise InputError("text", f"row {i}: more cells than columns (quote texts with commas)")
    try:
        text = check_message(row.get("text", ""))
    except InputError as exc:
        raise InputError("text", f"row {i}: {exc.problem}") from exc
    try:  # the retail categories, or a business's own labels (the ones its policy declares)
        category = str(category_of(row.get("category", "")))
    except ValueError as exc:
        raise InputError(
            "category",
            f"row {i}: {row.get('category')!r} is not a category: one of "
            + ", ".join(c.value for c in IssueCategory)
            + ", or a snake_case label of your own (declared in your policy's issue_categories)",
        ) from exc
    if row.get("severity") not in ("1", "2", "3"):
        raise InputError("severity", f"row {i}: must be 1, 2 or 3, got {row.get('severity')!r}")
    return LabelledRow(
        text=text,
        category=category,
        severity=int(row["severity"]),
        language=row.get("language") or None,
        group=row.get("group") or None,
    )


class Triager:
    """Fitted classifiers plus the rules that keep their reading from moving money."""

    def __init__(
        self,
        classifiers: TextClassifiers | CompiledClassifiers,
        rows: Sequence[LabelledRow],
        *,
        chat_model: BaseChatModel | None = None,
    ) -> None:
        self._classifiers = classifiers
        self._rows = tuple(rows)
        self.chat_model = chat_model

    def with_chat_model(self, chat_model: BaseChatModel | None) -> Triager:
        """The same classifiers with a model to refine their reading (shares the fit)."""
        return Triager(self._classifiers, self._rows, chat_model=chat_model)

    def triage(
        self,
        message: str,
        *,
        policy: Policy | None = None,
        confirmed_severity: int | None = None,
    ) -> TriageResult:
        """Read a message; `InputError` on empty, huge (> 20,000 chars) or binary input."""
        text = check_message(message)
        if confirmed_severity is not None and (
            isinstance(confirmed_severity, bool)
            or not isinstance(confirmed_severity, int)
            or not 1 <= confirmed_severity <= 3
        ):
            raise InputError("confirmed_severity", "must be 1, 2 or 3")
        limit = policy.triage.max_text_severity if policy else DEFAULT_MAX_TEXT_SEVERITY
        min_confidence = policy.triage.min_confidence if policy else DEFAULT_MIN_CONFIDENCE
        if not any(ch.isalpha() for ch in text):
            return _nothing_to_read(text, confirmed_severity)

        # Demands and instructions are dropped before reading, in every feature view: appended to
        # an honest complaint they must not move it to a category that pays more.
        issue_part = issue_text(text) or text
        cat_p, sev_p = (p[0] for p in self._classifiers.predict_proba([issue_part]))
        best = int(cat_p.argmax())
        category = category_of(self._classifiers.categories[best])
        category_confidence = float(cat_p[best])
        severities = self._classifiers.severities
        read = severities[int(sev_p.argmax())]
        severity_confidence = float(sev_p.max())
        if severity_confidence < min_confidence:
            # Unsure: the expected severity rounded down, never the higher of two guesses.
            expected = sum(float(p) * s for p, s in zip(sev_p, severities, strict=True))
            read = min(read, max(1, math.floor(expected + 1e-9)))
        asks_for_person = wants_human(text)
        confidence = {"category": category_confidence, "severity": severity_confidence}

        if self.chat_model is not None:
            reading = ask_model(self.chat_model, text)
            if reading is not None and reading.confidence >= min_confidence:
                category, read = reading.category, reading.severity
                asks_for_person = asks_for_person or reading.wants_human
                confidence = {"category": reading.confidence, "severity": reading.confidence}
                confidence["model"] = 1.0
            else:
                confidence["model"] = 0.0

        if confidence["category"] < min_confidence:
            category, asks_for_person = IssueCategory.other, True
        instructions = gives_instructions(text)
        if instructions:  # text that talks to the bot claims nothing: the lowest severity
            limit = 1
        severity = min(read, limit)
        if confirmed_severity is not None:
            severity = max(severity, confirmed_severity)
        language, language_confidence = detect_language(text)
        confidence["language"] = language_confidence
        return TriageResult(
            category=category,
            severity=severity,
            sentiment=sentiment_score(text),
            language=language,
            order_refs=find_order_refs(text),
            wants_human=asks_for_person,
            instructions=instructions,
            confidence={k: round(v, 3) for k, v in confidence.items()},
        )

    def save(self, path: Path) -> None:
        """Write the training rows as JSON (atomically); `load` retrains from them."""
        path = Path(path)
        payload = {
            "format": _FORMAT,
            "version": _FORMAT_VERSION,
            "rows": [asdict(r) for r in self._rows],
        }
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> Triager:
        """Retrain from a file written by `save`; anything else is an `InputError`."""
        path = Path(path)
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(str(path), f"not a triage model file: {exc}") from exc
        if not isinstance(payload, dict) or payload.get("format") != _FORMAT:
            raise InputError(str(path), "not a triage model file (written by `triage train`)")
        if payload.get("version") != _FORMAT_VERSION:
            raise InputError(str(path), f"unsupported version {payload.get('version')!r}")
        raw_rows = payload.get("rows")
        if not isinstance(raw_rows, list):
            raise InputError(f"{path}:rows", "must be a list")
        rows = []
        for i, raw in enumerate(raw_rows, start=1):
            if not isinstance(raw, dict):
                raise InputError(f"{path}:rows", f"row {i}: must be an object")
            rows.append(_parse_row(i, {k: "" if v is None else str(v) for k, v in raw.items()}))
        return train(rows=rows, source=str(path))


def _nothing_to_read(text: str, confirmed_severity: int | None) -> TriageResult:
    """The safe default for a message without a word ("???", "12345"): a person reads it."""
    return TriageResult(
        category=IssueCategory.other,
        severity=confirmed_severity or 1,
        sentiment=sentiment_score(text),
        language=DEFAULT_LANGUAGE,
        order_refs=find_order_refs(text),
        wants_human=True,
        confidence={"category": 0.0, "severity": 0.0, "language": 0.0},
    )


def train(
    path: Path = DATA, *, rows: Iterable[LabelledRow] | None = None, source: str | None = None
) -> Triager:
    """Fit on a labelled CSV (or rows already read): a business's own tickets, or ours."""
    data = list(rows) if rows is not None else read_labelled(path)
    _check_rows(data, source or str(path))
    classifiers = TextClassifiers().fit(
        [r.text for r in data], [r.category for r in data], [r.severity for r in data]
    )
    log.info("triage trained", extra={"rows": len(data)})
    return Triager(classifiers, data)


_LOAD_LOCK = threading.Lock()


@functools.cache
def _shipped() -> Triager:
    """Trained once per machine, not once per process: a CLI call then starts in about a second.

    The fitted triager is cached, as plain arrays that predict without importing scikit-learn,
    under the user's cache folder (`$XDG_CACHE_HOME/appease`),
    keyed by the shipped data, this module's code and the scikit-learn version, so an upgrade
    or an edited set retrains. A pickle, read only from the user's own cache folder, which this
    process wrote; any failure to read or write it just trains as before.
    """
    path = _cache_path()
    if path is not None and path.exists():
        try:
            with path.open("rb") as f:
                cached = pickle.load(f)
            if isinstance(cached, Triager):
                return cached
        except Exception:  # a torn or stale file: train again
            log.info("triage cache unreadable; training", extra={"path": str(path)})
    fitted = train(DATA)
    assert isinstance(fitted._classifiers, TextClassifiers)
    triager = Triager(CompiledClassifiers(fitted._classifiers), fitted._rows)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            with tmp.open("wb") as f:
                pickle.dump(triager, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except OSError:
            log.info("triage cache not writable", extra={"path": str(path)})
    return triager


def _cache_path() -> Path | None:
    if os.environ.get("APPEASE_TRIAGE_CACHE", "1") == "0":
        return None
    try:
        from importlib.metadata import version

        digest = hashlib.sha256()
        digest.update(DATA.read_bytes())
        for module in (__file__, str(Path(__file__).with_name("_model.py"))):
            digest.update(Path(module).read_bytes())
        digest.update(version("scikit-learn").encode())  # without importing it: that is the cost
    except (OSError, ValueError):
        return None
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "appease" / f"triage-{digest.hexdigest()[:16]}.pickle"


def load_triager() -> Triager:
    """The triager trained on the shipped set, once per process (about a second).

    Locked: the service's first concurrent tickets would otherwise each train their own.
    """
    with _LOAD_LOCK:
        return _shipped()
