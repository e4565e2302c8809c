"""The cluster engine: the RFM summary and the per-customer scores as Spark DataFrame operations.

Runs on whatever `SparkSession` the master gives (`local[*]` by default). Up to
`SparkEngine.driver_sort_max` customers (bounded before reading: Parquet footers, a CSV's size)
Spark runs one job, the per-customer aggregation, and the aggregates come to the driver, where
the summary, the fit's rows and the scores are the pandas engine's NumPy functions. Past it the
distinct (x, t_x, T) rows' purchase terms, computed on the driver, travel to the executors as a
broadcast join; the fitted spend parameters and cut points as literals in the SQL expressions."""

from __future__ import annotations

import datetime
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from bot.domain import MAX_MONEY
from bot.engines._base import (
    OUT_COLUMNS,
    SUMMARY_COLUMNS,
    Models,
    ScoreSettings,
    ScoringTerms,
    import_scipy_in_background,
    scoring_terms,
    unfit_error,
)
from bot.engines._input import Input
from bot.errors import InputError
from bot.scoring import Unit, compress, segment_sql, spend_rounding_sql

__all__ = ["SparkEngine", "java_date_pattern", "spark_session"]

_JAVA = {
    "d": "dd",
    "m": "MM",
    "Y": "yyyy",
    "y": "yy",
    "H": "HH",
    "M": "mm",
    "S": "ss",
    "f": "SSSSSS",
    "z": "XX",
    "b": "MMM",
    "B": "MMMM",
    "p": "a",
    "I": "hh",
}


def java_date_pattern(strftime: str) -> str:
    """A Python strftime pattern (`%d/%m/%Y`) as Spark's datetime pattern (`dd/MM/yyyy`)."""
    out = []
    for token in re.split(r"(%.)", strftime):
        if token.startswith("%") and len(token) == 2:
            if token[1] not in _JAVA:
                raise InputError("date_format", f"{token} has no Spark equivalent")
            out.append(_JAVA[token[1]])
        elif token:
            out.append(
                "'" + token.replace("'", "''") + "'" if re.search(r"[A-Za-z]", token) else token
            )
    return "".join(out)


# The JVM of a local session, which starts cold for every run. Its C2 compiler only for methods
# far hotter than the default thresholds: by default it spent about 7 of the session start's 20
# CPU-s on start-up code run a few thousand times; the per-row loops of the aggregation still
# reach these thresholds within the first million rows. The throughput collector, not G1: one
# process, one batch job, no pause-time goal. Metaspace starts at 256 MB: Spark's classes
# otherwise filled the default 21 MB four times during start-up, a full collection each.
LOCAL_JAVA_OPTIONS = (
    "-XX:Tier4InvocationThreshold=40000 -XX:Tier4MinInvocationThreshold=20000 "
    "-XX:Tier4CompileThreshold=50000 -XX:Tier4BackEdgeThreshold=200000 -XX:+UseParallelGC "
    "-XX:MetaspaceSize=256m"
)
# A local session's settings. The aggregation's hash maps live off the heap: on it, their
# hundreds of MB of pages were copied by young collections (one took 5 s of a 45 s run under
# load). Files are listed by the driver, not by a job of one task a file (from 32 files on).
LOCAL_CONF = {
    "spark.memory.offHeap.enabled": "true",
    "spark.memory.offHeap.size": "2g",
    "spark.sql.sources.parallelPartitionDiscovery.threshold": "1000000",
}


def _java_options_given() -> bool:
    """The user set the driver's JVM options (a --conf, --driver-java-options or
    spark-defaults.conf): theirs alone."""
    submit = os.environ.get("PYSPARK_SUBMIT_ARGS", "")
    if "extraJavaOptions" in submit or "--driver-java-options" in submit:
        return True
    conf_dir = os.environ.get("SPARK_CONF_DIR") or (
        os.path.join(os.environ["SPARK_HOME"], "conf") if "SPARK_HOME" in os.environ else None
    )
    defaults = Path(conf_dir or "", "spark-defaults.conf")
    return (
        conf_dir is not None
        and defaults.is_file()
        and ("spark.driver.extraJavaOptions" in defaults.read_text(errors="replace"))
    )


def spark_session(master: str = "local[*]") -> Any:
    """A session in UTC (purchase days are UTC days, as in the other engines)."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder
    if master.startswith("local"):
        if "PYSPARK_PYTHON" not in os.environ:
            # local workers run this interpreter (the venv with appease), not the system python3
            os.environ["PYSPARK_PYTHON"] = sys.executable
        if not _java_options_given():
            builder = builder.config("spark.driver.extraJavaOptions", LOCAL_JAVA_OPTIONS)
        for key, value in LOCAL_CONF.items():
            builder = builder.config(key, value)
    spark = (
        builder.master(master)
        .appName("appease-clv")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        # Arrow batches of 200,000 rows, not 10,000, between the JVM and the driver (the fit's
        # rows, the CLV column)
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "200000")
        .config("spark.sql.shuffle.partitions", str(max(4, (os.cpu_count() or 2) * 2)))
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


class SparkEngine:
    name = "spark"
    # Up to this many customers (bounded by the input's rows) the per-customer aggregates come to
    # the driver (about 100 bytes a customer in Arrow), where the rest is NumPy; past it the
    # summary stays on the executors and Spark scores, sorts and writes parts.
    driver_sort_max = 20_000_000

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

        importing = import_scipy_in_background()
        self.spark = session or spark_session(master)
        importing.join()
        self._rows: dict[str, Any] = {}  # the fit's compressed rows, for the scorer too
        self._inp = inp
        self._unit = unit
        self._typed_df = self._typed(inp)
        per = self._per_customer(self._typed_df, inp, as_of)
        self._local: _Local | None = None
        self._per: Any = None
        bound = _row_bound(inp)
        if bound is not None and bound <= self.driver_sort_max:
            # At most that many customers: one Spark job, the per-customer aggregates to the
            # driver, where the rest is NumPy (`_Local`).
            self._local = self._collect(per.toArrow())
            return
        self._per = per.persist(StorageLevel.MEMORY_AND_DISK)
        self.summary = self._summary(unit)
        if self._n == 0:
            raise InputError("as_of", f"no transactions on or before {self._end}")

    def _collect(self, table: Any) -> _Local:
        """The per-customer aggregates (one row a customer, from one Spark job) as the summary
        in NumPy, sorted by customer id: the same operations as `_summary`'s SQL, the same bits.
        """
        import numpy as np
        import pyarrow.compute as pc

        from bot.scoring._formats import round_spend

        n_rows = table.num_rows
        invalid = pc.sum(table.column("invalid")).as_py() or 0
        if invalid or n_rows == 0:
            self._validate(self._typed_df, self._inp)

        def days(name: str) -> Any:
            # date32: days since the epoch; a null (no day kept) as -1, never read
            col = pc.fill_null(table.column(name).cast("int32"), -1)
            return col.to_numpy()

        max_day = days("max_day")
        end = (
            int(max_day.max())
            if self._as_of is None
            else (self._as_of - datetime.date(1970, 1, 1)).days
        )
        self._end = datetime.date(1970, 1, 1) + datetime.timedelta(days=end)
        n = pc.fill_null(table.column("n"), -1).to_numpy()
        kept = np.flatnonzero(n >= 0)
        self._n = len(kept)
        if self._n == 0:
            raise InputError("as_of", f"no transactions on or before {self._end}")
        ids = table.column("customer_id").take(kept)
        order = pc.sort_indices(ids).to_numpy()  # bytes, as Spark's and DuckDB's ORDER BY
        at = kept[order]
        n = n[at]
        first, last = days("first_day")[at], days("last_day")[at]
        repeat = pc.fill_null(table.column("repeat_sum"), 0.0).to_numpy()[at]
        per = 7.0 if self._unit == "W" else 1.0
        x = n.astype(float)
        spend = np.zeros(len(n))
        repeats = n > 0
        spend[repeats] = round_spend(repeat[repeats]) / x[repeats]
        return _Local(
            ids=ids.take(order),
            frequency=x,
            recency=(last - first).astype(float) / per,
            T=(end - first).astype(float) / per,
            monetary_value=spend,
        )

    def _typed(self, inp: Input) -> Any:
        from pyspark.sql import functions as F
        from pyspark.sql import types as T

        reader = self.spark.read
        if self.spark.conf.get("spark.master", "").startswith("local"):
            # Read tasks of equal size, two a core: by default the 35 files of 10M rows made
            # three tasks of 7.7M, 2.3M and 3 rows, and one core idled through half the read.
            cores = os.cpu_count() or 2
            split = max(4 << 20, -(-inp.size_bytes // (2 * cores)))
            self.spark.conf.set("spark.sql.files.maxPartitionBytes", str(split))
            self.spark.conf.set("spark.sql.files.openCostInBytes", "0")
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

    @staticmethod
    def _checks(inp: Input) -> list[tuple[str, Any, str]]:
        """(field, condition that makes a row of `typed` invalid, message)."""
        from pyspark.sql import functions as F

        c = inp.columns
        nan = F.isnan("amount")
        return [
            (
                c.customer,
                F.col("customer_id").isNull() | (F.col("customer_id") == ""),
                "empty customer id",
            ),
            (c.date, F.col("ts").isNull(), "cannot read {date} as a date"),
            (c.amount, F.col("stray_dot"), "{amount} has a '.' but the decimal mark is ','"),
            (
                c.amount,
                F.col("amount").isNull() | nan | (F.abs("amount") == float("inf")),
                "{amount} is not a number",
            ),
            (c.amount, F.col("amount") < 0, "negative amount {amount}"),
            (c.amount, F.col("amount") > float(MAX_MONEY), "{amount} is above " + str(MAX_MONEY)),
        ]

    def _validate(self, typed: Any, inp: Input) -> None:
        """Name the first invalid row of each kind (a scan of its own: only when one exists)."""
        from pyspark.sql import functions as F

        c = inp.columns
        checks = self._checks(inp)
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

    def _per_customer(self, typed: Any, inp: Input, as_of: str | None) -> Any:
        """Per customer and day, then per customer, counting invalid rows on the way.

        One shuffle: the transactions are partitioned by customer once, and both aggregations
        (by customer and day, then by customer) run within those partitions. Only if a row is
        invalid (or there are none) does `_validate` scan again to name it.
        """
        from pyspark.sql import functions as F

        invalid = None
        for _, cond, _ in self._checks(inp):
            invalid = cond if invalid is None else invalid | cond
        assert invalid is not None
        day = F.to_date("ts")
        if self.spark.conf.get("spark.sql.session.timeZone") == "UTC":
            # The UTC day as integer arithmetic on the microseconds: the same days as to_date,
            # which builds java.time objects for every row (5% of the job's samples).
            micros, per_day = "unix_micros(CAST(ts AS TIMESTAMP_LTZ))", 86_400_000_000
            day = F.expr(
                f"date_from_unix_date(CAST(({micros} - pmod({micros}, {per_day})) div {per_day}"
                " AS INT))"
            )
        tx = typed.select(
            "customer_id",
            day.alias("day"),
            "amount",
            F.when(F.coalesce(invalid, F.lit(True)), 1).otherwise(0).alias("invalid"),
        ).repartition("customer_id")
        daily = tx.groupBy("customer_id", "day").agg(
            F.sum("amount").alias("amt"), F.sum("invalid").alias("invalid")
        )
        self._as_of = None if as_of is None else pd.Timestamp(as_of).floor("D").date()
        kept = F.lit(True) if self._as_of is None else F.col("day") <= F.lit(self._as_of)
        # Spend after the first day as all days less the first (as the DuckDB engine): one
        # aggregation, no window over every row. The first day is the first overall whenever
        # any day is kept (n >= 0), so only counts, the last day and sums need the filter.
        return daily.groupBy("customer_id").agg(
            (F.count(F.when(kept, 1)) - 1).alias("n"),
            F.min("day").alias("first_day"),
            F.max(F.when(kept, F.col("day"))).alias("last_day"),
            (F.sum(F.when(kept, F.col("amt"))) - F.min_by("amt", "day")).alias("repeat_sum"),
            F.sum("invalid").alias("invalid"),
            F.max("day").alias("max_day"),
        )

    def _summary(self, unit: Unit) -> Any:
        from pyspark.sql import functions as F

        per = 7.0 if unit == "W" else 1.0
        row = self._per.agg(
            F.coalesce(F.sum("invalid"), F.lit(0)),
            F.count(F.lit(1)),
            F.max("max_day"),
            F.count(F.when(F.col("n") >= 0, 1)),
        ).first()
        if row[0] or row[1] == 0:
            self._validate(self._typed_df, self._inp)
        end = self._as_of if self._as_of is not None else row[2]
        self._end = end
        self._n = int(row[3])
        return self._per.where(F.col("n") >= 0).select(
            "customer_id",
            F.col("n").cast("double").alias("frequency"),
            (F.datediff("last_day", "first_day") / F.lit(per)).alias("recency"),
            (F.datediff(F.lit(end), "first_day") / F.lit(per)).alias("T"),
            F.when(F.col("n") > 0, F.expr(spend_rounding_sql("repeat_sum")) / F.col("n"))
            .otherwise(0.0)
            .alias("monetary_value"),
        )

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
        if self._local is not None:
            loc = self._local
            columns = {"customer_id": loc.ids, **{c: getattr(loc, c) for c in SUMMARY_COLUMNS[1:]}}
            _write_arrow(columns, out)
            return
        self._write(self.summary.orderBy("customer_id"), out)

    def bgnbd_rows(self) -> Any:
        from pyspark.sql import functions as F

        if "bgnbd" not in self._rows and self._local is not None:
            loc = self._local
            (x, t_x, T), weight, back = compress(loc.frequency, loc.recency, loc.T)
            self._rows["bgnbd"] = {"frequency": x, "recency": t_x, "T": T, "weight": weight}
            self._back = back  # each customer's distinct row
        if "bgnbd" not in self._rows:
            cols = ["frequency", "recency", "T"]
            rows = self.summary.groupBy(*cols).agg(F.count(F.lit(1)).cast("double").alias("weight"))
            self._rows["bgnbd"] = _sorted(_to_pandas(rows), cols)
        return self._rows["bgnbd"]

    def gamma_gamma_rows(self) -> Any:
        from pyspark.sql import functions as F

        if "gamma_gamma" not in self._rows and self._local is not None:
            loc = self._local
            keep = (loc.frequency > 0) & (loc.monetary_value > 0)
            (x, m), weight, _ = compress(loc.frequency[keep], loc.monetary_value[keep])
            self._rows["gamma_gamma"] = {"frequency": x, "monetary_value": m, "weight": weight}
        if "gamma_gamma" not in self._rows:
            cols = ["frequency", "monetary_value"]
            rows = (
                self.summary.where((F.col("frequency") > 0) & (F.col("monetary_value") > 0))
                .groupBy(*cols)
                .agg(F.count(F.lit(1)).cast("double").alias("weight"))
            )
            self._rows["gamma_gamma"] = _sorted(_to_pandas(rows), cols)
        return self._rows["gamma_gamma"]

    def score(self, out: Path, models: Models, settings: ScoreSettings) -> None:
        """Score each distinct (x, t_x, T) row once on the driver, the customers in Spark.

        The purchase terms depend on (x, t_x, T) alone and the driver already holds those rows
        (the fit's): scored there, they go back as a small table joined (broadcast) to the
        customers, and spend, CLV, RFM scores, segment and tier are Spark SQL expressions with
        the fitted parameters and population cut points as exact double literals. No Python
        worker runs. Up to `driver_sort_max` customers the scored rows then come to the driver
        in one job, where tiers, sort and the file are made; past it only the CLV column does
        (for the tier cut points) and Spark sorts and writes.
        """
        import numpy as np
        import pyarrow as pa
        from pyspark import StorageLevel
        from pyspark.sql import functions as F

        terms = scoring_terms(self, models, settings)
        if self._local is not None:
            self._score_on_driver(self._local, terms, out, settings)
            return
        gg, (r_edges, f_edges, m_edges), rows = terms.spend, terms.edges, terms.rows
        p_alive, expected, per_spend = terms.p_alive, terms.expected, terms.per_spend
        if not (np.isfinite(p_alive).all() and np.isfinite(expected).all()):
            raise unfit_error(int((~(np.isfinite(p_alive) & np.isfinite(expected))).sum()))
        cols = ("frequency", "recency", "T")
        terms = self.spark.createDataFrame(
            pa.table(
                {
                    **{c: rows[c].to_numpy(dtype=float) for c in cols},
                    "p_alive": p_alive,
                    "expected_purchases": expected,
                    "per_spend": per_spend,
                }
            )
        )
        par = gg.params_
        assert par is not None
        p, q, v = (_double(val) for val in (par.p, par.q, par.v))
        # GammaGamma.expected_spend, the same operations in the same order: the same bits.
        spend = f"({p} * ({v} + frequency * monetary_value)) / ({p} * frequency + {q} - 1)"
        scored = (
            self.summary.join(F.broadcast(terms), on=list(cols))
            .withColumn("clv", F.expr(f"greatest({spend} * per_spend, 0.0)"))
            .withColumn("__r", F.expr(r_edges.sql("`T` - recency")))
            .withColumn("__f", F.expr(f_edges.sql("frequency")))
            .withColumn("__m", F.expr(m_edges.sql("monetary_value")))
            .withColumn("segment", F.expr(segment_sql("frequency", "__r", "__f", "__m")))
            .select(*[c for c in OUT_COLUMNS if c != "tier"])
        )
        if self._n <= self.driver_sort_max:
            self._write_through_driver(scored, out, settings)
            return
        scored = scored.persist(StorageLevel.MEMORY_AND_DISK)
        clv = _to_pandas(scored.select("clv"))["clv"].to_numpy(dtype=float)
        if not np.isfinite(clv).all():
            raise unfit_error(int((~np.isfinite(clv)).sum()))
        cuts = settings.thresholds.cut_points(clv)
        value = F.col("clv")
        tier = (
            F.when(value >= F.expr(_double(float(cuts[2]))), "platinum")
            .when(value >= F.expr(_double(float(cuts[1]))), "gold")
            .when(value >= F.expr(_double(float(cuts[0]))), "silver")
            .otherwise("bronze")
        )
        final = scored.withColumn("tier", tier).select(*OUT_COLUMNS).orderBy("customer_id")
        self._write(final, out)
        scored.unpersist()

    def _score_on_driver(
        self, loc: _Local, terms: ScoringTerms, out: Path, settings: ScoreSettings
    ) -> None:
        """The summary is on the driver (`_collect`): score it as the pandas engine's
        `score_batch` does, with the same functions, in NumPy."""
        import numpy as np
        import pyarrow as pa

        from bot.engines._base import TIERS, tier_codes
        from bot.scoring._segments import SEGMENT_NAMES, segment_codes

        r_edges, f_edges, m_edges = terms.edges
        back = self._back
        x, m = loc.frequency, loc.monetary_value
        p_alive, expected = terms.p_alive[back], terms.expected[back]
        clv = np.maximum(terms.spend.expected_spend(x, m) * terms.per_spend[back], 0.0)
        unfit = int(
            np.count_nonzero(~(np.isfinite(clv) & np.isfinite(p_alive) & np.isfinite(expected)))
        )
        if unfit:
            raise unfit_error(unfit)
        R = r_edges.score(loc.T - loc.recency)
        F = f_edges.score(x)
        M = m_edges.score(m)
        cuts = settings.thresholds.cut_points(clv)
        columns = {
            "customer_id": loc.ids,
            "frequency": x,
            "recency": loc.recency,
            "T": loc.T,
            "monetary_value": m,
            "p_alive": p_alive,
            "expected_purchases": expected,
            "clv": clv,
            # taken by index from Arrow arrays of the names: Arrow copies a NumPy unicode
            # array of 1.9M names in 1 s
            "tier": pa.array(TIERS).take(
                tier_codes(clv, (float(cuts[0]), float(cuts[1]), float(cuts[2])))
            ),
            "segment": pa.array(SEGMENT_NAMES).take(segment_codes(x, R, F, M)),
        }
        _write_arrow({c: columns[c] for c in OUT_COLUMNS}, out)

    def _write_through_driver(self, scored: Any, out: Path, settings: ScoreSettings) -> None:
        """One Spark job: the scored customers come to the driver as Arrow, where the tiers are
        cut, the rows sorted and the one output file written.

        The file is written by the driver in any case (Spark writes a folder of parts); taking
        the rows there directly replaces three jobs (the CLV column for the cut points, the
        range sampling of a global sort, the sorted write) and the parts' round trip on disk.
        Above `driver_sort_max` customers the rows stay on the executors (`score`'s other path).
        """
        import numpy as np
        import pyarrow as pa

        from bot.engines._base import TIERS, tier_codes

        table = scored.toArrow()
        clv = table.column("clv").to_numpy()
        if not np.isfinite(clv).all():
            raise unfit_error(int((~np.isfinite(clv)).sum()))
        cuts = settings.thresholds.cut_points(clv)
        tier = pa.array(TIERS).take(
            tier_codes(clv, (float(cuts[0]), float(cuts[1]), float(cuts[2])))
        )
        table = table.append_column("tier", tier).select(OUT_COLUMNS)
        # Arrow compares strings as bytes, as Spark's and DuckDB's ORDER BY do.
        _write_table(table.sort_by("customer_id"), out)

    def close(self) -> None:
        if self._per is not None:
            self._per.unpersist()


@dataclass
class _Local:
    """The summary on the driver, sorted by customer id."""

    ids: Any  # an Arrow string array
    frequency: Any
    recency: Any
    T: Any
    monetary_value: Any


def _row_bound(inp: Input) -> int | None:
    """At most this many rows (so customers) in the input, when known without reading it:
    Parquet footers' row counts; a CSV row has at least two separators and a line end."""
    if inp.kind == "parquet":
        import pyarrow.parquet as pq

        return sum(int(pq.ParquetFile(path).metadata.num_rows) for path in inp.paths)
    if any(path.lower().endswith(".gz") for path in inp.paths):
        return None
    return inp.size_bytes // 3


def _write_arrow(columns: dict[str, Any], out: Path) -> None:
    """Columns (Arrow or NumPy arrays) as one Parquet or CSV file by the suffix, atomically."""
    import pyarrow as pa

    def arrow(values: Any) -> Any:
        # pa.array iterates a ChunkedArray (the ids) as Python objects: 6 s for 1.9M strings
        return values if isinstance(values, pa.Array | pa.ChunkedArray) else pa.array(values)

    _write_table(pa.table({name: arrow(values) for name, values in columns.items()}), out)


def _write_table(table: Any, out: Path) -> None:
    """An Arrow table as one Parquet or CSV file by the suffix, atomically."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    tmp = out.with_name(f".{out.name}.tmp")
    try:
        if out.suffix.lower() in (".parquet", ".pq"):
            pq.write_table(table, tmp)
        else:
            pacsv.write_csv(table, tmp, pacsv.WriteOptions(quoting_style="needed"))
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


def _double(value: float) -> str:
    """A float as Spark SQL that reads back to the same bits (repr round-trips)."""
    return f"CAST('{value!r}' AS DOUBLE)"


def _to_pandas(df: Any) -> pd.DataFrame:
    """Through Arrow (Spark 4's toArrow): pyspark's own toPandas trips over pandas 3."""
    frame: pd.DataFrame = df.toArrow().to_pandas()
    return frame


def _sorted(frame: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    return frame.sort_values(cols, kind="stable").reset_index(drop=True)
