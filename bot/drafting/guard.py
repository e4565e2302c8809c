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
from bot.text import normalise, word_scan

__all__ = ["check_draft", "find_amounts", "find_money", "normalise"]

_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "₩": "KRW"}
_CODES = "USD|EUR|GBP|JPY|CAD|AUD|CHF|SEK|NOK|DKK|PLN|INR|BRL|MXN|KWD|US\\$|CA\\$|AU\\$"
_NUM = r"\d{1,3}(?:[ ,.\u202f\u00a0']\d{3})*(?:[.,]\d{1,3})?|\d+(?:[.,]\d{1,3})?"
_SYM = r"[$€£¥₹₩]"
_AMOUNT_RE = word_scan(
    rf"(?:\b(?:{_CODES})\s?|{_SYM}\s?)(?P<a>{_NUM})"
    rf"|(?P<b>{_NUM})\s?(?:{_SYM}|(?:{_CODES})\b|\$US|dollars?\b|bucks\b|euros?\b|pounds?\b|yen\b"
    r"|usd\b|eur\b|gbp\b|dollari\b|dólar(?:es)?\b|sterline?\b|libras?\b|reais\b)",
    re.IGNORECASE,
    also="$€£¥₹₩",
)

_DOLLARS = frozenset({"USD", "CAD", "AUD", "NZD", "MXN", "SGD", "HKD"})
# Checked in order: the more specific marker first ("ca$" before "$", "usd" before "$").
_CURRENCY_MARKERS: list[tuple[str, frozenset[str]]] = [
    (code.lower(), frozenset({code}))
    for code in (
        "USD",
        "EUR",
        "GBP",
        "JPY",
        "CAD",
        "AUD",
        "CHF",
        "SEK",
        "NOK",
        "DKK",
        "PLN",
        "INR",
        "BRL",
        "MXN",
        "KWD",
    )
] + [
    ("us$", frozenset({"USD"})),
    ("$us", frozenset({"USD"})),
    ("ca$", frozenset({"CAD"})),
    ("au$", frozenset({"AUD"})),
    ("€", frozenset({"EUR"})),
    ("euro", frozenset({"EUR"})),
    ("£", frozenset({"GBP"})),
    ("pound", frozenset({"GBP"})),
    ("quid", frozenset({"GBP"})),
    ("¥", frozenset({"JPY", "CNY"})),
    ("yen", frozenset({"JPY"})),
    ("₹", frozenset({"INR"})),
    ("₩", frozenset({"KRW"})),
    ("reais", frozenset({"BRL"})),
    ("$", _DOLLARS),
    ("dollar", _DOLLARS),
    ("dólar", _DOLLARS),
    ("buck", frozenset({"USD"})),
    ("sterlin", frozenset({"GBP"})),
    ("libra", frozenset({"GBP"})),
]
_ANY_CURRENCY = frozenset({"*"})

_UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "a": 1,
}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
_WORD = "|".join(sorted([*_UNITS, *_SCALES], key=len, reverse=True))
_WORD_AMOUNT_RE = word_scan(
    rf"\b(?P<w>(?:(?:{_WORD})[\s-]+(?:and[\s-]+)?)*(?:{_WORD}))[\s-]+"
    r"(?:dollars?|bucks|euros?|pounds?|quid|yen)\b",
    re.IGNORECASE,
)
# Italian and Portuguese number words ("diciotto euro", "vinte e cinco euros"). Italian writes a
# number as one word ("venticinque", "centocinquanta"): a word counts when it splits into these.
_ROMANCE_UNITS = {
    "zero": 0,
    "un": 1,
    "uno": 1,
    "una": 1,
    "due": 2,
    "tre": 3,
    "tré": 3,
    "quattro": 4,
    "cinque": 5,
    "sei": 6,
    "sette": 7,
    "otto": 8,
    "nove": 9,
    "dieci": 10,
    "undici": 11,
    "dodici": 12,
    "tredici": 13,
    "quattordici": 14,
    "quindici": 15,
    "sedici": 16,
    "diciassette": 17,
    "diciotto": 18,
    "diciannove": 19,
    "venti": 20,
    "vent": 20,
    "trenta": 30,
    "trent": 30,
    "quaranta": 40,
    "quarant": 40,
    "cinquanta": 50,
    "cinquant": 50,
    "sessanta": 60,
    "sessant": 60,
    "settanta": 70,
    "settant": 70,
    "ottanta": 80,
    "ottant": 80,
    "novanta": 90,
    "novant": 90,
    "um": 1,
    "dois": 2,
    "duas": 2,
    "três": 3,
    "tres": 3,
    "quatro": 4,
    "cinco": 5,
    "seis": 6,
    "sete": 7,
    "oito": 8,
    "dez": 10,
    "onze": 11,
    "doze": 12,
    "treze": 13,
    "catorze": 14,
    "quatorze": 14,
    "quinze": 15,
    "dezasseis": 16,
    "dezesseis": 16,
    "dezassete": 17,
    "dezessete": 17,
    "dezoito": 18,
    "dezanove": 19,
    "dezenove": 19,
    "vinte": 20,
    "trinta": 30,
    "quarenta": 40,
    "cinquenta": 50,
    "sessenta": 60,
    "setenta": 70,
    "oitenta": 80,
    "noventa": 90,
    "duzentos": 200,
    "duzentas": 200,
    "trezentos": 300,
    "quatrocentos": 400,
    "quinhentos": 500,
    "seiscentos": 600,
    "setecentos": 700,
    "oitocentos": 800,
    "novecentos": 900,
}
_ROMANCE_SCALES = {"cento": 100, "cem": 100, "mille": 1000, "mila": 1000, "mil": 1000}
_ROMANCE_LEXICON = sorted([*_ROMANCE_UNITS, *_ROMANCE_SCALES], key=len, reverse=True)
_ROMANCE_TOKEN = "(?:" + "|".join(_ROMANCE_LEXICON) + ")+"
_ROMANCE_AMOUNT_RE = word_scan(
    rf"\b(?P<w>{_ROMANCE_TOKEN}(?:[\s-]+(?:e[\s-]+)?{_ROMANCE_TOKEN})*)[\s-]+"
    r"(?:euros?|dollari|dólar(?:es)?|sterline?|libras?|reais)\b",
    re.IGNORECASE,
)
_PERCENT_RE = word_scan(
    r"\d+(?:[.,]\d+)?\s?(?:%|percent\b|per\s?cent\b|pct\b)|\bhalf[\s-]+(?:off|price)\b"
    r"|\b(?:twenty|thirty|forty|fifty|ten|fifteen|hundred)\s+percent\b|\bper\s+cento\b|\bpor\s+cento\b"
    r"|\bmetà\s+prezzo\b|\bmetade\s+do\s+preço\b",
    re.IGNORECASE,
)

# offer words -> the kinds that authorize them
_OFFERS: list[tuple[re.Pattern[str], frozenset[OfferKind]]] = [
    (word_scan(p), frozenset(k))
    for p, k in [
        (
            r"\brefund\w*|\breimburs\w*|\bmoney[\s-]+back\b|\bchargeback\b|\breembols\w*|\brembours\w*"
            r"|\berstatt\w*|\brückerstatt\w*|\brimbors\w*|\bsoldi\s+indietro\b|\bdinheiro\s+de\s+volta\b"
            r"|\bdevolu(?:ção|çao|ções)\s+do\s+(?:seu\s+)?dinheiro\b|\bdevolver\w*\s+o\s+(?:seu\s+)?dinheiro\b",
            {OfferKind.refund_partial, OfferKind.refund_full},
        ),
        (
            r"\bstore[\s-]+credit\b|\baccount[\s-]+credit\b|\bcredit(?:ed|s)?\b|\bgift[\s-]?cards?\b"
            r"|\bvouchers?\b|\bgutschein\w*|\bguthaben\b|\bun\s+avoir\b|\bcrédito\b|\bcredito\b"
            r"|\bbuon[oi][\s-]+(?:regalo|acquisto|sconto)\b|\bcarta\s+regalo\b"
            r"|\bvales?[\s-]+(?:presente|compras?|oferta|desconto)\b|\bcartão[\s-]+(?:presente|oferta)\b",
            {OfferKind.store_credit},
        ),
        (
            r"\bdiscount\w*|\bcoupons?\b|\bpromo(?:tional)?[\s-]+codes?\b|\b\w+\s+off\s+your\b"
            r"|\brabatt\w*|\bdescuento\w*|\bréduction\w*|\bremise\b|\bscont[oi]\b|\bscontat\w*"
            r"|\bdesconto\w*|\bcup(?:ão|ões|om|ons)\b|\bcodice\s+promozionale\b|\bcódigo\s+promocional\b",
            {OfferKind.discount_code},
        ),
        (
            r"\bfree[\s-]+(?:shipping|delivery|postage)\b|\bships?\s+(?:for\s+)?free\b"
            r"|\benvío\s+gratis\b|\blivraison\s+gratuite\b|\bkostenlose[rn]?\s+versand\b"
            r"|\bspedizion[ei]\s+(?:gratuit[ae]|gratis|omaggio)\b|\bportes?\s+(?:grátis|gratuitos?)\b"
            r"|\bfrete\s+(?:grátis|gratuito)\b|\benvio\s+(?:grátis|gratuito)\b",
            {OfferKind.free_shipping},
        ),
        (
            r"\breplac\w*|\bsend\s+(?:you\s+)?(?:a\s+)?(?:new|another)\s+(?:one|item|unit)\b"
            r"|\breemplaz\w*|\bremplac\w*|\bersatz\w*|\bsostitu\w*|\bsubstitu\w*",
            {OfferKind.replacement},
        ),
        (
            r"\bcompensat\w*|\bgoodwill\s+(?:gesture|payment)\b|\bkompensation\b|\bindemni\w*"
            r"|\bcompensa(?:zion|çã|ço)\w*|\brisarci\w*|\bindenni\w*|\bindeniz\w*",
            {
                OfferKind.store_credit,
                OfferKind.refund_partial,
                OfferKind.refund_full,
                OfferKind.discount_code,
            },
        ),
    ]
]

# How much of the order a refund covers: words that make a partial refund the whole order.
_FULL_SCOPE = word_scan(
    r"\b(?:full|fully|whole|entire|entirely|complete|completely|total|in\s+full|100\s*%|every\s+(?:cent|penny)"
    r"|everything\s+you\s+(?:paid|spent)|all\s+(?:of\s+)?(?:your|the)\s+money|all\s+you\s+paid"
    r"|(?:the|your)\s+(?:whole|entire|full)\s+(?:order|purchase|amount|price)"
    r"|total|completo|íntegro|intégral\w*|totalité|vollständig\w*|komplett\w*|gesamte[nr]?"
    r"|totale|totalmente|inter[oa]|interamente|integral\w*|complet[ao]|por\s+inteiro"
    r"|tutto\s+l'importo|tutto\s+quanto\s+(?:ha\s+)?pagato|todo\s+o\s+valor|tudo\s+o\s+que\s+pagou)\b",
    re.IGNORECASE,
)
_PARTIAL_SCOPE = word_scan(
    r"\b(?:partial\w*|part\s+of|parcial\w*|partiel\w*|teil\w*|parzial\w*|parte\s+d[eio]l?)\b",
    re.IGNORECASE,
)
_REFUND_WORD = word_scan(
    r"\brefund\w*|\breimburs\w*|\bmoney[\s-]+back\b|\breembols\w*|\brembours\w*|\berstatt\w*"
    r"|\brimbors\w*",
    re.IGNORECASE,
)

# Future commitments: what we will do or what will happen, beyond the decision's own sentence.
_FUTURE = word_scan(
    r"\b(?:we|i|our\s+team)(?:'ll|\s+will|\s+shall|\s+are\s+going\s+to)\s+(?:also\s+|definitely\s+|personally\s+|always\s+)?"
    r"(?:make\s+sure|ensure|always|prioriti[sz]e|expedite|upgrade|waive|cover|pay|give\s+you|send\s+you|"
    r"credit|match|compensate|double|throw\s+in|add\s+(?:a|an|another|some)|include|deliver\s+(?:it\s+)?(?:by|tomorrow|today))\b"
    r"|\b(?:it|your\s+(?:order|parcel|package|item|replacement|delivery))(?:'ll|\s+will)\s+(?:definitely\s+|certainly\s+)?"
    r"(?:arrive|be\s+(?:delivered|there|with\s+you)|reach\s+you)\b"
    r"|\b(?:your\s+)?(?:next|future|upcoming|following)\s+(?:\w+\s+)?(?:orders?|purchases?|deliveries|shipments?)\s+"
    r"(?:will|'ll|are|is|get|gets)\s+(?:\w+\s+)?(?:free|prioriti[sz]ed|expedited|upgraded|on\s+us|discounted|ship\w*\s+free)\b"
    r"|\b(?:from\s+now\s+on|going\s+forward)\b"
    # Italian and Portuguese: we will send/give/pay/refund, it will arrive, from now on
    r"|\b(?:le\s+|ti\s+)?(?:invieremo|manderemo|daremo|pagheremo|rimborseremo|accrediteremo|offriremo"
    r"|regaleremo|spediremo|garantiremo|copriremo|raddoppieremo|aggiungeremo)\b"
    r"|\b(?:arriverà|sarà\s+consegnat[oa]|le\s+arriverà)\b|\bd'ora\s+in\s+(?:poi|avanti)\b"
    r"|\b(?:enviaremos|daremos|pagaremos|reembolsaremos|creditaremos|ofereceremos|garantiremos"
    r"|cobriremos|acrescentaremos|vamos\s+(?:enviar|dar|pagar|oferecer|creditar|reembolsar|garantir"
    r"|cobrir|acrescentar|mandar))\b"
    r"|\b(?:chegará|vai\s+chegar|será\s+entregue|irá\s+chegar)\b|\bdaqui\s+(?:em|para)\s+diante\b",
    re.IGNORECASE,
)
# Credit or a code is spent on later orders: saying so describes the offer, it promises nothing more.
_USE_VERB = (
    r"(?:use[ds]?|using|spen[dt]\w*|appl(?:y|ies|ied)|redeem\w*|valid|works|usable"
    r"|usar\w*|utilizz\w*|utiliz\w*|spender\w*|valid[oa]|válid[oa])"
)
_SPENDABLE_NOUN = (
    r"(?:credit|code|voucher|balance|guthaben|crédito|avoir|credito|codice|código|saldo)"
)
_USE_OF_OFFER = re.compile(
    rf"\b{_USE_VERB}\b.*\b{_SPENDABLE_NOUN}\b|\b{_SPENDABLE_NOUN}\b.*\b{_USE_VERB}\b", re.IGNORECASE
)

_COMMITMENTS = word_scan(
    r"\bguarantee\w*|\bpromis\w*|\bnever\s+(?:ever\s+)?happen\w*\s+again\b|\bwon'?t\s+happen\s+again\b"
    r"|\bwill\s+not\s+happen\s+again\b|\bevery\s+(?:single\s+)?time\b|\bfor\s+life\b|\bforever\b"
    r"|\blifetime\s+(?:discount|free|supply|membership)\b|\b(?:all|any)\s+future\s+(?:orders?|purchases?)\b"
    r"|\bfuture\s+discounts?\b|\bnext\s+(?:\w+\s+)?orders?\s+(?:is\s+|will\s+be\s+)?(?:free|on\s+us)\b|\bfree\s+for\s+a\s+year\b"
    # Italian and Portuguese
    r"|\bgaranti\w*|\bgaranzi\w*|\bpromett\w*|\bpromess\w*|\bprometo\b|\bprometemos\b"
    r"|\bnon\s+(?:succederà|capiterà|accadrà)\s+più\b|\bmai\s+più\b|\bnunca\s+mais\b"
    r"|\bnão\s+(?:voltará|vai\s+voltar)\s+a\s+acontecer\b|\bper\s+sempre\b|\bpara\s+sempre\b|\ba\s+vita\b"
    r"|\bogni\s+volta\b|\btodas\s+as\s+vezes\b|\bsempre\s+que\s+(?:encomendar|comprar)\b"
    r"|\b(?:tutti\s+i\s+)?(?:suoi\s+)?(?:ordini|acquisti)\s+futuri\b|\bfuturi\s+(?:ordini|acquisti)\b"
    r"|\b(?:todos\s+os\s+)?(?:seus\s+)?(?:pedidos|encomendas|compras)\s+futur[oa]s\b"
    r"|\bfutur[oa]s\s+(?:pedidos|encomendas|compras)\b|\bsconti\s+futuri\b|\bdescontos\s+futuros\b"
    r"|\b(?:qualsiasi|ogni)\s+(?:suo\s+)?(?:ordine|acquisto)\s+futuro\b"
    r"|\b(?:qualquer|cada)\s+(?:pedido|compra)\s+futuro\b|\b(?:qualquer|cada)\s+(?:encomenda|compra)\s+futura\b"
    r"|\bprossim[oi]\s+(?:\w+\s+)?ordin[ei]\s+(?:sarà|saranno|è|sono)\s+(?:gratis|gratuit\w*|omaggio)\b"
    r"|\bpróxim[oa]s?\s+(?:\w+\s+)?(?:pedidos?|encomendas?)\s+(?:será|serão|é|são)\s+(?:grátis|gratuit\w*|oferta)\b",
    re.IGNORECASE,
)
_INTERNAL = word_scan(
    r"\bclv\b|\blifetime\s+value\b|\bcustomer\s+value\b|\bresidual\b|\bp_alive\b"
    r"|\b(?:bronze|silver|gold|platinum)\s+(?:tier|customer|member|status|level)\b|\btier\b"
    r"|\bsegment\w*|\bchampions\s+segment\b|\bcan'?t\s+lose\s+them\b|\b(?:offer|goodwill|spending)\s+cap\b"
    r"|\bpolicy[\s_-]+(?:rule|version|engine|file)s?\b|\bsystem[\s_-]+prompt\b|\bmy\s+instructions\b"
    r"|\binstructions\s+i\s+(?:was|have\s+been)\s+given\b|\bdecision\s+engine\b",
    re.IGNORECASE,
)
_NEGATION = re.compile(
    r"\b(?:cannot|can'?t|can\s+not|unable|not\s+able|not\s+eligible|isn'?t\s+possible|"
    r"not\s+possible|don'?t|do\s+not|won'?t\s+be\s+able|are\s+not|aren'?t|no\s+longer"
    # Italian and Portuguese: "non possiamo offrire", "não é possível", "não temos direito a"
    r"|non\s+(?:possiamo|posso|siamo\s+in\s+grado|è\s+possibile|è\s+previst[oa]|prevede|offriamo|ha\s+diritto)"
    r"|não\s+(?:podemos|posso|conseguimos|é\s+possível|está\s+previst[oa]|prevê|oferecemos|tem\s+direito))\b",
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
    for m in _ROMANCE_AMOUNT_RE.finditer(text):
        value = _romance_number(m.group("w"))
        if value is not None:
            found.append((m.group(0).strip(), value, _currencies(m.group(0))))
    return found


def _split_number_word(word: str) -> list[str] | None:
    """ "venticinque" -> ["venti", "cinque"]; None if the word is not made of number words."""
    if not word:
        return []
    for part in _ROMANCE_LEXICON:
        if word.startswith(part) and (rest := _split_number_word(word[len(part) :])) is not None:
            return [part, *rest]
    return None


def _romance_number(words: str) -> Decimal | None:
    """An Italian or Portuguese number in words: units add, cento/mille/mil multiply."""
    total, current = 0, 0
    for token in re.split(r"[\s-]+", words.lower()):
        if token in ("e", ""):
            continue
        parts = _split_number_word(token)
        if parts is None:
            return None
        for part in parts:
            if part in _ROMANCE_SCALES:
                current = max(current, 1) * _ROMANCE_SCALES[part]
                if _ROMANCE_SCALES[part] >= 1000:
                    total, current = total + current, 0
            else:
                current += _ROMANCE_UNITS[part]
    return Decimal(total + current)


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
    r"\b(?:instead\s+of|rather\s+than|in\s+place\s+of|not\s+an?|no|invece\s+d[ie]l?|anziché"
    r"|em\s+vez\s+d[eo]|ao\s+invés\s+d[eo])\s+(?:\w+\s+)?$",
    re.IGNORECASE,
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
    r"\b(?:give\s+you|send\s+you|credit|add\s+(?:a|an)|include|invieremo|manderemo|daremo"
    r"|accrediteremo|enviaremos|daremos|creditaremos|vamos\s+(?:enviar|dar|creditar|mandar))\b",
    re.IGNORECASE,
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
                and "futur" in m.group(0).lower()
                and not re.search("discount|scont", m.group(0).lower())
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
