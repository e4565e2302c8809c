"""Redaction of customer PII and credentials, for log records and for prompts sent to a model.

Why: a customer's email, phone, card number or street address is not needed to write an
apology, and an API key must never reach a log file (uvicorn's access log prints URLs, and the
dashboard accepts `?key=` in the query string). `redact` replaces each with a placeholder
(`[email]`, `[phone]`, `[card]`, `[address]`, `[redacted]`); `RedactingFilter` applies it to
every log record that passes through a handler it is attached to. The stored customer message
is never redacted: nothing the customer wrote is lost; only what leaves for logs and models is.

Card numbers must pass the Luhn check, so order and tracking numbers stay readable. Phones need
a `+` country code, a trunk `0` or North American grouping, so amounts, dates and ids do not
match. Pure (stdlib `re` and `logging` only, no I/O): any layer may import it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

__all__ = ["RedactingFilter", "luhn_ok", "redact"]

# -- credentials ----------------------------------------------------------------------------
_QUERY_SECRET = re.compile(
    r"(?i)\b((?:api[_-]?)?key|token|access_token|secret|password|passwd|signature|sig)=[^&\s\"'#<>]+"
)
_BEARER = re.compile(r"(?i)\b(bearer\s+)(?!\[redacted\])[A-Za-z0-9._~+/=-]{5,}")
_AUTH_HEADER = re.compile(
    r"(?i)\b(authorization[\"']?\s*[:=]\s*[\"']?)(?!\[redacted\])(?:[A-Za-z]+ +)?[^\s\"',;}]+"
)
_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^:/\s@]+:)[^@\s/]+@")

# -- PII --------------------------------------------------------------------------------------
_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+"
    r"(?:(?i:xn--)[A-Za-z0-9-]+|[A-Za-z]{2,})"
)
# Runs of digit groups joined by one space or dash; cards are looked for inside them.
_DIGIT_RUN = re.compile(r"(?<!\d)\d+(?:[ -]\d+)*(?!\d)")
_DIGITS = re.compile(r"\d+")
_NO_DIGIT_BEFORE = r"(?<!\d)(?<!\d[ .-])"
_NO_DIGIT_AFTER = r"(?![ .-]?\d)"
_PHONE = re.compile(
    _NO_DIGIT_BEFORE + r"(?:\+\d(?:[ ().-]{0,2}\d){6,14}"  # +44 20 7946 0958, +1 (415) 555-2671
    r"|\(\d{3}\)[ .-]?\d{3}[ .-]\d{4}"  # (415) 555-2671
    r"|\d{3}([.-])\d{3}\1\d{4}|\d{3} \d{3} \d{4}"  # 415-555-2671, 415 555 2671
    r"|0\d{1,4}([ .-]?)\d{2,8}(?:\2\d{2,8}){0,3})"  # 07700 900123, 01 42 68 53 00, 030 901820
     + _NO_DIGIT_AFTER
)
_STREET_EN = (
    r"street|st|road|rd|avenue|ave|av|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|"
    r"terrace|close|crescent|square|sq|highway|hwy|parkway|pkwy|row|mews|gardens|walk"
)
_STREET_ROMANCE = (
    r"rue|avenue|av\.|boulevard|bd|place|chemin|allée|allee|impasse|quai|route|cours|calle|"
    r"avenida|paseo|plaza|carrer|viale|piazza|corso|rua|travessa"
)
_NAME = r"[A-ZÀ-Ý][\wÀ-ÿ'’.-]*"
_PARTICLE = r"(?:de|du|des|la|le|les|del|della|di|da|do|dos|das|of|the|l'|d')"
_ADDRESS = re.compile(
    # 221B Baker Street, 1600 Pennsylvania Avenue NW, 10 Downing St
    rf"\b\d{{1,5}}[A-Za-z]?,?\s+(?:(?:{_NAME}|{_PARTICLE})\s+){{0,4}}{_NAME}\s+"
    rf"(?i:{_STREET_EN})\b\.?"
    # 12 rue de la Paix, 3 bis avenue Foch, 7 calle del Prado
    rf"|\b\d{{1,5}}(?:\s?(?:bis|ter|[A-Za-z]))?,?\s+(?i:{_STREET_ROMANCE})\s+"
    rf"(?:(?i:{_PARTICLE})\s*)*{_NAME}(?:\s+{_NAME}){{0,3}}"
    # Hauptstraße 12, Keizersgracht 123, Calle Mayor 5
    rf"|\b[A-ZÄÖÜ][\wäöüß-]+(?i:straße|strasse|str\.|weg|gasse|platz|allee|ring|laan|straat|gracht)"
    rf"\s+\d{{1,5}}[a-z]?\b"
    rf"|\b(?:Calle|Avenida|Via|Rua|Carrer)\s+(?:(?:{_NAME}|{_PARTICLE})\s+){{1,3}}\d{{1,5}}\b"
)


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum every payment card number satisfies (and most other numbers do not)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card_shaped(sizes: list[int]) -> bool:
    """13-19 digits in one group, Amex's 4-6-5, or groups of 4 with a last group of 1-4."""
    if len(sizes) == 1:
        return 13 <= sizes[0] <= 19
    if sizes == [4, 6, 5]:
        return True
    return all(n == 4 for n in sizes[:-1]) and sizes[-1] <= 4 and 13 <= sum(sizes) <= 19


def _cards(match: re.Match[str]) -> str:
    """A whole run of digit groups that is card-shaped and passes Luhn becomes `[card]`.

    Only whole runs: a window inside a long grouped tracking number passes Luhn one time in
    ten, so a card must stand apart from other digits (not joined to them by one space or dash).
    """
    run = match.group(0)
    groups = _DIGITS.findall(run)
    digits = "".join(groups)
    if digits[0] != "0" and _card_shaped([len(g) for g in groups]) and luhn_ok(digits):
        return "[card]"
    return run


def _phone(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = sum(ch.isdigit() for ch in text)
    fewest = 9 if text.startswith("0") else 7  # a trunk-0 number has 9+: not a date 01.12.2026
    return "[phone]" if fewest <= digits <= 15 else text


def _once(text: str) -> str:
    text = _URL_PASSWORD.sub(r"\1[redacted]@", text)
    text = _QUERY_SECRET.sub(r"\1=[redacted]", text)
    text = _AUTH_HEADER.sub(r"\1[redacted]", text)
    text = _BEARER.sub(r"\1[redacted]", text)
    text = _EMAIL.sub("[email]", text)
    text = _DIGIT_RUN.sub(_cards, text)
    text = _PHONE.sub(_phone, text)
    return _ADDRESS.sub("[address]", text)


def redact(text: str) -> str:
    """`text` with emails, phones, Luhn-valid cards, street addresses and secrets replaced.

    Applied until nothing changes (removing one match can expose another), so it is idempotent.
    """
    for _ in range(4):
        out = _once(text)
        if out == text:
            break
        text = out
    return text


# Attributes every LogRecord has; anything else on a record came in through `extra=`.
_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


def _redact_arg(value: object) -> object:
    return redact(value) if isinstance(value, str) else value


class RedactingFilter(logging.Filter):
    """Redacts a record's message, arguments, `extra` strings and traceback; never drops it.

    Attach it to handlers (a filter on a logger does not see records from its children).
    String arguments are redacted in place, so formatters that read `record.args` (uvicorn's
    access formatter) keep working; if other arguments still render PII, the record's message
    is replaced by the redacted text and its arguments cleared.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, Mapping):
            record.args = {k: _redact_arg(v) for k, v in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(_redact_arg(a) for a in record.args)
        if record.args:
            try:
                rendered = record.getMessage()
            except (TypeError, ValueError):  # a bad format string: let the handler report it
                rendered = None
            if rendered is not None and (safe := redact(rendered)) != rendered:
                record.msg, record.args = safe, ()
        elif not isinstance(record.msg, str):
            rendered = str(record.msg)
            if (safe := redact(rendered)) != rendered:
                record.msg = safe
        for name, value in list(vars(record).items()):
            if name not in _STANDARD and isinstance(value, str):
                setattr(record, name, redact(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
