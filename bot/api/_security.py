"""API keys with roles, widget tokens signed by the business, and per-key rate limits.

Widget tokens are itsdangerous `URLSafeSerializer` values (HMAC-SHA256, salt
`appease.widget`) of `{"sub": customer_id, "conv": conversation_id | null, "exp":
unix_seconds}`. The business's back end mints one per customer session with
`mint_widget_token`; the browser never says anything about CLV or tier.
Keys and tokens are never logged.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer

from bot.errors import Forbidden, NotFound, Unauthorized

__all__ = ["Principal", "RateLimiter", "TokenClaims", "mint_widget_token", "read_widget_token"]


@dataclass(frozen=True)
class Principal:
    """Who is calling: a role from APPEASE_API_KEYS, with a non-secret label for logs."""

    role: str
    label: str

    def require(self, *roles: str) -> None:
        if self.role not in roles and self.role != "admin":
            raise Forbidden(f"role {self.role!r} may not do this (needs {' or '.join(roles)})")


@dataclass(frozen=True)
class TokenClaims:
    customer_id: str
    conversation_id: str | None
    expires_at: int


def _signer(secret: str) -> URLSafeSerializer:
    """itsdangerous signs and verifies (HMAC-SHA256, constant-time compare); the salt keeps a
    widget token from verifying as any other signed value made with the same secret."""
    return URLSafeSerializer(
        secret, salt="appease.widget", signer_kwargs={"digest_method": hashlib.sha256}
    )


def mint_widget_token(
    secret: str,
    customer_id: str,
    *,
    conversation_id: str | None = None,
    ttl_s: int = 3600,
    now: float | None = None,
) -> str:
    """A token your back end gives the signed-in customer's browser: who, which conversation
    (None: may open one), until when."""
    if not secret:
        raise Unauthorized("widget tokens need APPEASE_WIDGET_SECRET")
    claims = {"sub": customer_id, "conv": conversation_id, "exp": int((now or time.time()) + ttl_s)}
    return str(_signer(secret).dumps(claims))


def read_widget_token(secret: str, token: str, *, now: float | None = None) -> TokenClaims:
    """Verify signature and expiry; any fault is the same 401, so tokens cannot be probed."""
    if not secret:
        raise Unauthorized("widget tokens are not configured")
    try:
        data = _signer(secret).loads(token)
        claims = TokenClaims(str(data["sub"]), data.get("conv"), int(data["exp"]))
    except (BadSignature, KeyError, TypeError, ValueError) as exc:
        raise Unauthorized("invalid widget token") from exc
    if claims.expires_at < int(now or time.time()):
        raise Unauthorized("widget token expired")
    return claims


def check_conversation(claims: TokenClaims, conversation_id: str) -> None:
    """A token scoped to one conversation opens that one only: 404 for any other, no data."""
    if claims.conversation_id is not None and claims.conversation_id != conversation_id:
        raise NotFound("no such conversation")


class RateLimiter:
    """Token buckets per key, in process: limits are per API worker (documented).

    Bounded: past `max_keys` buckets (one per chat session, so unbounded over a process's
    life) the least recently used is forgotten; a forgotten key starts full again, which is
    what an idle key's bucket would have refilled to anyway.
    """

    def __init__(self, per_minute: int, *, max_keys: int = 100_000) -> None:
        self.rate = per_minute / 60.0
        self.capacity = float(max(per_minute, 1))
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, key: str, now: float | None = None) -> float | None:
        """None if allowed, else seconds to wait."""
        t = now if now is not None else time.monotonic()
        with self._lock:
            tokens, last = self._buckets.pop(key, (self.capacity, t))
            while len(self._buckets) >= self.max_keys:
                self._buckets.popitem(last=False)
            tokens = min(self.capacity, tokens + (t - last) * self.rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, t)
                return None
            self._buckets[key] = (tokens, t)
            return (1 - tokens) / self.rate if self.rate > 0 else 60.0
