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
