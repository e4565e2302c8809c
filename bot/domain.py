"""Values shared by every layer: what comes in (a case, a ticket), what goes out (a decision).

These pydantic models are the vocabulary of the pipeline and of the CLI and HTTP contracts in
ARCHITECTURE.md. They hold no behaviour beyond validation, and money is always `Decimal` plus a
currency code, never `float`.
"""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    WithJsonSchema,
    field_validator,
)

__all__ = [
    "MAX_MONEY",
    "MINOR_UNITS",
    "AttributeValue",
    "Attributes",
    "Basis",
    "Case",
    "CaseCustomer",
    "CustomerScore",
    "GuardResult",
    "Issue",
    "IssueCategory",
    "Offer",
    "OfferDecision",
    "OfferKind",
    "Order",
    "PolicyCategory",
    "Reply",
    "Segment",
    "Severity",
    "Ticket",
    "Tier",
    "TriageResult",
    "Violation",
    "category_of",
    "minor_unit",
    "round_down",
]


class IssueCategory(StrEnum):
    """What went wrong; the policy has rules per category."""

    late_delivery = "late_delivery"
    damaged_item = "damaged_item"
    wrong_item = "wrong_item"
    missing_item = "missing_item"
    billing_error = "billing_error"
    service_outage = "service_outage"
    poor_service = "poor_service"
    other = "other"


class PolicyCategory(str):
    """A category a policy declares beyond the retail eight (`flight_cancelled`).

    A plain string with the enum's `.value`, so code written for `IssueCategory` reads both.
    """

    __slots__ = ()

    @property
    def value(self) -> str:
        return str(self)


_CATEGORY_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")  # the store keeps 40 characters


def category_of(name: str) -> IssueCategory | PolicyCategory:
    """The retail category of that name, or a policy's own (validated as snake_case)."""
    if isinstance(name, IssueCategory | PolicyCategory):
        return name
    if name in IssueCategory.__members__:
        return IssueCategory(name)
    if not isinstance(name, str) or not _CATEGORY_NAME.match(name):
        raise ValueError(
            "a category is a snake_case name (one of "
            + ", ".join(c.value for c in IssueCategory)
            + ", or one the policy declares)"
        )
    return PolicyCategory(name)


def _category(value: object) -> IssueCategory | PolicyCategory:
    if not isinstance(value, str):
        raise ValueError("a category is a text name")
    return category_of(value)


Category = Annotated[
    IssueCategory | PolicyCategory,
    PlainValidator(_category),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "pattern": _CATEGORY_NAME.pattern}),
]


class OfferKind(StrEnum):
    """Kinds of goodwill. Order here is not cost order: the policy ranks them."""

    none = "none"
    apology_only = "apology_only"
    discount_code = "discount_code"
    free_shipping = "free_shipping"
    store_credit = "store_credit"
    refund_partial = "refund_partial"
    refund_full = "refund_full"
    replacement = "replacement"


class Tier(StrEnum):
    """Value tiers by CLV quantile, lowest first."""

    bronze = "bronze"
    silver = "silver"
    gold = "gold"
    platinum = "platinum"


class Segment(StrEnum):
    """RFM segments (rules in bot.scoring); values are snake_case, `label` is for people."""

    champions = "champions"
    loyal = "loyal"
    potential_loyalists = "potential_loyalists"
    new = "new"
    at_risk = "at_risk"
    cant_lose_them = "cant_lose_them"
    hibernating = "hibernating"
    lost = "lost"

    @property
    def label(self) -> str:
        return _SEGMENT_LABELS[self]


_SEGMENT_LABELS = {
    Segment.champions: "Champions",
    Segment.loyal: "Loyal",
    Segment.potential_loyalists: "Potential loyalists",
    Segment.new: "New",
    Segment.at_risk: "At risk",
    Segment.cant_lose_them: "Can't lose them",
    Segment.hibernating: "Hibernating",
    Segment.lost: "Lost",
}

Severity = Annotated[int, Field(ge=1, le=3)]

# ISO 4217 minor units for currencies that do not use two decimals. Kept here, not looked up in
# Babel, so the money core needs no locale data; Babel formats money at the edges.
MINOR_UNITS: dict[str, int] = {
    "JPY": 0,
    "KRW": 0,
    "VND": 0,
    "CLP": 0,
    "ISK": 0,
    "HUF": 2,
    "TWD": 2,
    "BHD": 3,
    "KWD": 3,
    "OMR": 3,
    "JOD": 3,
    "TND": 3,
    "IQD": 3,
    "LYD": 3,
}


def minor_unit(currency: str) -> Decimal:
    """The smallest amount of `currency` (0.01 for USD, 1 for JPY)."""
    return Decimal(1).scaleb(-MINOR_UNITS.get(currency.upper(), 2))


def round_down(amount: Decimal, currency: str) -> Decimal:
    """Round toward zero to the minor unit: rounding can never lift an amount over a cap."""
    return amount.quantize(minor_unit(currency), rounding=ROUND_DOWN)


# The most money one amount may be: what the store's Numeric(14, 2) columns hold. Beyond it
# an amount is not money this system can record, and Decimal rounding of it overflows.
MAX_MONEY = Decimal("999999999999.99")


def _storable(amount: Decimal) -> Decimal:
    # A validator, not `ge`/`le` on the alias: a field's own `ge=0` would override those.
    if amount.copy_abs() > MAX_MONEY:  # copy_abs: no context, so 1E+999999999 cannot overflow
        raise ValueError(f"more than {MAX_MONEY}: not an amount appease can hold")
    return amount


_Money = Annotated[Decimal, Field(allow_inf_nan=False), AfterValidator(_storable)]
_Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# What a business knows of a case beyond our fields (membership, cabin, distance_km): a flat
# JSON object a policy's rules read. Strict types: "3" stays text, true stays a boolean.
AttributeValue = (
    StrictBool
    | StrictInt
    | Annotated[StrictFloat, Field(allow_inf_nan=False)]
    | Annotated[StrictStr, Field(max_length=500)]
)
Attributes = Annotated[
    dict[Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")], AttributeValue],
    Field(max_length=100),
]


class CaseCustomer(_Model):
    """What the policy knows of a customer: a score, never their words."""

    id: str = Field(min_length=1, max_length=200)
    clv: _Money
    residual_clv: _Money
    tier: Tier
    segment: Segment
    appeasements_90d: int = Field(default=0, ge=0)
    appeasement_spend_90d: _Money = Field(default=Decimal(0), ge=0)
    attributes: Attributes = Field(default_factory=dict)


class Order(_Model):
    id: str = Field(min_length=1, max_length=200)
    value: _Money = Field(ge=0)
    currency: _Currency = "USD"
    attributes: Attributes = Field(default_factory=dict)

    @field_validator("currency", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


class Issue(_Model):
    category: Category
    severity: Severity = 1
    attributes: Attributes = Field(default_factory=dict)


class Case(_Model):
    """The input of `decide`: who, what order, what went wrong."""

    customer: CaseCustomer
    order: Order
    issue: Issue


# goodwill: what the business chooses to give (capped by CLV, tier, order, budget);
# entitlement: what law or contract says is owed (never capped, never refused for a budget).
Basis = Literal["goodwill", "entitlement"]


class Offer(_Model):
    kind: OfferKind
    amount: _Money = Field(default=Decimal(0), ge=0)
    currency: _Currency = "USD"
    basis: Basis = "goodwill"


class OfferDecision(_Model):
    """The policy's answer. `amount` is the money value of the offer; it never exceeds `cap`."""

    offer: Offer
    cap: _Money = Field(ge=0)
    escalate: bool = False
    reasons: list[str] = Field(default_factory=list)
    policy_version: str


class Violation(_Model):
    """One thing a draft says that the decision did not authorize."""

    kind: Literal[
        "amount", "percentage", "offer_kind", "commitment", "internal_data", "instruction_leak"
    ]
    text: str


class GuardResult(_Model):
    ok: bool
    violations: list[Violation] = Field(default_factory=list)


class Reply(_Model):
    """The text a customer sees, where it came from and what the guard said of it."""

    text: str
    source: Literal["llm", "template"]
    guard: GuardResult


class TriageResult(_Model):
    """What triage read from a raw message; severity is already bounded by policy."""

    category: Category
    severity: Severity
    sentiment: float = Field(ge=0, le=100, description="perception scale 0-100")
    language: str
    order_refs: list[str] = Field(default_factory=list)
    wants_human: bool = False
    instructions: bool = Field(
        default=False, description="the text talks to the bot (rules, roles, data): a person looks"
    )
    confidence: dict[str, float] = Field(default_factory=dict)


class Ticket(_Model):
    """A case plus the customer's own words; `issue` may be absent, triage then reads it."""

    customer: CaseCustomer
    order: Order
    issue: Issue | None = None
    message: str = Field(default="", max_length=20_000)


class CustomerScore(_Model):
    """One customer's scores, as `appease clv score` writes them. Time unit: the summary's."""

    customer_id: str
    frequency: float
    recency: float
    T: float
    monetary_value: float
    p_alive: float = Field(ge=0, le=1)
    expected_purchases: float = Field(ge=0)
    clv: float = Field(ge=0)
    tier: Tier
    segment: Segment
