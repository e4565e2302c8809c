"""What one ticket costs in process, beside the floor of the same database (one row, one commit).

`handle_ticket` with template drafts and the triager loaded, on a seeded store, against a
function that inserts one row in one transaction with the same engine: the ratio is what
appease's lifecycle (two commits: the message first, then the record step) costs over the
cheapest durable write this machine can do.

    python -m bench ticket_cost -- --n 300
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "ticket_cost.md"


def _timed(fn, n: int, cpu: list[float] | None = None) -> list[float]:  # type: ignore[no-untyped-def]
    """Wall milliseconds per call; with `cpu`, this thread's CPU milliseconds too (steadier than
    the wall clock on a shared machine: another job's time slices are not counted)."""
    out = []
    for i in range(n):
        t, c = time.perf_counter(), time.thread_time()
        fn(i)
        out.append((time.perf_counter() - t) * 1000)
        if cpu is not None:
            cpu.append((time.thread_time() - c) * 1000)
    return out


def measure(url: str, n: int, varied: bool = True) -> dict[str, float]:
    from sqlalchemy import insert

    from bench._complaints import ticket_cases
    from bench._floor import META, ROWS
    from bot.domain import Issue, Order
    from bot.drafting import Drafter
    from bot.policy import load_policy
    from bot.scoring import BgNbdParams, simulate_transactions
    from bot.service import TicketRequest, handle_ticket, import_transactions
    from bot.store import make_engine, make_sessionmaker, upgrade
    from bot.triage import load_triager

    upgrade(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    import_transactions(
        sessions, simulate_transactions(BgNbdParams(0.5, 20.0, 0.6, 3.0), 200, seed=5)
    )
    policy, drafter, triager = load_policy(), Drafter(None), load_triager()
    run = uuid.uuid4().hex[:6]
    # Real tickets differ: each reads its own complaint (six languages, every category), so no
    # cache sees the same words twice in a row. `fixed` is the one message of earlier rows.
    cases = ticket_cases() if varied else [("My parcel is late.", "late_delivery")]

    def ticket(i: int) -> None:
        message, category = cases[i % len(cases)]
        handle_ticket(
            sessions,
            TicketRequest(
                customer_id=str(i % 200),
                order=Order(id=f"{run}-{i}", value=Decimal(80), currency="USD"),
                issue=Issue(category=category, severity=2),
                message=message,
            ),
            policy=policy,
            drafter=drafter,
            triager=triager,
            idempotency_key=f"{run}-{i}",
        )

    META.create_all(engine)  # the same one-row table as the HTTP floor (bench/_floor.py)

    def floor(i: int) -> None:
        with engine.begin() as c:
            c.execute(insert(ROWS).values(id=f"{run}-{i}"))

    _timed(lambda i: ticket(n + i), 20)  # warm: caches, connections
    _timed(lambda i: floor(n + i), 20)
    cpu: list[float] = []
    t, f = _timed(ticket, n, cpu), _timed(floor, n)
    engine.dispose()
    return {
        "ticket": statistics.median(t),
        "ticket_cpu": statistics.median(cpu),
        "floor": statistics.median(f),
        "ticket_p99": sorted(t)[int(n * 0.99)],
        "floor_p99": sorted(f)[int(n * 0.99)],
    }


def main(argv: list[str]) -> int:
    import os

    from bench.clv import machine

    parser = argparse.ArgumentParser(prog="python -m bench ticket_cost")
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument(
        "--messages",
        choices=["varied", "fixed"],
        default="varied",
        help="each ticket its own complaint (288 in six languages), or one short message",
    )
    args = parser.parse_args(argv)
    lines = [
        f"Machine: {machine()}. {args.n} tickets in process (template drafts, issue given, "
        f"triager loaded, {args.messages} messages), medians; the floor inserts one row in one "
        "transaction on the same engine.",
        "",
        "| database | ticket (ms) | ticket CPU (ms) | floor (ms) | ratio | ticket p99 (ms) "
        "| floor p99 (ms) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    targets = [("SQLite", None)]
    pg = os.environ.get("APPEASE_TEST_POSTGRES_URL")
    if pg:
        targets.append(("PostgreSQL", pg))
    for name, url in targets:
        with tempfile.TemporaryDirectory() as tmp:
            if url is None:
                url = f"sqlite:///{tmp}/cost.db"
            else:
                from sqlalchemy import create_engine, text

                schema = f"cost_{uuid.uuid4().hex[:8]}"
                admin = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
                with admin.begin() as c:
                    c.execute(text(f'CREATE SCHEMA "{schema}"'))
                url = f"{url}?options=-csearch_path%3D{schema}"
            r = measure(url, args.n, varied=args.messages == "varied")
        ratio = r["ticket"] / r["floor"]
        print(
            f"{name}: ticket {r['ticket']:.2f} ms (CPU {r['ticket_cpu']:.2f}), floor "
            f"{r['floor']:.2f} ms ({ratio:.1f}x)"
        )
        lines.append(
            f"| {name} | {r['ticket']:.2f} | {r['ticket_cpu']:.2f} | {r['floor']:.2f} | {ratio:.1f}x | "
            f"{r['ticket_p99']:.1f} | {r['floor_p99']:.1f} |"
        )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n")
    return 0
