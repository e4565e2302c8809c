"""KPI speed: the maths on N tickets, the store query on SQLite, and the HTML rendering.

Baseline: the pandas group-by an analyst would write for spend and CLV by tier; the benchmark
checks that both agree to the cent, and that the store round trip gives the same KPIs.

    python -m bench kpi -- --tickets 1000 10000 50000
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.kpi import (
    KpiFilters,
    KpiReport,
    KpiWindows,
    ModelCall,
    OfferRecord,
    PerceptionReading,
    Snapshot,
    TicketRecord,
    build_report,
    render_report,
)

START = datetime.fromisoformat("2024-01-01T00:00:00+00:00")


def synthetic_records(n: int, seed: int = 1) -> list[TicketRecord]:
    rng = random.Random(seed)
    tiers = ["bronze", "silver", "gold", "platinum"]
    categories = ["late_delivery", "damaged_item", "wrong_item", "billing_error", "poor_service"]
    records = []
    for i in range(n):
        created = START + timedelta(minutes=rng.randrange(0, 60 * 24 * 180))
        clv = Decimal(rng.randrange(50, 2000))
        pre = rng.uniform(0, 60)
        records.append(
            TicketRecord(
                ticket_id=f"t{i}",
                customer_id=f"c{rng.randrange(0, max(n // 2, 1))}",
                created_at=created,
                channel=rng.choice(["web", "email", "chat"]),
                category=rng.choice(categories),
                tier=rng.choice(tiers),
                segment=rng.choice(["loyal", "at_risk", "champions"]),
                policy_version="v1",
                clv_at_issue=clv,
                residual_clv_at_issue=clv / 2,
                later_snapshots=(
                    Snapshot(
                        clv=clv * Decimal(str(round(rng.uniform(0.4, 1.2), 2))),
                        taken_at=created + timedelta(days=95),
                    ),
                ),
                offer=OfferRecord(
                    kind="store_credit",
                    amount=(clv * Decimal("0.1")).quantize(Decimal("0.01")),
                    currency="USD",
                    status=rng.choice(["sent", "accepted", "declined"]),
                ),
                model_calls=(ModelCall("local", rng.randrange(50, 200), rng.uniform(200, 900)),),
                first_response_at=created + timedelta(seconds=rng.uniform(1, 60)),
                perception_pre=PerceptionReading(pre, "survey"),
                perception_post=PerceptionReading(min(100.0, pre + rng.uniform(-10, 50)), "survey"),
            )
        )
    return records


def link_customers(records: list[TicketRecord]) -> list[TicketRecord]:
    """Give each ticket what the store would show: all of its customer's later snapshots
    (other tickets' too) and the customer's next ticket."""
    from dataclasses import replace

    by_customer: dict[str, list[TicketRecord]] = {}
    for r in records:
        by_customer.setdefault(r.customer_id, []).append(r)
    linked = {}
    for tickets in by_customer.values():
        tickets.sort(key=lambda r: r.created_at)
        snaps = [
            *(
                Snapshot(clv=r.clv_at_issue or Decimal(0), taken_at=r.created_at, reason="ticket")
                for r in tickets
            ),
            *(s for r in tickets for s in r.later_snapshots),
        ]
        for i, r in enumerate(tickets):
            later = tuple(s for s in snaps if s.taken_at > r.created_at)
            nxt = tickets[i + 1].created_at if i + 1 < len(tickets) else None
            linked[r.ticket_id] = replace(r, later_snapshots=later, next_contact_at=nxt)
    return [linked[r.ticket_id] for r in records]


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def pandas_spend_by_tier(records: list[TicketRecord]) -> dict[str, tuple[Decimal, Decimal]]:
    import pandas as pd

    frame = pd.DataFrame(
        {
            "tier": [r.tier for r in records],
            "clv": [float(r.clv_at_issue or 0) for r in records],
            "spend": [
                float(r.offer.amount) if r.offer and r.offer.status in ("sent", "accepted") else 0.0
                for r in records
            ],
        }
    )
    grouped = frame.groupby("tier")[["spend", "clv"]].sum()
    return {
        str(tier): (Decimal(str(round(row.spend, 2))), Decimal(str(round(row.clv, 2))))
        for tier, row in grouped.iterrows()
    }


def seed_store(path: str, records: list[TicketRecord]) -> str:
    """Write the synthetic tickets into a fresh SQLite store; returns its URL."""
    from sqlalchemy import insert

    from bot.store import Base, make_engine

    url = f"sqlite:///{path}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    t = Base.metadata.tables
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in t}
    for r in records:
        assert r.offer is not None and r.perception_pre and r.perception_post
        common = {"ticket_id": r.ticket_id, "created_at": r.created_at}
        rows["tickets"].append(
            {
                "id": r.ticket_id,
                "customer_id": r.customer_id,
                "channel": r.channel,
                "category": r.category,
                "status": "resolved",
                "order_id": f"o{r.ticket_id}",
                "order_value": Decimal(100),
                "currency": "USD",
                "created_at": r.created_at,
            }
        )
        rows["score_snapshots"] += [
            {
                "customer_id": r.customer_id,
                "ticket_id": r.ticket_id,
                "clv": r.clv_at_issue,
                "residual_clv": r.residual_clv_at_issue,
                "tier": r.tier,
                "segment": r.segment,
                "reason": "ticket",
                "taken_at": r.created_at,
            },
            *(
                {
                    "customer_id": r.customer_id,
                    "ticket_id": None,
                    "clv": s.clv,
                    "residual_clv": s.clv,
                    "tier": r.tier,
                    "segment": r.segment,
                    "reason": "rescore",
                    "taken_at": s.taken_at,
                }
                for s in r.later_snapshots
            ),
        ]
        rows["decisions"].append(
            {
                **common,
                "kind": r.offer.kind,
                "amount": r.offer.amount,
                "currency": "USD",
                "cap": r.offer.amount,
                "escalate": False,
                "reasons": [],
                "policy_version": "v1",
            }
        )
        rows["offers"].append(
            {
                **common,
                "customer_id": r.customer_id,
                "order_id": f"o{r.ticket_id}",
                "category": r.category,
                "kind": r.offer.kind,
                "amount": r.offer.amount,
                "currency": "USD",
                "status": r.offer.status,
                "policy_version": "v1",
            }
        )
        rows["messages"] += [
            {**common, "role": "customer", "text": "my parcel is late"},
            {
                "ticket_id": r.ticket_id,
                "role": "assistant",
                "text": "sorry",
                "created_at": r.first_response_at,
            },
        ]
        rows["surveys"] += [
            {**common, "phase": "pre", "score": r.perception_pre.score, "source": "survey"},
            {**common, "phase": "post", "score": r.perception_post.score, "source": "survey"},
        ]
        rows["events"] += [
            {
                **common,
                "type": "draft",
                "payload": {"provider": c.provider, "tokens": c.tokens, "latency_ms": c.latency_ms},
            }
            for c in r.model_calls
        ]
    customers = sorted({r.customer_id for r in records})
    with engine.begin() as conn:
        conn.execute(insert(t["customers"]), [{"id": c} for c in customers])
        for name in (
            "tickets",
            "score_snapshots",
            "decisions",
            "offers",
            "messages",
            "surveys",
            "events",
        ):
            conn.execute(insert(t[name]), rows[name])
    engine.dispose()
    return url


def store_seconds(url: str, repeat: int) -> tuple[float, KpiReport]:
    from bot.kpi import compute_kpis
    from bot.store import make_engine, make_sessionmaker

    engine = make_engine(url)
    sessions = make_sessionmaker(engine)

    def run() -> KpiReport:
        with sessions() as session:
            return compute_kpis(session, generated_at=START)

    try:
        return timed(run, repeat)
    finally:
        engine.dispose()


RESULTS = Path(__file__).resolve().parent / "results" / "kpi.md"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench kpi")
    parser.add_argument("--tickets", type=int, nargs="+", default=[1_000, 10_000, 50_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS, help="Markdown results file.")
    args = parser.parse_args(argv)
    header = "| tickets | maths s | store s | pandas s | render s | html KB | agree |"
    lines = [header, "|---:|---:|---:|---:|---:|---:|:---|"]
    print(header)
    status = 0
    for n in args.tickets:
        raw = synthetic_records(n)
        records = link_customers(raw)
        maths_s, report = timed(
            lambda records=records: build_report(
                records, KpiFilters(), KpiWindows(), generated_at=START
            ),
            args.repeat,
        )
        with tempfile.TemporaryDirectory() as tmp:
            url = seed_store(f"{tmp}/kpi.db", raw)
            store_s, stored = store_seconds(url, args.repeat)
        pandas_s, baseline = timed(lambda records=records: pandas_spend_by_tier(records), 1)
        render_s, html = timed(lambda report=report: render_report(report), 1)
        ours = {row.key: (row.spend, row.clv) for row in report.goodwill.by_tier}
        agree = (
            ours == baseline and stored.rows == report.rows and stored.goodwill == report.goodwill
        )
        line = (
            f"| {n} | {maths_s:.3f} | {store_s:.3f} | {pandas_s:.3f} | {render_s:.3f} "
            f"| {len(html) / 1024:.0f} | {'yes' if agree else 'NO'} |"
        )
        print(line, flush=True)
        lines.append(line)
        status = status or (0 if agree else 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        "# KPI benchmark\n\n"
        "Median of the repeats, on synthetic tickets (about two per customer). *maths*: "
        "`build_report` on in-memory records; *store*: `compute_kpis` reading the same tickets "
        "from SQLite (query + maths); *pandas*: the group-by an analyst would write for spend "
        "and CLV by tier (one figure, not the report; the first row includes importing "
        "pandas); *render*: `render_report`. *agree*: pandas and the report match to the cent "
        "and the store gives the same rows.\n\n" + "\n".join(lines) + "\n",
        encoding="utf-8",
    )
    return status
