"""What a policy file may say, validated strictly: a typo in a key is an error, not a default.

A business edits `policies/*.yaml`; `parse_policy` turns the text into a `Policy` or raises a
`PolicyError` naming the file, the key path and, where YAML knows it, the line. Rules that
would let the engine break a money invariant (a refund for a low tier, a ladder rung that can
never apply, a fixed-value offer without a value) are refused here, so `decide` never meets them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from enum import Enum
from functools import cached_property
from itertools import pairwise
from typing import Annotated, Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.domain import MAX_MONEY, IssueCategory, OfferKind, Segment, Tier
from bot.errors import PolicyError
from bot.policy._rules import Rule, RuleError, compile_rules, rule_warnings

__all__ = [
    "FIXED_VALUE_KINDS",
    "MONEY_KINDS",
    "NO_MONEY_KINDS",
    "ORDER_VALUE_KINDS",
    "REFUND_KINDS",
    "AbuseRules",
    "Budget",
    "CategoryRule",
    "FollowupRules",
    "KpiRules",
    "NoResidualRule",
    "Policy",
    "Rung",
    "SegmentRule",
    "TierRule",
    "TriageRules",
    "parse_policy",
]

Share = Annotated[Decimal, Field(ge=0, le=1, allow_inf_nan=False)]
Amount = Annotated[Decimal, Field(ge=0, le=MAX_MONEY, allow_inf_nan=False)]

# Offers whose amount the engine computes as a share of the cap (scaled by severity).
MONEY_KINDS = frozenset({OfferKind.discount_code, OfferKind.store_credit, OfferKind.refund_partial})
# Offers worth a fixed value the policy states (`offer_values`).
FIXED_VALUE_KINDS = frozenset({OfferKind.free_shipping})
# Offers worth the order's value.
ORDER_VALUE_KINDS = frozenset({OfferKind.replacement, OfferKind.refund_full})
NO_MONEY_KINDS = frozenset({OfferKind.none, OfferKind.apology_only})
REFUND_KINDS = frozenset({OfferKind.refund_partial, OfferKind.refund_full})
_TIER_RANK = {t: i for i, t in enumerate(Tier)}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TierRule(_Strict):
    clv_share: Share = Field(description="share of residual CLV this tier may receive")
    max_amount: Amount = Field(description="absolute limit per offer, in the order's currency")
    kinds: list[OfferKind] = Field(min_length=1, description="offer kinds this tier may get")

    @field_validator("kinds")
    @classmethod
    def _no_duplicates(cls, kinds: list[OfferKind]) -> list[OfferKind]:
        dup = sorted({k.value for k in kinds if kinds.count(k) > 1})
        if dup:
            raise ValueError(f"listed twice: {', '.join(dup)}")
        return kinds


class SegmentRule(_Strict):
    clv_share: Share | None = None


class Rung(_Strict):
    """One step of a category's ladder; ladders list the cheapest answer first."""

    kind: OfferKind
    min_severity: int = Field(default=1, ge=1, le=3)
    max_severity: int = Field(default=3, ge=1, le=3)

    @model_validator(mode="after")
    def _range(self) -> Rung:
        if self.min_severity > self.max_severity:
            raise ValueError(
                f"min_severity {self.min_severity} is above max_severity {self.max_severity}: "
                "this rung could never apply"
            )
        return self


class CategoryRule(_Strict):
    order_share: list[Share] = Field(
        min_length=3, max_length=3, description="limit as a share of order value, by severity 1-3"
    )
    ladder: list[Rung] = Field(min_length=1)
    escalate_at_severity: int | None = Field(default=None, ge=1, le=3)


class AbuseRules(_Strict):
    """Repeat claimants: the caller counts appeasements and spend over `window_days`."""

    window_days: int = Field(default=90, ge=1)
    max_appeasements: int = Field(default=3, ge=0, description="more than this -> escalate")
    max_spend: Amount = Field(default=Decimal(150), description="more than this -> escalate")


class Budget(_Strict):
    """Goodwill budgets per calendar day and month; the caller says what is already spent."""

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


_OPTIONAL_SECTIONS = frozenset(
    {
        "segments",
        "offer_values",
        "abuse",
        "budget",
        "no_residual",
        "triage",
        "followup",
        "kpi",
        "rules",
        "issue_categories",
    }
)
_RETAIL = frozenset(c.value for c in IssueCategory)
_CATEGORY_NAME = r"^[a-z][a-z0-9_]{0,39}$"
# Sections a rulebook added; left out of the version hash when empty, so a policy without
# rules keeps the version it had before rules existed.
_RULEBOOK_DEFAULTS: dict[str, Any] = {"currency": None, "issue_categories": {}, "rules": []}


class Policy(_Strict):
    """A validated policy; `version` is the declared version plus a hash of the content."""

    declared_version: str = Field(alias="version", min_length=1, max_length=100)
    severity_scale: Annotated[list[Share], Field(min_length=3, max_length=3)] | None = Field(
        default=None, description="share of the cap used by severity 1-3"
    )
    tiers: dict[Tier, TierRule] = Field(default_factory=dict)
    refunds_from_tier: Tier = Field(
        default=Tier.gold, description="lowest tier that may get a refund; below it, none"
    )
    segments: dict[Segment, SegmentRule] = Field(default_factory=dict)
    categories: dict[str, CategoryRule] = Field(default_factory=dict)
    offer_values: dict[OfferKind, Amount] = Field(default_factory=dict)
    min_amount: Amount = Decimal("1.00")
    abuse: AbuseRules = Field(default_factory=AbuseRules)
    budget: Budget = Field(default_factory=Budget)
    no_residual: NoResidualRule = Field(default_factory=NoResidualRule)
    triage: TriageRules = Field(default_factory=TriageRules)
    followup: FollowupRules = Field(default_factory=FollowupRules)
    kpi: KpiRules = Field(default_factory=KpiRules)
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] | None = Field(
        default=None, description="currency of the rules' amounts (None: the order's)"
    )
    issue_categories: dict[Annotated[str, Field(pattern=_CATEGORY_NAME)], str] = Field(
        default_factory=dict, description="the policy's own categories and their plain words"
    )
    rules: list[Any] = Field(default_factory=list, description="the rulebook, first match wins")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    _content_hash: str = PrivateAttr(default="")
    _rules: tuple[Rule, ...] = PrivateAttr(default=())
    _warnings: tuple[str, ...] = PrivateAttr(default=())

    @model_validator(mode="before")
    @classmethod
    def _empty_sections(cls, data: Any) -> Any:
        # `segments:` with nothing under it is YAML null: an empty section, so its defaults.
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not (v is None and k in _OPTIONAL_SECTIONS)}
        return data

    @field_validator("declared_version", mode="before")
    @classmethod
    def _version_text(cls, value: object) -> object:
        # `version: 2026-11-22` unquoted is a YAML date, `version: 3` a number: both mean text.
        if isinstance(value, dt.date | int | float) and not isinstance(value, bool):
            return value.isoformat() if isinstance(value, dt.date) else str(value)
        return value

    @field_validator("severity_scale")
    @classmethod
    def _scale_rises(cls, scale: list[Decimal] | None) -> list[Decimal] | None:
        if scale is not None and any(b < a for a, b in pairwise(scale)):
            raise ValueError("must not fall as severity rises (severity 1, 2, 3)")
        return scale

    @model_validator(mode="after")
    def _complete(self) -> Policy:
        given = self.model_fields_set
        for name, words in self.issue_categories.items():
            if name in _RETAIL:
                raise ValueError(
                    f"issue_categories.{name}: a retail category already; leave it out"
                )
            if not words.strip():
                raise ValueError(f"issue_categories.{name}: say it in plain words (a late flight)")
        rules = compile_rules(self.rules, self.issue_categories)
        for section in ("tiers", "categories", "severity_scale"):
            if not rules and section not in given:
                raise ValueError(f"{section}: Field required")
        goodwill = any(r.kind == "goodwill" and not r.deny for r in rules)
        if goodwill and "tiers" not in given:
            raise ValueError("tiers: Field required (goodwill rules are capped by the tiers)")
        missing_tiers = [t.value for t in Tier if t not in self.tiers]
        if missing_tiers and (not rules or "tiers" in given):
            raise ValueError(f"tiers: missing {', '.join(missing_tiers)}")
        for name in self.categories:
            if name not in _RETAIL and name not in self.issue_categories:
                raise ValueError(
                    f"categories.{name}: not a category: the retail ones are "
                    + ", ".join(repr(c.value) for c in IssueCategory)
                    + "; declare others under issue_categories"
                )
        missing = [c.value for c in IssueCategory if c not in self.categories]
        if missing and not rules:
            raise ValueError(f"categories: missing {', '.join(missing)}")
        ladders = bool(self.categories) or any(
            r.amount is not None and r.amount.mode == "ladder" for r in rules
        )
        if ladders and "tiers" not in given:
            raise ValueError("tiers: Field required (the ladders are capped by the tiers)")
        if ladders and self.severity_scale is None:
            raise ValueError("severity_scale: Field required (the ladders scale the cap by it)")
        for tier, rule in self.tiers.items():
            refunds = sorted(k.value for k in rule.kinds if k in REFUND_KINDS)
            if refunds and _TIER_RANK[tier] < _TIER_RANK[self.refunds_from_tier]:
                raise ValueError(
                    f"tiers.{tier.value}.kinds: {', '.join(refunds)} not allowed below "
                    f"refunds_from_tier ({self.refunds_from_tier.value})"
                )
        for kind in self.offer_values:
            if kind not in FIXED_VALUE_KINDS:
                raise ValueError(
                    f"offer_values.{kind.value}: only fixed-value offers take a value here "
                    f"({', '.join(sorted(k.value for k in FIXED_VALUE_KINDS))}); money offers "
                    "come from the cap, replacements and full refunds from the order"
                )
        laddered = {r.kind for c in self.categories.values() for r in c.ladder}
        for kind in sorted(laddered & FIXED_VALUE_KINDS):
            if kind not in self.offer_values:
                raise ValueError(f"offer_values.{kind.value}: needed because a ladder offers it")
        self._rules = rules
        self._warnings = tuple(rule_warnings(rules))
        self._content_hash = _digest(self)
        return self

    # cached_property: read on every decision, and a private attribute's lookup is slow.
    @cached_property
    def version(self) -> str:
        return f"{self.declared_version}+{self._content_hash}"

    @cached_property
    def compiled_rules(self) -> tuple[Rule, ...]:
        """The rulebook, validated and ready to evaluate (empty: the ladder decides)."""
        return self._rules

    @property
    def warnings(self) -> tuple[str, ...]:
        """Rules that can never match or never apply; `policy check` prints them."""
        return self._warnings

    def knows_category(self, category: str) -> bool:
        return category in _RETAIL or category in self.issue_categories

    def category_words(self, category: str) -> str | None:
        """The plain words a policy gives its own category (None for the retail ones)."""
        return self.issue_categories.get(category)


def _normalized(value: Any) -> Any:
    """Plain JSON values with one spelling per number: 15, 15.0 and 15.00 hash alike."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(_normalized(k)): _normalized(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normalized(v) for v in value]
    return value


def _digest(policy: Policy) -> str:
    """Hash of the validated content, defaults filled: comments, key order and spelling of
    numbers do not change the version; any rule that changes a decision does."""
    data = _normalized(policy.model_dump(by_alias=True))
    for key, empty in _RULEBOOK_DEFAULTS.items():
        if data.get(key) == empty:
            del data[key]
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


# libyaml's parser when PyYAML has it (about 10x faster), the pure-Python one otherwise.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_SafeLoader):  # type: ignore[valid-type,misc]
    """SafeLoader that refuses a key given twice in one mapping (YAML would keep the last)."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: dict[Any, tuple[int, int]] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        mark = key_node.start_mark
        try:  # line and column: `{a: 1, a: 2}` repeats a key on one line
            first = seen.setdefault(key, (mark.line + 1, mark.column))
        except TypeError:  # an unhashable key: let the normal constructor report it
            break
        line = mark.line + 1
        if first != (line, mark.column):
            raise _DuplicateKey(key, line, first[0], mark)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class _DuplicateKey(yaml.constructor.ConstructorError):
    def __init__(self, key: Any, line: int, first: int, mark: Any) -> None:
        super().__init__(None, None, f"given twice (first on line {first})", mark)
        self.key, self.line = key, line


def _path_at(text: str, line: int) -> tuple[Any, ...]:
    """The key path of the mapping key that starts on `line` (1-based), as far as it is found."""
    node: Any = yaml.compose(text, Loader=_SafeLoader)
    path: list[Any] = []
    while True:
        children: list[tuple[Any, Any]] = []
        if isinstance(node, yaml.MappingNode):
            children = [(k.value, (k, v)) for k, v in node.value]
        elif isinstance(node, yaml.SequenceNode):
            children = [(i, (v, v)) for i, v in enumerate(node.value)]
        step = None
        for name, (key, value) in children:
            if key.start_mark.line + 1 == line and isinstance(node, yaml.MappingNode):
                return (*path, name)
            if value.start_mark.line + 1 <= line <= value.end_mark.line + 1:
                step = (name, value)
        if step is None:
            return tuple(path)
        path.append(step[0])
        node = step[1]


def _line_of(text: str, path: tuple[Any, ...]) -> int | None:
    """The 1-based line of the deepest existing key of `path` in YAML text."""
    try:
        node = yaml.compose(text, Loader=_SafeLoader)
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


def _location(err: Any) -> tuple[Any, ...]:
    """The key path of a validation error; a model-level rule names its key in its message."""
    loc = tuple(p for p in err["loc"] if p != "[key]")  # a bad mapping key: name the key
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "value_error" and ":" in msg:
        head = msg.split(":", 1)[0]
        if " " not in head:  # "tiers.gold.kinds: ..." -> loc + ("tiers", "gold", "kinds")
            loc = loc + tuple(int(p) if p.isdigit() else p for p in head.split("."))
    return loc


def _problem(err: Any, loc: tuple[Any, ...]) -> str:
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "value_error" and ":" in msg and " " not in msg.split(":", 1)[0]:
        msg = msg.split(":", 1)[1].strip()
    last = str(loc[-1]) if loc else ""
    prev = str(loc[-2]) if len(loc) > 1 else ""
    if err["type"] == "less_than_equal" and ("share" in last + prev or "scale" in last + prev):
        msg += " (shares are fractions: 0.20 means 20%)"
    return msg


def parse_policy(text: str, source: str = "<string>") -> Policy:
    """Validate policy text; errors name `source:key.path (line N)`."""
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass: no tags run
    except _DuplicateKey as exc:
        # Safe: the text composed (duplicates are only refused when constructing).
        key = ".".join(str(p) for p in _path_at(text, exc.line))
        raise PolicyError(f"{source}:{key} (line {exc.line})", exc.problem or "") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise PolicyError(f"{source}{where}", f"not valid YAML: {problem}") from exc
    if not isinstance(data, dict):
        raise PolicyError(source, "a policy is a mapping of keys (version, tiers, categories, ...)")
    try:
        return Policy.model_validate(data)
    except RuleError as exc:
        key = ".".join(str(p) for p in exc.path)
        line = _line_of(text, exc.path)
        where = f" (line {line})" if line else ""
        raise PolicyError(f"{source}:{key}{where}", exc.problem) from exc
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = _location(err)
        key = ".".join(str(p) for p in loc) or "(root)"
        line = _line_of(text, loc)
        where = f" (line {line})" if line else ""
        raise PolicyError(f"{source}:{key}{where}", _problem(err, loc)) from exc
