"""Request limits that depend on settings: the longest customer message any channel accepts,
and the per-key rate limits, shared through Redis when `APPEASE_REDIS_URL` is set.

The schemas carry a fixed ceiling (20,000 characters); `APPEASE_MAX_MESSAGE_CHARS` lowers it.
A message over the limit is refused whole with a 422 naming the field, never truncated, so
what an accepted request stores is exactly what the customer wrote.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any, Protocol

from bot.api._security import RateLimiter
from bot.config import Settings
from bot.errors import InputError
from bot.triage import check_message as readable_text

__all__ = ["Limiter", "RedisRateLimiter", "check_message", "make_limiter"]

log = logging.getLogger(__name__)


class Limiter(Protocol):
    def take(self, key: str, now: float | None = None) -> float | None:
        """None if allowed, else seconds to wait."""
        ...


# One token bucket per key, updated atomically in Redis on Redis's clock, so every worker and
# node takes from the same bucket. Floats go back as text (Lua numbers become integers).
_BUCKET = """
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local b = redis.call('HMGET', KEYS[1], 'tokens', 'last')
local tokens = tonumber(b[1]) or capacity
local last = tonumber(b[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - last) * rate)
local wait = -1
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'last', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / rate) + 60)
return tostring(wait)
"""


class RedisRateLimiter:
    """The in-process token bucket's rule, kept in Redis for all workers and nodes.

    Keys are stored hashed (an API key is a secret). If Redis cannot be reached the request is
    limited by this process's own bucket and a warning logged: degraded, never unlimited.
    """

    def __init__(self, url: str, per_minute: int, name: str) -> None:
        import redis

        self.rate = per_minute / 60.0
        self.capacity = float(max(per_minute, 1))
        self.name = name
        self._client: Any = redis.Redis.from_url(
            url, socket_timeout=0.5, socket_connect_timeout=0.5
        )
        self._script: Any = self._client.register_script(_BUCKET)
        self._local = RateLimiter(per_minute)

    def take(self, key: str, now: float | None = None) -> float | None:
        import redis

        digest = hashlib.sha256(key.encode()).hexdigest()[:24]
        try:
            raw = self._script(
                keys=[f"appease:rl:{self.name}:{digest}"],
                args=[repr(self.rate), repr(self.capacity)],
            )
        except redis.RedisError as exc:
            log.warning("rate limit: Redis unavailable (%s); limiting per process", exc)
            return self._local.take(key, now)
        wait = float(raw)
        return None if wait < 0 else wait


def make_limiter(settings: Settings, per_minute: int, name: str) -> Limiter:
    """Shared through Redis when `APPEASE_REDIS_URL` is set, per process otherwise."""
    if settings.redis_url:
        return RedisRateLimiter(settings.redis_url, per_minute, name)
    return RateLimiter(per_minute)


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
