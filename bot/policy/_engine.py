"""The decision: a pure function of the case and the policy, so it can be replayed and tested.

    cap    = min(share x residual CLV, tier absolute limit, category share x order value)
    offer  = the first rung of the category's ladder that the tier may get, that fits the
             severity, and whose money value fits under the cap; money rungs use
             cap x severity_scale[severity]
    amount <= cap always; both round DOWN to the currency's minor unit.

Escalation (no automatic money): residual CLV at or below zero, a repeat claimant (abuse
rules), an exhausted goodwill budget, or a category rule that escalates at that severity.
"""

from __future__ import annotations

from decimal import Decimal

from bot.domain import Case, Offer, OfferDecision, OfferKind, round_down
from bot.policy._schema import MONEY_KINDS, Policy

__all__ = ["decide", "format_money"]

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


def format_money(amount: Decimal, currency: str) -> str:
    """Plain money text for reasons (the customer-facing text is formatted by locale elsewhere)."""
    symbol = _SYMBOLS.get(currency)
    return f"{symbol}{amount:,.2f}" if symbol else f"{amount:,.2f} {currency}"


def _pct(share: Decimal) -> str:
    return f"{(share * 100).normalize():f}%"


def decide(case: Case, policy: Policy, *, budget_spent: Decimal | None = None) -> OfferDecision:
    """Decide the goodwill offer for one case; same inputs, same decision and version."""
    cur = case.order.currency
    cust, issue = case.customer, case.issue
    sev = issue.severity
    tier_rule = policy.tiers[cust.tier]
    cat_rule = policy.categories[issue.category]
    seg_rule = policy.segments.get(cust.segment)
    share = (
        seg_rule.clv_share if seg_rule and seg_rule.clv_share is not None else tier_rule.clv_share
    )
    share_src = (
        f"{cust.segment.value} segment"
        if seg_rule and seg_rule.clv_share is not None
        else cust.tier.value
    )

    def money(a: Decimal) -> str:
        return format_money(a, cur)

    def no_money(
        kind: OfferKind, escalate: bool, reasons: list[str], cap: Decimal
    ) -> OfferDecision:
        return OfferDecision(
            offer=Offer(kind=kind, amount=Decimal(0), currency=cur),
            cap=cap, escalate=escalate, reasons=reasons, policy_version=policy.version,
        )  # fmt: skip

    residual = cust.residual_clv
    if residual <= 0:
        return no_money(
            OfferKind.apology_only,
            policy.no_residual.escalate,
            [f"residual CLV {money(residual)} is not positive: no money offer"
             + ("; escalate to a human" if policy.no_residual.escalate else "")],
            Decimal(0),
        )  # fmt: skip

    abuse = policy.abuse
    if (
        cust.appeasements_90d > abuse.max_appeasements
        or cust.appeasement_spend_90d > abuse.max_spend
    ):
        return no_money(
            OfferKind.apology_only, True,
            [f"repeat claimant: {cust.appeasements_90d} appeasements worth "
             f"{money(cust.appeasement_spend_90d)} in {abuse.window_days} days (limits "
             f"{abuse.max_appeasements} and {money(abuse.max_spend)}): no automatic offer, "
             "escalate"],
            Decimal(0),
        )  # fmt: skip

    by_share = round_down(share * residual, cur)
    by_order = round_down(cat_rule.order_share[sev - 1] * case.order.value, cur)
    by_tier = round_down(tier_rule.max_amount, cur)
    cap = min(by_share, by_tier, by_order)
    reasons = [
        f"{share_src}: {_pct(share)} of residual CLV {money(residual)} = {money(by_share)}",
        f"{cust.tier.value} limit {money(by_tier)}; {issue.category.value} severity {sev} limit "
        f"{_pct(cat_rule.order_share[sev - 1])} of order {money(case.order.value)} "
        f"= {money(by_order)}",
        f"cap {money(cap)}",
    ]

    budget_left: Decimal | None = None
    if policy.budget.daily is not None and budget_spent is not None:
        budget_left = max(Decimal(0), policy.budget.daily - budget_spent)
        if budget_left < cap:
            cap = round_down(budget_left, cur)
            reasons.append(f"daily goodwill budget leaves {money(budget_left)}: cap {money(cap)}")
        if cap <= 0:
            reasons.append("goodwill budget exhausted: escalate")
            return no_money(OfferKind.apology_only, True, reasons, Decimal(0))

    escalate = cat_rule.escalate_at_severity is not None and sev >= cat_rule.escalate_at_severity
    if escalate:
        reasons.append(f"{issue.category.value} at severity {sev} goes to a human as well")

    target = round_down(cap * policy.severity_scale[sev - 1], cur)
    for rung in cat_rule.ladder:
        kind = rung.kind
        if not rung.min_severity <= sev <= rung.max_severity:
            continue
        if kind not in (OfferKind.apology_only, OfferKind.none) and kind not in tier_rule.kinds:
            continue
        if kind in (OfferKind.apology_only, OfferKind.none):
            amount = Decimal(0)
        elif kind in MONEY_KINDS:
            amount = target
            if amount < policy.min_amount:
                continue
        elif kind in (OfferKind.replacement, OfferKind.refund_full):
            amount = round_down(case.order.value, cur)
        else:  # free_shipping and any other fixed-value kind
            amount = round_down(policy.offer_values.get(kind, Decimal(0)), cur)
        if amount > cap:
            continue
        if kind in MONEY_KINDS:
            detail = (
                f"{_pct(policy.severity_scale[sev - 1])} of cap -> {_PLAIN[kind]} {money(amount)}"
            )
        else:
            detail = f"{_PLAIN[kind]}" + (f" worth {money(amount)}" if amount else "")
        reasons.append(f"{issue.category.value} severity {sev}: {detail}")
        return OfferDecision(
            offer=Offer(kind=kind, amount=amount, currency=cur),
            cap=cap, escalate=escalate, reasons=reasons, policy_version=policy.version,
        )  # fmt: skip
    reasons.append(f"no rung of the {issue.category.value} ladder fits under the cap: apology only")
    return no_money(OfferKind.apology_only, escalate, reasons, cap)
