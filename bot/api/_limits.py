"""Request limits that depend on settings: the longest customer message any channel accepts.

The schemas carry a fixed ceiling (20,000 characters); `APPEASE_MAX_MESSAGE_CHARS` lowers it.
A message over the limit is refused whole with a 422 naming the field, never truncated, so
what an accepted request stores is exactly what the customer wrote.
"""

from __future__ import annotations

from bot.config import Settings
from bot.errors import InputError

__all__ = ["check_message"]


def check_message(settings: Settings, text: str, field: str = "body.message") -> None:
    """Raise `InputError(field)` (HTTP 422) if `text` is longer than the configured limit."""
    limit = settings.max_message_chars
    if len(text) > limit:
        raise InputError(field, f"at most {limit} characters (got {len(text)})")
