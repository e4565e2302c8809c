"""The report's raw tables as CSV files, for a spreadsheet or a notebook.

Each file is written to a temporary name and renamed into place, so a failure never leaves a
half-written table behind.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from bot.kpi._report import (
    Breakdown,
    ExperimentOutcome,
    KpiReport,
    Money,
    SpendRow,
    TicketKpi,
)

__all__ = ["CSV_TABLES", "report_tables", "write_csv"]

CSV_TABLES = (
    "summary",
    "tickets",
    "clv_customers",
    "perception",
    "spend_by_tier",
    "spend_by_segment",
    "by_category",
    "by_channel",
    "repeat_claimants",
    "experiment_outcomes",
)


def _money(items: Sequence[Money]) -> str:
    return "; ".join(f"{m.amount} {m.currency}" for m in items)


def _ids(ids: Iterable[str]) -> str:
    return " ".join(ids)


def _breakdown_rows(rows: Sequence[Breakdown]) -> list[dict[str, Any]]:
    return [
        {
            **b.model_dump(exclude={"spend", "ticket_ids"}),
            "spend": _money(b.spend),
            "ticket_ids": _ids(b.ticket_ids),
        }
        for b in rows
    ]


def report_tables(report: KpiReport) -> dict[str, list[dict[str, Any]]]:
    """Every table of the report as rows of plain values, keyed by file stem."""
    clv, perception, g = report.clv_post_issue, report.perception_change, report.goodwill
    summary = [
        ("tickets", report.tickets, "", ""),
        ("clv_post_issue_pct", clv.value, clv.band, clv.n),
        ("clv_post_issue_ratio_of_sums_pct", clv.ratio_of_sums_pct, "", clv.tickets_measured),
        ("perception_change_pts", perception.value, perception.band, perception.n),
        ("perception_positive_share_pct", perception.positive_share_pct, perception.source, ""),
        ("offer_acceptance_pct", g.offers.acceptance.pct, "", g.offers.acceptance.n),
        ("recontact_pct", g.recontact.pct, "", g.recontact.n),
        ("automation_pct", g.automation.pct, "", g.automation.n),
        ("escalation_pct", g.escalations.rate_pct, "", report.tickets),
        ("template_fallback_pct", g.guard.template_fallbacks.pct, "", report.tickets),
        ("guard_rejections", g.guard.rejections, "", report.tickets),
        ("model_tokens_total", g.model.tokens_total, "", g.model.calls),
        ("model_latency_ms_mean", g.model.latency_ms_mean, "", g.model.calls),
        ("first_response_s_mean", g.first_response.mean_s, "", g.first_response.n),
    ]
    return {
        "summary": [{"metric": m, "value": v, "band": b, "n": n} for m, v, b, n in summary],
        "tickets": [row.model_dump(mode="json") for row in report.rows],
        "clv_customers": [
            {**c.model_dump(exclude={"ticket_ids"}), "ticket_ids": _ids(c.ticket_ids)}
            for c in clv.customers
        ],
        "perception": [
            {
                "source": source,
                **group.model_dump(exclude={"ticket_ids"}),
                "ticket_ids": _ids(group.ticket_ids),
            }
            for source, group in perception.by_source.items()
        ],
        "spend_by_tier": [
            {**r.model_dump(mode="json", exclude={"ticket_ids"}), "ticket_ids": _ids(r.ticket_ids)}
            for r in g.by_tier
        ],
        "spend_by_segment": [
            {**r.model_dump(mode="json", exclude={"ticket_ids"}), "ticket_ids": _ids(r.ticket_ids)}
            for r in g.by_segment
        ],
        "by_category": _breakdown_rows(report.root_causes.by_category),
        "by_channel": _breakdown_rows(report.by_channel),
        "repeat_claimants": [
            {
                "customer_id": c.customer_id,
                "tickets": c.tickets,
                "categories": " ".join(c.categories),
                "spend": _money(c.spend),
                "ticket_ids": _ids(c.ticket_ids),
            }
            for c in report.root_causes.repeat_claimants
        ],
        # the columns `appease experiment analyze` reads (one row per exposed ticket)
        "experiment_outcomes": [o.model_dump(mode="json") for o in report.experiment_outcomes],
    }


def _to_csv(rows: list[dict[str, Any]], header: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(header), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return buffer.getvalue()


_HEADERS: dict[str, Sequence[str]] = {
    "summary": ("metric", "value", "band", "n"),
    "clv_customers": ("customer_id", "pct", "band", "ticket_ids"),
    "perception": (
        "source",
        "value",
        "band",
        "n",
        "customers",
        "mean_pre",
        "mean_post",
        "positive_share_pct",
        "ticket_ids",
    ),
    "repeat_claimants": ("customer_id", "tickets", "categories", "spend", "ticket_ids"),
}


def write_csv(report: KpiReport, directory: Path) -> list[Path]:
    """Write one CSV per table into `directory` (created if needed); return the paths."""
    headers = {
        **_HEADERS,
        "tickets": tuple(TicketKpi.model_fields),
        "spend_by_tier": (*(f for f in SpendRow.model_fields if f != "ticket_ids"), "ticket_ids"),
        "spend_by_segment": (
            *(f for f in SpendRow.model_fields if f != "ticket_ids"),
            "ticket_ids",
        ),
        "by_category": tuple(Breakdown.model_fields),
        "by_channel": tuple(Breakdown.model_fields),
        "experiment_outcomes": tuple(ExperimentOutcome.model_fields),
    }
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, rows in report_tables(report).items():
        path = directory / f"{name}.csv"
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(_to_csv(rows, headers[name]), encoding="utf-8")
        os.replace(tmp, path)
        written.append(path)
    return written
