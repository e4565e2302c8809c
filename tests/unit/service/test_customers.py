"""`import_customers` and the CLI around the store: all or nothing, residual CLV from the ledger."""

from __future__ import annotations

import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import create_engine, func, inspect, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from bot.cli import app
from bot.drafting import Drafter
from bot.errors import InputError
from bot.policy import load_policy
from bot.scoring import BgNbdParams, simulate_transactions
from bot.service import handle_ticket, import_customers, rescore
from bot.store import Customer, Followup, ScoreSnapshot, Transaction
from tests.unit.service.helpers import migrated, ticket

runner = CliRunner()


def write_csv(path: Path, n: int = 120, seed: int = 3) -> Path:
    tx = simulate_transactions(BgNbdParams(0.5, 20.0, 0.6, 3.0), n, seed=seed)
    tx["customer_id"] = "c" + tx["customer_id"].astype(str)
    tx.rename(columns={"customer_id": "cust"}).to_csv(path, index=False)
    return path


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    with migrated(db_url) as factory:
        yield factory


def count(sessions, model) -> int:
    with sessions() as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())


def test_import_loads_every_row_and_scores_every_customer(sessions, tmp_path) -> None:
    csv = write_csv(tmp_path / "tx.csv")
    summary = import_customers(sessions, csv, customer_col="cust")
    rows = len(pd.read_csv(csv))
    assert (summary.transactions, summary.customers, summary.scored) == (rows, 120, 120)
    assert count(sessions, Transaction) == rows
    with sessions() as s:
        customers = s.execute(select(Customer)).scalars().all()
        assert all(c.clv is not None and c.tier and c.segment for c in customers)
        assert all(c.scored_at is not None and c.scored_at.tzinfo is not None for c in customers)
        reasons = s.execute(select(ScoreSnapshot.reason)).scalars().all()
    assert reasons == ["import"] * 120


def test_the_same_file_twice_is_refused_rather_than_doubling_purchases(sessions, tmp_path) -> None:
    csv = write_csv(tmp_path / "tx.csv")
    import_customers(sessions, csv, customer_col="cust")
    before = count(sessions, Transaction)
    with pytest.raises(InputError, match="already imported"):
        import_customers(sessions, csv, customer_col="cust")
    assert count(sessions, Transaction) == before


def test_a_bad_row_names_row_and_column_and_loads_nothing(sessions, tmp_path) -> None:
    csv = write_csv(tmp_path / "tx.csv")
    lines = csv.read_text().splitlines()
    lines[7] = lines[7].rsplit(",", 1)[0] + ",twelve"
    csv.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as err:
        import_customers(sessions, csv, customer_col="cust")
    assert err.value.field == "amount" and "row 7" in str(err.value)
    assert count(sessions, Transaction) == count(sessions, Customer) == 0


def test_residual_clv_comes_from_the_ledger_after_a_rescore(sessions, tmp_path) -> None:
    import_customers(sessions, write_csv(tmp_path / "tx.csv"), customer_col="cust")
    with sessions() as s:
        best = s.execute(select(Customer).order_by(Customer.clv.desc())).scalars().first()
    out = handle_ticket(
        sessions, ticket(best.id, "R1", severity=3), policy=load_policy(), drafter=Drafter(None)
    )
    given = out.decision.offer.amount
    assert given > 0
    rescore(sessions, customer_ids={best.id})
    with sessions() as s:
        snap = s.execute(
            select(ScoreSnapshot).where(
                ScoreSnapshot.customer_id == best.id, ScoreSnapshot.reason == "rescore"
            )
        ).scalar_one()
        assert snap.residual_clv == snap.clv - given
        at_ticket = s.execute(
            select(ScoreSnapshot).where(ScoreSnapshot.reason == "ticket")
        ).scalar_one()
        assert at_ticket.residual_clv == at_ticket.clv, "the ticket's snapshot is before its offer"
        assert isinstance(snap.residual_clv, Decimal)


# -- command line ---------------------------------------------------------------------------


def db_path() -> Path:
    return Path(os.environ["APPEASE_DATABASE_URL"].removeprefix("sqlite:///"))


def test_db_upgrade_works_from_any_directory(tmp_path, monkeypatch) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = runner.invoke(app, ["db", "upgrade"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    engine = create_engine(f"sqlite:///{db_path()}")
    assert {"customers", "offers", "tickets", "alembic_version"} <= set(
        inspect(engine).get_table_names()
    )
    engine.dispose()


def test_customers_import_command_loads_and_reports_on_stderr(tmp_path) -> None:
    csv = write_csv(tmp_path / "tx.csv", n=40)
    result = runner.invoke(
        app, ["customers", "import", str(csv), "--customer-col", "cust"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "scored 40 customers" in result.stderr


@pytest.mark.parametrize(
    ("mangle", "needle"),
    [
        (
            lambda lines: [
                *lines[:3],
                lines[3].replace(lines[3].split(",")[1], "not-a-date"),
                *lines[4:],
            ],
            "row 3",
        ),
        (lambda lines: [lines[0].replace("amount", "total"), *lines[1:]], "amount"),
    ],
    ids=["bad date", "missing column"],
)
def test_customers_import_with_a_bad_csv_exits_2_naming_it_and_loads_nothing(
    tmp_path, mangle, needle
) -> None:
    csv = write_csv(tmp_path / "tx.csv", n=40)
    csv.write_text("\n".join(mangle(csv.read_text().splitlines())) + "\n")
    result = runner.invoke(app, ["customers", "import", str(csv), "--customer-col", "cust"])
    assert result.exit_code == 2
    assert needle in result.stderr and result.stdout == ""
    engine = create_engine(f"sqlite:///{db_path()}")
    with engine.connect() as conn:
        assert (
            conn.execute(select(func.count()).select_from(Transaction.__table__)).scalar_one() == 0
        )
    engine.dispose()


def test_followups_run_command_sends_what_is_due(tmp_path) -> None:
    from datetime import timedelta

    from bot.store import make_engine, make_sessionmaker, utcnow

    csv = write_csv(tmp_path / "tx.csv", n=40)
    assert (
        runner.invoke(app, ["customers", "import", str(csv), "--customer-col", "cust"]).exit_code
        == 0
    )
    engine = make_engine(os.environ["APPEASE_DATABASE_URL"])
    factory = make_sessionmaker(engine)
    policy = load_policy()
    past = utcnow() - timedelta(days=policy.followup.after_days + 1)
    for i in range(3):
        handle_ticket(
            factory, ticket("c1", f"O{i}"), policy=policy, drafter=Drafter(None), now=past
        )
    result = runner.invoke(app, ["followups", "run", "--limit", "2"], catch_exceptions=False)
    assert result.exit_code == 0 and "sent 2 follow-ups" in result.stderr
    result = runner.invoke(app, ["followups", "run"], catch_exceptions=False)
    assert "sent 1 follow-ups" in result.stderr
    with factory() as s:
        assert set(s.execute(select(Followup.status)).scalars()) == {"sent"}
    engine.dispose()


def test_customers_import_reads_a_semicolon_decimal_comma_day_first_export(tmp_path) -> None:
    iso = write_csv(tmp_path / "iso.csv", n=40)
    frame = pd.read_csv(iso)
    euro = tmp_path / "euro.csv"
    frame.assign(
        date=pd.to_datetime(frame["date"]).dt.strftime("%d/%m/%Y"),
        amount=frame["amount"].map(lambda v: f"{v:.2f}".replace(".", ",")),
    ).to_csv(euro, index=False, sep=";")
    refused = runner.invoke(app, ["customers", "import", str(euro), "--customer-col", "cust"])
    assert refused.exit_code == 2
    assert "semicolon-separated; give --sep ';'" in refused.stderr
    result = runner.invoke(
        app,
        [
            "customers",
            "import",
            str(euro),
            "--customer-col",
            "cust",
            "--sep",
            ";",
            "--decimal",
            ",",
            "--dayfirst",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "scored 40 customers" in result.stderr
    engine = create_engine(f"sqlite:///{db_path()}")
    with engine.connect() as conn:
        total = conn.execute(select(func.sum(Transaction.__table__.c.amount))).scalar_one()
    engine.dispose()
    assert float(total) == pytest.approx(frame["amount"].round(2).sum())
