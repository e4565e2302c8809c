"""Plain rows the KPI maths reads: one `TicketRecord` per ticket, already joined.

`bot.kpi._query` builds these from the store; tests build them by hand. Keeping the maths on
plain frozen dataclasses means every KPI can be checked against a hand-computed fixture without
a database, and the store's schema can change without touching a formula.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

__all__ = [
    "NEW_DATA_REASONS",
    "ModelCall",
    "OfferRecord",
    "PerceptionReading",
    "PerceptionSource",
    "Snapshot",
    "TicketRecord",
]

PerceptionSource = Literal["survey", "simulated", "estimated"]

# Snapshot reasons that mean "new transactions arrived": such a rescore counts as the
# post-issue CLV even before the measurement window has passed.
NEW_DATA_REASONS = frozenset({"transactions", "new_transactions", "import", "purchase"})


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One CLV score of a customer at a moment, for a reason (`ticket`, `rescore`, ...)."""

    clv: Decimal
    taken_at: datetime
    reason: str = "rescore"
    residual_clv: Decimal | None = None


@dataclass(frozen=True, slots=True)
class PerceptionReading:
    """A 0-100 perception score and where it came from (a survey, the demo, or sentiment)."""

    score: float
    source: PerceptionSource


@dataclass(frozen=True, slots=True)
class OfferRecord:
    """The ledger row of a ticket's offer. `status`: proposed, sent, accepted or declined."""

    kind: str
    amount: Decimal
    currency: str
    status: str
    basis: str = "goodwill"  # or "entitlement": owed by law or contract, counted apart


@dataclass(frozen=True, slots=True)
class ModelCall:
    """The model usage of one drafted reply: who answered, how many requests (retries after a
    guard rejection included), tokens used and the time spent waiting for the model."""

    provider: str
    tokens: int
    latency_ms: float
    calls: int = 1


@dataclass(frozen=True, slots=True)
class TicketRecord:
    """Everything the KPIs need about one ticket.

    `later_snapshots` are the customer's scores taken after the ticket was opened (the KPI picks
    the post-issue one); `next_contact_at` is when the same customer next opened a ticket, on any
    channel or category, so recontact does not depend on the filters in force.
    """

    ticket_id: str
    customer_id: str
    created_at: datetime
    channel: str
    category: str
    currency: str = "USD"
    severity: int = 1
    status: str = "resolved"
    tier: str | None = None
    segment: str | None = None
    policy_version: str | None = None
    clv_at_issue: Decimal | None = None
    residual_clv_at_issue: Decimal | None = None
    later_snapshots: tuple[Snapshot, ...] = ()
    offer: OfferRecord | None = None
    escalated: bool = False
    human_handled: bool = False
    guard_rejections: int = 0
    template_fallback: bool = False
    quality_rejections: int = 0
    model_text: bool = False
    model_calls: tuple[ModelCall, ...] = ()
    first_response_at: datetime | None = None
    next_contact_at: datetime | None = None
    perception_pre: PerceptionReading | None = None
    perception_post: PerceptionReading | None = None
