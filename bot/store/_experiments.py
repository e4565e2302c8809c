"""Experiments and exposures: which experiment runs, which arm each ticket's customer saw,
and what an arm has spent (for its cap). Functions flush, never commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.errors import InputError, NotFound
from bot.store._enums import ExperimentStatus, OfferStatus
from bot.store._ledger import _BASE_AMOUNT, GIVEN_STATUSES
from bot.store._models import (
    Customer,
    Experiment,
    Exposure,
    Offer,
    Ticket,
    Transaction,
    utcnow,
)

__all__ = [
    "ExposureRow",
    "arm_spend",
    "create_experiment",
    "exposures_for_tickets",
    "find_experiment",
    "list_experiments",
    "record_exposure",
    "running_experiment",
    "stop_experiment",
]


@dataclass(frozen=True)
class ExposureRow:
    """An exposed ticket, with whether the customer bought again within the metric window."""

    experiment: str
    arm: str
    ticket_id: str
    customer_id: str
    retained: bool
    simulated: bool = False  # a purchase in the window was simulated (the demo)
    clv_currency: str = "USD"  # the customer's (and so the CLV's)
    # Goodwill sent or accepted on the ticket in the ledger's base currency (at the offer's
    # own rate), so tickets in every order currency are measured together.
    spend_base: Decimal = Decimal(0)
    base_currency: str | None = None  # None: no offer given on the ticket


def create_experiment(
    session: Session,
    *,
    name: str,
    salt: str,
    arms: list[dict[str, Any]],
    metric_window_days: int,
    now: datetime | None = None,
) -> Experiment:
    """Start an experiment; refused while another one runs or the name is taken."""
    running = running_experiment(session)
    if running is not None:
        raise InputError("experiment", f"{running.name!r} is still running: stop it first")
    if find_experiment(session, name) is not None:
        raise InputError("name", f"an experiment named {name!r} already exists")
    row = Experiment(
        name=name,
        salt=salt,
        arms=arms,
        metric_window_days=metric_window_days,
        status=ExperimentStatus.running,
        started_at=now or utcnow(),
    )
    session.add(row)
    session.flush()
    return row


def find_experiment(session: Session, name: str) -> Experiment | None:
    return session.execute(select(Experiment).where(Experiment.name == name)).scalar_one_or_none()


def running_experiment(session: Session) -> Experiment | None:
    """The newest running experiment. Every ticket asks and nearly always none runs: the id is
    read through Core (a third of an ORM query's cost), the row loaded only when there is one."""
    exp_id = session.connection().execute(_RUNNING).scalar()
    return None if exp_id is None else session.get(Experiment, exp_id)


# Built once: every ticket runs it.
_RUNNING = (
    select(Experiment.id)
    .where(Experiment.status == ExperimentStatus.running)
    .order_by(Experiment.started_at.desc())
    .limit(1)
)


def list_experiments(session: Session) -> list[tuple[Experiment, dict[str, int]]]:
    """Every experiment with its exposures per arm, newest first."""
    rows = session.execute(select(Experiment).order_by(Experiment.started_at.desc())).scalars()
    out = []
    for exp in rows:
        counts = session.execute(
            select(Exposure.arm, func.count(Exposure.id))
            .where(Exposure.experiment_id == exp.id)
            .group_by(Exposure.arm)
        ).all()
        out.append((exp, {str(arm): int(n) for arm, n in counts}))
    return out


def stop_experiment(session: Session, name: str, *, now: datetime | None = None) -> Experiment:
    row = find_experiment(session, name)
    if row is None:
        raise NotFound(f"no experiment named {name!r}")
    if row.status != ExperimentStatus.stopped:
        row.status = ExperimentStatus.stopped
        row.stopped_at = now or utcnow()
        session.flush()
    return row


def record_exposure(
    session: Session,
    *,
    experiment_id: str,
    ticket_id: str,
    customer_id: str,
    arm: str,
    policy_version: str,
    now: datetime | None = None,
) -> None:
    """One exposure per ticket: a resumed ticket keeps its first."""
    existing = session.execute(
        select(Exposure.id).where(Exposure.ticket_id == ticket_id)
    ).scalar_one_or_none()
    if existing is None:
        session.add(
            Exposure(
                experiment_id=experiment_id,
                ticket_id=ticket_id,
                customer_id=customer_id,
                arm=arm,
                policy_version=policy_version,
                created_at=now or utcnow(),
            )
        )
        session.flush()


def arm_spend(session: Session, experiment_id: str, arm: str) -> Decimal:
    """Goodwill given on the arm's exposed tickets, in the base currency (what its cap counts).

    Entitlements are owed whatever the arm, so they never draw on its cap.
    """
    total = session.execute(
        select(func.coalesce(func.sum(_BASE_AMOUNT), 0))
        .join(Exposure, Exposure.ticket_id == Offer.ticket_id)
        .where(
            Exposure.experiment_id == experiment_id,
            Exposure.arm == arm,
            Offer.status.in_(GIVEN_STATUSES),
            Offer.basis == "goodwill",
        )
    ).scalar_one()
    return Decimal(str(total))


def exposures_for_tickets(session: Session, ticket_ids: list[str]) -> list[ExposureRow]:
    """The exposures among these tickets; retained: a purchase after the ticket, in the window."""
    out: list[ExposureRow] = []
    for start in range(0, len(ticket_ids), 500):
        chunk = ticket_ids[start : start + 500]
        rows = session.execute(
            select(
                Experiment.name,
                Experiment.metric_window_days,
                Exposure.arm,
                Exposure.ticket_id,
                Exposure.customer_id,
                Ticket.created_at,
                Customer.currency,
            )
            .join(Experiment, Experiment.id == Exposure.experiment_id)
            .join(Ticket, Ticket.id == Exposure.ticket_id)
            .join(Customer, Customer.id == Exposure.customer_id)
            .where(Exposure.ticket_id.in_(chunk))
        ).all()
        if not rows:
            continue
        purchases: dict[str, list[tuple[datetime, str]]] = {}
        for customer_id, date, source in session.execute(
            select(Transaction.customer_id, Transaction.date, Transaction.source).where(
                Transaction.customer_id.in_({r[4] for r in rows}),
                Transaction.date > min(r[5] for r in rows),
            )
        ):
            purchases.setdefault(str(customer_id), []).append((date, str(source)))
        spend: dict[str, tuple[Decimal, str]] = {}  # ticket id -> (base amount, base currency)
        for ticket_id, amount, base in session.execute(
            select(
                Offer.ticket_id, _BASE_AMOUNT, func.coalesce(Offer.base_currency, Offer.currency)
            ).where(
                Offer.ticket_id.in_({r[3] for r in rows}),
                # what the KPIs count as spent (SPENT_STATUSES): proposed is not given yet
                Offer.status.in_((OfferStatus.sent, OfferStatus.accepted)),
            )
        ):
            before = spend.get(str(ticket_id), (Decimal(0), str(base)))[0]
            spend[str(ticket_id)] = (before + Decimal(str(amount)), str(base))
        for name, window, arm, ticket_id, customer_id, created, clv_cur in rows:
            end = created + timedelta(days=int(window))
            seen = [
                src for date, src in purchases.get(str(customer_id), []) if created < date <= end
            ]
            given = spend.get(str(ticket_id))
            out.append(
                ExposureRow(
                    str(name),
                    str(arm),
                    str(ticket_id),
                    str(customer_id),
                    retained=bool(seen),
                    simulated="simulated" in seen,
                    clv_currency=str(clv_cur),
                    spend_base=given[0] if given else Decimal(0),
                    base_currency=given[1] if given else None,
                )
            )
    return out
