"""The store's share of a ticket, in process: handle_ticket with template drafts, the ledger
under a duplicate storm, and follow-ups, on SQLite and PostgreSQL.

    python -m bench store -- --tickets 300 --threads 8

Reports p50/p99 of a whole `handle_ticket` (triage + decide + template + three transactions),
of `resolve` alone on the same tickets (so the difference is the store's cost), tickets/s with
several threads on distinct orders, a 50-way duplicate storm (one offer expected), and
follow-ups sent per second. Writes bench/results/store.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results" / "store.md"
PG = os.environ.get("APPEASE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _pg_schema_url() -> tuple[str, Any]:
    """A fresh schema on the PostgreSQL server (dropped by the returned callback)."""
    from sqlalchemy import create_engine, text

    base = PG.replace("postgresql://", "postgresql+psycopg://", 1)
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    with admin.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.begin() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}", drop


def run(url: str, *, tickets: int, threads: int) -> dict[str, float]:
    from datetime import timedelta

    from sqlalchemy import func, select

    from bot.domain import CaseCustomer, Issue, Order, Ticket
    from bot.drafting import Drafter
    from bot.pipeline import resolve
    from bot.policy import load_policy
    from bot.service import TicketRequest, handle_ticket, run_followups
    from bot.store import Customer, Offer, make_engine, make_sessionmaker, upgrade, utcnow
    from bot.triage import load_triager

    upgrade(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as s:
        for i in range(50):
            s.add(Customer(id=f"c{i}", clv=Decimal(200 + 20 * i), tier="gold", segment="loyal"))
        s.add(Customer(id="storm", clv=Decimal(5000), tier="platinum", segment="champions"))
    policy, drafter, triager = load_policy(), Drafter(None), load_triager()

    def request(i: int, order: str | None = None) -> TicketRequest:
        return TicketRequest(
            customer_id="storm" if order else f"c{i % 50}",
            order=Order(id=order or f"o{i}", value=Decimal(80)),
            issue=Issue(category="late_delivery", severity=2),
            message="My parcel is late.",
        )

    def timed(fn: Any) -> float:
        t0 = time.perf_counter()
        fn()
        return (time.perf_counter() - t0) * 1000

    handle_ticket(sessions, request(-1), policy=policy, drafter=drafter, triager=triager)  # warm
    whole = [
        timed(
            lambda i=i: handle_ticket(
                sessions,
                request(i),
                policy=policy,
                drafter=drafter,
                triager=triager,
                idempotency_key=f"seq-{i}",
            )
        )
        for i in range(tickets)
    ]
    customer = CaseCustomer(
        id="c1", clv=Decimal(400), residual_clv=Decimal(400), tier="gold", segment="loyal"
    )
    alone = [
        timed(
            lambda i=i: resolve(
                Ticket(
                    customer=customer,
                    order=Order(id=f"r{i}", value=Decimal(80)),
                    issue=Issue(category="late_delivery", severity=2),
                    message="My parcel is late.",
                ),
                policy=policy,
                drafter=drafter,
                triager=triager,
            )
        )
        for i in range(tickets)
    ]

    def storm(n: int, make: Any) -> float:
        start = threading.Barrier(n)
        errors: list[Exception] = []

        def go(i: int) -> None:
            start.wait()
            try:
                make(i)
            except Exception as exc:  # counted and reported
                errors.append(exc)

        ts = [threading.Thread(target=go, args=(i,)) for i in range(n)]
        t0 = time.perf_counter()
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        if errors:
            raise RuntimeError(f"{len(errors)} errors, first: {errors[0]!r}")
        return time.perf_counter() - t0

    per_thread = max(1, tickets // threads)
    parallel_s = storm(
        threads,
        lambda t: [
            handle_ticket(
                sessions,
                request(10_000 + t * per_thread + j),
                policy=policy,
                drafter=drafter,
                triager=triager,
                idempotency_key=f"par-{t}-{j}",
            )
            for j in range(per_thread)
        ],
    )
    storm_s = storm(
        50,
        lambda i: handle_ticket(
            sessions,
            request(i, order="STORM"),
            policy=policy,
            drafter=drafter,
            triager=triager,
            idempotency_key=f"storm-{i}",
        ),
    )
    with sessions() as s:
        storm_offers = s.execute(
            select(func.count(Offer.id)).where(Offer.order_id == "STORM")
        ).scalar_one()
    later = utcnow() + timedelta(days=policy.followup.after_days + 1)
    t0 = time.perf_counter()
    sent = 0
    while batch := run_followups(sessions, drafter=drafter, now=later, limit=200):
        sent += len(batch)
    followup_s = time.perf_counter() - t0
    engine.dispose()
    return {
        "whole_p50": statistics.median(whole),
        "whole_p99": _pct(whole, 0.99),
        "resolve_p50": statistics.median(alone),
        "resolve_p99": _pct(alone, 0.99),
        "parallel_tps": threads * per_thread / parallel_s,
        "storm_s": storm_s,
        "storm_offers": storm_offers,
        "followups_per_s": sent / followup_s,
        "followups": sent,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench store")
    parser.add_argument("--tickets", type=int, default=300)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args(argv)
    rows: list[tuple[str, dict[str, float]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        rows.append(
            (
                "SQLite (WAL)",
                run(f"sqlite:///{tmp}/bench.db", tickets=args.tickets, threads=args.threads),
            )
        )
    if not args.no_postgres:
        try:
            url, drop = _pg_schema_url()
        except Exception as exc:  # no server: report SQLite only
            print(f"PostgreSQL skipped: {exc}", file=sys.stderr)
        else:
            try:
                rows.append(("PostgreSQL", run(url, tickets=args.tickets, threads=args.threads)))
            finally:
                drop()
    lines = [
        f"# bench store ({args.tickets} tickets, {args.threads} threads, template drafts, "
        f"{os.cpu_count()} cores)",
        "",
        "| database | handle_ticket p50 / p99 ms | resolve alone p50 / p99 ms | tickets/s "
        f"({args.threads} threads) | 50 duplicates: s, offers | follow-ups/s |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in rows:
        lines.append(
            f"| {name} | {r['whole_p50']:.1f} / {r['whole_p99']:.1f} | "
            f"{r['resolve_p50']:.1f} / {r['resolve_p99']:.1f} | {r['parallel_tps']:.0f} | "
            f"{r['storm_s']:.2f}, {r['storm_offers']:.0f} | {r['followups_per_s']:.0f} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(text)
    return 0 if all(r["storm_offers"] == 1 for _, r in rows) else 1
