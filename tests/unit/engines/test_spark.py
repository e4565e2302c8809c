"""Spark in local mode gives the pandas reference's summary, parameters and scores.

Few tests on purpose: a Spark session takes several seconds to start on 2 cores.
"""

from __future__ import annotations

import shutil

import pytest

from bot.engines import Input, ScoreSettings, fit_models
from tests.unit.engines.test_parity import (
    assert_same_params,
    assert_same_scores,
    assert_same_summary,
    data_dir,  # noqa: F401 (the shared fixture)
    reference,
)

pytest.importorskip("pyspark")
pytestmark = [
    pytest.mark.spark,
    # the generated data's optimum is on the boundary: see tests/unit/engines/test_parity.py
    pytest.mark.filterwarnings("ignore:BG/NBD fit did not converge"),
    pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java"),
]


@pytest.fixture(scope="module")
def session():
    from bot.engines._spark import spark_session

    spark = spark_session("local[2]")
    yield spark
    spark.stop()


@pytest.mark.parametrize(("dataset", "kind"), [("generated", "parquet"), ("cdnow", "csv")])
def test_spark_matches_the_pandas_reference(session, data_dir, tmp_path, dataset, kind) -> None:  # noqa: F811
    import pandas as pd

    from bot.engines._spark import SparkEngine

    ref_summary, ref = reference(data_dir / f"{dataset}.csv")
    engine = SparkEngine(Input.resolve(data_dir / f"{dataset}.{kind}"), session=session)
    try:
        engine.write_summary(tmp_path / "summary.parquet")
        models = fit_models(engine)
        engine.score(tmp_path / "scores.csv", models, ScoreSettings())
    finally:
        engine.close()
    assert_same_summary(pd.read_parquet(tmp_path / "summary.parquet"), ref_summary)
    assert_same_params(models, ref.bgnbd, ref.gamma_gamma)
    assert_same_scores(pd.read_csv(tmp_path / "scores.csv", dtype={"customer_id": str}), ref.scores)


def test_spark_sorts_on_the_executors_past_the_driver_limit(
    session,
    data_dir,  # noqa: F811
    tmp_path,
    monkeypatch,
) -> None:
    """Past `driver_sort_max` customers Spark cuts tiers, sorts and writes: the same scores."""
    import pandas as pd

    from bot.engines._spark import SparkEngine

    _, ref = reference(data_dir / "generated.csv")
    monkeypatch.setattr(SparkEngine, "driver_sort_max", 0)
    engine = SparkEngine(Input.resolve(data_dir / "generated.parquet"), session=session)
    try:
        engine.score(tmp_path / "scores.parquet", fit_models(engine), ScoreSettings())
    finally:
        engine.close()
    assert_same_scores(pd.read_parquet(tmp_path / "scores.parquet"), ref.scores)


def test_java_date_patterns() -> None:
    from bot.engines._spark import java_date_pattern

    assert java_date_pattern("%d/%m/%Y") == "dd/MM/yyyy"
    assert java_date_pattern("%Y-%m-%dT%H:%M:%S") == "yyyy-MM-dd'T'HH:mm:ss"


@pytest.mark.parametrize("driver_sort_max", [None, 0])
def test_spark_as_of_and_weeks_match_pandas(
    session,
    data_dir,  # noqa: F811
    tmp_path,
    monkeypatch,
    driver_sort_max,
) -> None:
    """On the driver (the default at this size) and on the executors past the limit."""
    import pandas as pd

    from bot.engines._spark import SparkEngine
    from bot.scoring import read_transactions, summarize

    if driver_sort_max is not None:
        monkeypatch.setattr(SparkEngine, "driver_sort_max", driver_sort_max)
    ref = summarize(read_transactions(data_dir / "generated.csv"), as_of="2024-01-31", unit="W")
    engine = SparkEngine(
        Input.resolve(data_dir / "generated.parquet"), as_of="2024-01-31", unit="W", session=session
    )
    try:
        engine.write_summary(tmp_path / "summary.parquet")
    finally:
        engine.close()
    assert_same_summary(pd.read_parquet(tmp_path / "summary.parquet"), ref.reset_index())


@pytest.mark.parametrize("driver_sort_max", [None, 0])
def test_spark_refuses_an_invalid_row_naming_it(
    session, tmp_path, monkeypatch, driver_sort_max
) -> None:
    from bot.engines._spark import SparkEngine
    from bot.errors import InputError

    if driver_sort_max is not None:
        monkeypatch.setattr(SparkEngine, "driver_sort_max", driver_sort_max)
    path = tmp_path / "tx.csv"
    path.write_text("customer_id,date,amount\na,2024-01-01,5\nb,2024-01-02,-5\n")
    with pytest.raises(InputError, match="negative amount '-5'"):
        SparkEngine(Input.resolve(path), session=session)


def test_spark_sql_writers_match_numpy(session) -> None:
    """Spark SQL reads the literals (1e6, CAST('inf' AS DOUBLE)) as DuckDB does."""
    import itertools

    import numpy as np

    from bot.scoring import segment_sql, spend_rounding_sql
    from bot.scoring._batch import QuintileEdges
    from bot.scoring._segments import segment_names
    from bot.scoring._transactions import round_spend

    combos = list(itertools.product([0.0, 2.0], range(1, 6), range(1, 6), range(1, 6)))
    df = session.createDataFrame(
        [(x, float(r), float(f), float(m)) for x, r, f, m in combos],
        "x double, r double, f double, m double",
    )
    got = [row[0] for row in df.selectExpr(segment_sql("x", "r", "f", "m")).collect()]
    arr = np.array(combos)
    expected = segment_names(arr[:, 0], *(arr[:, i].astype(int) for i in (1, 2, 3)))
    assert got == expected.tolist()

    edges = QuintileEdges((-3.0, 0.0, 0.1 + 0.2, float("inf")), higher_is_better=False)
    values = [-5.0, -3.0, -0.0, 0.0, 0.3, 0.1 + 0.2, 3.0, 7.0]
    vdf = session.createDataFrame([(v,) for v in values], "v double")
    assert [r[0] for r in vdf.selectExpr(edges.sql("v")).collect()] == edges.score(values).tolist()

    totals = [0.1 + 0.2, 12.340000000000002, 2.5e-7, 1e9 + 0.123, 99.99499999999999]
    tdf = session.createDataFrame([(v,) for v in totals], "v double")
    got_totals = [r[0] for r in tdf.selectExpr(spend_rounding_sql("v")).collect()]
    assert got_totals == round_spend(np.array(totals)).tolist()
