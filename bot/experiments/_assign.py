"""Sticky assignment: a customer lands in the same arm on every ticket and every channel.

The arm is a pure function of the customer id, the experiment's salt and the traffic shares:
SHA-256 of `salt:customer_id` read as a number in [0, 1), then the arm whose cumulative share
interval holds it. No state, no clock, no randomness: any worker, any process, same answer. A new
salt reshuffles everyone, so two experiments in a row do not reuse one split.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from decimal import Decimal

__all__ = ["assign_arm", "unit_interval"]

_SCALE = float(2**64)


def unit_interval(customer_id: str, salt: str) -> float:
    """Where the customer falls in [0, 1) for this salt: uniform over customers."""
    digest = hashlib.sha256(f"{salt}:{customer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / _SCALE


def assign_arm(customer_id: str, salt: str, shares: Sequence[tuple[str, Decimal | float]]) -> str:
    """The arm for a customer: `shares` are (arm, share) pairs whose shares sum to 1."""
    if not shares:
        raise ValueError("an experiment needs at least one arm")
    u = unit_interval(customer_id, salt)
    total = float(sum(float(s) for _, s in shares))
    edge = 0.0
    for name, share in shares:
        edge += float(share) / total
        if u < edge:
            return name
    return shares[-1][0]  # u within rounding of 1.0
