"""Hand-made store rows for service tests: a migrated database and a customer with a known score."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.domain import Issue, Order
from bot.service import TicketRequest
from bot.store import Customer, make_engine, make_sessionmaker, upgrade


@contextmanager
def migrated(url: str) -> Iterator[sessionmaker[Session]]:
    upgrade(url)
    engine = make_engine(url)
    try:
        yield make_sessionmaker(engine)
    finally:
        engine.dispose()


def add_customer(
    sessions: sessionmaker[Session],
    customer_id: str = "vip",
    *,
    clv: str = "900",
    tier: str = "platinum",
    segment: str = "champions",
) -> str:
    with sessions.begin() as s:
        s.add(
            Customer(id=customer_id, currency="USD", clv=Decimal(clv), tier=tier, segment=segment)
        )
    return customer_id


def ticket(
    customer_id: str = "vip",
    order_id: str = "A1",
    *,
    message: str = "My parcel is two weeks late and I needed it for a birthday.",
    category: str | None = "late_delivery",
    severity: int = 3,
    value: str = "80",
) -> TicketRequest:
    return TicketRequest(
        customer_id=customer_id,
        order=Order(id=order_id, value=Decimal(value), currency="USD"),
        issue=Issue(category=category, severity=severity) if category else None,
        message=message,
    )


def hammer(n: int, call: Callable[[int], Any]) -> tuple[list[Any], list[Exception]]:
    """Run `call(i)` on n threads released together; collect results and exceptions."""
    results: list[Any] = []
    errors: list[Exception] = []
    start = threading.Barrier(n)

    def run(i: int) -> None:
        start.wait()
        try:
            results.append(call(i))
        except Exception as exc:  # every outcome is asserted on by the caller
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors
