"""The cluster engine: the RFM summary as Spark DataFrame operations, scoring with mapInPandas.

Runs on whatever `SparkSession` the master gives (`local[*]` by default). The fitted models are
small and travel to the executors inside the mapped function, like a broadcast variable.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from bot.domain import MAX_MONEY
from bot.engines._base import OUT_COLUMNS, Models, ScoreSettings, need_spend_model, population_edges
from bot.engines._input import Input
from bot.errors import InputError
from bot.scoring import BATCH_COLUMNS, Unit, score_batch

__all__ = ["SparkEngine", "java_date_pattern", "spark_session"]

_JAVA = {"d": "dd", "m": "MM", "Y": "yyyy", "y": "yy", "H": "HH", "M": "mm", "S": "ss",
         "f": "SSSSSS", "z": "XX", "b": "MMM", "B": "MMMM", "p": "a", "I": "hh"}  # fmt: skip


def java_date_pattern(strftime: str) -> str:
    """A Python strftime pattern (`%d/%m/%Y`) as Spark's datetime pattern (`dd/MM/yyyy`)."""
    out = []
    for token in re.split(r"(%.)", strftime):
        if token.startswith("%") and len(token) == 2:
            if token[1] not in _JAVA:
                raise InputError("date_format", f"{token} has no Spark equivalent")
            out.append(_JAVA[token[1]])
        elif token:
            out.append("'" + token.replace("'", "''") + "'" if re.search(r"[A-Za-z]", token)
                       else token)  # fmt: skip
    return "".join(out)


def spark_session(master: str = "local[*]") -> Any:
    """A session in UTC (purchase days are UTC days, as in the other engines)."""
    from pyspark.sql import SparkSession

    if master.startswith("local") and "PYSPARK_PYTHON" not in os.environ:
        # local workers run this interpreter (the venv with appease), not the system python3
        os.environ["PYSPARK_PYTHON"] = sys.executable
    spark = (
        SparkSession.builder.master(master).appName("appease-clv")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        # mapInPandas batches of 10,000 rows (the default) spend their time in per-batch
        # overhead; bigger ones also let a batch's repeated (x, t_x, T) rows share the work.
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "200000")
        .config("spark.sql.shuffle.partitions", str(max(4, (os.cpu_count() or 2) * 2)))
        .getOrCreate()
    )  # fmt: skip
    spark.sparkContext.setLogLevel("ERROR")
    return spark


class SparkEngine:
    name = "spark"

    def __init__(
        self,
        inp: Input,
        *,
        as_of: str | None = None,
        unit: Unit = "D",
        master: str = "local[*]",
        session: Any = None,
    ) -> None:
        from pyspark import StorageLevel

        self.spark = session or spark_session(master)
        typed = self._typed(inp)
        self._validate(typed, inp)
        self.summary = self._summarize(typed, as_of, unit).persist(StorageLevel.MEMORY_AND_DISK)
        self._n = self.summary.count()
        if self._n == 0:
            raise InputError("as_of", f"no transactions on or before {self._end}")

    def _typed(self, inp: Input) -> Any:
        from pyspark.sql import functions as F
        from pyspark.sql import types as T

        reader = self.spark.read
        if inp.kind == "parquet":
            df = reader.parquet(*inp.paths)
        else:
            df = reader.options(header=True, sep=inp.fmt.sep, inferSchema=False).csv(
                list(inp.paths)
            )
        c = inp.columns
        for col in (c.customer, c.date, c.amount):
            if col not in df.columns:
                raise InputError(col, f"missing column (columns are: {', '.join(df.columns)})")
        date_type = df.schema[c.date].dataType
        date = F.col(f"`{c.date}`")
        if isinstance(date_type, T.TimestampType | T.TimestampNTZType | T.DateType):
            ts = F.to_timestamp(date)
        else:
            if inp.fmt.dayfirst is not None:
                raise InputError("dayfirst", "the spark engine reads a given --date-format")
            text = F.trim(date.cast("string"))
            if inp.fmt.date_format is not None:
                ts = F.try_to_timestamp(text, F.lit(java_date_pattern(inp.fmt.date_format)))
            else:
                ts = F.expr(f"try_cast(trim(`{c.date}`) AS TIMESTAMP)")
        amount = F.col(f"`{c.amount}`")
        stray = F.lit(False)
        if isinstance(df.schema[c.amount].dataType, T.StringType):
            text = F.trim(amount)
            if inp.fmt.decimal == ",":
                grouped = text.rlike(r"^[+-]?\d{1,3}(\.\d{3})+(,\d*)?$")
                stray = text.contains(".") & ~grouped
                text = F.regexp_replace(F.regexp_replace(text, r"\.", ""), ",", ".")
            value = F.expr("try_cast(__t AS DOUBLE)").alias("amount")
            df = df.withColumn("__t", text)
        else:
            value = amount.cast("double")
        return df.select(
            F.trim(F.col(f"`{c.customer}`").cast("string")).alias("customer_id"),
            ts.alias("ts"),
            value.alias("amount"),
            stray.alias("stray_dot"),
            date.cast("string").alias("raw_date"),
            amount.cast("string").alias("raw_amount"),
        )

    def _validate(self, typed: Any, inp: Input) -> None:
        from pyspark.sql import functions as F

        c = inp.columns
        nan = F.isnan("amount")
        checks = [
            (c.customer, F.col("customer_id").isNull() | (F.col("customer_id") == ""),
             "empty customer id"),
            (c.date, F.col("ts").isNull(), "cannot read {date} as a date"),
            (c.amount, F.col("stray_dot"), "{amount} has a '.' but the decimal mark is ','"),
            (c.amount, F.col("amount").isNull() | nan
             | (F.abs("amount") == float("inf")), "{amount} is not a number"),
            (c.amount, F.col("amount") < 0, "negative amount {amount}"),
            (c.amount, F.col("amount") > float(MAX_MONEY), "{amount} is above " + str(MAX_MONEY)),
        ]  # fmt: skip
        row = typed.agg(
            F.count(F.lit(1)), *[F.sum(F.when(cond, 1).otherwise(0)) for _, cond, _ in checks]
        ).first()
        if row[0] == 0:
            raise InputError(c.amount, "no transactions (the input has no rows)")
        for (field, cond, message), bad in zip(checks, list(row)[1:], strict=True):
            if bad:
                first = typed.where(cond).select("raw_date", "raw_amount").first()
                text = message.format(date=repr(first[0]), amount=repr(first[1]))
                raise InputError(field, f"{bad} rows, the first: {text}")

    def _summarize(self, typed: Any, as_of: str | None, unit: Unit) -> Any:
        from pyspark.sql import functions as F

        per = 7.0 if unit == "W" else 1.0
        tx = typed.select("customer_id", F.to_date("ts").alias("day"), "amount")
        if as_of is None:
            end = tx.agg(F.max("day")).first()[0]
        else:
            end = pd.Timestamp(as_of).floor("D").date()
        self._end = end
        daily = (
            tx.where(F.col("day") <= F.lit(end)).groupBy("customer_id", "day")
            .agg(F.sum("amount").alias("amt"))
        )  # fmt: skip
        # Spend after the first day as all days less the first (as the DuckDB engine): one
        # aggregation, no window over every row.
        grouped = daily.groupBy("customer_id").agg(
            (F.count(F.lit(1)) - 1).alias("n"),
            F.min("day").alias("first_day"),
            F.max("day").alias("last_day"),
            (F.sum("amt") - F.min_by("amt", "day")).alias("repeat_sum"),
        )
        return grouped.select(
            "customer_id",
            F.col("n").cast("double").alias("frequency"),
            (F.datediff("last_day", "first_day") / F.lit(per)).alias("recency"),
            (F.datediff(F.lit(end), "first_day") / F.lit(per)).alias("T"),
            F.when(F.col("n") > 0, F.col("repeat_sum") / F.col("n")).otherwise(0.0)
            .alias("monetary_value"),
        )  # fmt: skip

    # -- the engine interface -------------------------------------------------------------

    def customers(self) -> int:
        return int(self._n)

    def _write(self, df: Any, out: Path) -> None:
        """Spark writes a folder of parts; the user asked for one file: join them in order."""
        import pyarrow.csv as pacsv
        import pyarrow.dataset as ds
        import pyarrow.parquet as pq

        parts = Path(tempfile.mkdtemp(prefix="appease-spark-", dir=out.parent))
        tmp = out.with_name(f".{out.name}.tmp")
        try:
            df.write.mode("overwrite").parquet(str(parts / "out"))
            files = sorted(str(p) for p in (parts / "out").glob("part-*.parquet"))
            dataset = ds.dataset(files, format="parquet")
            if out.suffix.lower() in (".parquet", ".pq"):
                writer = None
                for batch in dataset.to_batches():
                    if writer is None:
                        writer = pq.ParquetWriter(tmp, batch.schema)
                    writer.write_batch(batch)
                if writer is not None:
                    writer.close()
            else:
                options = pacsv.WriteOptions(quoting_style="needed")
                with pacsv.CSVWriter(tmp, dataset.schema, write_options=options) as writer:
                    for batch in dataset.to_batches():
                        writer.write_batch(batch)
            os.replace(tmp, out)
        finally:
            tmp.unlink(missing_ok=True)
            shutil.rmtree(parts, ignore_errors=True)

    def write_summary(self, out: Path) -> None:
        self._write(self.summary.orderBy("customer_id"), out)

    def bgnbd_rows(self) -> pd.DataFrame:
        from pyspark.sql import functions as F

        cols = ["frequency", "recency", "T"]
        rows = self.summary.groupBy(*cols).agg(F.count(F.lit(1)).cast("double").alias("weight"))
        return _sorted(_to_pandas(rows), cols)

    def gamma_gamma_rows(self) -> pd.DataFrame:
        from pyspark.sql import functions as F

        cols = ["frequency", "monetary_value"]
        rows = (
            self.summary.where((F.col("frequency") > 0) & (F.col("monetary_value") > 0))
            .groupBy(*cols).agg(F.count(F.lit(1)).cast("double").alias("weight"))
        )  # fmt: skip
        return _sorted(_to_pandas(rows), cols)

    def score(self, out: Path, models: Models, settings: ScoreSettings) -> None:
        from pyspark import StorageLevel
        from pyspark.sql import functions as F

        gg = need_spend_model(models)
        bg = models.bgnbd
        r, f, m = population_edges(self)
        horizon, rate, unit = settings.horizon_months, settings.discount_rate, settings.unit

        def score_parts(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
            for batch in batches:
                yield score_batch(batch, bg, gg, r, f, m, horizon_months=horizon,
                                  discount_rate=rate, unit=unit)  # fmt: skip

        schema = ", ".join(
            f"`{c}` {'string' if c in ('customer_id', 'segment') else 'double'}"
            for c in BATCH_COLUMNS
        )
        scored = self.summary.mapInPandas(score_parts, schema).persist(StorageLevel.MEMORY_AND_DISK)
        th = settings.thresholds
        if th.absolute:
            cuts = [th.silver, th.gold, th.platinum]
        else:
            cuts = scored.agg(F.percentile("clv", [th.silver, th.gold, th.platinum])).first()[0]
        clv = F.col("clv")
        tier = (
            F.when(clv >= F.lit(float(cuts[2])), "platinum")
            .when(clv >= F.lit(float(cuts[1])), "gold")
            .when(clv >= F.lit(float(cuts[0])), "silver").otherwise("bronze")
        )  # fmt: skip
        final = scored.withColumn("tier", tier).select(*OUT_COLUMNS).orderBy("customer_id")
        self._write(final, out)
        scored.unpersist()

    def close(self) -> None:
        self.summary.unpersist()


def _to_pandas(df: Any) -> pd.DataFrame:
    """Through Arrow (Spark 4's toArrow): pyspark's own toPandas trips over pandas 3."""
    frame: pd.DataFrame = df.toArrow().to_pandas()
    return frame


def _sorted(frame: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    return frame.sort_values(cols, kind="stable").reset_index(drop=True)
