"""API keys with roles, widget tokens signed by the business, and per-key rate limits.

Widget tokens are `base64url(payload).base64url(hmac_sha256(secret, payload))`, with payload
`{"sub": customer_id, "conv": conversation_id | null, "exp": unix_seconds}`. The business's
back end mints one per customer session; the browser never says anything about CLV or tier.
Keys and tokens are never logged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

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


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def mint_widget_token(
    secret: str, customer_id: str, *, conversation_id: str | None = None, ttl_s: int = 3600,
    now: float | None = None,
) -> str:  # fmt: skip
    if not secret:
        raise Unauthorized("widget tokens need APPEASE_WIDGET_SECRET")
    payload = json.dumps(
        {"sub": customer_id, "conv": conversation_id, "exp": int((now or time.time()) + ttl_s)},
        separators=(",", ":"), sort_keys=True,
    ).encode()  # fmt: skip
    sig = hmac.new(secret.encode(), payload, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(sig)}"


def read_widget_token(secret: str, token: str, *, now: float | None = None) -> TokenClaims:
    """Verify signature and expiry; any fault is the same 401, so tokens cannot be probed."""
    try:
        raw_payload, raw_sig = token.split(".", 1)
        payload = _unb64(raw_payload)
        sig = _unb64(raw_sig)
    except ValueError as exc:
        raise Unauthorized("invalid widget token") from exc
    if not secret:
        raise Unauthorized("widget tokens are not configured")
    expected = hmac.new(secret.encode(), payload, hashlib.sha256).digest()
    if not hmac.compare_digest(sig, expected):
        raise Unauthorized("invalid widget token")
    data = json.loads(payload)
    if int(data["exp"]) < int(now or time.time()):
        raise Unauthorized("widget token expired")
    return TokenClaims(str(data["sub"]), data.get("conv"), int(data["exp"]))


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
