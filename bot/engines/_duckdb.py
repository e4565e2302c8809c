"""The embedded engine: the RFM summary and the per-customer scores as SQL in DuckDB.

DuckDB reads Parquet and CSV in parallel and spills to disk, so a log far larger than memory
goes through; only the summary's distinct rows (and the CLV column, for the tier cut points)
reach Python.
"""

from __future__ import annotations

import datetime
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bot.domain import MAX_MONEY
from bot.engines._base import (
    OUT_COLUMNS,
    TIERS,
    Models,
    Rows,
    ScoreSettings,
    import_scipy_in_background,
    need_spend_model,
    population_edges,
    purchase_arrays,
    scoring_terms,
    unfit_error,
)
from bot.engines._input import Input
from bot.errors import InputError
from bot.scoring import (
    SEGMENT_NAMES,
    Unit,
    segment_codes,
    segment_sql,
    spend_rounding_sql,
)

__all__ = ["DuckDBEngine"]


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _lambda(params: str, body: str) -> str:
    """A list lambda in the syntax this DuckDB reads: `lambda x: ...` from 1.3 (2.0 refuses the
    arrow form by default), `(x) -> ...` before."""
    import duckdb

    major, minor = (int(part) for part in duckdb.__version__.split(".")[:2])
    if (major, minor) >= (1, 3):
        return f"lambda {params}: {body}"
    return f"({params}) -> {body}"


def _double(value: float) -> str:
    """A float as SQL that DuckDB reads back to the same bits (repr round-trips; a literal
    would be a DECIMAL)."""
    return f"CAST('{value!r}' AS DOUBLE)"


def _sorted(rows: dict[str, Any], keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Distinct rows in the order of `keys`, sorted in NumPy: DuckDB's ORDER BY over three
    double columns took 0.7 s of 0.9 s for the 0.9M distinct rows at 10M transactions, a
    NumPy argsort a few hundredths. The keys are distinct, so the order is the same."""
    columns = {name: np.asarray(values, dtype=float) for name, values in rows.items()}
    keys_ = [columns[k] for k in keys]
    spans = [float(k.max()) + 1 if k.size else 1.0 for k in keys_]
    if all(np.all(k >= 0) and np.all(k == np.floor(k)) for k in keys_) and np.prod(spans) < 2**53:
        # Day-granular rows: one integer key (exact below 2**53), argsorted 5x faster
        packed = np.zeros(len(keys_[0]))
        for k, span in zip(keys_, spans, strict=True):
            packed = packed * span + k
        order = np.argsort(packed)
    else:
        order = np.lexsort(tuple(reversed(keys_)))
    return {name: values[order] for name, values in columns.items()}


class DuckDBEngine:
    name = "duckdb"
    # Up to this many customers `score` works by position (see there), past it by a hash join.
    positional_max = 5_000_000

    def __init__(
        self,
        inp: Input,
        *,
        as_of: str | None = None,
        unit: Unit = "D",
        memory_limit: str | None = None,
        threads: int | None = None,
    ) -> None:
        import duckdb

        self._tmp = tempfile.TemporaryDirectory(prefix="appease-duckdb-")
        self._bgnbd_rows: Rows | None = None
        self._gamma_gamma_rows: Rows | None = None
        self._customers = 0
        self.con: Any = duckdb.connect(":memory:")
        self.con.execute("SET TimeZone = 'UTC'")
        # DuckDB draws a progress bar on stdout for long queries: stdout is for results.
        self.con.execute("SET enable_progress_bar = false")
        self.con.execute(f"SET temp_directory = {_text(self._tmp.name)}")
        if memory_limit:
            self.con.execute(f"SET memory_limit = {_text(memory_limit)}")
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        self._typed_view(inp)
        self._summarize(inp, as_of, unit)

    # -- reading --------------------------------------------------------------------------

    def _typed_view(self, inp: Input) -> None:
        files = "[" + ", ".join(_text(p) for p in inp.paths) + "]"
        if inp.kind == "parquet":
            source = f"read_parquet({files}, union_by_name = true)"
        else:
            source = (
                f"read_csv({files}, delim = {_text(inp.fmt.sep)}, header = true, "
                "all_varchar = true, union_by_name = true)"
            )
        self.con.execute(f"CREATE VIEW src AS SELECT * FROM {source}")
        names = [r[0] for r in self.con.execute("DESCRIBE src").fetchall()]
        c = inp.columns
        for col in (c.customer, c.date, c.amount):
            if col not in names:
                hint = ""
                if len(names) == 1 and inp.fmt.sep not in names[0]:
                    for other in (";", "\t", "|", ","):
                        if other in names[0]:
                            hint = f"; the file looks {other!r}-separated: give --sep {other!r}"
                raise InputError(col, f"missing column (columns are: {', '.join(names)}){hint}")
        types = dict(
            self.con.execute("SELECT column_name, column_type FROM (DESCRIBE src)").fetchall()
        )
        date_sql = self._date_sql(_ident(c.date), str(types[c.date]).upper(), inp)
        amount_sql, stray = self._amount_sql(_ident(c.amount), str(types[c.amount]).upper(), inp)
        self.con.execute(
            f"""CREATE VIEW typed AS SELECT
                trim(CAST({_ident(c.customer)} AS VARCHAR)) AS customer_id,
                CAST({_ident(c.customer)} AS VARCHAR) AS untrimmed_id,
                {date_sql} AS ts,
                {amount_sql} AS amount,
                {stray} AS stray_dot,
                CAST({_ident(c.date)} AS VARCHAR) AS raw_date,
                CAST({_ident(c.amount)} AS VARCHAR) AS raw_amount
            FROM src"""
        )

    @staticmethod
    def _date_sql(col: str, kind: str, inp: Input) -> str:
        # Instants (TIMESTAMPTZ) stay instants, naive timestamps are UTC: the day is then plain
        # arithmetic on epoch microseconds, with no time-zone library call per row.
        if kind.startswith("TIMESTAMP"):
            return col
        if kind == "DATE":
            return f"CAST({col} AS TIMESTAMP)"
        if inp.fmt.dayfirst is not None:
            raise InputError(
                "dayfirst", "the duckdb engine reads a given --date-format (e.g. '%d/%m/%Y')"
            )
        text = f"trim(CAST({col} AS VARCHAR))"
        if inp.fmt.date_format is not None:
            return f"try_strptime({text}, {_text(inp.fmt.date_format)})"
        return f"TRY_CAST({text} AS TIMESTAMPTZ)"

    @staticmethod
    def _amount_sql(col: str, kind: str, inp: Input) -> tuple[str, str]:
        if kind != "VARCHAR":
            return f"TRY_CAST({col} AS DOUBLE)", "false"
        text = f"trim({col})"
        if inp.fmt.decimal == ",":
            grouped = f"regexp_full_match({text}, '[+-]?\\d{{1,3}}(\\.\\d{{3}})+(,\\d*)?')"
            stray = f"(contains({text}, '.') AND NOT {grouped})"
            return f"TRY_CAST(replace(replace({text}, '.', ''), ',', '.') AS DOUBLE)", stray
        return f"TRY_CAST({text} AS DOUBLE)", "false"

    @staticmethod
    def _checks(inp: Input) -> list[tuple[str, str, str]]:
        """(field, SQL condition on `typed` that makes a row invalid, message)."""
        c = inp.columns
        return [
            (c.customer, "customer_id IS NULL OR customer_id = ''", "empty customer id"),
            (c.date, "ts IS NULL OR NOT isfinite(ts)", "cannot read {date} as a date"),
            (c.amount, "stray_dot", "{amount} has a '.' but the decimal mark is ','"),
            (c.amount, "amount IS NULL OR NOT isfinite(amount)", "{amount} is not a number"),
            (c.amount, "amount < 0", "negative amount {amount}"),
            (c.amount, f"amount > {float(MAX_MONEY)!r}", "{amount} is above " + str(MAX_MONEY)),
        ]

    def _validate(self, inp: Input) -> None:
        """Name the first invalid row of each kind (a scan of its own: only when one exists)."""
        c = inp.columns
        checks = self._checks(inp)
        counts = self.con.execute(
            "SELECT count(*), "
            + ", ".join(f"count(*) FILTER (WHERE {cond})" for _, cond, _ in checks)
            + " FROM typed"
        ).fetchone()
        if counts[0] == 0:
            raise InputError(c.amount, "no transactions (the input has no rows)")
        for (field, cond, message), bad in zip(checks, counts[1:], strict=True):
            if bad:
                row, date, amount = self.con.execute(
                    "SELECT rn, raw_date, raw_amount FROM (SELECT row_number() OVER () AS rn, *"
                    f" FROM typed) WHERE {cond} ORDER BY rn LIMIT 1"
                ).fetchone()
                text = message.format(date=repr(date), amount=repr(amount))
                if field == c.date and inp.kind == "csv" and inp.fmt.date_format is None:
                    text += " (the duckdb engine reads ISO dates; give --date-format otherwise)"
                raise InputError(field, f"row {row}: {text}")

    def _summarize(self, inp: Input, as_of: str | None, unit: Unit) -> None:
        """One pass over the transactions, grouped by customer alone.

        Each customer's days and amounts are gathered as two lists: the distinct days are the
        purchases, and the first day's spend is the amounts whose day is the first. Grouping by
        (customer, day) first, then by customer, built a hash table of nearly one entry a
        transaction and took 1.5x as long at 10M transactions. The same pass counts invalid
        rows; only if there are any does `_validate` scan again to name the first. Without
        --as-of the end day is the last purchase day, taken from the per-customer table rather
        than from a scan of its own.

        Two things are kept off the per-transaction path. The empty-id check is made per
        customer (an id that trims to nothing is a group of its own), so no id is trimmed per
        row. And the per-customer lists are only read where they have to be: a customer whose
        purchases fall on one day has no repeat purchase, one with two purchases on two days has
        one whose first-day spend is the first-day element; only the rest (about half the
        customers at 10M transactions) pay for the distinct count and the lambda.
        """
        import duckdb

        per = 7.0 if unit == "W" else 1.0
        # Days since 1970-01-01 in UTC, floored (also before 1970).
        # (INTEGER: a day number fits, and lists of 4-byte days gather 5% faster than BIGINT)
        day = "CAST(floor(epoch_us(ts) / 86400000000.0) AS INTEGER)"
        # Every row check but the customer id's, which is made per customer below.
        row_checks = [cond for field, cond, _ in self._checks(inp) if field != inp.columns.customer]
        invalid = " OR ".join(f"({cond})" for cond in row_checks)
        end: int | None = None
        keep = ""
        if as_of is not None:
            import pandas as pd  # the dates pandas reads, read alike

            end = (pd.Timestamp(as_of).floor("D") - pd.Timestamp(0)).days
            keep = f" FILTER (WHERE day <= {end})"
        first_day_spend = _lambda("a, i", "days[i] = first_day")

        def per_customer(customer_id: str) -> tuple[int, int, int, int, int, int | None]:
            self.con.execute(
                f"""CREATE OR REPLACE TEMP TABLE per_customer AS
                WITH gathered AS (
                    SELECT customer_id, list(day){keep} AS days, list(amount){keep} AS amounts,
                           min(day){keep} AS first_day, max(day){keep} AS last_day,
                           sum(amount){keep} AS total, count(*){keep} AS k,
                           count(*) FILTER (WHERE {invalid}) AS invalid
                    FROM (SELECT {customer_id} AS customer_id, {day} AS day, amount, ts,
                                 stray_dot FROM typed)
                    GROUP BY customer_id
                )
                -- the spend after the first day as all spend less the first day's; n < 0 (no
                -- purchase kept) and n = 0 (one day) leave repeat_sum unread. list_unique
                -- counts without building the distinct list (len(list_distinct) did: 0.4-0.5
                -- CPU-s more at 10M transactions)
                SELECT customer_id,
                       CASE WHEN k = 0 THEN -1 WHEN first_day = last_day THEN 0
                            WHEN k = 2 THEN 1 ELSE list_unique(days) - 1 END AS n,
                       first_day, last_day,
                       CASE WHEN k = 0 OR first_day = last_day THEN 0.0
                            WHEN k = 2 THEN total - CASE WHEN days[1] = first_day
                                                         THEN amounts[1] ELSE amounts[2] END
                            ELSE total - list_sum(list_filter(amounts, {first_day_spend}))
                       END AS repeat_sum,
                       invalid,
                       -- trim strips spaces: an id with none at either end is as it is (a
                       -- prefix and a suffix test, not a trimmed copy of every id)
                       prefix(customer_id, ' ') OR suffix(customer_id, ' ') AS spaced
                FROM gathered"""
            )
            # Every check and count on the customers in one scan of them (fetchall: a result
            # left open by fetchone makes the next `register` fail)
            stats: tuple[int, int, int, int, int, int | None] = self.con.execute(
                "SELECT count(*) FILTER (WHERE spaced), count(*) FILTER (WHERE customer_id IS"
                " NULL OR customer_id = '' OR (spaced AND trim(customer_id) = '')),"
                " coalesce(sum(invalid), 0), count(*), count(*) FILTER (WHERE n >= 0),"
                " max(last_day) FROM per_customer"
            ).fetchall()[0]
            return stats

        # The summary is ordered where it is written: let the scan and aggregations run unordered.
        self.con.execute("SET preserve_insertion_order = false")
        importing = import_scipy_in_background()
        try:
            # Ids as they are, trimmed once per customer rather than once per transaction
            # (0.45 CPU-s of 10M transactions): only if some id has spaces to trim (two raw ids
            # may then be one customer) is the pass run again on the trimmed ids.
            untidy, no_id, invalid_rows, rows, kept, last = per_customer("untrimmed_id")
            if no_id:
                self._validate(inp)  # names the first row without an id
            if untidy:
                _, _, invalid_rows, rows, kept, last = per_customer("customer_id")
        except duckdb.Error:
            self._validate(inp)  # an invalid value broke the arithmetic: name it
            raise
        finally:
            self.con.execute("SET preserve_insertion_order = true")
            importing.join()
        if invalid_rows or rows == 0:
            self._validate(inp)
        if end is None:
            assert last is not None  # there are rows, so a last day
            end = int(last)
        self._end_day = end
        self._customers = int(kept)
        # A view, not a table: its expressions cost less than writing 1.9M rows again (0.2
        # CPU-s at 10M transactions). Unsorted: the positional scorer sorts (customer, distinct
        # row, spend) in `_prepare_score`, the join path and `write_summary` as they write.
        self.con.execute(
            f"""CREATE TEMP VIEW summary AS
            SELECT customer_id, CAST(n AS DOUBLE) AS frequency,
                   (last_day - first_day) / {per} AS recency,
                   ({end} - first_day) / {per} AS "T",
                   CASE WHEN n > 0 THEN ({spend_rounding_sql("repeat_sum")}) / n ELSE 0.0 END
                       AS monetary_value
            FROM per_customer WHERE n >= 0"""
        )
        if self._customers == 0:
            date = datetime.date(1970, 1, 1) + datetime.timedelta(days=end)
            raise InputError("as_of", f"no transactions on or before {date}")

    # -- the engine interface -------------------------------------------------------------

    def customers(self) -> int:
        return self._customers

    def _copy(self, select: str, out: Path) -> None:
        tmp = out.with_name(f".{out.name}.tmp")
        # A column with more distinct values than this is written plain without first building
        # its dictionary: the default limit had the writer hash the CLV, spend and probability
        # columns' values into dictionaries it then dropped (0.84-1.05 CPU-s against 0.67-0.90 at
        # 10M transactions; the same file, byte for byte). Day-granular columns (up to 10,000
        # distinct days) keep theirs.
        parquet = "FORMAT parquet, DICTIONARY_SIZE_LIMIT 10000"
        options = parquet if out.suffix.lower() in (".parquet", ".pq") else "HEADER"
        try:
            self.con.execute(f"COPY ({select}) TO {_text(str(tmp))} ({options})")
            os.replace(tmp, out)
        finally:
            tmp.unlink(missing_ok=True)

    def write_summary(self, out: Path) -> None:
        self._copy("SELECT * FROM summary ORDER BY customer_id", out)

    def bgnbd_rows(self) -> Rows:
        # The fit and the scorer both need them: aggregated once.
        if self._bgnbd_rows is None:
            self._bgnbd_rows = _sorted(
                self.con.execute(
                    'SELECT frequency, recency, "T", CAST(count(*) AS DOUBLE) AS weight '
                    'FROM summary GROUP BY frequency, recency, "T"'
                ).fetchnumpy(),
                ("frequency", "recency", "T"),
            )
        return self._bgnbd_rows

    def gamma_gamma_rows(self) -> Rows:
        if self._gamma_gamma_rows is None:
            self._gamma_gamma_rows = _sorted(
                self.con.execute(
                    "SELECT frequency, monetary_value, CAST(count(*) AS DOUBLE) AS weight "
                    "FROM summary WHERE frequency > 0 AND monetary_value > 0 "
                    "GROUP BY frequency, monetary_value"
                ).fetchnumpy(),
                ("frequency", "monetary_value"),
            )
        return self._gamma_gamma_rows

    def _prepare_score(self) -> _Prepared:
        """What `score` needs that the fitted models do not decide: the population's quintile
        edges, each customer's distinct (x, t_x, T) row by a hash join, sorted by customer id
        with the customer's spend in the same sort (the summary is stored unsorted: this is
        the one sort), and every customer's segment as a code.

        Tried and dropped: running this on the main thread while BG/NBD fits on its own (from
        `fit_models`). Under load 4.6-6.6 from other sessions, ten whole runs each, it cost
        0.6 CPU-s more (median 10.35 against 9.75 run after the fit) and no wall time; on an
        idle machine it was not measured.
        """
        rows = self.bgnbd_rows()
        edges = population_edges(self)
        fit_rows = {k: np.asarray(rows[k], dtype=float) for k in ("frequency", "recency", "T")}
        self.con.register("fit_rows", {**fit_rows, "row_at": np.arange(len(fit_rows["T"]))})
        try:
            self.con.execute(
                "CREATE OR REPLACE TEMP TABLE ordered AS "
                "SELECT s.customer_id, r.row_at, s.monetary_value "
                'FROM summary s JOIN fit_rows r USING (frequency, recency, "T") '
                "ORDER BY s.customer_id"
            )
        finally:
            self.con.unregister("fit_rows")
        found = self.con.execute("SELECT row_at, monetary_value FROM ordered").fetchnumpy()
        at = np.asarray(found["row_at"], dtype=np.intp)
        if len(at) != self.customers():
            raise AssertionError("a customer's (frequency, recency, T) is not among the fit's rows")
        m = np.asarray(found["monetary_value"], dtype=float)
        del found
        x = fit_rows["frequency"][at]
        r_edges, f_edges, m_edges = edges
        # R and F are functions of the distinct row: scored once a row, gathered per customer
        R = r_edges.score(fit_rows["T"] - fit_rows["recency"])[at]
        F = f_edges.score(fit_rows["frequency"])[at]
        columns = {
            "frequency": x,
            "recency": fit_rows["recency"][at],
            "T": fit_rows["T"][at],
            "monetary_value": m,
        }
        return _Prepared(at, columns, segment_codes(x, R, F, m_edges.score(m)))

    def score(self, out: Path, models: Models, settings: ScoreSettings) -> None:
        """Score each distinct (x, t_x, T) row once in Python, the customers by position.

        The purchase terms (p_alive, expected purchases, discounted purchases per unit of
        spend) depend on (x, t_x, T) alone: about 0.9M distinct rows for 1.9M customers at 10M
        transactions, and the fit already has them. `_prepare_score` sorts the customers with
        their distinct row's index; the terms are gathered in that order and CLV computed as
        `clv` computes it. Every numeric column, the tier and
        the segment (as small integer codes, named in SQL) go to DuckDB as arrays, joined by
        position to the sorted ids: no join on keys and no sort of the scored rows, and no
        customer passes through pandas.

        Past `positional_max` customers `_score_by_join` runs: at 100M transactions (19M
        customers) a whole run on this path took 189 s against 88 s, for 130 CPU-s against 116
        (so mostly one-core work; the binary searches over 9M distinct rows it then made, random
        reads, were the likely part: not profiled, and not measured since the hash join).
        """
        if self.customers() > self.positional_max:
            self._score_by_join(out, models, settings)
            return
        gg = need_spend_model(models)
        prep = self._prepare_score()
        p_alive, expected, per_spend = purchase_arrays(models, self.bgnbd_rows(), settings)
        at, x, m = prep.at, prep.columns["frequency"], prep.columns["monetary_value"]
        clv = np.maximum(gg.expected_spend(x, m) * per_spend[at], 0.0)
        p_alive_c, expected_c = p_alive[at], expected[at]
        unfit = int(
            np.count_nonzero(~(np.isfinite(clv) & np.isfinite(p_alive_c) & np.isfinite(expected_c)))
        )
        if unfit:
            raise unfit_error(unfit)
        # assign_tiers' rule, as `_tier_case` writes it: a customer on a cut point goes up
        tier = np.searchsorted(settings.thresholds.cut_points(clv), clv, side="right")
        scores = {
            **prep.columns,
            "p_alive": p_alive_c,
            "expected_purchases": expected_c,
            "clv": clv,
            "tier": tier.astype(np.uint8),
            "segment": prep.segment,
        }
        names = {"tier": TIERS, "segment": SEGMENT_NAMES}
        cols = ", ".join(
            _named(f"t.{col}", names[col]) + f" AS {col}"
            if col in names
            else ("o." if col == "customer_id" else "t.") + _ident(col)
            for col in OUT_COLUMNS
        )
        # A dict of NumPy arrays, which DuckDB scans as it is (an Arrow table built from them
        # would import pandas: 0.3 s of start-up)
        self.con.register("scores", scores)
        try:
            self._copy(f"SELECT {cols} FROM ordered o POSITIONAL JOIN scores t", out)
        finally:
            self.con.unregister("scores")

    def _score_by_join(self, out: Path, models: Models, settings: ScoreSettings) -> None:
        """`score` past `positional_max` customers: everything per customer in SQL.

        The purchase terms (p_alive, expected purchases, discounted purchases per unit of
        spend) depend on (x, t_x, T) alone: about 0.9M distinct rows for 1.9M customers at 10M
        transactions, and the fit already has them. They go to DuckDB as NumPy arrays and
        are joined back to the customers; spend, CLV, RFM scores, segment and tier are SQL
        expressions with the fitted parameters and population cut points as literals. No
        customer passes through pandas.

        Two passes over the join and no table in between: the first brings back only the CLV
        column (for the tier cut points and the finiteness check), the second computes every
        column and streams it, sorted, into the file. Materialising the scored customers and
        reading them back cost more than joining twice.
        """
        terms = scoring_terms(self, models, settings)
        gg, (r_edges, f_edges, m_edges), rows = terms.spend, terms.edges, terms.rows
        p_alive, expected, per_spend = terms.p_alive, terms.expected, terms.per_spend
        # A row whose p_alive or expected purchases is not finite makes its customers' CLV NaN
        # in the first pass, so one count names every customer without a finite score (and
        # the second pass only runs when there is none: then this is per_spend unchanged).
        checked = np.where(np.isfinite(p_alive) & np.isfinite(expected), per_spend, np.nan)
        # Dicts of NumPy arrays, which DuckDB scans as they are (an Arrow table built from them
        # would import pandas: 0.3 s of start-up)
        columns = {c: np.asarray(rows[c], dtype=float) for c in ("frequency", "recency", "T")}
        par = gg.params_
        assert par is not None
        p, q, v = (_double(val) for val in (par.p, par.q, par.v))
        # GammaGamma.expected_spend, the same operations in the same order: the same bits.
        spend = f"({p} * ({v} + s.frequency * s.monetary_value)) / ({p} * s.frequency + {q} - 1)"
        clv_sql = f"greatest({spend} * t.per_spend, 0.0)"
        join = 'summary s JOIN terms t USING (frequency, recency, "T")'
        self.con.register("terms", {**columns, "per_spend": checked})
        try:
            clv = np.asarray(
                self.con.execute(f"SELECT {clv_sql} AS clv FROM {join}").fetchnumpy()["clv"],
                dtype=float,
            )
        finally:
            self.con.unregister("terms")
        unfit = int(np.count_nonzero(~np.isfinite(clv)))
        if unfit:
            raise unfit_error(unfit)
        tier = _tier_case(clv, settings)
        del clv
        R = r_edges.sql('s."T" - s.recency')
        F = f_edges.sql("s.frequency")
        M = m_edges.sql("s.monetary_value")
        scored = f"""SELECT
            s.customer_id, s.frequency, s.recency, s."T", s.monetary_value,
            t.p_alive, t.expected_purchases, {clv_sql} AS clv,
            {segment_sql("s.frequency", "R", "F", "M")} AS segment
        FROM {join}, LATERAL (SELECT {R} AS R, {F} AS F, {M} AS M)"""
        cols = ", ".join(tier if col == "tier" else _ident(col) for col in OUT_COLUMNS)
        table = {**columns, "p_alive": p_alive, "expected_purchases": expected}
        self.con.register("terms", {**table, "per_spend": per_spend})
        try:
            self._copy(f"SELECT {cols} FROM ({scored}) ORDER BY customer_id", out)
        finally:
            self.con.unregister("terms")

    def close(self) -> None:
        self.con.close()
        self._tmp.cleanup()


@dataclass(frozen=True)
class _Prepared:
    """`_prepare_score`'s result, in customer id order: each customer's distinct row, the
    summary's numeric columns and the segment code."""

    at: np.ndarray
    columns: dict[str, np.ndarray]
    segment: np.ndarray


def _named(code: str, names: tuple[str, ...]) -> str:
    """A small integer code column as the names it stands for."""
    whens = " ".join(f"WHEN {i} THEN {_text(name)}" for i, name in enumerate(names[:-1]))
    return f"CASE {code} {whens} ELSE {_text(names[-1])} END"


def _tier_case(clv: np.ndarray, settings: ScoreSettings) -> str:
    """The tier column as SQL, cut at the population's CLV cut points (both scorers)."""
    silver, gold, platinum = (_double(float(val)) for val in settings.thresholds.cut_points(clv))
    return (
        f"CASE WHEN clv >= {platinum} THEN 'platinum' WHEN clv >= {gold} THEN 'gold' "
        f"WHEN clv >= {silver} THEN 'silver' ELSE 'bronze' END AS tier"
    )
