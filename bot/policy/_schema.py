"""What a policy file may say, validated strictly: a typo in a key is an error, not a default.

A business edits `policies/*.yaml`; `parse_policy` turns the text into a `Policy` or raises a
`PolicyError` naming the file, the key path and, where YAML knows it, the line.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.domain import IssueCategory, OfferKind, Segment, Tier
from bot.errors import PolicyError

__all__ = [
    "AbuseRules",
    "Budget",
    "CategoryRule",
    "FollowupRules",
    "KpiRules",
    "Policy",
    "Rung",
    "SegmentRule",
    "TierRule",
    "TriageRules",
    "parse_policy",
]

Share = Annotated[Decimal, Field(ge=0, le=1)]
Amount = Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]
MONEY_KINDS = frozenset({OfferKind.discount_code, OfferKind.store_credit, OfferKind.refund_partial})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TierRule(_Strict):
    clv_share: Share = Field(description="share of residual CLV this tier may receive")
    max_amount: Amount = Field(description="absolute limit per offer, in the order's currency")
    kinds: list[OfferKind] = Field(min_length=1, description="offer kinds this tier may get")


class SegmentRule(_Strict):
    clv_share: Share | None = None


class Rung(_Strict):
    """One step of a category's ladder; ladders list the cheapest answer first."""

    kind: OfferKind
    min_severity: int = Field(default=1, ge=1, le=3)
    max_severity: int = Field(default=3, ge=1, le=3)


class CategoryRule(_Strict):
    order_share: list[Share] = Field(
        min_length=3, max_length=3, description="limit as a share of order value, by severity 1-3"
    )
    ladder: list[Rung] = Field(min_length=1)
    escalate_at_severity: int | None = Field(default=None, ge=1, le=3)


class AbuseRules(_Strict):
    window_days: int = Field(default=90, ge=1)
    max_appeasements: int = Field(default=3, ge=0, description="more than this -> escalate")
    max_spend: Amount = Field(default=Decimal(150), description="more than this -> escalate")


class Budget(_Strict):
    daily: Amount | None = None
    monthly: Amount | None = None


class TriageRules(_Strict):
    max_text_severity: int = Field(default=2, ge=1, le=3)
    min_confidence: float = Field(default=0.55, ge=0, le=1)


class FollowupRules(_Strict):
    after_days: int = Field(default=3, ge=0)


class KpiRules(_Strict):
    measurement_window_days: int = Field(default=90, ge=1)
    recontact_window_days: int = Field(default=14, ge=1)


class NoResidualRule(_Strict):
    escalate: bool = True


class Policy(_Strict):
    """A validated policy; `version` is the declared version plus a hash of the content."""

    declared_version: str = Field(alias="version", min_length=1)
    severity_scale: list[Share] = Field(
        min_length=3, max_length=3, description="share of the cap used by severity 1-3"
    )
    tiers: dict[Tier, TierRule]
    segments: dict[Segment, SegmentRule] = Field(default_factory=dict)
    categories: dict[IssueCategory, CategoryRule]
    offer_values: dict[OfferKind, Amount] = Field(default_factory=dict)
    min_amount: Amount = Decimal("1.00")
    abuse: AbuseRules = Field(default_factory=AbuseRules)
    budget: Budget = Field(default_factory=Budget)
    no_residual: NoResidualRule = Field(default_factory=NoResidualRule)
    triage: TriageRules = Field(default_factory=TriageRules)
    followup: FollowupRules = Field(default_factory=FollowupRules)
    kpi: KpiRules = Field(default_factory=KpiRules)
    content_hash: str = Field(default="", exclude=True)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _complete(self) -> Policy:
        missing_tiers = [t.value for t in Tier if t not in self.tiers]
        if missing_tiers:
            raise ValueError(f"tiers: missing {', '.join(missing_tiers)}")
        missing = [c.value for c in IssueCategory if c not in self.categories]
        if missing:
            raise ValueError(f"categories: missing {', '.join(missing)}")
        if (
            OfferKind.free_shipping in {r.kind for c in self.categories.values() for r in c.ladder}
            and OfferKind.free_shipping not in self.offer_values
        ):
            raise ValueError("offer_values.free_shipping: needed because a ladder offers it")
        return self

    @property
    def version(self) -> str:
        return f"{self.declared_version}+{self.content_hash}"


def _line_of(text: str, path: tuple[Any, ...]) -> int | None:
    """The 1-based line of a key path in YAML text, where the path exists."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return None
    line = None
    for part in path:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if k.value == str(part)), None)
            if match is None:
                break
            line = match[0].start_mark.line + 1
            node = match[1]
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def parse_policy(text: str, source: str = "<string>") -> Policy:
    """Validate policy text; errors name `source:key.path (line N)`."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise PolicyError(f"{source}{where}", f"not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise PolicyError(source, "a policy is a mapping of keys (version, tiers, categories, ...)")
    normalized = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
    digest = hashlib.sha256(normalized.encode()).hexdigest()[:12]
    try:
        return Policy.model_validate({**data, "content_hash": digest})
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        key = ".".join(str(p) for p in loc) or "(root)"
        line = _line_of(text, loc)
        where = f" (line {line})" if line else ""
        raise PolicyError(f"{source}:{key}{where}", err["msg"]) from exc
