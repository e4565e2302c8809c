"""What a reply can name about this ticket: the order, the item, how late, the issue in words.

Pure regular expressions over the customer's message. A slot is filled only when the words are
unmistakable ("arrived 6 days late", "the ceramic vase I ordered"); otherwise it stays empty and
the phrase library uses a sentence without it. A wrong slot reads worse than none.
"""

from __future__ import annotations

import re

from bot.text import normalise, visible_text

__all__ = ["SITUATIONS", "extract_slots"]

# What happened, when the category alone would give the wrong sentence: a late parcel that has
# since arrived must not be "traced"; a parcel marked delivered that never came is not "part of
# the order missing"; a parcel sent to the wrong address is not "the wrong item". Each is found
# by plain words in the customer's language, and never when the message says the opposite.
_ARRIVED = {
    "en": r"\b(?:arrived|delivered|came|showed\s+up|turned\s+up|got\s+(?:it|the\s+parcel))\b"
    r"[^.!?]{0,40}\b(?:late|overdue|after)\b|\b(?:arrived|delivered|came)\s+(?:\S+\s+){0,3}late\b"
    r"|\btook\s+(?:forever|ages|(?:\S+\s+)?(?:days|weeks))\s+to\s+(?:arrive|come)\b",
    "es": r"\b(?:lleg[óo]|entregaron|recib[íi])\b[^.!?]{0,40}\b(?:retraso|tarde)\b",
    "fr": r"\b(?:arriv[ée]e?s?|livr[ée]e?s?|re[çc]u)\b[^.!?]{0,40}\bretard\b",
    "de": r"\b(?:kam|angekommen|geliefert|erhalten|zugestellt)\b[^.!?]{0,40}\b(?:spät|Verspätung|verspätet)\b"
    r"|\b(?:spät|Verspätung|verspätet)\b[^.!?]{0,40}\b(?:angekommen|geliefert|zugestellt)\b",
    "it": r"\b(?:arrivat[oa]|consegnat[oa]|ricevut[oa])\b[^.!?]{0,40}\britardo\b",
    "pt": r"\b(?:cheg(?:ou|aram)|entreg(?:ue|aram)|recebi)\b[^.!?]{0,40}\b(?:atraso|atrasad[oa])\b",
}
_NOT_ARRIVED = {
    "en": r"\b(?:not|never|n't|still)\b[^.!?]{0,30}\b(?:arriv|deliver|shown|come|here|received)"
    r"|\bnothing\s+(?:is\s+)?(?:at|in|on)\b",
    "es": r"\b(?:no|nunca|todav[íi]a|a[úu]n)\b[^.!?]{0,20}\b(?:lleg|entreg|recib)",
    "fr": r"\b(?:pas|jamais|toujours)\b[^.!?]{0,20}\b(?:arriv|livr|re[çc]u)",
    "de": r"\b(?:nicht|nie|noch)\b[^.!?]{0,30}\b(?:angekommen|geliefert|da|erhalten|zugestellt)\b",
    "it": r"\b(?:non|mai|ancora)\b[^.!?]{0,20}\b(?:arriv|consegn|ricev)",
    "pt": r"\b(?:n[ãa]o|nunca|ainda)\b[^.!?]{0,20}\b(?:cheg|entreg|receb)",
}
_NEVER_ARRIVED = {
    "en": r"\b(?:says|shows|marked(?:\s+as)?)\s+delivered\b[^.!?]*\b(?:nothing|not|never|no\s+parcel)\b"
    r"|\bnever\s+(?:arrived|came|received|got)\b|\bnothing\s+(?:is\s+)?at\s+my\s+door\b",
    "es": r"\b(?:figura|aparece|dice)\s+(?:como\s+)?entregad[oa]\b[^.!?]*\bno\b|\bnunca\s+(?:lleg|recib)",
    "fr": r"\b(?:indiqu[ée]|marqu[ée]|affich[ée])\s+(?:comme\s+)?livr[ée]e?\b[^.!?]*\b(?:rien|pas)\b"
    r"|\bjamais\s+(?:re[çc]u|arriv)",
    "de": r"\b(?:als\s+)?zugestellt\b[^.!?]*\b(?:nichts|nicht|kein)\b|\bnie\s+(?:angekommen|erhalten)",
    "it": r"\bconsegnat[oa]\b[^.!?]*\b(?:niente|non)\b|\bmai\s+(?:arrivat|ricevut)",
    "pt": r"\bentregue\b[^.!?]*\b(?:nada|n[ãa]o)\b|\bnunca\s+(?:cheg|receb)",
}
_WRONG_ADDRESS = {
    "en": r"\bwrong\s+(?:address|house|door|building|flat)\b",
    "es": r"\bdirecci[óo]n\s+(?:equivocada|incorrecta|err[óo]nea)\b",
    "fr": r"\bmauvaise\s+adresse\b|\badresse\s+(?:erron[ée]e|incorrecte)\b",
    "de": r"\bfalsche[nr]?\s+Adresse\b",
    "it": r"\bindirizzo\s+(?:sbagliato|errato)\b",
    "pt": r"\b(?:morada|endere[çc]o)\s+(?:errad[oa]|incorret[oa])\b",
}


def _compiled(table: dict[str, str]) -> dict[str, re.Pattern[str]]:
    return {lang: re.compile(p, re.IGNORECASE) for lang, p in table.items()}


_SITUATION_PATTERNS = (
    ("wrong_address", _compiled(_WRONG_ADDRESS), None),
    ("never_arrived", _compiled(_NEVER_ARRIVED), None),
    ("arrived", _compiled(_ARRIVED), _compiled(_NOT_ARRIVED)),
)
SITUATIONS = frozenset(name for name, _, _ in _SITUATION_PATTERNS)


def _situation(text: str, language: str) -> str | None:
    for name, found, denied in _SITUATION_PATTERNS:
        pattern = found.get(language)
        if pattern is None or not pattern.search(text):
            continue
        if denied is not None and (no := denied.get(language)) and no.search(text):
            continue
        return name
    return None


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
    # not the object of a preposition: in "one of the 3 candles from the set is missing" the
    # set is not what is missing
    rf"|(?<!\bof\s)(?<!\bfrom\s)(?<!\bin\s)(?<!\bwith\s)(?<!\bfor\s)(?<!\bon\s)"
    rf"\b(?:my|the)\s+(?P<c>(?:{_NOUN}\s+){{0,2}}{_NOUN})\s+(?:arrived|came|was|were|is|are)\s+"
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
    if situation := _situation(text, language):
        slots["situation"] = situation
    pattern = _DELAY.get(language)
    if pattern is not None and (m := pattern.search(text)):
        delay = m.group("d") or m.groupdict().get("e")
        if delay:
            words = re.sub(r"\s+", " ", delay.strip()).lower().split(" ")
            if language == "de":  # German nouns keep their capital: "8 Tage", not "8 tage"
                words[-1] = words[-1].capitalize()
            slots["delay"] = " ".join(words)
    if language == "en":
        for m in _ITEM.finditer(text):
            item = _clean_item(m.group("a") or m.group("b") or m.group("c"))
            if item:
                slots["item"] = item
                break
    return slots
