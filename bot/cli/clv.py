"""`appease clv summary`, `clv fit` and `clv score`: the scoring module from the command line.

Each reads transactions (CSV or Parquet, a file, a glob or a folder of partitions, or a
PostgreSQL table or query), builds the RFM summary on the chosen engine, reports progress on
stderr, and writes results only once everything succeeded (a temporary file renamed into
place), so bad input never leaves half a file.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from bot.cli._io import fail
from bot.errors import AppeaseError

if TYPE_CHECKING:
    import pandas as pd

    from bot.engines import Engine, Input

__all__ = ["register"]

clv_app = typer.Typer(help="Fit CLV models and score customers.", no_args_is_help=True)

CustomerCol = Annotated[str, typer.Option(help="Column holding the customer id.")]
DateCol = Annotated[str, typer.Option(help="Column holding the purchase date.")]
AmountCol = Annotated[str, typer.Option(help="Column holding the purchase amount.")]
Unit = Annotated[str, typer.Option(help="Time unit of the summary: D (days) or W (weeks).")]
Sep = Annotated[
    str, typer.Option(help="Field separator of CSV input (';' for many European exports).")
]
Decimal = Annotated[str, typer.Option(help="Decimal mark of amounts in CSV input: '.' or ','.")]
DateFormat = Annotated[
    str | None, typer.Option(help="strftime pattern of the dates, e.g. '%d/%m/%Y'.")
]
DayFirst = Annotated[
    bool | None,
    typer.Option(
        "--dayfirst/--monthfirst",
        help="Read numeric dates such as 05/06/2026 day first or month first "
        "(without either, such dates are read only if the column settles the order).",
    ),
]
EngineOpt = Annotated[
    str,
    typer.Option(
        help="Where the summary is built: pandas (in memory), duckdb (embedded, any size), "
        "spark (local or a cluster), or auto (duckdb for large or partitioned input)."
    ),
]
Source = Annotated[
    str | None,
    typer.Option(help="Read from PostgreSQL (postgresql://...) instead of a file."),
]
Table = Annotated[str | None, typer.Option(help="With --source: the table (schema.table).")]
Query = Annotated[str | None, typer.Option(help="With --source: a SELECT giving the columns.")]
SparkMaster = Annotated[str, typer.Option(help="Spark master URL for --engine spark.")]
MemoryLimit = Annotated[
    str | None,
    typer.Option(
        help="DuckDB's memory limit (e.g. 6GB; it spills to disk past it). Default: 80% of RAM."
    ),
]
AsOf = Annotated[str | None, typer.Option(help="Summarise as of this date (YYYY-MM-DD).")]
InputArg = Annotated[
    str | None,
    typer.Argument(
        help="Transactions: a CSV or Parquet file, a glob ('tx/*.parquet') or a folder."
    ),
]


def register(app: typer.Typer) -> None:
    app.add_typer(clv_app, name="clv")


def _status(message: str) -> Any:
    from rich.console import Console

    return Console(stderr=True).status(message)


def _read_summary(path: Path) -> pd.DataFrame:
    import pandas as pd

    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            df = pd.read_parquet(path)
        else:
            df = pd.read_csv(path)
    except FileNotFoundError:
        fail(f"{path}: no such file")
    except pd.errors.EmptyDataError:
        fail(f"{path}: the file is empty")
    for col in ("frequency", "recency", "T"):
        if col not in df.columns:
            fail(f"{col}: missing column in {path} (columns are: {', '.join(df.columns)})")
        values = pd.to_numeric(df[col], errors="coerce")
        if values.isna().any():
            row = int(values.isna().to_numpy().nonzero()[0][0]) + 1
            fail(f"{col}: row {row}: {df[col].iloc[row - 1]!r} is not a number")
        df[col] = values
    if df.empty:
        fail(f"{path}: no customers (header but no rows)")
    return df


@contextmanager
def _engine(
    spec: str | None,
    *,
    source: str | None,
    table: str | None,
    query: str | None,
    engine: str,
    customer_col: str,
    date_col: str,
    amount_col: str,
    sep: str,
    decimal: str,
    date_format: str | None,
    dayfirst: bool | None,
    as_of: str | None,
    unit: str,
    spark_master: str,
    memory_limit: str | None = None,
) -> Iterator[Engine]:
    """Resolve the input (exporting a PostgreSQL source first), build the summary, close after."""
    from bot.engines import Columns, Input, export_postgres, open_engine
    from bot.scoring import CsvFormat

    if (spec is None) == (source is None):
        fail("give either the transactions (a file, glob or folder) or --source postgresql://...")
    if unit.upper() not in ("D", "W"):
        fail("unit: must be 'D' (days) or 'W' (weeks)")
    columns = Columns(customer_col, date_col, amount_col)
    with tempfile.TemporaryDirectory(prefix="appease-source-") as tmp:
        opened = None
        try:
            fmt = CsvFormat(sep=sep, decimal=decimal, date_format=date_format, dayfirst=dayfirst)
            if source is not None:
                if not source.startswith(("postgresql://", "postgres://")):
                    fail("source: give a postgresql:// URL")
                with _status("exporting from PostgreSQL"):
                    path = export_postgres(
                        source, Path(tmp) / "source.csv", table=table, query=query
                    )
                inp: Input = Input.resolve(path, columns, CsvFormat())
            else:
                assert spec is not None
                inp = Input.resolve(spec, columns, fmt)
            with _status(f"summarising {len(inp.paths)} file(s) with {engine}"):
                unit_: Literal["D", "W"] = "W" if unit.upper() == "W" else "D"
                opened = open_engine(
                    engine,
                    inp,
                    as_of=as_of,
                    unit=unit_,
                    spark_master=spark_master,
                    memory_limit=memory_limit,
                )
            yield opened
        except AppeaseError as exc:
            fail(str(exc))
        finally:
            if opened is not None:
                opened.close()


@clv_app.command("summary")
def summary_cmd(
    transactions: InputArg = None,
    *,
    out: Annotated[Path, typer.Option(help="Where to write the summary (.csv or .parquet).")],
    engine: EngineOpt = "auto",
    source: Source = None,
    table: Table = None,
    query: Query = None,
    customer_col: CustomerCol = "customer_id",
    date_col: DateCol = "date",
    amount_col: AmountCol = "amount",
    sep: Sep = ",",
    decimal: Decimal = ".",
    date_format: DateFormat = None,
    dayfirst: DayFirst = None,
    as_of: AsOf = None,
    unit: Unit = "D",
    spark_master: SparkMaster = "local[*]",
    memory_limit: MemoryLimit = None,
) -> None:
    """Write the RFM summary: customer_id, frequency, recency, T, monetary_value."""
    with _engine(
        transactions,
        source=source,
        table=table,
        query=query,
        engine=engine,
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        sep=sep,
        decimal=decimal,
        date_format=date_format,
        dayfirst=dayfirst,
        as_of=as_of,
        unit=unit,
        spark_master=spark_master,
        memory_limit=memory_limit,
    ) as eng:
        out.parent.mkdir(parents=True, exist_ok=True)
        eng.write_summary(out)
        typer.echo(f"wrote {eng.customers():,} customers to {out} ({eng.name})", err=True)


@clv_app.command("fit")
def fit(
    transactions: InputArg = None,
    summary: Annotated[
        Path | None,
        typer.Option(
            help="Summary CSV or Parquet with frequency, recency, T (and monetary_value)."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the parameters as JSON.")] = False,
    engine: EngineOpt = "auto",
    source: Source = None,
    table: Table = None,
    query: Query = None,
    customer_col: CustomerCol = "customer_id",
    date_col: DateCol = "date",
    amount_col: AmountCol = "amount",
    sep: Sep = ",",
    decimal: Decimal = ".",
    date_format: DateFormat = None,
    dayfirst: DayFirst = None,
    as_of: AsOf = None,
    unit: Unit = "D",
    spark_master: SparkMaster = "local[*]",
    memory_limit: MemoryLimit = None,
) -> None:
    """Fit BG/NBD (and Gamma-Gamma where spend is known) and print the parameters."""
    from bot.scoring import BgNbd, GammaGamma

    if summary is not None and (transactions is not None or source is not None):
        fail("give either transactions or --summary FILE, not both")
    bg: BgNbd
    gg: GammaGamma | None = None
    if summary is not None:
        df = _read_summary(summary)
        customers = len(df)
        try:
            with _status(f"fitting {customers:,} customers"):
                bg = BgNbd().fit(df["frequency"], df["recency"], df["T"])
                if "monetary_value" in df.columns and (df["frequency"] > 0).any():
                    gg = GammaGamma().fit(df["frequency"], df["monetary_value"])
        except AppeaseError as exc:
            fail(str(exc))
    else:
        from bot.engines import fit_models

        with _engine(
            transactions,
            source=source,
            table=table,
            query=query,
            engine=engine,
            customer_col=customer_col,
            date_col=date_col,
            amount_col=amount_col,
            sep=sep,
            decimal=decimal,
            date_format=date_format,
            dayfirst=dayfirst,
            as_of=as_of,
            unit=unit,
            spark_master=spark_master,
            memory_limit=memory_limit,
        ) as eng:
            customers = eng.customers()
            with _status(f"fitting {customers:,} customers"):
                models = fit_models(eng)
            bg, gg = models.bgnbd, models.gamma_gamma
    _print_fit(bg, gg, customers, as_json)


def _print_fit(bg: Any, gg: Any, customers: int, as_json: bool) -> None:
    from dataclasses import asdict

    assert bg.params_ is not None
    bg_params: dict[str, float] = asdict(bg.params_)
    gg_params: dict[str, float] | None = (
        None if gg is None or gg.params_ is None else asdict(gg.params_)
    )
    result = {
        "customers": customers,
        "bgnbd": bg_params,
        "gamma_gamma": gg_params,
        "converged": bool(bg.converged_ and (gg is None or gg.converged_)),
    }
    if as_json:
        typer.echo(json.dumps(result))
        return
    from rich.console import Console
    from rich.table import Table as RichTable

    table = RichTable(title=f"CLV models on {customers:,} customers")
    table.add_column("model")
    table.add_column("parameters")
    table.add_row("BG/NBD", ", ".join(f"{k}={v:.4f}" for k, v in bg_params.items()))
    if gg_params:
        table.add_row("Gamma-Gamma", ", ".join(f"{k}={v:.4f}" for k, v in gg_params.items()))
    Console().print(table)


@clv_app.command("score")
def score(
    transactions: InputArg = None,
    *,
    out: Annotated[
        Path, typer.Option(help="Where to write one row per customer (.csv or .parquet).")
    ],
    engine: EngineOpt = "auto",
    source: Source = None,
    table: Table = None,
    query: Query = None,
    customer_col: CustomerCol = "customer_id",
    date_col: DateCol = "date",
    amount_col: AmountCol = "amount",
    sep: Sep = ",",
    decimal: Decimal = ".",
    date_format: DateFormat = None,
    dayfirst: DayFirst = None,
    as_of: Annotated[str | None, typer.Option(help="Score as of this date (YYYY-MM-DD).")] = None,
    horizon_months: Annotated[int, typer.Option(help="CLV horizon in months.")] = 12,
    discount_rate: Annotated[float, typer.Option(help="Monthly discount rate.")] = 0.01,
    spark_master: SparkMaster = "local[*]",
    memory_limit: MemoryLimit = None,
) -> None:
    """Score every customer: p_alive, expected purchases, CLV, tier and segment."""
    from bot.engines import ScoreSettings, fit_models

    if horizon_months < 1:
        fail("horizon_months: must be at least 1")
    with _engine(
        transactions,
        source=source,
        table=table,
        query=query,
        engine=engine,
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        sep=sep,
        decimal=decimal,
        date_format=date_format,
        dayfirst=dayfirst,
        as_of=as_of,
        unit="D",
        spark_master=spark_master,
        memory_limit=memory_limit,
    ) as eng:
        n = eng.customers()
        try:
            with _status(f"fitting {n:,} customers"):
                models = fit_models(eng)
            with _status(f"scoring {n:,} customers"):
                out.parent.mkdir(parents=True, exist_ok=True)
                settings = ScoreSettings(horizon_months=horizon_months, discount_rate=discount_rate)
                eng.score(out, models, settings)
        except AppeaseError as exc:
            fail(str(exc))
    typer.echo(f"wrote {n:,} customers to {out}", err=True)
