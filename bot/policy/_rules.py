"""A business's own rulebook: named rules, in order, each a condition and what it gives.

    rules:
      - name: cancelled flight
        when: {category: flight_cancelled, customer.membership: {in: [silver, gold]}}
        kind: goodwill                  # or entitlement: owed, never capped by CLV or budget
        offer: store_credit
        amount: {fixed: 100, per: order.passengers}
        reduce: [{name: short notice, when: {issue.notice_days: {below: 7}}, by: 0.5}]
      - name: extraordinary circumstances
        when: {issue.extraordinary: true}
        deny: true

A condition is YAML, not a language in a string: a mapping of field tests that must all hold,
plus `and`, `or` and `not`. A test on a field the case does not carry is false, so a missing
attribute never grants money. Nothing in a policy file can run code. The file is compiled once
(`compile_rules`); deciding a case is then plain comparisons.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cached_property
from itertools import product
from typing import Any, Literal

from bot.domain import Case, IssueCategory, OfferKind, Segment, Tier
from bot.errors import PolicyError

__all__ = [
    "STANDARD_FIELDS",
    "AmountSpec",
    "Band",
    "Condition",
    "Reduction",
    "Rule",
    "RuleError",
    "as_decimal",
    "compile_rules",
    "facts_of",
    "rule_warnings",
]

_MISSING: Any = object()
Fact = str | int | float | bool | Decimal
Facts = dict[str, Fact]

# Fields every case has; attributes are read as `customer.X`, `order.X`, `issue.X`.
_TEXT_FIELDS: dict[str, frozenset[str] | None] = {
    "tier": frozenset(t.value for t in Tier),
    "segment": frozenset(s.value for s in Segment),
    "category": None,  # the policy's categories, checked with them
    "currency": None,
}
_NUMBER_FIELDS = frozenset(
    {"clv", "residual_clv", "severity", "order_value", "appeasements_90d", "appeasement_spend_90d"}
)
STANDARD_FIELDS = frozenset(_TEXT_FIELDS) | _NUMBER_FIELDS
_ATTRIBUTE = re.compile(r"^(customer|order|issue)\.[A-Za-z_][A-Za-z0-9_]{0,63}$")
_NUMERIC_OPS = {"below": "<", "at_most": "<=", "above": ">", "at_least": ">="}
_OPS = frozenset({"is", "is_not", "in", "not_in", "present", *_NUMERIC_OPS})
_RULE_KEYS = frozenset(
    {"name", "when", "kind", "offer", "amount", "reduce", "deny", "escalate", "because"}
)
_MONEY_OFFERS = (OfferKind.discount_code, OfferKind.store_credit, OfferKind.refund_partial)


class RuleError(PolicyError):
    """A rule that does not validate; `path` is its key path (`parse_policy` adds the line).

    Not a ValueError on purpose: pydantic would fold it into its own error and lose the path.
    """

    def __init__(self, path: Sequence[Any], problem: str) -> None:
        super().__init__(".".join(str(p) for p in path), problem)
        self.path = tuple(path)


def facts_of(case: Case) -> Facts:
    """Everything a condition may read, by the name a policy uses for it."""
    c, o, i = case.customer, case.order, case.issue
    facts: Facts = {
        "tier": c.tier._value_,  # the plain str (`.value` is a slow descriptor)
        "segment": c.segment._value_,
        "clv": c.clv,
        "residual_clv": c.residual_clv,
        "appeasements_90d": c.appeasements_90d,
        "appeasement_spend_90d": c.appeasement_spend_90d,
        "category": str(i.category),
        "severity": i.severity,
        "order_value": o.value,
        "currency": o.currency,
    }
    for prefix, attrs in (
        ("customer.", c.attributes),
        ("order.", o.attributes),
        ("issue.", i.attributes),
    ):
        for key, value in attrs.items():
            facts[prefix + key] = value
    return facts


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def as_decimal(value: int | float | Decimal) -> Decimal:
    """A float as the decimal it prints as (0.1, not 0.1000000000000000055...)."""
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        value = as_decimal(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    if isinstance(value, tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


# Conditions ---------------------------------------------------------------------------------


class Condition:
    """A compiled condition: `holds` is the fast path, `why` says it in words for reasons."""

    def holds(self, facts: Facts) -> bool:
        raise NotImplementedError

    def why(self, facts: Facts) -> str:
        raise NotImplementedError

    def text(self) -> str:
        """The condition as the policy says it."""
        raise NotImplementedError

    def seen(self, facts: Facts) -> str:
        """What the case carries for the fields the condition reads."""
        raise NotImplementedError


_NUMBER_TYPES = (int, Decimal)  # `type(v) in` these: a bool is not a number here


def _predicate(name: str, op: str, operand: Any) -> Callable[[Facts], bool]:
    """The test as one closure. Equality is typed (`true` is not `1`); a missing field fails
    every test but `present: false`. A float is compared with the policy's number as a float
    (the same as comparing the decimal it prints as, for numbers of up to 15 digits)."""
    missing = _MISSING
    if op == "present":
        want = bool(operand)
        return lambda f: (name in f) is want
    if op in _NUMERIC_OPS:
        compare = {
            "below": operator.lt,
            "at_most": operator.le,
            "above": operator.gt,
            "at_least": operator.ge,
        }[op]

        as_float = float(operand)

        def numeric(f: Facts) -> bool:
            v = f.get(name, missing)
            t = type(v)
            if t is float:
                return bool(compare(v, as_float))
            return t in _NUMBER_TYPES and bool(compare(v, operand))

        return numeric
    values = operand if op in ("in", "not_in") else (operand,)
    bools = frozenset(v for v in values if isinstance(v, bool))
    texts = frozenset(v for v in values if isinstance(v, str))
    numbers = frozenset(v for v in values if _is_number(v))
    floats = frozenset(float(v) for v in numbers)
    negate = op in ("is_not", "not_in")

    def member(f: Facts) -> bool:
        v = f.get(name, missing)
        t = type(v)
        if t is str:
            hit = v in texts
        elif t is bool:
            hit = v in bools
        elif t is float:
            hit = v in floats
        elif t in _NUMBER_TYPES:
            hit = v in numbers
        else:
            return False  # missing
        return hit is not negate

    return member


@dataclass(frozen=True)
class Test(Condition):
    field: str
    op: str
    operand: Any

    def __post_init__(self) -> None:
        # Compiled once: a case is checked against every rule, so this is the hot path.
        object.__setattr__(self, "holds", _predicate(self.field, self.op, self.operand))
        if self.op == "present":
            said = f"{self.field} {'present' if self.operand else 'missing'}"
        else:
            said = f"{self.field} {self.op.replace('_', ' ')} {_show(self.operand)}"
        object.__setattr__(self, "text", lambda: said)

    def holds(self, facts: Facts) -> bool:  # replaced per instance by `_predicate`
        raise NotImplementedError

    def text(self) -> str:  # replaced per instance: the words never change
        raise NotImplementedError

    def seen(self, facts: Facts) -> str:
        value = facts.get(self.field, _MISSING)
        return (
            f"{self.field} is missing" if value is _MISSING else f"{self.field} is {_show(value)}"
        )

    def why(self, facts: Facts) -> str:
        seen = self.seen(facts)
        return seen if self.holds(facts) else f"{seen} (the rule wants {self.text()})"


@dataclass(frozen=True)
class All(Condition):
    parts: tuple[Condition, ...]

    def __post_init__(self) -> None:
        tests = tuple(p.holds for p in self.parts)

        def every(f: Facts) -> bool:
            for test in tests:  # noqa: SIM110 - a plain loop: no generator per case
                if not test(f):
                    return False
            return True

        object.__setattr__(self, "holds", every)

    def holds(self, facts: Facts) -> bool:  # replaced per instance
        raise NotImplementedError

    def why(self, facts: Facts) -> str:
        failed = next((p for p in self.parts if not p.holds(facts)), None)
        if failed is not None:
            return failed.why(facts)
        return "; ".join(p.why(facts) for p in self.parts)

    @cached_property
    def _text(self) -> str:
        return " and ".join(p.text() for p in self.parts)

    def text(self) -> str:
        return self._text

    def seen(self, facts: Facts) -> str:
        return "; ".join(dict.fromkeys(p.seen(facts) for p in self.parts))


@dataclass(frozen=True)
class AnyOf(Condition):
    parts: tuple[Condition, ...]

    def __post_init__(self) -> None:
        tests = tuple(p.holds for p in self.parts)

        def some(f: Facts) -> bool:
            for test in tests:  # noqa: SIM110 - a plain loop: no generator per case
                if test(f):
                    return True
            return False

        object.__setattr__(self, "holds", some)

    def holds(self, facts: Facts) -> bool:  # replaced per instance
        raise NotImplementedError

    def why(self, facts: Facts) -> str:
        held = next((p for p in self.parts if p.holds(facts)), None)
        if held is not None:
            return held.why(facts)
        return "none of: " + " | ".join(p.why(facts) for p in self.parts)

    @cached_property
    def _text(self) -> str:
        return "(" + " or ".join(_grouped(p) for p in self.parts) + ")"

    def text(self) -> str:
        return self._text

    def seen(self, facts: Facts) -> str:
        return "; ".join(dict.fromkeys(p.seen(facts) for p in self.parts))


@dataclass(frozen=True)
class Not(Condition):
    part: Condition

    def holds(self, facts: Facts) -> bool:
        return not self.part.holds(facts)

    def why(self, facts: Facts) -> str:
        seen = self.part.seen(facts)
        if self.holds(facts):
            return f"{seen}, so not {self.part.text()}"
        return f"{seen} (the rule wants not {self.part.text()})"

    @cached_property
    def _text(self) -> str:
        return f"not {_grouped(self.part)}"

    def text(self) -> str:
        return self._text

    def seen(self, facts: Facts) -> str:
        return self.part.seen(facts)


def _grouped(cond: Condition) -> str:
    return f"({cond.text()})" if isinstance(cond, All) else cond.text()


def _number(value: object, path: Sequence[Any]) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise RuleError(path, f"needs a number, not {_show(value)!r}")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise RuleError(path, f"needs a number, not {value!r}") from None
    if not number.is_finite():
        raise RuleError(path, "needs a finite number")
    return number


def _scalar(value: object, path: Sequence[Any]) -> Fact:
    if isinstance(value, bool | str):
        return value
    if isinstance(value, int | float):
        return _number(value, path) if isinstance(value, float) else value
    raise RuleError(path, "needs a text, a number or true/false")


@dataclass
class _Context:
    categories: frozenset[str]


def _check_value(name: str, value: Fact, path: Sequence[Any], ctx: _Context) -> None:
    if name in _NUMBER_FIELDS:
        if not _is_number(value):
            raise RuleError(path, f"{name} is a number, not {_show(value)!r}")
        return
    if name in _TEXT_FIELDS and not isinstance(value, str):
        raise RuleError(path, f"{name} is a text, not {_show(value)!r}")
    allowed = ctx.categories if name == "category" else _TEXT_FIELDS.get(name)
    if allowed is not None and value not in allowed:
        raise RuleError(
            path,
            f"{value!r} is not a {name} here (one of {', '.join(sorted(allowed))}"
            + (", or declare it under issue_categories)" if name == "category" else ")"),
        )
    if name == "currency" and not re.match(r"^[A-Z]{3}$", str(value)):
        raise RuleError(path, f"{value!r} is not an ISO 4217 code like EUR")


def _field_tests(name: str, raw: object, path: tuple[Any, ...], ctx: _Context) -> list[Test]:
    if name not in STANDARD_FIELDS and not _ATTRIBUTE.match(name):
        raise RuleError(
            path,
            "not a field: use one of "
            + ", ".join(sorted(STANDARD_FIELDS))
            + ", or an attribute as customer.NAME, order.NAME or issue.NAME",
        )
    if isinstance(raw, list):
        raise RuleError(path, "a list of values needs `in:` or `not_in:` ({in: [a, b]})")
    if not isinstance(raw, dict):
        value = _scalar(raw, path)
        _check_value(name, value, path, ctx)
        return [Test(name, "is", value)]
    if not raw:
        raise RuleError(path, "an empty test: say what the field must be (is, in, above, ...)")
    tests = []
    for op, operand in raw.items():
        where = (*path, op)
        if op not in _OPS:
            raise RuleError(where, f"not a test: use one of {', '.join(sorted(_OPS))}")
        if op in ("in", "not_in"):
            if not isinstance(operand, list) or not operand:
                raise RuleError(where, "needs a non-empty list of values")
            values = tuple(_scalar(v, (*where, i)) for i, v in enumerate(operand))
            for i, v in enumerate(values):
                _check_value(name, v, (*where, i), ctx)
            tests.append(Test(name, op, values))
        elif op == "present":
            if not isinstance(operand, bool):
                raise RuleError(where, "is true or false")
            tests.append(Test(name, op, operand))
        elif op in _NUMERIC_OPS:
            if name in _TEXT_FIELDS:
                raise RuleError(where, f"{name} is a text: compare it with is, is_not, in")
            tests.append(Test(name, op, _number(operand, where)))
        else:
            value = _scalar(operand, where)
            _check_value(name, value, where, ctx)
            tests.append(Test(name, op, value))
    return tests


def _condition(raw: object, path: tuple[Any, ...], ctx: _Context) -> Condition:
    if not isinstance(raw, dict) or not raw:
        raise RuleError(path, "a condition is a mapping of tests ({order.cabin: business})")
    parts: list[Condition] = []
    for key, value in raw.items():
        where = (*path, key)
        if key in ("and", "or"):
            if not isinstance(value, list) or not value:
                raise RuleError(where, "needs a non-empty list of conditions")
            items = tuple(_condition(v, (*where, i), ctx) for i, v in enumerate(value))
            parts.append(All(items) if key == "and" else AnyOf(items))
        elif key == "not":
            parts.append(Not(_condition(value, where, ctx)))
        else:
            parts.extend(_field_tests(str(key), value, where, ctx))
    return parts[0] if len(parts) == 1 else All(tuple(parts))


# Amounts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reduction:
    name: str
    when: Condition
    by: Decimal  # share taken off: 0.5 halves


@dataclass(frozen=True)
class Band:
    up_to: Decimal | None
    when: Condition | None
    amount: Decimal
    reduce: tuple[Reduction, ...]

    def label(self) -> str:
        parts = [f"up to {_show(self.up_to)}"] if self.up_to is not None else []
        if self.when is not None:
            parts.append(f"when {self.when.text()}")
        return " ".join(parts) or "for the rest"


@dataclass(frozen=True)
class AmountSpec:
    mode: Literal["fixed", "share_of_order", "bands", "ladder"]
    value: Decimal = Decimal(0)
    per: str | None = None
    by: str | None = None
    bands: tuple[Band, ...] = ()


def _share(raw: object, path: tuple[Any, ...]) -> Decimal:
    share = _number(raw, path)
    if not 0 <= share <= 1:
        raise RuleError(path, "a share is a fraction from 0 to 1 (0.50 means 50%)")
    return share


def _money(raw: object, path: tuple[Any, ...]) -> Decimal:
    amount = _number(raw, path)
    if amount < 0:
        raise RuleError(path, "an amount is not negative")
    if amount > Decimal("999999999999.99"):
        raise RuleError(path, "more than appease can hold")
    return amount


def _attribute_name(raw: object, path: tuple[Any, ...]) -> str:
    if not isinstance(raw, str) or not (_ATTRIBUTE.match(raw) or raw in _NUMBER_FIELDS):
        raise RuleError(path, "names a number of the case: order.passengers, order_value, ...")
    return raw


def _reductions(raw: object, path: tuple[Any, ...], ctx: _Context) -> tuple[Reduction, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise RuleError(path, "a list of reductions ({name, when, by})")
    out = []
    for i, item in enumerate(raw):
        where = (*path, i)
        if not isinstance(item, dict):
            raise RuleError(where, "a reduction is {name: ..., when: ..., by: 0.5}")
        extra = set(item) - {"name", "when", "by"}
        if extra:
            raise RuleError((*where, sorted(extra)[0]), "not a key of a reduction (name, when, by)")
        for key in ("name", "when", "by"):
            if key not in item:
                raise RuleError((*where, key), "Field required")
        out.append(
            Reduction(
                name=str(item["name"]),
                when=_condition(item["when"], (*where, "when"), ctx),
                by=_share(item["by"], (*where, "by")),
            )
        )
    return tuple(out)


def _bands(raw: object, path: tuple[Any, ...], ctx: _Context) -> tuple[str, tuple[Band, ...]]:
    if not isinstance(raw, dict) or set(raw) != {"by", "rows"}:
        raise RuleError(path, "bands are {by: order.distance_km, rows: [{up_to, amount}, ...]}")
    by = _attribute_name(raw["by"], (*path, "by"))
    rows = raw["rows"]
    if not isinstance(rows, list) or not rows:
        raise RuleError((*path, "rows"), "needs a non-empty list of rows")
    out: list[Band] = []
    covered: Decimal | None = None  # highest up_to of a row without a condition
    for i, row in enumerate(rows):
        where = (*path, "rows", i)
        if not isinstance(row, dict) or "amount" not in row:
            raise RuleError(where, "a row is {up_to: 1500, amount: 250} (up_to left out: the rest)")
        extra = set(row) - {"up_to", "when", "amount", "reduce"}
        if extra:
            raise RuleError((*where, sorted(extra)[0]), "not a key of a row")
        if out and out[-1].up_to is None and out[-1].when is None:
            raise RuleError(where, "can never be chosen: the row before takes every case")
        up_to = _number(row["up_to"], (*where, "up_to")) if "up_to" in row else None
        when = _condition(row["when"], (*where, "when"), ctx) if "when" in row else None
        if when is None and up_to is not None:
            if covered is not None and up_to <= covered:
                raise RuleError(
                    (*where, "up_to"), f"can never be chosen: a row before covers up to {covered}"
                )
            covered = up_to
        out.append(
            Band(
                up_to=up_to,
                when=when,
                amount=_money(row["amount"], (*where, "amount")),
                reduce=_reductions(row.get("reduce"), (*where, "reduce"), ctx),
            )
        )
    return by, tuple(out)


def _amount(raw: object, path: tuple[Any, ...], ctx: _Context) -> AmountSpec:
    if raw == "ladder":
        return AmountSpec(mode="ladder")
    if not isinstance(raw, dict):
        raise RuleError(
            path, "an amount is {fixed: 100}, {share_of_order: 0.5}, {bands: ...} or ladder"
        )
    extra = set(raw) - {"fixed", "share_of_order", "bands", "per"}
    if extra:
        raise RuleError((*path, sorted(extra)[0]), "not a key of an amount")
    modes = [m for m in ("fixed", "share_of_order", "bands") if m in raw]
    if len(modes) != 1:
        raise RuleError(path, "give exactly one of fixed, share_of_order, bands")
    per = _attribute_name(raw["per"], (*path, "per")) if "per" in raw else None
    mode = modes[0]
    if mode == "fixed":
        return AmountSpec(mode="fixed", value=_money(raw["fixed"], (*path, "fixed")), per=per)
    if mode == "share_of_order":
        share = _share(raw["share_of_order"], (*path, "share_of_order"))
        return AmountSpec(mode="share_of_order", value=share, per=per)
    by, bands = _bands(raw["bands"], (*path, "bands"), ctx)
    return AmountSpec(mode="bands", per=per, by=by, bands=bands)


# Rules --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    name: str
    when: Condition | None
    kind: Literal["goodwill", "entitlement"]
    offer: OfferKind
    amount: AmountSpec | None  # None: deny
    reduce: tuple[Reduction, ...] = ()
    escalate: bool = False
    because: str | None = None
    path: tuple[Any, ...] = field(default=(), compare=False)

    @property
    def deny(self) -> bool:
        return self.amount is None


def _rule(raw: object, i: int, ctx: _Context) -> Rule:
    path: tuple[Any, ...] = ("rules", i)
    if not isinstance(raw, dict):
        raise RuleError(path, "a rule is a mapping (name, when, amount or deny, ...)")
    extra = sorted(set(raw) - _RULE_KEYS)
    if extra:
        raise RuleError((*path, extra[0]), f"not a key of a rule ({', '.join(sorted(_RULE_KEYS))})")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise RuleError((*path, "name"), "every rule has a name (it is quoted in the reasons)")
    kind = raw.get("kind", "goodwill")
    if kind not in ("goodwill", "entitlement"):
        raise RuleError((*path, "kind"), "goodwill or entitlement")
    deny = raw.get("deny", False)
    if not isinstance(deny, bool):
        raise RuleError((*path, "deny"), "is true or false")
    escalate = raw.get("escalate", False)
    if not isinstance(escalate, bool):
        raise RuleError((*path, "escalate"), "is true or false")
    if deny == ("amount" in raw):
        raise RuleError(path, "a rule gives an amount or denies (deny: true), not both or neither")
    amount = None if deny else _amount(raw["amount"], (*path, "amount"), ctx)
    if deny and ("offer" in raw or "reduce" in raw):
        raise RuleError(
            (*path, "offer" if "offer" in raw else "reduce"), "a denying rule gives nothing"
        )
    offer = OfferKind.store_credit
    if "offer" in raw:
        if amount is not None and amount.mode == "ladder":
            raise RuleError((*path, "offer"), "the ladder picks the offer: leave offer out")
        if raw["offer"] not in {k.value for k in _MONEY_OFFERS}:
            raise RuleError((*path, "offer"), f"one of {', '.join(k.value for k in _MONEY_OFFERS)}")
        offer = OfferKind(raw["offer"])
    if amount is not None and amount.mode == "ladder" and kind == "entitlement":
        raise RuleError(
            (*path, "amount"), "the CLV ladder is goodwill: an entitlement states its amount"
        )
    if amount is not None and amount.mode == "ladder" and "reduce" in raw:
        raise RuleError((*path, "reduce"), "the ladder is not reduced: its cap already scales")
    because = raw.get("because")
    return Rule(
        name=name.strip(),
        when=_condition(raw["when"], (*path, "when"), ctx) if "when" in raw else None,
        kind=kind,
        offer=offer,
        amount=amount,
        reduce=_reductions(raw.get("reduce"), (*path, "reduce"), ctx),
        escalate=escalate,
        because=str(because) if because is not None else None,
        path=path,
    )


def compile_rules(raw: Iterable[object], categories: Iterable[str]) -> tuple[Rule, ...]:
    """Validate and compile a policy's `rules`; raises `RuleError` naming the key path."""
    ctx = _Context(categories=frozenset(categories) | {c.value for c in IssueCategory})
    rules = tuple(_rule(r, i, ctx) for i, r in enumerate(raw))
    seen: dict[str, int] = {}
    for i, rule in enumerate(rules):
        first = seen.setdefault(rule.name.lower(), i)
        if first != i:
            raise RuleError(
                ("rules", i, "name"), f"the same name as rules.{first}: names must differ"
            )
    return rules


# Warnings: rules that can never match, or never apply because an earlier one always does ------


@dataclass
class _Box:
    """What a conjunction of tests allows for one field (None: anything)."""

    values: frozenset[Any] | None = None
    excluded: frozenset[Any] = frozenset()
    lo: Decimal | None = None
    lo_in: bool = True
    hi: Decimal | None = None
    hi_in: bool = True
    present: bool | None = None
    conflict: bool = False

    def add(self, test: Test) -> None:
        op, x = test.op, test.operand
        want = bool(x) if op == "present" else True  # every other test needs the field
        if self.present is None:
            self.present = want
        elif self.present != want:
            self.conflict = True
        if op == "present":
            return
        if op in ("is", "in"):
            vals = frozenset(_key(v) for v in (x if op == "in" else (x,)))
            self.values = vals if self.values is None else self.values & vals
        elif op in ("is_not", "not_in"):
            self.excluded |= frozenset(_key(v) for v in (x if op == "not_in" else (x,)))
        elif op in ("above", "at_least"):
            inc = op == "at_least"
            if self.lo is None or x > self.lo or (x == self.lo and not inc):
                self.lo, self.lo_in = x, inc
        else:
            inc = op == "at_most"
            if self.hi is None or x < self.hi or (x == self.hi and not inc):
                self.hi, self.hi_in = x, inc

    def _in_range(self, v: Any) -> bool:
        number = v[1] if v[0] == "n" else None
        if number is None:
            return self.lo is None and self.hi is None
        if self.lo is not None and (number < self.lo or (number == self.lo and not self.lo_in)):
            return False
        return not (
            self.hi is not None and (number > self.hi or (number == self.hi and not self.hi_in))
        )

    def empty(self) -> bool:
        if self.conflict:
            return True
        if self.values is not None:
            return not any(v not in self.excluded and self._in_range(v) for v in self.values)
        if self.lo is not None and self.hi is not None:
            return self.lo > self.hi or (self.lo == self.hi and not (self.lo_in and self.hi_in))
        return False

    def within(self, other: _Box) -> bool:
        """Every value this box allows, `other` allows too (conservative: False when unsure)."""
        if other.present is False:
            return self.present is False
        if other.present and not self.present:
            return False
        if other.values is not None:
            mine = self.values
            if mine is None or not all(v in other.values for v in mine - self.excluded):
                return False
        if other.excluded:
            mine_ok = self.values is not None and not (self.values - self.excluded) & other.excluded
            if not (mine_ok or other.excluded <= self.excluded):
                return False
        if other.lo is not None or other.hi is not None:
            if self.values is not None:
                return all(other._in_range(v) for v in self.values - self.excluded)
            if other.lo is not None and (
                self.lo is None
                or self.lo < other.lo
                or (self.lo == other.lo and self.lo_in and not other.lo_in)
            ):
                return False
            if other.hi is not None and (
                self.hi is None
                or self.hi > other.hi
                or (self.hi == other.hi and self.hi_in and not other.hi_in)
            ):
                return False
        return True


def _key(value: Any) -> tuple[str, Any]:
    if isinstance(value, bool):
        return ("b", value)
    if _is_number(value):
        return ("n", Decimal(value))
    return ("s", value)


_Conj = dict[str, _Box]


def _dnf(cond: Condition | None) -> list[list[Test]] | None:
    """The condition as an OR of ANDs of tests; None when it has a `not` (not analysed)."""
    if cond is None:
        return [[]]
    if isinstance(cond, Test):
        return [[cond]]
    if isinstance(cond, AnyOf):
        out: list[list[Test]] = []
        for part in cond.parts:
            sub = _dnf(part)
            if sub is None:
                return None
            out.extend(sub)
        return out if len(out) <= 256 else None
    if isinstance(cond, All):
        acc: list[list[Test]] = [[]]
        for part in cond.parts:
            sub = _dnf(part)
            if sub is None:
                return None
            acc = [a + b for a, b in product(acc, sub)]
            if len(acc) > 256:
                return None
        return acc
    return None


def _boxes(cond: Condition | None) -> list[_Conj] | None:
    terms = _dnf(cond)
    if terms is None:
        return None
    out = []
    for term in terms:
        conj: _Conj = {}
        for test in term:
            conj.setdefault(test.field, _Box()).add(test)
        if not any(box.empty() for box in conj.values()):
            out.append(conj)
    return out


def _implies(a: _Conj, b: _Conj) -> bool:
    """Every case `a` allows, `b` allows too."""
    return all(f in a and a[f].within(box) for f, box in b.items())


def rule_warnings(rules: Sequence[Rule]) -> list[str]:
    """Rules that can never match, and rules an earlier rule always takes first."""
    out = []
    shapes = [_boxes(r.when) for r in rules]
    for j, (rule, mine) in enumerate(zip(rules, shapes, strict=True)):
        label = f"rules.{j} ({rule.name!r})"
        if mine is not None and not mine:
            out.append(f"{label} can never match: its tests contradict each other")
            continue
        for i in range(j):
            earlier = shapes[i]
            if mine is None or earlier is None:
                continue
            if all(any(_implies(m, e) for e in earlier) for m in mine):
                out.append(
                    f"{label} always overlaps rules.{i} ({rules[i].name!r}): every case it "
                    "matches, the earlier rule matches first, so it never applies"
                )
                break
    return out
