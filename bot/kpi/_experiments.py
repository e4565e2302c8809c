"""The experiments section of the KPI report: exposed tickets joined with their KPI rows, then
`bot.experiments.analyze`, the same estimator `appease experiment analyze` runs on a CSV.

CLV at the issue, CLV after (pending until the measurement window has passed) and perception
come from the ticket's KPI row, so an experiment is measured exactly like the headline KPIs;
goodwill given (offers sent or accepted) is the ledger's base amount, so an order in yen and one
in dollars are measured together. Retained: a purchase after the ticket, within the
experiment's metric window.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd

from bot.experiments import analyze
from bot.kpi._report import ExperimentOutcome, KpiReport
from bot.store import Session

__all__ = ["experiment_outcomes", "with_experiments"]


def experiment_outcomes(session: Session, report: KpiReport) -> list[ExperimentOutcome]:
    return _outcomes(session, report).rows


@dataclass
class _Outcomes:
    rows: list[ExperimentOutcome] = field(default_factory=list)
    simulated: set[str] = field(default_factory=set)  # experiments with simulated purchases
    clv_currency: dict[str, str] = field(default_factory=dict)  # ticket id -> CLV currency
    base: Counter[str] = field(default_factory=Counter)  # the ledger's base currency, by offers


def _outcomes(session: Session, report: KpiReport) -> _Outcomes:
    """The exposed tickets' outcomes, spend in the ledger's base currency."""
    from bot.store import exposures_for_tickets

    rows = {r.ticket_id: r for r in report.rows}
    out = _Outcomes()
    for exp in exposures_for_tickets(session, list(rows)):
        if exp.simulated:
            out.simulated.add(exp.experiment)
        out.clv_currency[exp.ticket_id] = exp.clv_currency
        if exp.base_currency is not None:
            out.base[exp.base_currency] += 1
        row = rows[exp.ticket_id]
        out.rows.append(
            ExperimentOutcome(
                experiment=exp.experiment,
                arm=exp.arm,
                ticket_id=exp.ticket_id,
                customer_id=exp.customer_id,
                clv_at_issue=row.clv_at_issue,
                clv_after=row.clv_after,
                spend=exp.spend_base,
                currency=exp.base_currency or exp.clv_currency,
                retained=exp.retained if row.clv_after is not None else None,
                perception_pre=row.perception_pre,
                perception_post=row.perception_post,
            )
        )
    return out


def with_experiments(session: Session, report: KpiReport) -> KpiReport:
    """The report with its experiments analysed (each with its own control and shares).

    Net value subtracts goodwill from CLV, so both must be in one currency: an experiment is
    analysed in the ledger's base currency (every order's goodwill has its base amount there);
    customers whose CLV is kept in another currency are left out and counted in a note (money
    in two currencies is never added). The currency is known before the arm is, so leaving
    them out biases no arm.
    """
    from bot.store import find_experiment

    found = _outcomes(session, report)
    if not found.rows:
        return report
    analyses = []
    for name in dict.fromkeys(o.experiment for o in found.rows):
        exp = find_experiment(session, name)
        if exp is None:
            continue
        mine = [o for o in found.rows if o.experiment == name]
        clv = Counter(found.clv_currency[o.ticket_id] for o in mine)
        currency = (found.base or clv).most_common(1)[0][0]
        kept = [
            o.model_copy(update={"currency": currency})
            for o in mine
            if o.spend == 0 or o.currency == currency
            if found.clv_currency[o.ticket_id] == currency
        ]
        control = next(str(a["name"]) for a in exp.arms if a["control"])
        if not any(o.arm == control for o in kept):
            continue  # no control ticket in this selection yet: nothing to compare with
        shares = {str(a["name"]): float(a["share"]) for a in exp.arms}
        notes = []
        if name in found.simulated:
            notes.append("outcomes include SIMULATED purchases (the demo)")
        if len(kept) < len(mine):
            notes.append(
                f"{len(mine) - len(kept)} tickets of customers whose CLV is in a currency other "
                f"than {currency} left out (money in two currencies is never added)"
            )
        for analysis in analyze(
            _frame(kept), control=control, shares={name: shares}, currency=currency
        ):
            update = {"simulated": name in found.simulated, "notes": [*notes, *analysis.notes]}
            analyses.append(analysis.model_copy(update=update))
    return report.model_copy(update={"experiments": analyses, "experiment_outcomes": found.rows})


def _frame(outcomes: list[ExperimentOutcome]) -> pd.DataFrame:
    return pd.DataFrame(
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


def _f(value: Decimal | None) -> float:
    return float("nan") if value is None else float(value)
