"""The ledger: one offer per order and issue whoever asks, and residual CLV = CLV - goodwill given."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from bot.domain import Offer as DomainOffer
from bot.domain import OfferDecision, OfferKind
from bot.store import (
    GIVEN_STATUSES,
    Customer,
    Decision,
    Offer,
    Ticket,
    case_customer,
    decision_from_row,
    decision_row,
    ledger_mark,
    make_engine,
    make_sessionmaker,
    new_id,
    record_goodwill_offer,
    record_offer,
    standing,
    upgrade,
    utcnow,
)


def _setup(url: str):
    upgrade(url)
    engine = make_engine(url)
    return engine, make_sessionmaker(engine)


def _ticket(s, customer_id: str, order_id: str = "o1") -> str:
    t = Ticket(
        customer_id=customer_id,
        channel="api",
        order_id=order_id,
        order_value=Decimal("50"),
        currency="USD",
    )
    s.add(t)
    s.flush()
    return t.id


def _offer(
    s,
    customer_id: str,
    order_id: str,
    *,
    amount: str,
    category: str = "late_delivery",
    status: str = "sent",
    key: str | None = None,
):
    return record_offer(
        s,
        ticket_id=_ticket(s, customer_id, order_id),
        customer_id=customer_id,
        order_id=order_id,
        category=category,
        kind="store_credit",
        amount=Decimal(amount),
        currency="USD",
        policy_version="p1",
        idempotency_key=key,
        status=status,
    )


def test_a_second_offer_for_the_same_order_and_issue_returns_the_first(db_url: str) -> None:
    engine, sessions = _setup(db_url)
    with sessions.begin() as s:
        s.add(Customer(id="c1", clv=Decimal("500")))
        first, new1 = _offer(s, "c1", "o1", amount="20.00", key="k1")
        again, new2 = _offer(s, "c1", "o1", amount="35.00", key="k2")
        other_issue, new3 = _offer(s, "c1", "o1", amount="5.00", category="damaged_item")
        assert (new1, new2, new3) == (True, False, True)
        assert again.id == first.id and again.amount == Decimal("20.00")
        assert other_issue.id != first.id
    engine.dispose()


def test_the_same_idempotency_key_never_makes_two_offers(db_url: str) -> None:
    engine, sessions = _setup(db_url)
    with sessions.begin() as s:
        s.add(Customer(id="c1", clv=Decimal("500")))
        first, _ = _offer(s, "c1", "o1", amount="20.00", key="same")
        second, inserted = _offer(s, "c1", "o2", amount="20.00", key="same")
        assert not inserted and second.id == first.id
    engine.dispose()


def test_declined_offers_cost_nothing_and_old_ones_leave_the_90_day_window(db_url: str) -> None:
    engine, sessions = _setup(db_url)
    now = utcnow()
    with sessions.begin() as s:
        customer = Customer(id="c1", clv=Decimal("300"), tier="gold", segment="loyal")
        s.add(customer)
        _offer(s, "c1", "o1", amount="10.00")
        _offer(s, "c1", "o2", amount="99.00", status="declined")
        old, _ = _offer(s, "c1", "o3", amount="25.50", status="accepted")
        old.created_at = now - timedelta(days=200)
        s.flush()
        st_ = standing(s, customer, now=now)
    assert st_.goodwill_total == Decimal("35.50")
    assert st_.residual_clv == Decimal("264.50")
    assert (st_.appeasements_90d, st_.appeasement_spend_90d) == (1, Decimal("10.00"))
    assert case_customer(st_).residual_clv == Decimal("264.50")
    engine.dispose()


def test_residual_clv_is_clv_minus_goodwill_given_to_the_cent(tmp_path) -> None:
    engine, sessions = _setup(f"sqlite:///{tmp_path / 'p.db'}")
    amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000"), places=2)
    statuses = st.sampled_from(["proposed", "sent", "accepted", "declined"])

    @given(
        clv=st.decimals(min_value=0, max_value=Decimal("100000"), places=2),
        offers=st.lists(st.tuples(amounts, statuses), max_size=8),
    )
    def check(clv: Decimal, offers: list[tuple[Decimal, str]]) -> None:
        cid = new_id()
        with sessions.begin() as s:
            customer = Customer(id=cid, clv=clv)
            s.add(customer)
            s.flush()
            for i, (amount, status) in enumerate(offers):
                _offer(s, cid, f"{cid}-{i}", amount=str(amount), status=status)
            st_ = standing(s, customer)
        given_total = sum((a for a, status in offers if status in GIVEN_STATUSES), Decimal(0))
        assert st_.residual_clv == clv - given_total
        assert st_.appeasements_90d == sum(status in GIVEN_STATUSES for _, status in offers)

    check()
    engine.dispose()


def test_a_decision_survives_the_round_trip_through_its_row(tmp_path) -> None:
    engine, sessions = _setup(f"sqlite:///{tmp_path / 'd.db'}")

    @given(
        amount=st.decimals(min_value=0, max_value=Decimal("99999"), places=2),
        kind=st.sampled_from(list(OfferKind)),
        escalate=st.booleans(),
        reasons=st.lists(st.text(max_size=40), max_size=4),
    )
    def check(amount: Decimal, kind: OfferKind, escalate: bool, reasons: list[str]) -> None:
        decision = OfferDecision(
            offer=DomainOffer(kind=kind, amount=amount, currency="EUR"),
            cap=amount,
            escalate=escalate,
            reasons=reasons,
            policy_version="v+abc",
        )
        with sessions.begin() as s:
            cid = new_id()
            s.add(Customer(id=cid))
            s.flush()
            row = decision_row(_ticket(s, cid), decision)
            s.add(row)
            s.flush()
            row_id = row.id
        with sessions() as s:
            assert decision_from_row(s.get(Decision, row_id)) == decision

    check()
    engine.dispose()


def test_a_goodwill_offer_goes_in_only_while_the_ledger_stands_where_it_was_read(
    db_url: str,
) -> None:
    """The record step's one-statement path: a moved mark or a taken order inserts nothing."""
    engine, sessions = _setup(db_url)

    def offer(s, order_id: str, mark: int, *, customer: str = "c1", budgets: bool = False) -> bool:
        return record_goodwill_offer(
            s,
            mark=mark,
            budgets=budgets,
            ticket_id=_ticket(s, customer, order_id),
            customer_id=customer,
            order_id=order_id,
            category="late_delivery",
            kind="store_credit",
            amount=Decimal("20.00"),
            currency="USD",
            policy_version="p1",
            idempotency_key=None,
        )

    with sessions.begin() as s:
        s.add_all([Customer(id="c1", clv=Decimal("500")), Customer(id="c2", clv=Decimal("500"))])
        s.flush()
        read = ledger_mark(s, "c1")
        assert offer(s, "o1", read)
        assert not offer(s, "o2", read)  # c1's ledger moved since `read`
        assert offer(s, "o2", ledger_mark(s, "c1"))
        assert not offer(s, "o2", ledger_mark(s, "c1"))  # this order and issue have one
        whole = ledger_mark(s)
        assert offer(s, "o3", ledger_mark(s, "c2"), customer="c2")  # c2's mark: c1's unchanged
        assert not offer(s, "o4", whole, budgets=True)  # the whole ledger's mark moved
    with sessions() as s:
        rows = s.query(Offer).order_by(Offer.id).all()
        assert [(o.order_id, o.customer_id, o.status) for o in rows] == [
            ("o1", "c1", "sent"),
            ("o2", "c1", "sent"),
            ("o3", "c2", "sent"),
        ]
        assert rows[0].base_amount == Decimal("20.00") and rows[0].base_currency == "USD"
    engine.dispose()
