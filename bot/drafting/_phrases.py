"""The approved-phrase library: sentences a business wrote, composed into specific replies.

One YAML file per language beside the prompts (`prompts/phrases/en.yaml`, ...). Checked at
load like the prompts: every category present, only known slots, and no sentence the promise
guard or the quality gate would refuse (a business cannot write a refund into a phrase).

Choice is deterministic: the same ticket gets the same sentences; different tickets rotate
through the variants, and a variant that names more of the ticket (its item, how late) is
preferred whenever those slots are known.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import re
import string
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.domain import Offer, OfferDecision, OfferKind
from bot.drafting._slots import SITUATIONS
from bot.drafting.guard import check_draft
from bot.drafting.quality import check_sentence
from bot.errors import InputError

__all__ = ["SLOTS", "PhraseBook", "Phrases", "load_phrases"]

SLOTS = frozenset({"order_id", "item", "delay", "plain"})
REQUIRED_LANGUAGES = ("en", "es", "fr", "de")
_CATEGORIES = (
    "late_delivery",
    "damaged_item",
    "wrong_item",
    "missing_item",
    "billing_error",
    "service_outage",
    "poor_service",
    "other",
)
_NO_OFFER = OfferDecision(
    offer=Offer(kind=OfferKind.none, amount=Decimal(0), currency="USD"),
    cap=Decimal(0),
    escalate=False,
    reasons=[],
    policy_version="phrases",
)

Variants = list[str]
# libyaml's parser when PyYAML has it (its wheels do): ten times the pure-Python one.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Example(_Strict):
    message: str = Field(min_length=5)
    reply: str = Field(min_length=10)


class _Tone(_Strict):
    mild: Variants = Field(min_length=1)
    standard: Variants = Field(min_length=1)
    strong: Variants = Field(min_length=1)


class _Followup(_Strict):
    opening: dict[str, Variants]
    hope: Variants = Field(min_length=1)
    question: str = Field(min_length=5)


class _Chat(_Strict):
    follow_on: Variants = Field(min_length=1)
    handoff: str = Field(min_length=5)


class _File(_Strict):
    language: str = Field(min_length=2, max_length=5)
    acknowledge: dict[str, Variants]
    tone: _Tone
    next_step: dict[str, Variants]
    close: Variants = Field(min_length=1)
    followup: _Followup
    chat: _Chat
    examples: dict[str, list[_Example]] = Field(default_factory=dict)


def _slots_of(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


_STOP_WORDS = """i i'm we we're you your our a an the is are was to of for and so that this it in on
with has have had be been us me my"""
_STOP = frozenset(_STOP_WORDS.split())


# Stock words of thanks and empathy in every library language: one of each per reply.
_STOCK = re.compile(
    r"thank|understand|frustrat|patien|gracias|entiend|comprend|merci|danke|dank\b|versteh"
    r"|ärger|geduld|verständnis|grazie|capisc|pazienz|obrigad|paciên",
    re.IGNORECASE,
)


@functools.lru_cache(maxsize=4096)  # the library's variants, asked for on every reply
def _key_pairs(text: str) -> frozenset[tuple[str, str]]:
    """Word pairs that carry meaning, and stock words: said twice, they read like a machine."""
    lowered = text.lower()
    words = re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", lowered)
    pairs = {(a, b) for a, b in itertools.pairwise(words) if not {a, b} <= _STOP}
    return frozenset(pairs | {("stock", m.group(0)[:5]) for m in _STOCK.finditer(lowered)})


def _pick(variants: Variants, slots: dict[str, str], seed: str, avoid: tuple[str, ...] = ()) -> str:
    """The most specific variant whose slots are all known, rotated by the ticket.

    Variants that would repeat a phrase of the sentences already chosen (`avoid`) are skipped
    while another is left: "I understand your frustration" twice reads like a machine.
    """
    if avoid:
        said = set().union(*(_key_pairs(a) for a in avoid))
        fresh = [v for v in variants if not _key_pairs(v) & said]
        variants = fresh or variants
    usable = [v for v in variants if _slots_of(v) <= slots.keys()]
    if not usable:
        usable = [v for v in variants if not _slots_of(v) - {"order_id", "plain"}] or variants
    best = max(len(_slots_of(v) & {"item", "delay"}) for v in usable)
    specific = [v for v in usable if len(_slots_of(v) & {"item", "delay"}) == best]
    index = int(hashlib.sha256(seed.encode()).hexdigest()[:8], 16) % len(specific)
    return specific[index].format(**{k: slots.get(k, "") for k in SLOTS})


@dataclass(frozen=True, eq=False)
class PhraseBook:
    """One language's approved sentences."""

    language: str
    data: _File

    def _by_category(
        self, table: dict[str, Variants], category: str, situation: str | None = None
    ) -> Variants:
        """The situation's sentences first (`late_delivery/arrived`, then `any/wrong_address`)."""
        if situation:
            found = table.get(f"{category}/{situation}") or table.get(f"any/{situation}")
            if found:
                return found
        return table.get(category) or table["other"]

    def acknowledge(self, category: str, slots: dict[str, str], seed: str) -> str:
        table = self._by_category(self.data.acknowledge, category, slots.get("situation"))
        return _pick(table, slots, seed + "ack")

    def tone(
        self, severity: int, sentiment: float | None, seed: str, avoid: tuple[str, ...] = ()
    ) -> str:
        """Strong for severity 3 or a very unhappy customer, mild for a calm severity 1."""
        level = "standard"
        if severity >= 3 or (sentiment is not None and sentiment < 20):
            level = "strong"
        elif severity <= 1 and (sentiment is None or sentiment >= 40):
            level = "mild"
        return _pick(getattr(self.data.tone, level), {}, seed + "tone", avoid)

    def next_step(
        self, category: str, slots: dict[str, str], seed: str, avoid: tuple[str, ...] = ()
    ) -> str:
        table = self._by_category(self.data.next_step, category, slots.get("situation"))
        return _pick(table, slots, seed + "next", avoid)

    def close(self, seed: str, avoid: tuple[str, ...] = ()) -> str:
        return _pick(self.data.close, {}, seed + "close", avoid)

    def followup_opening(self, category: str, slots: dict[str, str], seed: str) -> str:
        table = self._by_category(self.data.followup.opening, category, slots.get("situation"))
        return _pick(table, slots, seed + "fu")

    def followup_hope(self, seed: str) -> str:
        return _pick(self.data.followup.hope, {}, seed + "hope")

    @property
    def survey_question(self) -> str:
        return self.data.followup.question

    def follow_on(self, seed: str) -> str:
        return _pick(self.data.chat.follow_on, {}, seed + "chat")

    @functools.cached_property
    def vocabulary(self) -> frozenset[str]:
        """Every word the library uses in this language (lower case): what the model may use."""
        d = self.data
        texts = [*d.tone.mild, *d.tone.standard, *d.tone.strong, *d.close, *d.followup.hope]
        for table in (d.acknowledge, d.next_step, d.followup.opening):
            texts += [v for variants in table.values() for v in variants]
        # not the few-shot examples: their nouns ("Ladegerät") are what the model copies wrongly
        return frozenset(w.lower() for t in texts for w in re.findall(r"[^\W\d_]{3,}", t))

    def approved(self, category: str) -> list[str]:
        """The library's own acknowledgements of this issue: words the model may use freely."""
        return list(self._by_category(self.data.acknowledge, category))

    def examples(self, category: str) -> list[tuple[str, str]]:
        found = self.data.examples.get(category) or self.data.examples.get("other") or []
        return [(e.message, e.reply) for e in found]


@dataclass(frozen=True)
class Phrases:
    """Every language's book; an unknown language gets English."""

    books: dict[str, PhraseBook]

    def book(self, language: str) -> PhraseBook:
        return self.books.get(language) or self.books["en"]

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(sorted(self.books))


def _check_sentences(path: Path, where: str, sentences: list[str]) -> None:
    for sentence in sentences:
        if unknown := _slots_of(sentence) - SLOTS:
            raise InputError(
                str(path), f"{where}: unknown slot(s) {sorted(unknown)}; allowed {sorted(SLOTS)}"
            )
        sample = sentence.format(**{k: "A1" if k == "order_id" else "parcel" for k in SLOTS})
        verdict = check_draft(sample, _NO_OFFER)
        if not verdict.ok:
            said = ", ".join(v.text for v in verdict.violations)
            raise InputError(
                str(path), f"{where}: {sentence!r} promises what no offer allows ({said})"
            )
        quality = check_sentence(sample)
        if not quality.ok:
            raise InputError(
                str(path), f"{where}: {sentence!r} fails the quality gate ({quality.reasons()})"
            )


def _check_situation_key(path: Path, section: str, key: str) -> None:
    base, _, situation = key.partition("/")
    if situation and (base not in (*_CATEGORIES, "any") or situation not in SITUATIONS):
        raise InputError(
            str(path),
            f"{section}.{key}: a situation key is CATEGORY/SITUATION or any/SITUATION with a "
            f"situation in {sorted(SITUATIONS)}",
        )


def _validate(path: Path, data: _File) -> None:
    for section in ("acknowledge", "next_step"):
        table: dict[str, Variants] = getattr(data, section)
        if missing := [c for c in _CATEGORIES if c not in table]:
            raise InputError(str(path), f"{section}: missing categories {missing}")
        for category, variants in table.items():
            _check_situation_key(path, section, category)
            if not variants:
                raise InputError(str(path), f"{section}.{category}: no sentences")
            _check_sentences(path, f"{section}.{category}", variants)
    if missing := [c for c in _CATEGORIES if c not in data.followup.opening]:
        raise InputError(str(path), f"followup.opening: missing categories {missing}")
    for category, variants in data.followup.opening.items():
        _check_situation_key(path, "followup.opening", category)
        _check_sentences(path, f"followup.opening.{category}", variants)
    for level in ("mild", "standard", "strong"):
        _check_sentences(path, f"tone.{level}", getattr(data.tone, level))
    _check_sentences(path, "close", data.close)
    _check_sentences(path, "followup.hope", data.followup.hope)
    _check_sentences(path, "chat.follow_on", data.chat.follow_on)
    for category, examples in data.examples.items():
        _check_sentences(path, f"examples.{category}", [e.reply for e in examples])


def _read(path: Path) -> PhraseBook:
    try:
        raw: Any = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(str(path), f"unreadable phrase file: {exc}") from exc
    try:
        data = _File.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top)"
        raise InputError(str(path), f"{where}: {first['msg']}") from exc
    if data.language != path.stem:
        raise InputError(str(path), f"language: {data.language!r} in a file named {path.name}")
    _validate(path, data)
    return PhraseBook(language=data.language, data=data)


def load_phrases(directory: Path) -> Phrases:
    """Every `*.yaml` in `directory`; en, es, fr and de must be there."""
    books = {p.stem: _read(p) for p in sorted(directory.glob("*.yaml"))}
    if missing := [lang for lang in REQUIRED_LANGUAGES if lang not in books]:
        raise InputError(str(directory), f"missing phrase files for {missing}")
    return Phrases(books=books)
