"""Import purchase histories and (re)score customers, so tickets can name a customer id.

The fit runs on the whole stored history (the population), scores are written to the
customers table and a snapshot per customer records the score and why it was taken.
Residual CLV comes from the offer ledger, never from the input.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from bot.errors import InputError
from bot.scoring import CsvFormat, read_transactions, score_transactions
from bot.service._seam import store_errors
from bot.store import (
    Customer,
    ModelParams,
    Session,
    Sessions,
    customer_ids,
    file_imported,
    goodwill_by_customer,
    insert_rows,
    latest_params,
    transactions,
    update_customers,
    utcnow,
)

__all__ = ["ImportSummary", "import_customers", "import_transactions", "new_customer", "rescore"]

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ImportSummary:
    transactions: int
    customers: int
    scored: int
    params_id: int


def _noop(_stage: str, _done: int, _total: int) -> None:
    return None


@store_errors
def import_customers(
    sessions: Sessions,
    path: str | Path,
    *,
    customer_col: str = "customer_id",
    date_col: str = "date",
    amount_col: str = "amount",
    currency: str = "USD",
    progress: Progress = _noop,
    fmt: CsvFormat | None = None,
) -> ImportSummary:
    """Load a transactions CSV and rescore: the whole file or nothing, and never the same file twice.

    A bad row or column raises `InputError` naming it before anything is written. The file's
    content hash is kept as the rows' source, so importing it again (which would double every
    purchase and inflate every CLV) is refused.
    """
    tx = read_transactions(
        path, customer_col=customer_col, date_col=date_col, amount_col=amount_col, fmt=fmt
    )
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]
    source = f"csv:{digest}"
    with sessions() as s:
        seen = file_imported(s, source)
    if seen:
        raise InputError(str(path), f"this file was already imported (content {digest})")
    return import_transactions(sessions, tx, currency=currency, source=source, progress=progress)


@store_errors
def import_transactions(
    sessions: Sessions,
    transactions: pd.DataFrame,
    *,
    currency: str = "USD",
    source: str = "import",
    progress: Progress = _noop,
    batch: int = 20_000,
) -> ImportSummary:
    """Load validated transactions (customer_id, date, amount) and rescore every customer.

    One transaction: either everything is loaded and scored, or nothing is.
    """
    tx = transactions
    ids = sorted(set(tx["customer_id"].astype(str)))
    with sessions.begin() as session:
        existing = customer_ids(session)
        new = [
            {"id": cid, "currency": currency, "created_at": utcnow()}
            for cid in ids
            if cid not in existing
        ]
        for i in range(0, len(new), batch):
            insert_rows(session, "customers", new[i : i + batch])
            progress("customers", min(i + batch, len(new)), len(new))
        dates = pd.to_datetime(tx["date"])
        if dates.dt.tz is None:
            dates = dates.dt.tz_localize(UTC)
        rows = [
            {
                "customer_id": c,
                "date": d.to_pydatetime(),
                "amount": Decimal(str(round(a, 2))),
                "source": source,
            }
            for c, d, a in zip(
                tx["customer_id"].astype(str), dates, tx["amount"].astype(float), strict=True
            )
        ]
        for i in range(0, len(rows), batch):
            insert_rows(session, "transactions", rows[i : i + batch])
            progress("transactions", min(i + batch, len(rows)), len(rows))
        params_id, scored = _rescore(session, reason="import", progress=progress, batch=batch)
    return ImportSummary(len(rows), len(ids), scored, params_id)


@store_errors
def new_customer(session: Session, customer_id: str, *, currency: str) -> Customer:
    """A customer the store has never seen (a guest checkout, a new requester): still answered.

    Scored as a new customer: the fitted model's expected value for someone with no history
    yet (BG/NBD with x = t_x = T = 0, Gamma-Gamma's population mean spend), or nothing when no
    model was fitted; tier bronze (the lowest limits) and segment `new`, so the policy's rules
    for new customers apply. The row is kept: a later import of their purchases joins it.
    """
    from bot.scoring import BgNbd, GammaGamma, clv

    params = latest_params(session)
    value = Decimal(0)
    if params is not None and params.params.get("gamma_gamma"):
        model = BgNbd.from_json(params.params["bgnbd"])
        spend = GammaGamma.from_json(params.params["gamma_gamma"])
        value = Decimal(str(round(float(clv(model, spend, [0.0], [0.0], [0.0], [0.0])[0]), 2)))
    customer = Customer(
        id=customer_id,
        currency=currency,
        frequency=0.0,
        recency=0.0,
        T=0.0,
        monetary_value=0.0,
        clv=value,
        tier="bronze",
        segment="new",
        scored_at=utcnow(),
    )
    session.add(customer)
    session.flush()
    log.info("new customer scored", extra={"customer_id": customer_id, "clv": str(value)})
    return customer


def rescore(
    sessions: Sessions,
    *,
    as_of: datetime | None = None,
    reason: str = "rescore",
    customer_ids: set[str] | None = None,
) -> int:
    """Refit on all stored transactions and snapshot the named customers (default: all)."""
    with sessions.begin() as session:
        _, scored = _rescore(session, reason=reason, as_of=as_of, only=customer_ids)
    return scored


def _rescore(
    session: Session,
    *,
    reason: str,
    as_of: datetime | None = None,
    only: set[str] | None = None,
    progress: Progress = _noop,
    batch: int = 20_000,
) -> tuple[int, int]:
    rows = transactions(session)
    tx = pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "date": pd.to_datetime([r[1] for r in rows], utc=True).tz_convert(None),
            "amount": np.array([float(r[2]) for r in rows]),
        }
    )
    when = as_of or utcnow()
    progress("fitting", 0, 1)
    result = score_transactions(tx, as_of=pd.Timestamp(as_of).tz_convert(None) if as_of else None)
    progress("fitting", 1, 1)
    params = ModelParams(
        kind="bgnbd+gamma_gamma",
        params={"bgnbd": result.bgnbd.to_json(), "gamma_gamma": result.gamma_gamma.to_json()},
        n_customers=len(result.scores),
    )
    session.add(params)
    session.flush()
    goodwill = goodwill_by_customer(session)
    scores = result.scores
    if only is not None:
        scores = scores[scores["customer_id"].isin(only)]
    updates, snaps = [], []
    for rec in scores.itertuples(index=False):
        clv = Decimal(str(round(float(rec.clv), 2)))
        given = Decimal(str(goodwill.get(rec.customer_id, 0) or 0))
        updates.append(
            {
                "id": rec.customer_id,
                "frequency": rec.frequency,
                "recency": rec.recency,
                "T": rec.T,
                "monetary_value": rec.monetary_value,
                "p_alive": rec.p_alive,
                "expected_purchases": rec.expected_purchases,
                "clv": clv,
                "tier": rec.tier,
                "segment": rec.segment,
                "scored_at": when,
            }
        )
        snaps.append(
            {
                "customer_id": rec.customer_id,
                "clv": clv,
                "residual_clv": clv - given,
                "p_alive": rec.p_alive,
                "tier": rec.tier,
                "segment": rec.segment,
                "model": "bgnbd_gg",
                "params_id": params.id,
                "reason": reason,
                "taken_at": when,
            }
        )
    for i in range(0, len(updates), batch):
        update_customers(session, updates[i : i + batch])
        insert_rows(session, "score_snapshots", snaps[i : i + batch])
        progress("scores", min(i + batch, len(updates)), len(updates))
    log.info("rescored customers", extra={"customers": len(updates), "reason": reason})
    return params.id, len(updates)
