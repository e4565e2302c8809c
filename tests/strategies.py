"""Hypothesis strategies: any case the contract allows, and any policy the schema accepts."""

from __future__ import annotations

import functools
import random
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from bot.domain import Case, CaseCustomer, Issue, IssueCategory, OfferKind, Order, Segment, Tier

money = st.decimals(min_value=Decimal("-500"), max_value=Decimal("100000"), places=2)
positive_money = st.decimals(min_value=Decimal("0"), max_value=Decimal("100000"), places=2)
currencies = st.sampled_from(["USD", "EUR", "GBP", "JPY", "KWD"])
shares = st.decimals(min_value=0, max_value=1, places=3)


@st.composite
def customers(draw: st.DrawFn) -> CaseCustomer:
    clv = draw(positive_money)
    return CaseCustomer(
        id=draw(st.text(min_size=1, max_size=8, alphabet="abcdef0123")),
        clv=clv,
        residual_clv=draw(st.one_of(money, st.just(clv))),
        tier=draw(st.sampled_from(list(Tier))),
        segment=draw(st.sampled_from(list(Segment))),
        appeasements_90d=draw(st.integers(0, 10)),
        appeasement_spend_90d=draw(st.decimals(min_value=0, max_value=1000, places=2)),
    )


@st.composite
def cases(draw: st.DrawFn) -> Case:
    return Case(
        customer=draw(customers()),
        order=Order(id="o1", value=draw(positive_money), currency=draw(currencies)),
        issue=Issue(
            category=draw(st.sampled_from(list(IssueCategory))), severity=draw(st.integers(1, 3))
        ),
    )


_REFUNDS = [OfferKind.refund_partial, OfferKind.refund_full]
_FUTURE = [
    OfferKind.discount_code,
    OfferKind.free_shipping,
    OfferKind.store_credit,
    OfferKind.replacement,
]


def random_policy_data(seed: int) -> dict[str, Any]:
    """A policy as the plain data a YAML file holds, valid by construction, from a seed.

    Built with `random.Random(seed)` rather than drawn field by field: a policy has ~150 values
    and hypothesis spends far longer drawing them than the engine spends deciding. A failing
    example still names its seed, so it replays exactly.
    """
    rng = random.Random(seed)

    def share() -> str:
        return str(rng.choice([Decimal(0), Decimal(1), Decimal(rng.randint(0, 1000)) / 1000]))

    def amount(top: int = 500) -> str:
        return str(rng.choice([Decimal(0), Decimal(rng.randint(0, top * 100)) / 100]))

    tier_list = list(Tier)
    refunds_from = rng.choice(tier_list)
    tiers = {}
    for rank, tier in enumerate(tier_list):
        allowed = _FUTURE + (_REFUNDS if rank >= tier_list.index(refunds_from) else [])
        kinds = rng.sample(allowed, rng.randint(1, len(allowed)))
        tiers[tier.value] = {
            "clv_share": share(),
            "max_amount": amount(),
            "kinds": [k.value for k in kinds],
        }
    categories = {}
    for category in IssueCategory:
        rungs = []
        for _ in range(rng.randint(1, 5)):
            lo, hi = sorted((rng.randint(1, 3), rng.randint(1, 3)))
            kind = rng.choice(list(OfferKind))
            rungs.append({"kind": kind.value, "min_severity": lo, "max_severity": hi})
        categories[category.value] = {
            "order_share": [share() for _ in range(3)],
            "ladder": rungs,
            "escalate_at_severity": rng.choice([None, None, 1, 2, 3]),
        }
    segments = {
        s.value: {"clv_share": share()} for s in rng.sample(list(Segment), rng.randint(0, 3))
    }
    return {
        "version": f"v{rng.randint(0, 99)}",
        "severity_scale": sorted((share() for _ in range(3)), key=Decimal),
        "refunds_from_tier": refunds_from.value,
        "tiers": tiers,
        "segments": segments,
        "categories": categories,
        "offer_values": {"free_shipping": amount(20)},
        "min_amount": amount(20),
        "abuse": {
            "window_days": rng.randint(1, 365),
            "max_appeasements": rng.randint(0, 6),
            "max_spend": amount(),
        },
        "budget": {
            "daily": rng.choice([None, amount(2000)]),
            "monthly": rng.choice([None, amount(20000)]),
        },
        "no_residual": {"escalate": rng.random() < 0.5},
    }


def policy_data() -> st.SearchStrategy[dict[str, Any]]:
    """Fresh (mutable) data of any valid policy."""
    return st.integers(0, 2**32 - 1).map(random_policy_data)


@functools.cache
def _policy(seed: int) -> Any:
    from bot.policy import Policy

    return Policy.model_validate(random_policy_data(seed))


def policies(distinct: int = 1000) -> st.SearchStrategy[Any]:
    """Any valid `bot.policy.Policy`, from a pool of `distinct` seeds validated once each."""
    return st.integers(0, distinct - 1).map(_policy)
