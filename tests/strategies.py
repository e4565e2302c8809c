"""Hypothesis strategies for cases: any customer, order and issue the contract allows."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import strategies as st

from bot.domain import Case, CaseCustomer, Issue, IssueCategory, Order, Segment, Tier

money = st.decimals(min_value=Decimal("-500"), max_value=Decimal("100000"), places=2)
positive_money = st.decimals(min_value=Decimal("0"), max_value=Decimal("100000"), places=2)
currencies = st.sampled_from(["USD", "EUR", "GBP", "JPY", "KWD"])


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
