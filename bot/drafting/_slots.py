"""What a reply can name about this ticket: the order, the item, how late, the issue in words.

Pure regular expressions over the customer's message. A slot is filled only when the words are
unmistakable ("arrived 6 days late", "the ceramic vase I ordered"); otherwise it stays empty and
the phrase library uses a sentence without it. A wrong slot reads worse than none.
"""

from __future__ import annotations

import re

from bot.text import normalise, visible_text

__all__ = ["extract_slots"]

_NUMBER_WORDS = (
    r"\d{1,3}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fourteen"
    r"|un|una|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|une|deux|trois|quatre|cinq|sept|huit|neuf|dix"
    r"|ein|eine|einen|zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn"
    r"|uno|due|tre|quattro|sei|sette|otto|nove|dieci|um|dois|duas|três|quatro|seis|sete|oito|dez"
)
_DELAY = {
    "en": re.compile(
        rf"\b(?P<d>(?:{_NUMBER_WORDS})\s+(?:days?|weeks?|hours?))\s+(?:late|overdue|past\s+the\s+(?:due|delivery)\s+date)"
        rf"|\blate\s+by\s+(?P<e>(?:{_NUMBER_WORDS})\s+(?:days?|weeks?|hours?))\b",
        re.IGNORECASE,
    ),
    "es": re.compile(
        rf"\b(?P<d>(?:{_NUMBER_WORDS})\s+(?:días?|semanas?|horas?))\s+de\s+retraso\b", re.IGNORECASE
    ),
    "fr": re.compile(
        rf"\b(?P<d>(?:{_NUMBER_WORDS})\s+(?:jours?|semaines?|heures?))\s+de\s+retard\b",
        re.IGNORECASE,
    ),
    "de": re.compile(
        rf"\b(?P<d>(?:{_NUMBER_WORDS})\s+(?:Tage?n?|Wochen?|Stunden?))\s+(?:zu\s+spät|Verspätung|verspätet)\b",
        re.IGNORECASE,
    ),
    "it": re.compile(
        rf"\b(?P<d>(?:{_NUMBER_WORDS})\s+(?:giorn[oi]|settiman[ae]|or[ae]))\s+di\s+ritardo\b",
        re.IGNORECASE,
    ),
    "pt": re.compile(
        rf"\b(?P<d>(?:{_NUMBER_WORDS})\s+(?:dias?|semanas?|horas?))\s+de\s+atraso\b",
        re.IGNORECASE,
    ),
}
_ARTICLE = r"(?:my|the|a|an|our|this)"
_NOUN = r"[a-z][a-z'-]{2,20}"
_ITEM = re.compile(
    rf"\b(?:i\s+(?:ordered|bought|purchased)|you\s+sent\s+me)\s+{_ARTICLE}?\s*"
    rf"(?P<a>(?:{_NOUN}\s+){{0,2}}{_NOUN}?)(?=\s+(?:in\s+size|in\s+(?:blue|red|black|white|green)|and|but|which|that|for|from|on|last|,|\.|!)|[,.!]|$)"
    rf"|\b{_ARTICLE}\s+(?P<b>(?:{_NOUN}\s+){{0,2}}{_NOUN})\s+(?:i|we)\s+(?:ordered|bought|purchased)\b"
    rf"|\b(?:my|the)\s+(?P<c>(?:{_NOUN}\s+){{0,2}}{_NOUN})\s+(?:arrived|came|was|were|is|are)\s+"
    rf"(?:broken|damaged|cracked|smashed|shattered|dented|torn|ripped|scratched|missing|in\s+pieces|wet|soaked|crushed|faulty)",
    re.IGNORECASE,
)
# Words that are never what the customer bought (the package, the process, the money).
_NOT_ITEMS_TEXT = """
    order orders parcel package packages box boxes delivery shipment item items tracking refund
    money account card email emails payment charge bill invoice website site app service order's
    stuff thing things one wrong same right size colour color courier driver carrier
"""
_NOT_ITEMS = frozenset(_NOT_ITEMS_TEXT.split())
_STOP_LEADS = frozenset(["a", "an", "the", "my", "our", "this", "some"])


def _clean_item(raw: str | None) -> str | None:
    if not raw:
        return None
    words = [w for w in raw.lower().split() if w not in _STOP_LEADS]
    if not words or words[-1] in _NOT_ITEMS or any(w in _NOT_ITEMS for w in words):
        return None
    if len(" ".join(words)) > 40:
        return None
    return " ".join(words)


def extract_slots(message: str, *, order_id: str, language: str, plain: str) -> dict[str, str]:
    """The slots a phrase may use for this ticket; absent keys mean "not known, do not guess"."""
    text = normalise(visible_text(message))
    slots = {"order_id": order_id, "plain": plain}
    pattern = _DELAY.get(language)
    if pattern is not None and (m := pattern.search(text)):
        delay = m.group("d") or m.groupdict().get("e")
        if delay:
            slots["delay"] = re.sub(r"\s+", " ", delay.strip()).lower()
    if language == "en":
        for m in _ITEM.finditer(text):
            item = _clean_item(m.group("a") or m.group("b") or m.group("c"))
            if item:
                slots["item"] = item
                break
    return slots
