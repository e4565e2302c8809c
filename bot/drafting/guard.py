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

__all__ = ["check_draft", "find_amounts", "find_money", "normalise"]

_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "₩": "KRW"}
_CODES = "USD|EUR|GBP|JPY|CAD|AUD|CHF|SEK|NOK|DKK|PLN|INR|BRL|MXN|KWD|US\\$|CA\\$|AU\\$"
_NUM = r"\d{1,3}(?:[ ,.\u202f\u00a0']\d{3})*(?:[.,]\d{1,3})?|\d+(?:[.,]\d{1,3})?"
_SYM = r"[$€£¥₹₩]"
_AMOUNT_RE = re.compile(
    rf"(?:\b(?:{_CODES})\s?|{_SYM}\s?)(?P<a>{_NUM})"
    rf"|(?P<b>{_NUM})\s?(?:{_SYM}|(?:{_CODES})\b|\$US|dollars?\b|bucks\b|euros?\b|pounds?\b|yen\b"
    r"|usd\b|eur\b|gbp\b)",
    re.IGNORECASE,
)

_DOLLARS = frozenset({"USD", "CAD", "AUD", "NZD", "MXN", "SGD", "HKD"})
# Checked in order: the more specific marker first ("ca$" before "$", "usd" before "$").
_CURRENCY_MARKERS: list[tuple[str, frozenset[str]]] = [
    (code.lower(), frozenset({code}))
    for code in ("USD", "EUR", "GBP", "JPY", "CAD", "AUD", "CHF", "SEK", "NOK", "DKK", "PLN",
                 "INR", "BRL", "MXN", "KWD")
] + [
    ("us$", frozenset({"USD"})), ("$us", frozenset({"USD"})), ("ca$", frozenset({"CAD"})),
    ("au$", frozenset({"AUD"})), ("€", frozenset({"EUR"})), ("euro", frozenset({"EUR"})),
    ("£", frozenset({"GBP"})), ("pound", frozenset({"GBP"})), ("quid", frozenset({"GBP"})),
    ("¥", frozenset({"JPY", "CNY"})), ("yen", frozenset({"JPY"})), ("₹", frozenset({"INR"})),
    ("₩", frozenset({"KRW"})), ("$", _DOLLARS), ("dollar", _DOLLARS), ("buck", frozenset({"USD"})),
]  # fmt: skip
_ANY_CURRENCY = frozenset({"*"})

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

# How much of the order a refund covers: words that make a partial refund the whole order.
_FULL_SCOPE = re.compile(
    r"\b(?:full|fully|whole|entire|entirely|complete|completely|total|in\s+full|100\s*%|every\s+(?:cent|penny)"
    r"|everything\s+you\s+(?:paid|spent)|all\s+(?:of\s+)?(?:your|the)\s+money|all\s+you\s+paid"
    r"|(?:the|your)\s+(?:whole|entire|full)\s+(?:order|purchase|amount|price)"
    r"|total|completo|íntegro|intégral\w*|totalité|vollständig\w*|komplett\w*|gesamte[nr]?)\b",
    re.IGNORECASE,
)
_PARTIAL_SCOPE = re.compile(
    r"\b(?:partial\w*|part\s+of|parcial\w*|partiel\w*|teil\w*)\b", re.IGNORECASE
)
_REFUND_WORD = re.compile(
    r"\brefund\w*|\breimburs\w*|\bmoney[\s-]+back\b|\breembols\w*|\brembours\w*|\berstatt\w*",
    re.IGNORECASE,
)

# Future commitments: what we will do or what will happen, beyond the decision's own sentence.
_FUTURE = re.compile(
    r"\b(?:we|i|our\s+team)(?:'ll|\s+will|\s+shall|\s+are\s+going\s+to)\s+(?:also\s+|definitely\s+|personally\s+|always\s+)?"
    r"(?:make\s+sure|ensure|always|prioriti[sz]e|expedite|upgrade|waive|cover|pay|give\s+you|send\s+you|"
    r"credit|match|compensate|double|throw\s+in|add\s+(?:a|an|another|some)|include|deliver\s+(?:it\s+)?(?:by|tomorrow|today))\b"
    r"|\b(?:it|your\s+(?:order|parcel|package|item|replacement|delivery))(?:'ll|\s+will)\s+(?:definitely\s+|certainly\s+)?"
    r"(?:arrive|be\s+(?:delivered|there|with\s+you)|reach\s+you)\b"
    r"|\b(?:your\s+)?(?:next|future|upcoming|following)\s+(?:\w+\s+)?(?:orders?|purchases?|deliveries|shipments?)\s+"
    r"(?:will|'ll|are|is|get|gets)\s+(?:\w+\s+)?(?:free|prioriti[sz]ed|expedited|upgraded|on\s+us|discounted|ship\w*\s+free)\b"
    r"|\b(?:from\s+now\s+on|going\s+forward)\b",
    re.IGNORECASE,
)
# Credit or a code is spent on later orders: saying so describes the offer, it promises nothing more.
_USE_VERB = r"(?:use[ds]?|using|spen[dt]\w*|appl(?:y|ies|ied)|redeem\w*|valid|works|usable)"
_SPENDABLE_NOUN = r"(?:credit|code|voucher|balance|guthaben|crédito|avoir)"
_USE_OF_OFFER = re.compile(
    rf"\b{_USE_VERB}\b.*\b{_SPENDABLE_NOUN}\b|\b{_SPENDABLE_NOUN}\b.*\b{_USE_VERB}\b", re.IGNORECASE
)

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
    return [(found, value) for found, value, _ in find_money(text)]


def find_money(text: str) -> list[tuple[str, Decimal, frozenset[str]]]:
    """Every money amount in `text`: the text found, its value, the currencies it can mean."""
    text = normalise(text)
    found: list[tuple[str, Decimal, frozenset[str]]] = []
    for m in _AMOUNT_RE.finditer(text):
        value = _to_decimal(m.group("a") or m.group("b"))
        if value is not None:
            found.append((m.group(0).strip(), value, _currencies(m.group(0))))
    for m in _WORD_AMOUNT_RE.finditer(text):
        value = _words_to_number(m.group("w"))
        if value is not None:
            found.append((m.group(0).strip(), value, _currencies(m.group(0))))
    return found


def _currencies(found: str) -> frozenset[str]:
    """The currencies a written amount can mean: "$" is any dollar, "euros" only EUR."""
    low = found.lower()
    for marker, codes in _CURRENCY_MARKERS:
        if marker in low:
            return codes
    return _ANY_CURRENCY


_NEGATED_AFTER = re.compile(
    r"^\w*\s+(?:\w+\s+){0,2}?(?:is|are|was|were)\s*(?:n'?t|\s+not)\s+(?:\w+\s+)?(?:possible|available|an\s+option|"
    r"offered|something\s+we|included|part\s+of|on\s+the\s+table)|^\w*\s+(?:isn'?t|aren'?t|wasn'?t)\b",
    re.IGNORECASE,
)
_INSTEAD = re.compile(
    r"\b(?:instead\s+of|rather\s+than|in\s+place\s+of|not\s+an?|no)\s+(?:\w+\s+)?$", re.IGNORECASE
)


def _negated(sentence: str, start: int, end: int | None = None) -> bool:
    """A clear negation before the word (five words back), or right after it in its clause."""
    before = sentence[:start].split()[-5:]
    if _NEGATION.search(" ".join(before)):
        return True
    if _INSTEAD.search(sentence[:start]):
        return True
    if end is not None:
        after = re.split(r"[,;:]|\bbut\b|\band\b", sentence[end:], maxsplit=1)[0]
        return bool(_NEGATED_AFTER.search(sentence[start:end].split()[-1] + after))
    return False


# Verbs that deliver the authorized offer itself; its amount and kind are checked on their own.
_DELIVERS_OFFER = re.compile(
    r"\b(?:give\s+you|send\s+you|credit|add\s+(?:a|an)|include)\b", re.IGNORECASE
)
_SPENDABLE = frozenset({OfferKind.store_credit, OfferKind.discount_code})


def _scope(sentence: str, kind: OfferKind) -> list[Violation]:
    """A refund's size in words must match the decision: partial stays partial, full stays full."""
    if kind not in (OfferKind.refund_partial, OfferKind.refund_full):
        return []
    if not _REFUND_WORD.search(sentence):
        return []
    wrong = _FULL_SCOPE if kind == OfferKind.refund_partial else _PARTIAL_SCOPE
    return [
        Violation(kind="offer_kind", text=m.group(0))
        for m in wrong.finditer(sentence)
        if not _negated(sentence, m.start())
    ]


def check_draft(text: str, decision: OfferDecision) -> GuardResult:
    """Every promise in `text` that `decision` does not authorize, as violations."""
    text = normalise(text)
    violations: list[Violation] = []
    offer = decision.offer
    authorized = offer.amount if offer.amount > 0 else None
    money_kind = offer.kind not in (OfferKind.none, OfferKind.apology_only)

    for found, value, currencies in find_money(text):
        if authorized is None or value != authorized:
            violations.append(Violation(kind="amount", text=found))
        elif "*" not in currencies and offer.currency.upper() not in currencies:
            violations.append(Violation(kind="amount", text=found))  # the right number, wrong money
    for m in _PERCENT_RE.finditer(text):
        violations.append(Violation(kind="percentage", text=m.group(0)))
    for sentence in _SENTENCE_SPLIT.split(text):
        for pattern, kinds in _OFFERS:
            for m in pattern.finditer(sentence):
                if money_kind and offer.kind in kinds:
                    continue
                if _negated(sentence, m.start(), m.end()):
                    continue
                violations.append(Violation(kind="offer_kind", text=m.group(0)))
        violations += _scope(sentence, offer.kind)
        describes_use = offer.kind in _SPENDABLE and bool(_USE_OF_OFFER.search(sentence))
        for m in _COMMITMENTS.finditer(sentence):
            if (
                describes_use
                and "future" in m.group(0).lower()
                and "discount" not in m.group(0).lower()
            ):
                continue  # "use the credit on any future order": how the offer works
            if not _negated(sentence, m.start()) or "promis" in m.group(0).lower():
                violations.append(Violation(kind="commitment", text=m.group(0)))
        for m in _FUTURE.finditer(sentence):
            if money_kind and _DELIVERS_OFFER.search(m.group(0)):
                continue  # "we'll send you ..." / "we'll credit ...": the offer's own words, checked above
            if not _negated(sentence, m.start()):
                violations.append(Violation(kind="commitment", text=m.group(0)))
    for m in _INTERNAL.finditer(text):
        violations.append(Violation(kind="internal_data", text=m.group(0)))
    unique = list(dict.fromkeys(violations))
    return GuardResult(ok=not unique, violations=unique)
