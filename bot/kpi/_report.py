"""The KPI report's shape: filters in, `KpiReport` out. `model_dump(mode="json")` is the contract.

`GET /v1/kpi` returns this JSON, the dashboard and the HTML report draw it, and `--csv` writes its
tables. Percentages and points are floats rounded to 0.01; money is `Decimal` plus currency
(strings in JSON, so no cent is lost to binary floats). Every figure carries the ticket ids behind
it, so a support lead can drill down from a number to the tickets.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.domain import IssueCategory, Segment, Tier
from bot.errors import InputError
from bot.experiments import ExperimentAnalysis

__all__ = [
    "Breakdown",
    "ClvBand",
    "ClvCustomer",
    "ClvPostIssue",
    "Escalations",
    "ExperimentOutcome",
    "FirstResponse",
    "Goodwill",
    "GuardStats",
    "KpiFilters",
    "KpiReport",
    "KpiWindows",
    "ModelUsage",
    "Money",
    "OfferStats",
    "PerceptionBand",
    "PerceptionChange",
    "PerceptionGroup",
    "Rate",
    "RepeatClaimant",
    "RootCauses",
    "SpendRow",
    "TicketKpi",
]

ClvBand = Literal["strong", "moderate", "act_now"]
PerceptionBand = Literal["strong", "moderate", "urgent"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KpiFilters(_Model):
    """Which tickets the KPIs cover. Every field is optional; dates are inclusive, in UTC.

    Tier and segment are the customer's at the time of the issue (the snapshot taken with the
    ticket), so a later rescore does not move a ticket between groups.
    """

    date_from: date | None = None
    date_to: date | None = None
    tier: Tier | None = None
    segment: Segment | None = None
    category: IssueCategory | None = None
    channel: str | None = Field(default=None, min_length=1, max_length=100)
    policy_version: str | None = Field(default=None, min_length=1, max_length=200)

    @model_validator(mode="after")
    def _ordered(self) -> KpiFilters:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError("date_from is after date_to")
        return self

    @classmethod
    def from_query(cls, params: Mapping[str, str | None]) -> KpiFilters:
        """Parse query parameters (or CLI options); empty values mean no filter.

        Raises `InputError` naming the parameter: an unknown one, or a value that does not parse.
        """
        cleaned = {k: v for k, v in params.items() if v not in (None, "")}
        try:
            return cls.model_validate(cleaned)
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"]) or "date_from"
            raise InputError(field, err["msg"]) from exc

    def describe(self) -> str:
        """A short human label: `tier=gold, 2024-01-01..2024-03-31`, or `all tickets`."""
        parts = [
            f"{name}={value}"
            for name, value in self.model_dump(mode="json").items()
            if value is not None and name not in ("date_from", "date_to")
        ]
        if self.date_from or self.date_to:
            parts.insert(0, f"{self.date_from or '…'}..{self.date_to or '…'}")
        return ", ".join(parts) or "all tickets"


class KpiWindows(_Model):
    """The policy's measurement settings (`policy.kpi`): when CLV is re-measured, recontact window.

    `positive_threshold` is the perception score (0-100) at or above which a customer counts as
    positive after resolution.
    """

    measurement_window_days: int = Field(default=90, ge=0)
    recontact_window_days: int = Field(default=14, ge=0)
    positive_threshold: float = Field(default=60.0, ge=0, le=100)

    @classmethod
    def from_policy(cls, policy: object) -> KpiWindows:
        """Read `policy.kpi` (any object with those attribute names); defaults where absent."""
        section = getattr(policy, "kpi", None)
        if section is None:
            return cls()
        values = {
            name: getattr(section, name)
            for name in cls.model_fields
            if getattr(section, name, None) is not None
        }
        return cls.model_validate(values)


class Money(_Model):
    amount: Decimal
    currency: str


class Rate(_Model):
    """`count` of `n` tickets, as a percentage (None when `n` is 0), and which tickets."""

    count: int
    n: int
    pct: float | None
    ticket_ids: list[str] = Field(default_factory=list)


class ClvCustomer(_Model):
    customer_id: str
    pct: float
    band: ClvBand
    ticket_ids: list[str]


class ClvPostIssue(_Model):
    """CLV after resolution as a % of CLV at the issue. `value`: median of per-customer ratios."""

    value: float | None
    band: ClvBand | None
    n: int = Field(description="customers measured")
    tickets_measured: int
    ratio_of_sums_pct: float | None
    mean_pct: float | None = Field(default=None, description="mean of per-customer ratios")
    pending: int = Field(description="tickets still inside the measurement window")
    excluded: int = Field(description="tickets without a usable CLV at the issue (none or zero)")
    bands: dict[str, int] = Field(description="customers per band")
    customers: list[ClvCustomer]
    ticket_ids: list[str]


class PerceptionGroup(_Model):
    """Perception figures from one source of scores (survey, simulated or estimated)."""

    value: float | None = Field(description="mean post − mean pre, points on 0-100")
    band: PerceptionBand | None
    n: int = Field(description="tickets with a pre and a post score")
    customers: int
    mean_pre: float | None
    mean_post: float | None
    positive_share_pct: float | None
    ticket_ids: list[str]


class PerceptionChange(_Model):
    """The headline comes from the best source present: surveys, else simulated, else estimated."""

    value: float | None
    band: PerceptionBand | None
    n: int
    source: Literal["survey", "simulated", "estimated"] | None
    positive_threshold: float
    mean_pre: float | None
    mean_post: float | None
    positive_share_pct: float | None
    by_source: dict[str, PerceptionGroup]
    ticket_ids: list[str]


class SpendRow(_Model):
    """Goodwill spent in one group and currency, and its share of the CLV at the issue."""

    key: str
    currency: str
    tickets: int
    spend: Decimal
    clv: Decimal
    residual_clv: Decimal
    share_of_clv_pct: float | None = Field(description="sum of spend / sum of CLV at the issue")
    share_of_residual_clv_pct: float | None
    ticket_ids: list[str]


class OfferStats(_Model):
    by_status: dict[str, int]
    by_kind: dict[str, int]
    acceptance: Rate = Field(description="accepted of offers answered (accepted or declined)")
    awaiting_answer: int


class Escalations(_Model):
    count: int
    rate_pct: float | None
    ticket_ids: list[str]


class GuardStats(_Model):
    """The promise guard and the reply-quality gate: what they refused, what the model wrote."""

    rejections: int
    tickets_with_rejection: Rate
    template_fallbacks: Rate
    quality_rejections: int = 0
    tickets_with_quality_rejection: Rate | None = None
    model_written: Rate | None = None


class ModelUsage(_Model):
    """Model requests (retries included), tokens, and latency per drafted reply."""

    calls: int
    tokens_total: int
    tokens_per_ticket: float | None
    latency_ms_mean: float | None
    latency_ms_p95: float | None
    by_provider: dict[str, int]


class FirstResponse(_Model):
    n: int
    mean_s: float | None
    median_s: float | None
    p95_s: float | None


class Goodwill(_Model):
    spend: list[Money] = Field(description="total per currency (offers sent or accepted)")
    entitlements: list[Money] = Field(
        default_factory=list,
        description="owed by law or contract (policy rules of kind entitlement), not goodwill",
    )
    by_tier: list[SpendRow]
    by_segment: list[SpendRow]
    offers: OfferStats
    recontact: Rate
    automation: Rate
    escalations: Escalations
    guard: GuardStats
    model: ModelUsage
    first_response: FirstResponse


class Breakdown(_Model):
    """The KPIs of one group of tickets (a category, a channel)."""

    key: str
    tickets: int
    share_pct: float
    spend: list[Money]
    clv_post_issue_pct: float | None
    perception_change: float | None
    escalation_rate_pct: float | None
    recontact_rate_pct: float | None
    recurring: int = Field(description="tickets from a customer who already had one like it")
    ticket_ids: list[str]


class RepeatClaimant(_Model):
    customer_id: str
    tickets: int
    categories: list[str]
    spend: list[Money]
    ticket_ids: list[str]


class RootCauses(_Model):
    by_category: list[Breakdown]
    top_recurring: list[Breakdown]
    repeat_claimants: list[RepeatClaimant]


class TicketKpi(_Model):
    """One ticket's own figures: the drill-down row behind every aggregate."""

    ticket_id: str
    customer_id: str
    created_at: datetime
    channel: str
    category: str
    severity: int
    tier: str | None
    segment: str | None
    policy_version: str | None
    offer_kind: str | None
    offer_amount: Decimal | None
    offer_currency: str | None
    offer_status: str | None
    clv_at_issue: Decimal | None
    clv_after: Decimal | None
    clv_post_issue_pct: float | None
    perception_pre: float | None
    perception_post: float | None
    perception_source: str | None
    recontacted: bool
    automated: bool
    escalated: bool
    guard_rejections: int
    template_fallback: bool
    tokens: int
    latency_ms: float | None
    first_response_s: float | None


class ExperimentOutcome(_Model):
    """One exposed ticket's outcome: the row `appease experiment analyze` reads back as CSV."""

    experiment: str
    arm: str
    ticket_id: str
    customer_id: str
    clv_at_issue: Decimal | None
    clv_after: Decimal | None
    spend: Decimal
    currency: str = Field(
        description="of spend and CLV: the ledger's base currency (goodwill at the offer's rate)"
    )
    retained: bool | None
    perception_pre: float | None
    perception_post: float | None


class KpiReport(_Model):
    generated_at: datetime
    filters: KpiFilters
    windows: KpiWindows
    tickets: int
    clv_post_issue: ClvPostIssue
    perception_change: PerceptionChange
    goodwill: Goodwill
    root_causes: RootCauses
    by_channel: list[Breakdown]
    rows: list[TicketKpi]
    experiments: list[ExperimentAnalysis] = Field(
        default_factory=list, description="policy experiments: each arm against its control"
    )
    experiment_outcomes: list[ExperimentOutcome] = Field(default_factory=list)
