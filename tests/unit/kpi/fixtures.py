"""Load tests/data/kpi_tickets.json into `TicketRecord`s: the hand-computed KPI fixture."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.kpi import ModelCall, OfferRecord, PerceptionReading, Snapshot, TicketRecord

DATA = Path(__file__).resolve().parents[2] / "data"
KPI_TICKETS = DATA / "kpi_tickets.json"
AT = datetime.fromisoformat("2024-06-01T00:00:00+00:00")


def _dec(value: str | None) -> Decimal | None:
    return Decimal(value) if value is not None else None


def record_from_json(row: dict[str, Any]) -> TicketRecord:
    created = datetime.fromisoformat(row["created_at"])
    offer = row.get("offer")
    return TicketRecord(
        ticket_id=row["ticket_id"],
        customer_id=row["customer_id"],
        created_at=created,
        channel=row["channel"],
        category=row["category"],
        severity=row.get("severity", 1),
        status=row.get("status", "resolved"),
        tier=row.get("tier"),
        segment=row.get("segment"),
        policy_version=row.get("policy_version"),
        clv_at_issue=_dec(row.get("clv_at_issue")),
        residual_clv_at_issue=_dec(row.get("residual_clv_at_issue")),
        later_snapshots=tuple(
            Snapshot(
                clv=Decimal(s["clv"]),
                taken_at=datetime.fromisoformat(s["taken_at"]),
                reason=s["reason"],
            )
            for s in row.get("later_snapshots", [])
        ),
        offer=OfferRecord(
            kind=offer["kind"],
            amount=Decimal(offer["amount"]),
            currency=offer["currency"],
            status=offer["status"],
        )
        if offer
        else None,
        escalated=row.get("escalated", False),
        human_handled=row.get("human_handled", False),
        guard_rejections=row.get("guard_rejections", 0),
        template_fallback=row.get("template_fallback", False),
        model_calls=tuple(ModelCall(**c) for c in row.get("model_calls", [])),
        first_response_at=created + timedelta(seconds=row["first_response_s"])
        if "first_response_s" in row
        else None,
        next_contact_at=datetime.fromisoformat(row["next_contact_at"])
        if row.get("next_contact_at")
        else None,
        perception_pre=PerceptionReading(**row["perception_pre"])
        if row.get("perception_pre")
        else None,
        perception_post=PerceptionReading(**row["perception_post"])
        if row.get("perception_post")
        else None,
    )


def load_records(path: Path = KPI_TICKETS) -> list[TicketRecord]:
    return [record_from_json(row) for row in json.loads(path.read_text())["tickets"]]


def varied_records(n: int = 60, seed: int = 7) -> list[TicketRecord]:
    """A seeded mix of tickets over every tier, channel and category (for pictures, not maths)."""
    import random

    rng = random.Random(seed)
    tiers = ["bronze", "silver", "gold", "platinum"]
    segments = ["champions", "loyal", "potential_loyalists", "at_risk", "cant_lose_them", "lost"]
    categories = [
        "late_delivery",
        "damaged_item",
        "wrong_item",
        "missing_item",
        "billing_error",
        "service_outage",
        "poor_service",
    ]
    kinds = ["store_credit", "refund_partial", "discount_code", "free_shipping", "replacement"]
    start = datetime.fromisoformat("2024-01-01T08:00:00+00:00")
    records = []
    for i in range(n):
        tier = rng.choice(tiers)
        clv = Decimal(rng.randrange(80, 900))
        created = start + timedelta(hours=rng.randrange(0, 24 * 60))
        ratio = Decimal(str(rng.uniform(0.4, 1.15))).quantize(Decimal("0.01"))
        status = rng.choices(["accepted", "sent", "declined"], weights=[6, 2, 2])[0]
        pre = rng.uniform(10, 55)
        source = rng.choices(["survey", "estimated"], weights=[3, 1])[0]
        records.append(
            TicketRecord(
                ticket_id=f"K{i:03d}",
                customer_id=f"cust{rng.randrange(0, n * 2 // 3):03d}",
                created_at=created,
                channel=rng.choice(["web", "email", "chat", "assist"]),
                category=rng.choice(categories),
                tier=tier,
                segment=rng.choice(segments),
                policy_version=rng.choice(["2024.1+ab12cd", "2024.2+ef34gh"]),
                clv_at_issue=clv,
                residual_clv_at_issue=(clv * Decimal("0.6")).quantize(Decimal(1)),
                later_snapshots=(Snapshot(clv=clv * ratio, taken_at=created + timedelta(days=91)),)
                if rng.random() < 0.85
                else (),
                offer=OfferRecord(
                    kind=rng.choice(kinds),
                    amount=(clv * Decimal(str(rng.uniform(0.02, 0.2)))).quantize(Decimal("0.01")),
                    currency="USD",
                    status=status,
                ),
                escalated=rng.random() < 0.12,
                human_handled=rng.random() < 0.2,
                guard_rejections=rng.choices([0, 1, 2], weights=[8, 2, 1])[0],
                template_fallback=rng.random() < 0.1,
                model_calls=(
                    ModelCall(
                        provider=rng.choice(["local", "openai"]),
                        tokens=rng.randrange(60, 180),
                        latency_ms=rng.uniform(300, 1500),
                    ),
                ),
                first_response_at=created + timedelta(seconds=rng.uniform(2, 120)),
                next_contact_at=created + timedelta(days=rng.uniform(2, 40))
                if rng.random() < 0.25
                else None,
                perception_pre=PerceptionReading(score=round(pre, 1), source=source),
                perception_post=PerceptionReading(
                    score=round(min(100.0, pre + rng.uniform(-10, 50)), 1), source=source
                ),
            )
        )
    return records
