"""The policy engine as it was before rulebooks (commit 43f00f4), kept to prove the default
policy, and any policy without rules, still decides exactly as before."""

from __future__ import annotations

from decimal import Decimal

from bot.domain import MINOR_UNITS, Case, Offer, OfferDecision, OfferKind, Tier, round_down
from bot.policy._schema import (
    FIXED_VALUE_KINDS,
    MONEY_KINDS,
    NO_MONEY_KINDS,
    ORDER_VALUE_KINDS,
    REFUND_KINDS,
    Policy,
)

__all__ = ["decide_before"]

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
    case: Case, policy: Policy, cap: Decimal, escalate: bool, reasons: list[str]
) -> OfferDecision:
    cur = case.order.currency
    return OfferDecision(
        offer=Offer(kind=OfferKind.apology_only, amount=round_down(_ZERO, cur), currency=cur),
        cap=round_down(cap, cur),
        escalate=escalate,
        reasons=reasons,
        policy_version=policy.version,
    )


def decide_before(
    case: Case,
    policy: Policy,
    *,
    budget_spent: Decimal | None = None,
    budget_spent_month: Decimal | None = None,
) -> OfferDecision:
    """Decide the goodwill offer for one case; same inputs, same decision and version.

    `budget_spent` is the goodwill already given today and `budget_spent_month` this month,
    in the order's currency; a budget the policy sets is only applied when its spend is given.
    """
    cur = case.order.currency
    cust, issue, order = case.customer, case.issue, case.order
    sev = issue.severity
    tier_rule = policy.tiers[cust.tier]
    cat_rule = policy.categories[issue.category]
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

    order_share = cat_rule.order_share[sev - 1]
    by_share = round_down(share * residual, cur)
    by_tier = round_down(tier_rule.max_amount, cur)
    by_order = round_down(order_share * order.value, cur)
    cap = min(by_share, by_tier, by_order)
    binding = (
        "CLV share" if cap == by_share else "tier limit" if cap == by_tier else "order-value limit"
    )
    reasons = [
        f"{share_src}: {_pct(share)} of residual CLV {money(residual)} = {money(by_share)}",
        f"{cust.tier.value} limit {money(by_tier)}; {issue.category.value} severity {sev}: "
        f"{_pct(order_share)} of order {money(order.value)} = {money(by_order)}",
        f"cap {money(cap)} (the {binding})",
    ]

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

    escalate = cat_rule.escalate_at_severity is not None and sev >= cat_rule.escalate_at_severity
    refunds_ok = _TIERS.index(cust.tier) >= _TIERS.index(policy.refunds_from_tier)
    assert policy.severity_scale is not None
    scale = policy.severity_scale[sev - 1]
    target = round_down(cap * scale, cur)
    offer: Offer | None = None
    for rung in cat_rule.ladder:
        kind = rung.kind
        if not rung.min_severity <= sev <= rung.max_severity:
            continue
        if kind not in NO_MONEY_KINDS and kind not in tier_rule.kinds:
            continue
        if kind in REFUND_KINDS and not refunds_ok:
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
