"""Text a person can see: the invisible characters an attacker hides instructions in, removed.

Unicode tag characters (U+E0000 block, "ASCII smuggling"), zero-width spaces and joiners, bidi
overrides ("Trojan Source") and soft hyphens render as nothing, yet a model reads them. Triage
and prompts see the visible text; the stored message keeps every character the customer sent.
"""

from __future__ import annotations

import functools
import re
import unicodedata

__all__ = ["normalise", "visible_text", "word_scan"]

_KEEP = frozenset("\n\t\r")

# Letters from other scripts that look Latin: mapped so "rеfund" (Cyrillic е) is still a refund.
_CONFUSABLES = str.maketrans(
    {
        "а": "a",
        "е": "e",
        "о": "o",
        "р": "p",
        "с": "c",
        "у": "y",
        "х": "x",
        "і": "i",
        "ј": "j",
        "ѕ": "s",
        "һ": "h",
        "ԁ": "d",
        "ɡ": "g",
        "ո": "n",
        "ս": "u",
        "А": "A",
        "В": "B",
        "Е": "E",
        "К": "K",
        "М": "M",
        "Н": "H",
        "О": "O",
        "Р": "P",
        "С": "C",
        "Т": "T",
        "Х": "X",
        "Ι": "I",
        "Ο": "O",
        "Ρ": "P",
        "ο": "o",
        "ν": "v",
        "\u200b": "",
        "\u200c": "",
        "\u200d": "",
        "\u2060": "",
        "\ufeff": "",
        "\u00ad": "",
    }
)


def _hidden(ch: str) -> bool:
    if ch in _KEEP:
        return False
    # Cf: format (zero-width, bidi, tags, soft hyphen); Co: private use; Cn: unassigned.
    return unicodedata.category(ch) in ("Cf", "Co", "Cn")


def visible_text(text: str) -> str:
    """`text` without invisible format, private-use and unassigned characters."""
    if text.isascii():  # the common case, and nothing in ASCII but controls is invisible
        return text
    return "".join(ch for ch in text if not _hidden(ch))


@functools.lru_cache(maxsize=512)  # one reply and one message are read by several checks
def normalise(text: str) -> str:
    """NFKC, look-alike letters to Latin, invisible characters removed, spaces folded.

    What the guard checks drafts on, and what triage looks for demands and instructions in.
    """
    text = unicodedata.normalize("NFKC", text).translate(_CONFUSABLES)
    return re.sub(r"[ \t\r\f\v]+", " ", text)


def word_scan(pattern: str, flags: int = re.IGNORECASE, *, also: str = "") -> re.Pattern[str]:
    """`pattern` compiled for scanning text, for patterns whose every match starts with a word
    character (or one of `also`: "$" for "$20").

    Why: Python's re tries every branch of a large case-insensitive alternation at every
    position of the text, spaces and punctuation included; one character class in front skips
    those positions first. The guard's and the gate's scans of a reply take about half the time
    (measured 1.4-2.5x per pattern); the matches are the same (tests/property/test_word_scan.py).
    """
    return re.compile(rf"(?=[\w{re.escape(also)}])(?:{pattern})", flags)
