"""`answer_offer`: exactly once, even when two answers race; what it does to the standing."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.errors import Conflict, Forbidden, NotFound
from bot.service import answer_offer, handle_ticket, offers_for_order, ticket_offer
from bot.store import Customer, Event, EventType, OfferStatus, standing
from tests.unit.service.helpers import add_customer, ticket


def _offer(sessions, policy, drafter, order_id: str = "A1") -> dict:
    add_customer(sessions, f"vip-{order_id}")
    out = handle_ticket(
        sessions, ticket(f"vip-{order_id}", order_id), policy=policy, drafter=drafter
    )
    assert out.decision.offer.amount > 0
    offer = ticket_offer(sessions, ticket_id=out.ticket_id)
    assert offer is not None and offer["status"] == OfferStatus.sent
    return offer


def test_an_answer_lands_once_and_is_logged(sessions, policy, drafter) -> None:
    offer = _offer(sessions, policy, drafter)
    first = answer_offer(sessions, offer["id"], accepted=True, by="service")
    assert (first.changed, first.offer["status"]) == (True, "accepted")
    assert answer_offer(sessions, offer["id"], accepted=True, by="service").changed is False
    with pytest.raises(Conflict, match="already accepted"):
        answer_offer(sessions, offer["id"], accepted=False, by="service")
    with pytest.raises(NotFound):
        answer_offer(sessions, 10**9, accepted=True, by="service")
    with pytest.raises(Forbidden):
        answer_offer(sessions, offer["id"], accepted=True, by="zendesk", customer_id="someone")
    with sessions() as s:
        types = s.execute(select(Event.type).where(Event.ticket_id == offer["ticket_id"]))
        assert list(types.scalars()).count(EventType.offer_accepted) == 1
    [row] = offers_for_order(sessions, "A1")
    assert row["id"] == row["offer_id"] == offer["id"] and row["status"] == "accepted"


def test_two_racing_answers_one_wins_the_other_is_a_conflict(sessions, policy, drafter) -> None:
    offer = _offer(sessions, policy, drafter, "RACE")
    barrier = threading.Barrier(8)
    outcomes: list[str] = []
    lock = threading.Lock()

    def answer(accepted: bool) -> None:
        barrier.wait()
        try:
            result = answer_offer(sessions, offer["id"], accepted=accepted, by="service")
            outcome = f"{result.offer['status']}:{'changed' if result.changed else 'same'}"
        except Conflict:
            outcome = "conflict"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=answer, args=(i % 2 == 0,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    changed = [o for o in outcomes if o.endswith(":changed")]
    assert len(changed) == 1, outcomes
    winner = changed[0].split(":")[0]
    loser = "declined" if winner == "accepted" else "accepted"
    # The winner's side repeats as a no-op; the other side is refused.
    assert all(o in (f"{winner}:changed", f"{winner}:same", "conflict") for o in outcomes)
    assert outcomes.count("conflict") == 4, outcomes
    assert f"{loser}:changed" not in outcomes
    with sessions() as s:
        events = (
            s.execute(
                select(Event.type).where(
                    Event.ticket_id == offer["ticket_id"],
                    Event.type.in_([EventType.offer_accepted, EventType.offer_declined]),
                )
            )
            .scalars()
            .all()
        )
    assert len(events) == 1


def test_a_declined_offer_goes_back_to_the_residual_clv(sessions, policy, drafter) -> None:
    offer = _offer(sessions, policy, drafter, "BACK")
    with sessions() as s:
        before = standing(s, s.get(Customer, "vip-BACK"))  # type: ignore[arg-type]
    answer_offer(sessions, offer["id"], accepted=False, by="service")
    with sessions() as s:
        after = standing(s, s.get(Customer, "vip-BACK"))  # type: ignore[arg-type]
    assert after.residual_clv == before.residual_clv + Decimal(offer["amount"])
    assert after.appeasements_90d == before.appeasements_90d - 1
