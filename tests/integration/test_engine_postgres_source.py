"""`--source postgresql://... --table/--query`: the summary of a table equals the file's."""

from __future__ import annotations

import uuid
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from bot.cli import app
from tests.conftest import require_service
from tests.db import PG_URL, postgres_ok
from tests.unit.engines.test_parity import assert_same_summary, generated

pytest.importorskip("duckdb")
pytestmark = pytest.mark.postgres
runner = CliRunner()


@pytest.fixture
def table() -> str:
    """A schema-qualified table of generated transactions (timestamptz, numeric), dropped after."""
    require_service(postgres_ok(), "PostgreSQL (APPEASE_TEST_POSTGRES_URL) not reachable")
    import psycopg

    assert PG_URL is not None
    schema = f"t_{uuid.uuid4().hex[:12]}"
    df = generated(300)
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        conn.execute(
            f'CREATE TABLE "{schema}".tx (customer_id text, date timestamptz, '
            "amount numeric(12, 2))"
        )
        with conn.cursor() as cur, cur.copy(f'COPY "{schema}".tx FROM STDIN') as copy:
            for row in df.itertuples(index=False):
                copy.write_row((row.customer_id, row.date.to_pydatetime(), f"{row.amount:.2f}"))
    try:
        yield f"{schema}.tx"
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_a_table_summarises_like_the_same_rows_from_a_file(table, tmp_path: Path, engine) -> None:
    from bot.scoring import summarize, validate_transactions

    expected = summarize(validate_transactions(generated(300))).reset_index()
    for how in (["--table", table], ["--query", f"SELECT * FROM {table} WHERE amount >= 0"]):
        out = tmp_path / f"summary-{engine}.parquet"
        result = runner.invoke(
            app,
            [
                "clv",
                "summary",
                "--source",
                PG_URL or "",
                *how,
                "--engine",
                engine,
                "--out",
                str(out),
            ],
        )
        assert result.exit_code == 0, result.output
        assert_same_summary(pd.read_parquet(out), expected)


def test_a_missing_table_exits_2_naming_the_source(tmp_path: Path) -> None:
    require_service(postgres_ok(), "PostgreSQL (APPEASE_TEST_POSTGRES_URL) not reachable")
    result = runner.invoke(
        app,
        [
            "clv",
            "summary",
            "--source",
            PG_URL or "",
            "--table",
            "no_such_table_here",
            "--out",
            str(tmp_path / "s.csv"),
        ],
    )
    assert result.exit_code == 2
    assert "source: PostgreSQL refused the export" in result.stderr
