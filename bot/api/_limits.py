"""Request limits that depend on settings: the longest customer message any channel accepts.

The schemas carry a fixed ceiling (20,000 characters); `APPEASE_MAX_MESSAGE_CHARS` lowers it.
A message over the limit is refused whole with a 422 naming the field, never truncated, so
what an accepted request stores is exactly what the customer wrote.
"""

from __future__ import annotations

from bot.config import Settings
from bot.errors import InputError
from bot.triage import check_message as readable_text

__all__ = ["check_message"]


def check_message(settings: Settings, text: str, field: str = "body.message") -> None:
    """Raise `InputError(field)` (HTTP 422) if `text` is longer than the configured limit, or
    is not text triage can read (binary, or nothing left once invisible characters go).

    Both are checked here, before the ticket and its message are stored: a request refused
    with a 422 leaves nothing behind (no failed ticket, no half a conversation).
    """
    limit = settings.max_message_chars
    if len(text) > limit:
        raise InputError(field, f"at most {limit} characters (got {len(text)})")
    if text.strip():  # an empty message is allowed: the issue then comes from the request
        try:
            readable_text(text)
        except InputError as exc:
            raise InputError(field, exc.problem) from exc
