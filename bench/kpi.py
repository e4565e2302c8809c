"""KPI speed: the maths on N tickets, the HTML rendering, and the store query on SQLite.

Baseline: the pandas group-by a analyst would write for spend and share of CLV by tier; the
benchmark also checks that both agree to the cent.

    python -m bench kpi -- --tickets 1000 10000 50000
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from bot.kpi import (
    KpiFilters,
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


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench kpi")
    parser.add_argument("--tickets", type=int, nargs="+", default=[1_000, 10_000, 50_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"{'tickets':>8} {'maths s':>9} {'pandas s':>9} {'render s':>9} {'html KB':>8} agree")
    for n in args.tickets:
        records = synthetic_records(n)
        maths_s, report = timed(
            lambda records=records: build_report(
                records, KpiFilters(), KpiWindows(), generated_at=START
            ),
            args.repeat,
        )
        pandas_s, baseline = timed(lambda records=records: pandas_spend_by_tier(records), 1)
        render_s, html = timed(lambda report=report: render_report(report), 1)
        ours = {row.key: (row.spend, row.clv) for row in report.goodwill.by_tier}
        agree = ours == baseline
        print(
            f"{n:>8} {maths_s:>9.3f} {pandas_s:>9.3f} {render_s:>9.3f} "
            f"{len(html) / 1024:>8.0f} {'yes' if agree else 'NO'}"
        )
        if not agree:
            return 1
    return 0
