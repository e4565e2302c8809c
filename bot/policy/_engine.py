"""The decision: a pure function of the case and the policy, so it can be replayed and tested.

    cap    = min(share x residual CLV, tier max_amount, category order_share[severity] x order
             value, what is left of the daily and monthly goodwill budgets)
    offer  = the first rung of the category's ladder that the tier may get, that fits the
             severity, and whose money value fits under the cap:
               discount_code, store_credit, refund_partial  cap x severity_scale[severity]
               replacement, refund_full                     the order's value
               free_shipping                                offer_values.free_shipping
               apology_only, none                           0
    amount <= cap always: every amount and the cap round DOWN to the currency's minor unit
    (`bot.domain.round_down`), so rounding can never lift an offer over a limit.

A policy with `rules` (bot.policy._rules) is read first: the first rule whose condition holds
decides. An entitlement pays the rulebook's amount exactly; a goodwill rule's amount goes under
the same cap as above; a rule may deny; `amount: ladder` hands over to the ladder. No rule
matching falls back to the ladder where the policy has one for the category.

No automatic money, escalate to a human: residual CLV at or below zero (if the policy says
so), a repeat claimant (abuse rules), an exhausted goodwill budget. A category may also send
a severity to a human while still making the offer (`escalate_at_severity`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bot.domain import (
    MAX_MONEY,
    MINOR_UNITS,
    Basis,
    Case,
    Offer,
    OfferDecision,
    OfferKind,
    Tier,
    round_down,
)
from bot.errors import InputError
from bot.fx import FxRates
from bot.policy._rules import Facts, Rule, as_decimal, facts_of
from bot.policy._schema import (
    FIXED_VALUE_KINDS,
    MONEY_KINDS,
    NO_MONEY_KINDS,
    ORDER_VALUE_KINDS,
    REFUND_KINDS,
    Policy,
)

__all__ = ["Explanation", "RuleTrace", "decide", "explain", "format_money"]

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}
_PLAIN = {
    OfferKind.none: "no offer",
    OfferKind.apology_only: "an apology",
    OfferKind.discount_code: "discount code",
    OfferKind.free_shipping: "free shipping",
    OfferKind.store_credit: "store credit",
    OfferKind.refund_partial: "partial refund",
    OfferKind.refund_full: "full refund",
    OfferKind.replacement: "replacement",
}
_TIERS = list(Tier)
_ZERO = Decimal(0)


def format_money(amount: Decimal, currency: str) -> str:
    """Plain money text for reasons (the customer-facing text is formatted by locale elsewhere)."""
    places = MINOR_UNITS.get(currency.upper(), 2)
    sign = "-" if amount < 0 else ""
    digits = f"{abs(amount):,.{places}f}"
    symbol = _SYMBOLS.get(currency.upper())
    return f"{sign}{symbol}{digits}" if symbol else f"{sign}{digits} {currency}"


def _pct(share: Decimal) -> str:
    return f"{(share * 100).normalize():f}%"


def _no_money(
    case: Case,
    policy: Policy,
    cap: Decimal,
    escalate: bool,
    reasons: list[str],
    basis: Basis = "goodwill",
) -> OfferDecision:
    cur = case.order.currency
    return OfferDecision(
        offer=Offer(
            kind=OfferKind.apology_only, amount=round_down(_ZERO, cur), currency=cur, basis=basis
        ),
        cap=round_down(cap, cur),
        escalate=escalate,
        reasons=reasons,
        policy_version=policy.version,
    )


def decide(
    case: Case,
    policy: Policy,
    *,
    budget_spent: Decimal | None = None,
    budget_spent_month: Decimal | None = None,
    fx: FxRates | None = None,
) -> OfferDecision:
    """Decide the offer for one case; same inputs, same decision and version.

    `budget_spent` is the goodwill already given today and `budget_spent_month` this month; a
    budget the policy sets is only applied when its spend is given. With `fx`, the customer's
    CLV figures, the policy's limits and budgets and the spend are in `fx.base` and are
    converted to the order's currency here, rounded down (`_in_order_currency`); without it,
    everything is taken to be in the order's currency.
    """
    category = str(case.issue.category)
    if not policy.knows_category(category):
        raise InputError(
            "issue.category",
            f"{category!r} is not a category of this policy (declare it under issue_categories)",
        )
    facts = facts_of(case) if policy.compiled_rules else {}  # conditions read base amounts
    budget: _Budget = (budget_spent, budget_spent_month)
    case, policy, budget, preface = _in_order_currency(case, policy, budget, fx)
    if policy.compiled_rules:
        decision = _by_rules(case, policy, budget, facts, fx)
    else:
        decision = _by_ladder(case, policy, budget)
    if preface:
        decision = decision.model_copy(update={"reasons": [*preface, *decision.reasons]})
    return decision


_Budget = tuple[Decimal | None, Decimal | None]


def _in_order_currency(
    case: Case, policy: Policy, budget: _Budget, fx: FxRates | None
) -> tuple[Case, Policy, _Budget, list[str]]:
    """The case and the policy with every base-currency amount in the order's currency.

    Each limit is converted on its own and rounded down, and a budget's remainder is taken in
    the base before it is converted: so every converted limit, and the cap their minimum,
    is worth no more than its base amount at the rate.
    """
    cur = case.order.currency.upper()
    if fx is None:
        return case, policy, budget, []
    fx.check(cur)
    if cur == fx.base:
        return case, policy, budget, []

    def conv(amount: Decimal) -> Decimal:
        return fx.from_base(amount, cur)

    def exact(amount: Decimal) -> Decimal:
        return fx.from_base_exact(amount, cur)

    # The customer's figures unrounded: the policy multiplies them (share x residual CLV) and
    # rounds once, and a small positive residual stays positive.
    who = case.customer
    customer = who.model_copy(
        update={
            "clv": exact(who.clv),
            "residual_clv": exact(who.residual_clv),
            "appeasement_spend_90d": exact(who.appeasement_spend_90d),
        }
    )
    spent_day, spent_month = budget
    daily, monthly = policy.budget.daily, policy.budget.monthly
    left_day = (
        conv(max(daily - spent_day, _ZERO)) if daily is not None and spent_day is not None else None
    )
    left_month = (
        conv(max(monthly - spent_month, _ZERO))
        if monthly is not None and spent_month is not None
        else None
    )
    local = policy.model_copy(
        update={
            "tiers": {
                t: r.model_copy(update={"max_amount": conv(r.max_amount)})
                for t, r in policy.tiers.items()
            },
            "abuse": policy.abuse.model_copy(update={"max_spend": conv(policy.abuse.max_spend)}),
            "budget": policy.budget.model_copy(update={"daily": left_day, "monthly": left_month}),
            "offer_values": {k: conv(v) for k, v in policy.offer_values.items()},
            "min_amount": conv(policy.min_amount),
        }
    )
    zero = _ZERO if left_day is not None else None, _ZERO if left_month is not None else None
    preface = [
        f"order in {cur}, base currency {fx.base}: CLV, limits and budgets converted at "
        f"{fx.describe(cur)}, rounded down (residual CLV {format_money(who.residual_clv, fx.base)}"
        f" = {format_money(round_down(customer.residual_clv, cur), cur)})"
    ]
    return case.model_copy(update={"customer": customer}), local, zero, preface


def _cap(
    case: Case, policy: Policy, order_share: Decimal | None, budget: _Budget
) -> tuple[Decimal, list[str]] | OfferDecision:
    """Today's goodwill cap and its reasons, or the no-money decision that comes first."""
    cur = case.order.currency
    cust, issue, order = case.customer, case.issue, case.order
    tier_rule = policy.tiers[cust.tier]
    seg_rule = policy.segments.get(cust.segment)
    if seg_rule is not None and seg_rule.clv_share is not None:
        share, share_src = seg_rule.clv_share, f"{cust.tier.value} ({cust.segment.value} segment)"
    else:
        share, share_src = tier_rule.clv_share, cust.tier.value

    def money(a: Decimal) -> str:
        return format_money(a, cur)

    residual = cust.residual_clv
    if residual <= 0:
        escalate = policy.no_residual.escalate
        return _no_money(
            case,
            policy,
            _ZERO,
            escalate,
            [
                f"residual CLV {money(residual)} is not positive: no money offer"
                + ("; escalate to a human" if escalate else "")
            ],
        )

    abuse = policy.abuse
    if (
        cust.appeasements_90d > abuse.max_appeasements
        or cust.appeasement_spend_90d > abuse.max_spend
    ):
        return _no_money(
            case,
            policy,
            _ZERO,
            True,
            [
                f"repeat claimant: {cust.appeasements_90d} appeasements worth "
                f"{money(cust.appeasement_spend_90d)} in {abuse.window_days} days (limits "
                f"{abuse.max_appeasements} and {money(abuse.max_spend)}): no automatic offer, "
                "escalate to a human"
            ],
        )

    sev = issue.severity
    by_share = round_down(share * residual, cur)
    by_tier = round_down(tier_rule.max_amount, cur)
    limits = f"{cust.tier.value} limit {money(by_tier)}"
    if order_share is None:
        cap = min(by_share, by_tier)
        binding = "CLV share" if cap == by_share else "tier limit"
    else:
        by_order = round_down(order_share * order.value, cur)
        cap = min(by_share, by_tier, by_order)
        binding = (
            "CLV share"
            if cap == by_share
            else "tier limit"
            if cap == by_tier
            else "order-value limit"
        )
        limits += (
            f"; {issue.category.value} severity {sev}: "
            f"{_pct(order_share)} of order {money(order.value)} = {money(by_order)}"
        )
    reasons = [
        f"{share_src}: {_pct(share)} of residual CLV {money(residual)} = {money(by_share)}",
        limits,
        f"cap {money(cap)} (the {binding})",
    ]

    budget_spent, budget_spent_month = budget
    left: list[tuple[str, Decimal]] = []
    if policy.budget.daily is not None and budget_spent is not None:
        left.append(("daily", policy.budget.daily - budget_spent))
    if policy.budget.monthly is not None and budget_spent_month is not None:
        left.append(("monthly", policy.budget.monthly - budget_spent_month))
    for period, remaining in left:
        remaining = round_down(max(remaining, _ZERO), cur)
        if remaining < cap:
            cap = remaining
            reasons.append(f"{period} goodwill budget leaves {money(remaining)}: cap {money(cap)}")
    if left and cap <= 0:
        reasons.append("goodwill budget exhausted: no automatic offer, escalate to a human")
        return _no_money(case, policy, _ZERO, True, reasons)
    return cap, reasons


def _may_get(case: Case, policy: Policy, kind: OfferKind) -> bool:
    """The tier may get this kind (refunds only from `refunds_from_tier` up)."""
    tier = case.customer.tier
    if kind in NO_MONEY_KINDS:
        return True
    if kind not in policy.tiers[tier].kinds:
        return False
    return kind not in REFUND_KINDS or _TIERS.index(tier) >= _TIERS.index(policy.refunds_from_tier)


def _by_ladder(case: Case, policy: Policy, budget: _Budget) -> OfferDecision:
    cur = case.order.currency
    issue, order = case.issue, case.order
    sev = issue.severity
    cat_rule = policy.categories[issue.category]
    capped = _cap(case, policy, cat_rule.order_share[sev - 1], budget)
    if isinstance(capped, OfferDecision):
        return capped
    cap, reasons = capped

    def money(a: Decimal) -> str:
        return format_money(a, cur)

    escalate = cat_rule.escalate_at_severity is not None and sev >= cat_rule.escalate_at_severity
    assert policy.severity_scale is not None  # the schema requires it wherever there are ladders
    scale = policy.severity_scale[sev - 1]
    target = round_down(cap * scale, cur)
    offer: Offer | None = None
    for rung in cat_rule.ladder:
        kind = rung.kind
        if not rung.min_severity <= sev <= rung.max_severity:
            continue
        if not _may_get(case, policy, kind):
            continue
        if kind in MONEY_KINDS:
            amount = target
            if amount <= 0 or amount < policy.min_amount:
                continue
            detail = f"{_PLAIN[kind]} {money(amount)} ({_pct(scale)} of the cap)"
        elif kind in ORDER_VALUE_KINDS:
            amount = round_down(order.value, cur)
            detail = f"{_PLAIN[kind]} worth {money(amount)} (the order's value)"
        elif kind in FIXED_VALUE_KINDS:
            amount = round_down(policy.offer_values[kind], cur)
            detail = f"{_PLAIN[kind]} worth {money(amount)}"
        else:
            amount, detail = round_down(_ZERO, cur), _PLAIN[kind]
        if amount > cap:
            continue
        reasons.append(f"{issue.category.value} severity {sev} -> {detail}")
        offer = Offer(kind=kind, amount=amount, currency=cur)
        break
    if offer is None:
        reasons.append(f"no rung of the {issue.category.value} ladder fits under the cap: apology")
        offer = Offer(kind=OfferKind.apology_only, amount=round_down(_ZERO, cur), currency=cur)
    if escalate:
        reasons.append(f"{issue.category.value} at severity {sev} also goes to a human")
    return OfferDecision(
        offer=offer, cap=cap, escalate=escalate, reasons=reasons, policy_version=policy.version
    )


# The rulebook -------------------------------------------------------------------------------


def _by_rules(
    case: Case, policy: Policy, budget: _Budget, facts: Facts, fx: FxRates | None = None
) -> OfferDecision:
    skipped: list[str] = []
    for rule in policy.compiled_rules:
        if rule.when is None or rule.when.holds(facts):
            why = rule.when.why(facts) if rule.when is not None else "it has no condition"
            return _apply(
                rule,
                case,
                policy,
                budget,
                facts,
                [*skipped, f"rule {rule.name!r} applies: {why}"],
                fx,
            )
        skipped.append(f"rule {rule.name!r} does not apply: {rule.when.why(facts)}")
    if case.issue.category in policy.categories:
        decision = _by_ladder(case, policy, budget)
        reasons = [*skipped, "no rule applies: the CLV ladder decides", *decision.reasons]
        return decision.model_copy(update={"reasons": reasons})
    return _no_money(case, policy, _ZERO, False, [*skipped, "no rule applies: no offer"])


def _amount(
    rule: Rule, case: Case, facts: Facts, currency: str
) -> tuple[Decimal | None, list[str]]:
    """The rulebook's amount for this case in `currency`, with how it was reached; None and
    the problem when the case lacks a number the amount needs."""
    spec = rule.amount
    assert spec is not None and spec.mode != "ladder"

    def money(a: Decimal) -> str:
        return format_money(a, currency)

    lines: list[str] = []
    reductions = rule.reduce
    if spec.mode == "fixed":
        base = spec.value
        lines.append(f"{money(base)}" + (" each" if spec.per else ""))
    elif spec.mode == "share_of_order":
        base = spec.value * case.order.value
        lines.append(f"{_pct(spec.value)} of order {money(case.order.value)} = {money(base)}")
    else:
        assert spec.by is not None
        raw = facts.get(spec.by)
        if not isinstance(raw, int | float | Decimal) or isinstance(raw, bool):
            return None, [f"{spec.by} is missing or not a number, and the amount depends on it"]
        value = as_decimal(raw)
        band = next(
            (
                b
                for b in spec.bands
                if (b.up_to is None or value <= b.up_to) and (b.when is None or b.when.holds(facts))
            ),
            None,
        )
        if band is None:
            return None, [f"{spec.by} {value} falls in none of the bands"]
        base = band.amount
        lines.append(
            f"{spec.by} is {value}: the band {band.label()} pays {money(base)}"
            + (" each" if spec.per else "")
        )
        reductions = band.reduce + reductions
    cut = next((r for r in reductions if r.when.holds(facts)), None)
    if cut is not None:
        base = base * (1 - cut.by)
        lines.append(f"less {_pct(cut.by)} ({cut.name}: {cut.when.why(facts)}) = {money(base)}")
    if spec.per is not None:
        count = facts.get(spec.per)
        if not isinstance(count, int | float | Decimal) or isinstance(count, bool) or count < 0:
            return None, [f"{spec.per} is missing or not a count, and the amount is per {spec.per}"]
        units = as_decimal(count)
        base = base * units
        lines.append(f"x {units} ({spec.per}) = {money(base)}")
    return base, lines


def _apply(
    rule: Rule,
    case: Case,
    policy: Policy,
    budget: _Budget,
    facts: Facts,
    reasons: list[str],
    fx: FxRates | None = None,
) -> OfferDecision:
    cur = case.order.currency
    basis: Basis = rule.kind
    if rule.amount is None:
        reasons.append(f"{rule.name}: " + (rule.because or "nothing is given under this rule"))
        return _no_money(case, policy, _ZERO, rule.escalate, reasons, basis)
    if rule.amount.mode == "ladder":
        if case.issue.category not in policy.categories:
            reasons.append(f"the policy has no ladder for {case.issue.category}: a person decides")
            return _no_money(case, policy, _ZERO, True, reasons)
        decision = _by_ladder(case, policy, budget)
        escalate = decision.escalate or rule.escalate
        return decision.model_copy(
            update={"reasons": [*reasons, *decision.reasons], "escalate": escalate}
        )
    stated = policy.currency or cur
    amount, lines = _amount(rule, case, facts, stated)
    reasons.extend(lines)
    if amount is None:
        reasons.append("a person works out the amount")
        return _no_money(case, policy, _ZERO, True, reasons, basis)
    if stated != cur and rule.amount.mode != "share_of_order":
        if fx is None or not (fx.knows(stated) and fx.knows(cur)):
            reasons.append(
                f"the rule's amounts are in {stated}, the order is in {cur}: a person converts"
            )
            return _no_money(case, policy, _ZERO, True, reasons, basis)
        converted = fx.convert(amount, stated, cur)
        reasons.append(
            f"{format_money(amount, stated)} = {format_money(converted, cur)} at "
            f"{fx.describe(stated) if stated != fx.base else fx.describe(cur)}, rounded down"
        )
        amount = converted
    if amount > MAX_MONEY:
        reasons.append("more than appease can hold: a person decides")
        return _no_money(case, policy, _ZERO, True, reasons, basis)
    amount = round_down(amount, cur)
    if rule.because:
        reasons.append(rule.because)
    if rule.kind == "entitlement":
        if amount <= 0:
            reasons.append("nothing is owed")
            return _no_money(case, policy, _ZERO, rule.escalate, reasons, basis)
        reasons.append(
            f"{_PLAIN[rule.offer]} {format_money(amount, cur)}, owed: an entitlement, "
            "not capped by CLV or budget"
        )
        return OfferDecision(
            offer=Offer(kind=rule.offer, amount=amount, currency=cur, basis=basis),
            cap=amount,
            escalate=rule.escalate,
            reasons=reasons,
            policy_version=policy.version,
        )
    order_share = None
    cat_rule = policy.categories.get(case.issue.category)
    if cat_rule is not None:
        order_share = cat_rule.order_share[case.issue.severity - 1]
    capped = _cap(case, policy, order_share, budget)
    if isinstance(capped, OfferDecision):
        return capped.model_copy(update={"reasons": [*reasons, *capped.reasons]})
    cap, cap_reasons = capped
    reasons.extend(cap_reasons)
    if not _may_get(case, policy, rule.offer):
        reasons.append(f"{case.customer.tier.value} may not get {_PLAIN[rule.offer]}: apology")
        return _no_money(case, policy, cap, rule.escalate, reasons)
    if amount > cap:
        reasons.append(f"{format_money(amount, cur)} is over the cap: {format_money(cap, cur)}")
        amount = cap
    if amount <= 0 or amount < policy.min_amount:
        reasons.append(f"{format_money(amount, cur)} is under the smallest offer: apology")
        return _no_money(case, policy, cap, rule.escalate, reasons)
    reasons.append(f"{_PLAIN[rule.offer]} {format_money(amount, cur)} (goodwill)")
    return OfferDecision(
        offer=Offer(kind=rule.offer, amount=amount, currency=cur, basis=basis),
        cap=cap,
        escalate=rule.escalate,
        reasons=reasons,
        policy_version=policy.version,
    )


# Explaining ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleTrace:
    """One rule's part in a decision: `status` is applied, skipped, or not reached."""

    index: int
    name: str
    status: str
    why: str


@dataclass(frozen=True)
class Explanation:
    decision: OfferDecision
    rules: list[RuleTrace]


def explain(case: Case, policy: Policy) -> Explanation:
    """The decision, and for every rule whether it matched and why (or why not)."""
    decision = decide(case, policy)
    facts = facts_of(case)
    traces: list[RuleTrace] = []
    decided = False
    for i, rule in enumerate(policy.compiled_rules):
        holds = rule.when is None or rule.when.holds(facts)
        why = rule.when.why(facts) if rule.when is not None else "it has no condition"
        if decided:
            status = "not reached (would match)" if holds else "not reached"
        else:
            status = "applied" if holds else "did not match"
            decided = holds
        traces.append(RuleTrace(index=i, name=rule.name, status=status, why=why))
    return Explanation(decision=decision, rules=traces)
