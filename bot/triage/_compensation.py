"""Does the message ask for compensation? A deterministic reading, no model.

Rulebooks such as the tau-bench airline rules pay only when the customer explicitly asks;
`issue.attributes.asked_for_compensation` carries this answer to the policy. Words for money
back in the four reply languages, on the normalised text (look-alike letters folded).
"""

from __future__ import annotations

import re

from bot.text import normalise

__all__ = ["asks_for_compensation"]

_ASKS = re.compile(
    r"\b(compensat\w*|refund\w*|reimburs\w*|voucher\w*|money back|my money|"
    r"compensaci\w*|reembols\w*|indemniza\w*|devoluci[oó]n|"
    r"rembours\w*|d[ée]dommag\w*|indemnis\w*|"
    r"entsch[äa]dig\w*|erstatt\w*|r[üu]ckerstatt\w*|gutschein\w*|geld zur[üu]ck)",
    re.IGNORECASE,
)


def asks_for_compensation(message: str) -> bool:
    """True when the message names compensation, a refund or money back."""
    return bool(_ASKS.search(normalise(message)))
