"""Where transactions come from: CSV or Parquet files (one, a glob, a folder of partitions), or a
PostgreSQL table or query, streamed to a CSV file any engine can read."""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from bot.errors import InputError
from bot.scoring import CsvFormat

__all__ = ["Columns", "Input", "export_postgres", "write_table"]

Kind = Literal["csv", "parquet"]
_PARQUET = (".parquet", ".pq")
_CSV = (".csv", ".txt", ".tsv", ".csv.gz")


@dataclass(frozen=True)
class Columns:
    customer: str = "customer_id"
    date: str = "date"
    amount: str = "amount"


@dataclass(frozen=True)
class Input:
    """Resolved input files of one kind, with the column names and CSV conventions to read them."""

    paths: tuple[str, ...]
    kind: Kind
    columns: Columns = field(default_factory=Columns)
    fmt: CsvFormat = field(default_factory=CsvFormat)

    @property
    def size_bytes(self) -> int:
        return sum(os.path.getsize(p) for p in self.paths)

    @classmethod
    def resolve(
        cls, spec: str | Path, columns: Columns | None = None, fmt: CsvFormat | None = None
    ) -> Input:
        text = str(spec)
        if any(ch in text for ch in "*?["):
            paths = sorted(p for p in glob.glob(text, recursive=True) if os.path.isfile(p))
            if not paths:
                raise InputError(text, "no file matches this pattern")
        elif os.path.isdir(text):
            paths = sorted(
                str(p)
                for p in Path(text).rglob("*")
                if p.is_file() and p.name.lower().endswith(_PARQUET + _CSV)
            )
            if not paths:
                raise InputError(text, "no .parquet or .csv file in this folder")
        elif os.path.isfile(text):
            paths = [text]
        else:
            raise InputError(text, "no such file")
        kinds = {_kind(p) for p in paths}
        if len(kinds) > 1:
            raise InputError(text, "mixes Parquet and CSV files: give one kind")
        return cls(tuple(paths), kinds.pop(), columns or Columns(), fmt or CsvFormat())


def _kind(path: str) -> Kind:
    return "parquet" if path.lower().endswith(_PARQUET) else "csv"


def export_postgres(
    url: str, out: Path, *, table: str | None = None, query: str | None = None
) -> Path:
    """Stream a table or query to `out` as CSV with COPY: constant memory whatever the size.

    Timestamps come out in UTC (the session's time zone is set), which every engine reads.
    """
    import psycopg
    from psycopg import sql

    if (table is None) == (query is None):
        raise InputError("source", "give either --table or --query with --source")
    if table is not None:
        parts = [sql.Identifier(p) for p in table.split(".")]
        inner: sql.Composable = sql.SQL("SELECT * FROM {}").format(sql.SQL(".").join(parts))
    else:
        assert query is not None
        inner = sql.SQL(query.strip().rstrip(";"))
    stmt = sql.SQL("COPY ({}) TO STDOUT WITH (FORMAT csv, HEADER true)").format(inner)
    try:
        with psycopg.connect(url) as conn, conn.cursor() as cur:
            cur.execute("SET TIME ZONE 'UTC'")
            with cur.copy(stmt) as copy, out.open("wb") as fh:
                for chunk in copy:
                    fh.write(chunk)
    except psycopg.Error as exc:
        raise InputError("source", f"PostgreSQL refused the export: {exc}".strip()) from exc
    return out


def write_table(frame: object, out: Path) -> None:
    """Write a pandas frame as CSV or Parquet by the file's suffix, atomically."""
    import pandas as pd

    assert isinstance(frame, pd.DataFrame)
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        if out.suffix.lower() in _PARQUET:
            frame.to_parquet(tmp, index=False)
        else:
            frame.to_csv(tmp, index=False)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
