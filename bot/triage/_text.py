"""Text handling for triage: what counts as a message, and the cues a classifier cannot learn alone.

Customers write anything: nothing, a megabyte, a binary attachment pasted into a form. The
checks here turn those into an `InputError` naming the message, so no classifier ever sees
them. The cue lexicons are hand-written, multilingual domain knowledge ("charged twice",
"abgebucht", "roto"): with a few hundred labelled examples a bag of words cannot know that
"shattered" is damage unless someone said so, and a business's own wording still reaches the
model through the TF-IDF features next to these.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from bot.errors import InputError
from bot.text import normalise, visible_text, word_scan

__all__ = [
    "CATEGORY_CUES",
    "MAX_MESSAGE_CHARS",
    "SEVERITY_CUES",
    "check_message",
    "cue_counts",
    "find_order_refs",
    "primary_part",
    "wants_human",
]

MAX_MESSAGE_CHARS = 20_000
_MAX_CONTROL_SHARE = 0.05

# A second issue usually follows one of these; the first issue is the one the ticket is about.
_SECOND_ISSUE = re.compile(
    r"(?:^|[\s.!?,;:])(?:also|plus(?=[,:]|\s+(?:the|your|my|i)\b)|and on top of that|"
    r"on top of that|another thing|ps|p\.s\.|"
    r"además|ademas|aparte|en plus|de plus|außerdem|ausserdem|zudem|"
    r"além disso|alem disso|inoltre|e poi)\b[\s,:]",
    re.IGNORECASE,
)

_ORDER_REF = re.compile(
    r"(?<![\w#-])(#\d{5,10}|[A-Z]{1,4}-?\d{4,10})(?![\w-])|"
    r"\b(?:order|pedido|commande|bestellung|ordine|encomenda)\s*(?:no\.?|n[º°o]\.?|number|nr\.?|#)?\s*"
    r"(\d{5,10})\b",
    re.IGNORECASE,
)

_HUMAN = re.compile(
    r"\b(?:real|actual|live)\s+(?:person|human|agent)\b"
    r"|\b(?:speak|talk)\s+(?:to|with)\s+(?:a\s+|your\s+)?(?:human|person|someone|manager|supervisor|agent)\b"
    r"|\bhuman\s+please\b|\bnot\s+a\s+bot\b"
    r"|\bhablar\s+con\s+(?:una\s+persona|un\s+humano|un\s+agente|alguien)\b"
    r"|\bparler\s+à\s+(?:un\s+humain|une\s+personne|quelqu'un|un\s+conseiller)\b"
    r"|\bmit\s+einem\s+(?:menschen|mitarbeiter)\b"
    r"|\bfalar\s+com\s+(?:uma\s+pessoa|um\s+humano|alguém)\b"
    r"|\bparlare\s+con\s+(?:una\s+persona|un\s+operatore|qualcuno)\b",
    re.IGNORECASE,
)


def _cues(*patterns: str, also: str = "") -> re.Pattern[str]:
    # Matched against lower-cased text: IGNORECASE makes these alternations twice as slow. Every
    # cue starts with a word character (or one of `also`), which `word_scan` skips to.
    return word_scan("|".join(f"(?:{p})" for p in patterns), 0, also=also)


# Stems match inflections ("crack" -> cracked, cracks); accents appear both ways because
# customers type without them.
CATEGORY_CUES: dict[str, re.Pattern[str]] = {
    "late_delivery": _cues(
        r"\blate\b",
        r"\bdelay",
        r"overdue",
        r"still (?:hasn't|has not|not|hasnt) (?:arrived|come)",
        r"\bwhere is my\b",
        r"\bin transit\b",
        r"\bstuck\b",
        r"out for delivery",
        r"reschedul",
        r"(?:delivery|estimated?) (?:date|window)",
        r"(?:longer|later) than",
        r"still waiting",
        r"running late",
        r"in time\b",
        r"next-day|express",
        r"still .?processing",
        r"retras",
        r"\btarda",
        r"todav[ií]a no ha llegado",
        r"fecha de entrega",
        r"\bparad[oa]\b",
        r"\bretard",
        r"toujours rien",
        r"\bbloqu[ée]",
        r"date de livraison",
        r"plus de temps",
        r"versp[äa]t",
        r"[üu]berf[äa]llig",
        r"zu sp[äa]t",
        r"dauert",
        r"liefertermin",
        r"h[äa]ngt",
        r"atrasad",
        r"ritardo",
    ),
    "damaged_item": _cues(
        r"broke",
        r"crack",
        r"shatter",
        r"smash",
        r"\bdent",
        r"scratch",
        r"\btear\b",
        r"\btorn\b",
        r"crush",
        r"snapp",
        r"\bleak",
        r"\bpieces\b",
        r"damage",
        r"\bdead\b",
        r"\bbent\b",
        r"crumbl",
        r"sticky",
        r"\bchip(?:ped|s)?\b",
        r"\bsparks?\b",
        r"\bstain",
        r"\bloose\b",
        r"\brot[oa]s?\b",
        r"rajad",
        r"pedazos",
        r"abollad",
        r"da[ñn]ad",
        r"ras?gu[ñn]o",
        r"mancha",
        r"cass[ée]",
        r"f[êe]l[ée]",
        r"fissur",
        r"ab[îi]m[ée]",
        r"caboss",
        r"morceaux",
        r"rayure",
        r"\btache\b",
        r"kaputt",
        r"zerbroch",
        r"besch[äa]digt",
        r"\bsprung\b",
        r"\bdelle\b",
        r"kratzer",
        r"zerdr[üu]ckt",
        r"\bfleck\b",
        r"partid[oa]",
        r"amassad",
        r"\brott[oa]\b",
        r"ammaccat",
        r"unbrauchbar",
        r"inutilisable",
    ),
    "wrong_item": _cues(
        r"\bwrong\b",
        r"instead of",
        r"not what i (?:ordered|bought|paid)",
        r"different",
        r"someone else",
        r"doesn't match|does not match",
        r"\bi (?:ordered|picked|asked for)",
        r"doesn't fit|does not fit",
        r"\bsize\b",
        r"\bcolou?r\b",
        r"equivocad",
        r"en vez de",
        r"otra (?:persona|edici)",
        r"\btalla\b",
        r"mauvais",
        r"autre produit|tout autre",
        r"quelqu'un d'autre",
        r"\btaille\b",
        r"couleur",
        r"falsch",
        r"jemand anderem",
        r"ganz anderes",
        r"\bgr[öo](?:ß|ss)e\b",
        r"\bfarbe\b",
        r"errad",
        r"outra pessoa",
        r"tamanho",
        r"sbagliat",
        r"un'altra persona",
        r"\btaglia\b",
        r"\bstatt\b",
    ),
    "missing_item": _cues(
        r"missing",
        r"not in the (?:box|package|parcel)",
        r"(?:wasn't|were not|was not|not) included",
        r"\bempty\b",
        r"arrived without",
        r"\bonly (?:one|two|1|2)\b",
        r"(?:says|marked as|shows) delivered",
        r"never (?:arrived|showed up)",
        r"nothing arrived",
        r"not there",
        r"isn't in",
        r"\bbut not\b",
        r"\bfalta",
        r"vac[ií]a",
        r"solo lleg[óo]",
        r"no ven[ií]an",
        r"dice entregado",
        r"\bmanque",
        r"\bvide\b",
        r"indique livr[ée]",
        r"n'en ai re[çc]u que",
        r"rien re[çc]u",
        r"\bfehl",
        r"\bleer\b",
        r"zugestellt",
        r"nur zwei",
        r"nichts ist angekommen",
        r"entregue mas",
        r"n[ãa]o recebi",
        r"\bmanca\b",
        r"consegnato ma",
        r"non ho ricevuto",
    ),
    "billing_error": _cues(
        r"charg",
        r"\bbill",
        r"refund",
        r"overcharg",
        r"debit",
        r"\bstatement\b",
        r"\bprice\b",
        r"promo code",
        r"subscription",
        r"renew",
        r"\bvat\b",
        r"receipt",
        r"from my account",
        r"credit",
        r"payment went through",
        r"\bpaid\b",
        r"\bcard\b",
        r"money",
        r"dollars?\b|euros?\b|\$\d|€",
        r"\btwice\b",
        r"cobr",
        r"reembols",
        r"factur",
        r"suscripci",
        r"descuento",
        r"\bcargaron\b",
        r"dinero",
        r"d[ée]bit",
        r"pr[ée]lev",
        r"rembours",
        r"abonnement",
        r"code promo",
        r"\bfrais\b",
        r"abgebucht",
        r"belastet",
        r"doppelt",
        r"berechnet",
        r"geld",
        r"gutschein",
        r"\babo\b",
        r"versandkosten",
        r"\bkonto\b",
        r"cobrad",
        r"cobraram",
        r"assinatura",
        r"addebit",
        r"abbonamento",
        also="$€",
    ),
    "service_outage": _cues(
        r"website",
        r"\bsite\b",
        r"\bapp\b",
        r"\bdown\b",
        r"crash",
        r"log ?in\b",
        r"logged",
        r"\berror\b",
        r"outage",
        r"offline",
        r"timed out",
        r"\bslow\b",
        r"blank",
        r"password",
        r"buffering",
        r"\bserver\b",
        r"connection",
        r"won't load|not load",
        r"\bcheck ?out\b",
        r"\b500\b",
        r"went wrong",
        r"locked out",
        r"p[áa]gina web",
        r"aplicaci[óo]n",
        r"iniciar sesi[óo]n",
        r"ca[íi]do",
        r"se cierra",
        r"no funciona",
        r"lent[ao]",
        r"en panne",
        r"\bappli\b",
        r"plante",
        r"connecter",
        r"hors ligne",
        r"\blente\b",
        r"webseite",
        r"einloggen",
        r"ausgefallen",
        r"st[üu]rzt",
        r"langsam",
        r"fora do ar",
        r"entrar na minha conta",
        r"non funziona",
        r"si blocca",
    ),
    "poor_service": _cues(
        r"\brude\b",
        r"dismissive",
        r"\bagents?\b",
        r"support",
        r"\bon hold\b",
        r"call ?back",
        r"hung up",
        r"ignor",
        r"nobody|no one|no-one",
        r"\bstaff\b",
        r"\bdriver\b",
        r"\bmanager\b",
        r"condescending",
        r"talked down",
        r"chat ?bot",
        r"copy-paste",
        r"closed my",
        r"bounced",
        r"answer",
        r"\bcalled\b",
        r"\bcontacted\b",
        r"\bswore\b",
        r"aggressive",
        r"laughed",
        r"groser",
        r"nadie",
        r"colgaron",
        r"en espera",
        r"prometieron",
        r"departamento",
        r"impoli",
        r"personne ne",
        r"raccroch",
        r"rappel",
        r"conseiller",
        r"d'un service",
        r"unh[öo]flich",
        r"niemand",
        r"aufgelegt",
        r"warteschleife",
        r"r[üu]ckruf",
        r"mitarbeiter",
        r"abteilung",
        r"mal-educad",
        r"ningu[ée]m",
        r"atendente",
        r"scortese",
        r"nessuno",
        r"operatore",
    ),
    "other": _cues(
        r"\?",
        r"\bhow (?:do|can|does)\b",
        r"can you tell",
        r"\bdo you\b",
        r"\bis there\b",
        r"(?:i'd|i would) like",
        r"\bthank",
        r"suggest",
        r"unsubscribe",
        r"\bpolicy\b",
        r"\bwhen will\b",
        r"\bare your\b",
        r"\bcan i\b",
        r"looks great",
        r"\bquestion\b",
        r"quiero (?:saber|cerrar)",
        r"\bgracias\b",
        r"pol[íi]tica",
        r"tienen",
        r"hacen env[íi]os",
        r"je voudrais",
        r"je veux fermer",
        r"remercier",
        r"livrez-vous",
        r"avez-vous",
        r"politique",
        r"ich m[öo]chte",
        r"bedanken",
        r"gibt es",
        r"liefern sie",
        r"r[üu]ckgabe",
        r"quero mudar",
        r"voc[êe]s enviam",
        r"vorrei",
        r"spedite",
        also="?",
    ),
}

SEVERITY_CUES: dict[str, re.Pattern[str]] = {
    "high": _cues(
        r"\bweeks?\b",
        r"danger",
        r"allerg",
        r"medic",
        r"unusable|can't use|cannot use",
        r"doesn't work at all|not work at all",
        r"overdrawn",
        r"\brent\b",
        r"business",
        r"locked out",
        r"third|three times|eight times|\b\d+ times\b",
        r"wedding",
        r"birthday",
        r"\bparty\b",
        r"sparks?",
        r"hung up",
        r"never",
        r"laughed",
        r"\bmonth\b",
        r"lapsed",
        r"semanas",
        r"peligros",
        r"n[úu]meros rojos",
        r"negocio",
        r"cumplea",
        r"tres veces",
        r"no puedo usar",
        r"semaines",
        r"dangereu",
        r"d[ée]couvert",
        r"entreprise",
        r"mariage",
        r"trois fois",
        r"wochen",
        r"gef[äa]hrlich",
        r"im minus",
        r"gesch[äa]ft",
        r"hochzeit",
        r"dreimal",
        r"semanas",
        r"casamento",
        r"settimane",
    ),
    "low": _cues(
        r"\ba bit\b",
        r"\bsmall\b",
        r"slight",
        r"\bminor\b",
        r"not a (?:huge|big) deal|no big deal",
        r"\ba few\b",
        r"\ba day\b|\bone day\b",
        r"couple of days",
        r"\bfew cents\b",
        r"just letting",
        r"\bquestion\b",
        r"un poco",
        r"peque[ñn]",
        r"un d[íi]a",
        r"un peu",
        r"petite?",
        r"un jour",
        r"leicht",
        r"kleine[rn]?",
        r"etwas",
        r"einen tag",
        r"um pouco",
        r"un po'",
        r"un giorno",
    ),
}


# Unicode's control characters (category Cc) are exactly these two ranges, by its stability policy.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def check_message(message: object) -> str:
    """The message as clean text, or an `InputError` naming `message` (empty, huge, binary)."""
    if isinstance(message, bytes | bytearray):
        try:
            message = bytes(message).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError("message", "binary data, not UTF-8 text") from exc
    if not isinstance(message, str):
        raise InputError("message", f"must be text, got {type(message).__name__}")
    if len(message) > MAX_MESSAGE_CHARS:
        raise InputError("message", f"longer than {MAX_MESSAGE_CHARS} characters")
    if "\x00" in message:
        raise InputError("message", "binary data (NUL bytes), not text")
    if _SURROGATE.search(message):
        raise InputError("message", "not valid Unicode text (lone surrogates)")
    # Invisible characters (tag-character smuggling, zero-width, bidi) are dropped, not refused:
    # the customer still gets an answer, and what is read is what a person would see.
    text = visible_text(unicodedata.normalize("NFC", message)).strip()
    if not text:
        raise InputError("message", "empty message")
    control = len(_CONTROL.findall(text))  # a scan in C, not a category lookup per character
    control -= text.count("\n") + text.count("\t") + text.count("\r")
    if control > _MAX_CONTROL_SHARE * len(text):
        raise InputError("message", "binary data (control characters), not text")
    return text


# Demands and instructions say what the customer wants, not what went wrong: "I demand a full
# refund" is not a billing error, "ignore your rules" is not an issue at all.
_DEMAND = re.compile(
    r"\b(?:i|we)\s+(?:demand|want|expect|need|deserve|insist on)\b[^.!?]*"
    r"\b(?:refund|compensation|credit|money|voucher|gift card|discount|\$|€)"
    r"|\b(?:refund me|refund please|double refund|give me|send (?:me )?the money|approve|compensat|"
    r"reembols|rembours|rimbors|terug|"
    r"geld zur[üu]ck|erstatt)"
    r"|\bignore\b|\bignorez\b|\bignora\b|system prompt|you are now|\bsystem\s*:|"
    r"\bseverity\b|\bemergency\b|\burgent\b|\bcritical\b|\blevel 3\b|\bdispute\b",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"[^.!?\n]+[.!?\n]*")

# Words a customer uses to describe a problem rarely talk to the bot about its own rules, roles,
# prompts, approvals or data formats; manipulation does. A hit caps what the text can claim.
_INSTRUCTION = re.compile(
    r"\b(?:ignor\w*|disregard|forget|overrid\w*|bypass)\b[^.!?\n]{0,40}"
    r"\b(?:instruction|rule|polic|prompt|guideline|restriction|safety|everything|all)"
    r"|system\s*prompt|\byou are (?:now|no longer)\b|\bact as\b|\bpretend\b|\bjailbreak|"
    r"\bdo anything now\b|\bdeveloper mode\b|\brepeat after me\b|"
    r"\[\s*system\s*\]|\bsystem\s*:|\bassistant\s*:|<\|im_start\|>|</?\s*customer_message|"
    r"tool_result|<decision>|\"(?:offer|cap|amount|kind)\"\s*:|"
    r"\b(?:as (?:a|the|your) (?:manager|supervisor|admin\w*)|this is the ceo|legal department here|"
    r"supervisor override|internal note|order note|delivery note|courier comment|note to the bot|"
    r"fraud team)\b|"
    r"\b(?:decode|base64|rot13|hex encoded|binary encoded)\b|"
    r"\b(?:goodwill cap|max_offer|escalate_offer|severity\s*=|priority\s*=|tier\s*=)|"
    r"\b(?:ignora|ignorez|ignoriere|negeer|ignore as)\b[^.!?\n]{0,40}"
    r"\b(?:instruc|r[eè]gl|regel|istruz|anterior|previous)|"
    r"\b(?:du bist jetzt|keine (?:regeln|richtlinien)|tu es maintenant|ahora eres)\b|"
    r"\b(?:in|to|at the end of) (?:your|every|any|each) (?:summary|reply|response|answer)|"
    r"\b(?:granted|give[sn]?) (?:you )?permission\b|\bother customers\b|\bspell it\b|"
    r"\b(?:[01]{8}\s+){3}|[A-Za-z0-9+/]{20,}={0,2}(?:\s|$)|(?:\b[A-Za-z]-){4,}",
    re.IGNORECASE,
)


def gives_instructions(text: str) -> bool:
    """Whether the message talks to the bot about its rules, roles or data, not about an issue.

    Read on the text with look-alike letters folded (Cyrillic "е" for "e", full-width forms).
    """
    return _INSTRUCTION.search(normalise(text)) is not None


def issue_text(text: str) -> str:
    """The message without sentences that demand money or give instructions (may be empty)."""
    sentences = [m.group(0) for m in _SENTENCE.finditer(text)]
    kept = [s for s in sentences if not _DEMAND.search(normalise(s))]
    return "".join(kept).strip() if len(kept) < len(sentences) else text


@functools.lru_cache(maxsize=4096)  # one message is split by several feature views
def primary_part(text: str) -> str:
    """The issue the ticket is mainly about: demands dropped, up to the first "also"/"además"."""
    text = issue_text(text)
    match = _SECOND_ISSUE.search(text, 12)
    return text[: match.start()] if match else text


def cue_counts(text: str, *families: dict[str, re.Pattern[str]]) -> list[float]:
    """Hits per cue in the primary part, plus a third of those in the rest, family by family."""
    lowered = text.lower()
    head = primary_part(lowered)
    tail = lowered.replace(head, " ", 1) if head in lowered else lowered
    return [
        len(p.findall(head)) + len(p.findall(tail)) / 3.0
        for cues in families
        for p in cues.values()
    ]


def find_order_refs(text: str, limit: int = 5) -> list[str]:
    """Order references as written (`A12345`, `#123456`, `ORD-12345`, `order 12345`), in order."""
    refs = [(m.group(1) or m.group(2)).upper() for m in _ORDER_REF.finditer(text)]
    return list(dict.fromkeys(refs))[:limit]


def wants_human(text: str) -> bool:
    """Whether the customer asks for a person, in any of the supported languages."""
    return _HUMAN.search(text) is not None
