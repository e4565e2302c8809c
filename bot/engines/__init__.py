"""Engines for CLV at warehouse scale: the RFM summary built and customers scored where the data
lives (pandas in memory, DuckDB embedded, Spark on a cluster), the fit on compressed rows.

An edge package: it reads files and databases, so it stays outside the pure `bot.scoring` core
and only calls it.
"""

from __future__ import annotations

import importlib.util

from bot.engines._base import (
    SUMMARY_COLUMNS,
    Engine,
    Models,
    ScoreSettings,
    fit_models,
    population_edges,
)
from bot.engines._input import Columns, Input, export_postgres, write_table
from bot.errors import InputError
from bot.scoring import Unit

__all__ = [
    "ENGINES",
    "SUMMARY_COLUMNS",
    "Columns",
    "Engine",
    "Input",
    "Models",
    "ScoreSettings",
    "choose_engine",
    "export_postgres",
    "fit_models",
    "open_engine",
    "population_edges",
    "write_table",
]

ENGINES = ("pandas", "duckdb", "spark")
# Above this much input, `auto` leaves pandas (which holds every row in memory) for DuckDB.
AUTO_DUCKDB_BYTES = 64 * 2**20


def choose_engine(name: str, inp: Input) -> str:
    """`auto`: pandas for small inputs, DuckDB (if installed) for large ones or Parquet."""
    if name != "auto":
        if name not in ENGINES:
            raise InputError("engine", f"must be one of auto, {', '.join(ENGINES)}; got {name!r}")
        return name
    has_duckdb = importlib.util.find_spec("duckdb") is not None
    big = inp.size_bytes > AUTO_DUCKDB_BYTES or len(inp.paths) > 1
    return "duckdb" if has_duckdb and big else "pandas"


def open_engine(
    name: str,
    inp: Input,
    *,
    as_of: str | None = None,
    unit: Unit = "D",
    spark_master: str = "local[*]",
    memory_limit: str | None = None,
) -> Engine:
    """Build the summary with the named engine; its missing extra is named, not a traceback."""
    name = choose_engine(name, inp)
    module = {"duckdb": "duckdb", "spark": "pyspark"}.get(name)
    if module and importlib.util.find_spec(module) is None:
        raise InputError("engine", f"the {name} engine needs `pip install 'appease[{name}]'`")
    if name == "duckdb":
        from bot.engines._duckdb import DuckDBEngine

        return DuckDBEngine(inp, as_of=as_of, unit=unit, memory_limit=memory_limit)
    if name == "spark":
        from bot.engines._spark import SparkEngine

        return SparkEngine(inp, as_of=as_of, unit=unit, master=spark_master)
    from bot.engines._pandas import PandasEngine

    return PandasEngine(inp, as_of=as_of, unit=unit)
