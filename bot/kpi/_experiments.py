"""The experiments section of the KPI report: exposed tickets joined with their KPI rows, then
`bot.experiments.analyze`, the same estimator `appease experiment analyze` runs on a CSV.

CLV at the issue, CLV after (pending until the measurement window has passed), goodwill given
(offers sent or accepted) and perception come from the ticket's KPI row, so an experiment is
measured exactly like the headline KPIs. Retained: a purchase after the ticket, within the
experiment's metric window.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pandas as pd
from sqlalchemy.orm import Session

from bot.experiments import analyze
from bot.kpi._report import ExperimentOutcome, KpiReport

__all__ = ["experiment_outcomes", "with_experiments"]

_GIVEN = ("sent", "accepted")


def experiment_outcomes(session: Session, report: KpiReport) -> list[ExperimentOutcome]:
    return _outcomes(session, report)[0]


def _outcomes(session: Session, report: KpiReport) -> tuple[list[ExperimentOutcome], set[str]]:
    """The exposed tickets' outcomes, and the experiments whose outcomes include simulation."""
    from bot.store import exposures_for_tickets

    rows = {r.ticket_id: r for r in report.rows}
    out = []
    simulated: set[str] = set()
    for exp in exposures_for_tickets(session, list(rows)):
        if exp.simulated:
            simulated.add(exp.experiment)
        row = rows[exp.ticket_id]
        given = row.offer_amount is not None and row.offer_status in _GIVEN
        out.append(
            ExperimentOutcome(
                experiment=exp.experiment,
                arm=exp.arm,
                ticket_id=exp.ticket_id,
                customer_id=exp.customer_id,
                clv_at_issue=row.clv_at_issue,
                clv_after=row.clv_after,
                spend=row.offer_amount if given and row.offer_amount is not None else Decimal(0),
                currency=row.offer_currency if given else None,
                retained=exp.retained if row.clv_after is not None else None,
                perception_pre=row.perception_pre,
                perception_post=row.perception_post,
            )
        )
    return out, simulated


def with_experiments(session: Session, report: KpiReport) -> KpiReport:
    """The report with its experiments analysed (each with its own control and shares)."""
    from bot.store import find_experiment

    outcomes, simulated = _outcomes(session, report)
    if not outcomes:
        return report
    frame = pd.DataFrame(
        [
            {
                **o.model_dump(exclude={"ticket_id", "currency"}),
                "clv_at_issue": _f(o.clv_at_issue),
                "clv_after": _f(o.clv_after),
                "spend": float(o.spend),
                "retained": None if o.retained is None else float(o.retained),
            }
            for o in outcomes
        ]
    ).astype({"retained": float, "perception_pre": float, "perception_post": float})
    currencies = Counter(o.currency for o in outcomes if o.currency)
    currency = currencies.most_common(1)[0][0] if currencies else "USD"
    analyses = []
    for name in dict.fromkeys(frame["experiment"]):
        exp = find_experiment(session, str(name))
        if exp is None:
            continue
        control = next(str(a["name"]) for a in exp.arms if a["control"])
        shares = {str(a["name"]): float(a["share"]) for a in exp.arms}
        rows = frame[frame["experiment"] == name]
        if control not in set(rows["arm"]):
            continue  # no control ticket in this selection yet: nothing to compare with
        for analysis in analyze(
            rows, control=control, shares={str(name): shares}, currency=currency
        ):
            if str(name) in simulated:
                analysis = analysis.model_copy(
                    update={
                        "simulated": True,
                        "notes": [
                            "outcomes include SIMULATED purchases (the demo)",
                            *analysis.notes,
                        ],
                    }
                )
            analyses.append(analysis)
    return report.model_copy(update={"experiments": analyses, "experiment_outcomes": outcomes})


def _f(value: Decimal | None) -> float:
    return float("nan") if value is None else float(value)
