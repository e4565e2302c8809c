"""The promise guard: a draft reaches a customer only if every promise in it was authorized.

Pure and deterministic (regular expressions over normalised text), so it can be tested
exhaustively and run on every sentence of a stream. It finds:

- money amounts: symbols ($18, 18 €, 18,00 $US), ISO codes (18 USD, EUR 18), words
  ("eighteen dollars", "fifty bucks"); only the decision's own amount may appear;
- percentages ("20%", "20 percent", "half off"): never authorized (offers are sentences of money);
- offer words (refund, credit, voucher, coupon, discount, compensation, free shipping,
  replacement, gift card, money back): only the decision's kind;
- commitments (guarantee, promise, "never happen again", "every time", "for life", future
  discounts): never authorized;
- internal data (CLV, lifetime value, tier, segment, cap, policy rules, system prompt).

Negation: an offer word preceded in its sentence, within five words, by a clear negation
("cannot", "can't", "unable", "not able", "not eligible", "don't", "isn't possible") is not a
promise of it ("we can't offer a refund"). A bare "no" does not count ("no problem, we'll
refund you" is a promise). Everything else is judged strictly: a false rejection costs a
template reply, a false acceptance costs money.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from bot.domain import GuardResult, OfferDecision, OfferKind, Violation
from bot.text import normalise

__all__ = ["check_draft", "find_amounts", "normalise"]

_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "₩": "KRW"}
_CODES = "USD|EUR|GBP|JPY|CAD|AUD|CHF|SEK|NOK|DKK|PLN|INR|BRL|MXN|KWD|US\\$|CA\\$|AU\\$"
_NUM = r"\d{1,3}(?:[ ,.\u202f\u00a0']\d{3})*(?:[.,]\d{1,3})?|\d+(?:[.,]\d{1,3})?"
_SYM = r"[$€£¥₹₩]"
_AMOUNT_RE = re.compile(
    rf"(?:(?:{_CODES})\s?|{_SYM}\s?)(?P<a>{_NUM})"
    rf"|(?P<b>{_NUM})\s?(?:{_SYM}|(?:{_CODES})\b|\$US|dollars?\b|bucks\b|euros?\b|pounds?\b|yen\b"
    r"|usd\b|eur\b|gbp\b)",
    re.IGNORECASE,
)

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "a": 1,
}  # fmt: skip
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
_WORD = "|".join(sorted([*_UNITS, *_SCALES], key=len, reverse=True))
_WORD_AMOUNT_RE = re.compile(
    rf"\b(?P<w>(?:(?:{_WORD})[\s-]+(?:and[\s-]+)?)*(?:{_WORD}))[\s-]+"
    r"(?:dollars?|bucks|euros?|pounds?|quid|yen)\b",
    re.IGNORECASE,
)
_PERCENT_RE = re.compile(
    r"\d+(?:[.,]\d+)?\s?(?:%|percent\b|per\s?cent\b|pct\b)|\bhalf[\s-]+(?:off|price)\b"
    r"|\b(?:twenty|thirty|forty|fifty|ten|fifteen|hundred)\s+percent\b",
    re.IGNORECASE,
)

# offer words -> the kinds that authorize them
_OFFERS: list[tuple[re.Pattern[str], frozenset[OfferKind]]] = [
    (re.compile(p, re.IGNORECASE), frozenset(k))
    for p, k in [
        (r"\brefund\w*|\breimburs\w*|\bmoney[\s-]+back\b|\bchargeback\b|\breembols\w*|\brembours\w*"
         r"|\berstatt\w*|\brückerstatt\w*",
         {OfferKind.refund_partial, OfferKind.refund_full}),
        (r"\bstore[\s-]+credit\b|\baccount[\s-]+credit\b|\bcredit(?:ed|s)?\b|\bgift[\s-]?cards?\b"
         r"|\bvouchers?\b|\bgutschein\w*|\bguthaben\b|\bun\s+avoir\b|\bcrédito\b",
         {OfferKind.store_credit}),
        (r"\bdiscount\w*|\bcoupons?\b|\bpromo(?:tional)?[\s-]+codes?\b|\b\w+\s+off\s+your\b"
         r"|\brabatt\w*|\bdescuento\w*|\bréduction\w*|\bremise\b",
         {OfferKind.discount_code}),
        (r"\bfree[\s-]+(?:shipping|delivery|postage)\b|\bships?\s+(?:for\s+)?free\b"
         r"|\benvío\s+gratis\b|\blivraison\s+gratuite\b|\bkostenlose[rn]?\s+versand\b",
         {OfferKind.free_shipping}),
        (r"\breplac\w*|\bsend\s+(?:you\s+)?(?:a\s+)?(?:new|another)\s+(?:one|item|unit)\b"
         r"|\breemplaz\w*|\bremplac\w*|\bersatz\w*",
         {OfferKind.replacement}),
        (r"\bcompensat\w*|\bgoodwill\s+(?:gesture|payment)\b|\bkompensation\b|\bindemni\w*",
         {OfferKind.store_credit, OfferKind.refund_partial, OfferKind.refund_full,
          OfferKind.discount_code}),
    ]
]  # fmt: skip

_COMMITMENTS = re.compile(
    r"\bguarantee\w*|\bpromis\w*|\bnever\s+(?:ever\s+)?happen\w*\s+again\b|\bwon'?t\s+happen\s+again\b"
    r"|\bwill\s+not\s+happen\s+again\b|\bevery\s+(?:single\s+)?time\b|\bfor\s+life\b|\bforever\b"
    r"|\blifetime\s+(?:discount|free|supply|membership)\b|\b(?:all|any)\s+future\s+(?:orders?|purchases?)\b"
    r"|\bfuture\s+discounts?\b|\bnext\s+(?:\w+\s+)?orders?\s+(?:is\s+|will\s+be\s+)?(?:free|on\s+us)\b|\bfree\s+for\s+a\s+year\b",
    re.IGNORECASE,
)
_INTERNAL = re.compile(
    r"\bclv\b|\blifetime\s+value\b|\bcustomer\s+value\b|\bresidual\b|\bp_alive\b"
    r"|\b(?:bronze|silver|gold|platinum)\s+(?:tier|customer|member|status|level)\b|\btier\b"
    r"|\bsegment\w*|\bchampions\s+segment\b|\bcan'?t\s+lose\s+them\b|\b(?:offer|goodwill|spending)\s+cap\b"
    r"|\bpolicy[\s_-]+(?:rule|version|engine|file)s?\b|\bsystem[\s_-]+prompt\b|\bmy\s+instructions\b"
    r"|\binstructions\s+i\s+(?:was|have\s+been)\s+given\b|\bdecision\s+engine\b",
    re.IGNORECASE,
)
_NEGATION = re.compile(
    r"\b(?:cannot|can'?t|can\s+not|unable|not\s+able|not\s+eligible|isn'?t\s+possible|"
    r"not\s+possible|don'?t|do\s+not|won'?t\s+be\s+able|are\s+not|aren'?t|no\s+longer)\b",
    re.IGNORECASE,
)
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?…])\s+|\n+")


def _to_decimal(raw: str) -> Decimal | None:
    s = raw.replace("\u202f", "").replace("\u00a0", "").replace(" ", "").replace("'", "")
    if "," in s and "." in s:
        dec = "," if s.rfind(",") > s.rfind(".") else "."
        s = s.replace("." if dec == "," else ",", "").replace(dec, ".")
    elif "," in s:
        head, _, tail = s.rpartition(",")
        s = f"{head.replace(',', '')}.{tail}" if len(tail) in (1, 2) else s.replace(",", "")
    elif s.count(".") == 1 and len(s.rpartition(".")[2]) == 3 and len(s) > 4:
        s = s.replace(".", "")  # 1.000 as a thousands separator
    try:
        return Decimal(s)
    except InvalidOperation:
        return None


def _words_to_number(words: str) -> Decimal | None:
    total, current = 0, 0
    for w in re.split(r"[\s-]+", words.lower()):
        if w in ("and", ""):
            continue
        if w in _UNITS:
            current += _UNITS[w]
        elif w in _SCALES:
            current = max(current, 1) * _SCALES[w]
            if _SCALES[w] >= 1000:
                total, current = total + current, 0
        else:
            return None
    return Decimal(total + current)


def find_amounts(text: str) -> list[tuple[str, Decimal]]:
    """Every money amount in `text` as (the text found, its value)."""
    text = normalise(text)
    found: list[tuple[str, Decimal]] = []
    for m in _AMOUNT_RE.finditer(text):
        value = _to_decimal(m.group("a") or m.group("b"))
        if value is not None:
            found.append((m.group(0).strip(), value))
    for m in _WORD_AMOUNT_RE.finditer(text):
        value = _words_to_number(m.group("w"))
        if value is not None:
            found.append((m.group(0).strip(), value))
    return found


def _negated(sentence: str, start: int) -> bool:
    before = sentence[:start].split()[-5:]
    return bool(_NEGATION.search(" ".join(before)))


def check_draft(text: str, decision: OfferDecision) -> GuardResult:
    """Every promise in `text` that `decision` does not authorize, as violations."""
    text = normalise(text)
    violations: list[Violation] = []
    offer = decision.offer
    authorized = offer.amount if offer.amount > 0 else None
    money_kind = offer.kind not in (OfferKind.none, OfferKind.apology_only)

    for found, value in find_amounts(text):
        if authorized is None or value != authorized:
            violations.append(Violation(kind="amount", text=found))
    for m in _PERCENT_RE.finditer(text):
        violations.append(Violation(kind="percentage", text=m.group(0)))
    for sentence in _SENTENCE_SPLIT.split(text):
        for pattern, kinds in _OFFERS:
            for m in pattern.finditer(sentence):
                if money_kind and offer.kind in kinds:
                    continue
                if _negated(sentence, m.start()):
                    continue
                violations.append(Violation(kind="offer_kind", text=m.group(0)))
        for m in _COMMITMENTS.finditer(sentence):
            if not _negated(sentence, m.start()) or "promis" in m.group(0).lower():
                violations.append(Violation(kind="commitment", text=m.group(0)))
    for m in _INTERNAL.finditer(text):
        violations.append(Violation(kind="internal_data", text=m.group(0)))
    unique = list(dict.fromkeys(violations))
    return GuardResult(ok=not unique, violations=unique)
