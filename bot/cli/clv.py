"""`appease clv fit` and `appease clv score`: the scoring module from the command line.

Both read a CSV, report progress on stderr, and write results only once everything succeeded
(scores go to a temporary file renamed into place), so bad input never leaves half a file.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot.cli._io import fail
from bot.errors import AppeaseError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["register"]

clv_app = typer.Typer(help="Fit CLV models and score customers.", no_args_is_help=True)

CustomerCol = Annotated[str, typer.Option(help="Column holding the customer id.")]
DateCol = Annotated[str, typer.Option(help="Column holding the purchase date.")]
AmountCol = Annotated[str, typer.Option(help="Column holding the purchase amount.")]
Unit = Annotated[str, typer.Option(help="Time unit of the summary: D (days) or W (weeks).")]


def register(app: typer.Typer) -> None:
    app.add_typer(clv_app, name="clv")


def _status(message: str) -> Any:
    from rich.console import Console

    return Console(stderr=True).status(message)


def _read_summary(path: Path) -> pd.DataFrame:
    import pandas as pd

    try:
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


@clv_app.command("fit")
def fit(
    transactions: Annotated[
        Path | None, typer.Argument(help="Raw transactions CSV (customer, date, amount).")
    ] = None,
    summary: Annotated[
        Path | None,
        typer.Option(help="Summary CSV with frequency, recency, T (and monetary_value)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the parameters as JSON.")] = False,
    customer_col: CustomerCol = "customer_id",
    date_col: DateCol = "date",
    amount_col: AmountCol = "amount",
    unit: Unit = "D",
) -> None:
    """Fit BG/NBD (and Gamma-Gamma where spend is known) and print the parameters."""
    from bot.scoring import BgNbd, GammaGamma, read_transactions, summarize

    if (transactions is None) == (summary is None):
        fail("give either TRANSACTIONS.csv or --summary FILE.csv")
    try:
        if summary is not None:
            df = _read_summary(summary)
        else:
            assert transactions is not None
            with _status(f"reading {transactions}"):
                tx = read_transactions(
                    transactions, customer_col=customer_col, date_col=date_col,
                    amount_col=amount_col,
                )  # fmt: skip
                df = summarize(tx, unit="W" if unit.upper() == "W" else "D")
        with _status(f"fitting {len(df):,} customers"):
            bg = BgNbd().fit(df["frequency"], df["recency"], df["T"])
            gg = None
            if "monetary_value" in df.columns and (df["frequency"] > 0).any():
                gg = GammaGamma().fit(df["frequency"], df["monetary_value"])
    except AppeaseError as exc:
        fail(str(exc))
    from dataclasses import asdict

    assert bg.params_ is not None
    bg_params: dict[str, float] = asdict(bg.params_)
    gg_params: dict[str, float] | None = (
        None if gg is None or gg.params_ is None else asdict(gg.params_)
    )
    result = {
        "customers": len(df),
        "bgnbd": bg_params,
        "gamma_gamma": gg_params,
        "converged": bool(bg.converged_ and (gg is None or gg.converged_)),
    }
    if as_json:
        typer.echo(json.dumps(result))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"CLV models on {len(df):,} customers")
    table.add_column("model")
    table.add_column("parameters")
    table.add_row("BG/NBD", ", ".join(f"{k}={v:.4f}" for k, v in bg_params.items()))
    if gg_params:
        table.add_row("Gamma-Gamma", ", ".join(f"{k}={v:.4f}" for k, v in gg_params.items()))
    Console().print(table)


@clv_app.command("score")
def score(
    transactions: Annotated[Path, typer.Argument(help="Raw transactions CSV.")],
    out: Annotated[Path, typer.Option(help="Where to write one row per customer.")],
    customer_col: CustomerCol = "customer_id",
    date_col: DateCol = "date",
    amount_col: AmountCol = "amount",
    as_of: Annotated[str | None, typer.Option(help="Score as of this date (YYYY-MM-DD).")] = None,
    horizon_months: Annotated[int, typer.Option(help="CLV horizon in months.")] = 12,
    discount_rate: Annotated[float, typer.Option(help="Monthly discount rate.")] = 0.01,
) -> None:
    """Score every customer: p_alive, expected purchases, CLV, tier and segment."""
    from bot.scoring import read_transactions, score_transactions

    columns = [
        "customer_id", "frequency", "recency", "T", "monetary_value", "p_alive",
        "expected_purchases", "clv", "tier", "segment",
    ]  # fmt: skip
    try:
        with _status(f"reading {transactions}"):
            tx = read_transactions(
                transactions, customer_col=customer_col, date_col=date_col, amount_col=amount_col
            )
        with _status(f"scoring {tx['customer_id'].nunique():,} customers"):
            result = score_transactions(
                tx, as_of=as_of, horizon_months=horizon_months, discount_rate=discount_rate
            )
    except AppeaseError as exc:
        fail(str(exc))
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="") as fh:
            result.scores[columns].to_csv(fh, index=False)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    typer.echo(f"wrote {len(result.scores):,} customers to {out}", err=True)
