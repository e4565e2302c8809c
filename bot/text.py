"""Text a person can see: the invisible characters an attacker hides instructions in, removed.

Unicode tag characters (U+E0000 block, "ASCII smuggling"), zero-width spaces and joiners, bidi
overrides ("Trojan Source") and soft hyphens render as nothing, yet a model reads them. Triage
and prompts see the visible text; the stored message keeps every character the customer sent.
"""

from __future__ import annotations

import unicodedata

__all__ = ["hidden_count", "visible_text"]

_KEEP = frozenset("\n\t\r")


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


def hidden_count(text: str) -> int:
    """How many invisible characters `text` carries (0 for plain text)."""
    return 0 if text.isascii() else sum(1 for ch in text if _hidden(ch))
