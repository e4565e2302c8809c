"""`appease experiment analyze|create|list|stop|report`: the JSON contract and the errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from bot.cli import app
from bot.policy import default_policy_path

runner = CliRunner()


def _outcomes(path: Path, *, seed: int = 1) -> Path:
    rng = np.random.default_rng(seed)
    frames = []
    for experiment, lift in (("coupon-test", 8.0), ("apology-test", 0.0)):
        for arm, shift in (("control", 0.0), ("B", lift)):
            n = 200
            at_issue = rng.lognormal(4.5, 0.6, n).round(2)
            spend = rng.choice([0.0, 5.0], n)
            frames.append(
                pd.DataFrame(
                    {
                        "experiment": experiment,
                        "arm": arm,
                        "customer_id": [f"{experiment}-{arm}-{i}" for i in range(n)],
                        "clv_at_issue": at_issue,
                        "clv_after": (0.9 * at_issue + rng.normal(0, 10, n) + shift + spend).round(
                            2
                        ),
                        "spend": spend,
                        "retained": rng.integers(0, 2, n),
                    }
                )
            )
    pd.concat(frames).to_csv(path, index=False)
    return path


def test_analyze_prints_the_contract_for_every_experiment(tmp_path: Path) -> None:
    path = _outcomes(tmp_path / "outcomes.csv")
    result = runner.invoke(
        app,
        ["experiment", "analyze", str(path), "--control", "control", "--json"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    names = [e["experiment"] for e in data["experiments"]]
    assert names == ["coupon-test", "apology-test"]
    for exp in data["experiments"]:
        assert [a["arm"] for a in exp["arms"]] == ["control", "B"]
        assert all(a["n"] == 200 for a in exp["arms"])
        metrics = {e["metric"] for e in exp["effects"]}
        assert {"clv_after", "net_value", "retention"} <= metrics
        for e in exp["effects"]:
            assert {"arm", "metric", "estimate", "ci_low", "ci_high", "p_value"} <= set(e)
            assert e["ci_low"] <= e["estimate"] <= e["ci_high"]
    # +$8 by construction; the pre-issue CLV explains most of the spread, so CUPED finds it
    coupon = {e["metric"]: e for e in data["experiments"][0]["effects"]}
    assert coupon["clv_after_cuped"]["ci_low"] > 0 and coupon["clv_after_cuped"]["p_value"] < 0.05
    assert coupon["clv_after"]["ci_low"] < 8 < coupon["clv_after"]["ci_high"]


def test_analyze_without_json_prints_the_verdict(tmp_path: Path) -> None:
    path = _outcomes(tmp_path / "outcomes.csv")
    result = runner.invoke(app, ["experiment", "analyze", str(path), "--control", "control"])
    assert result.exit_code == 0
    assert "verdict: B earns $" in result.stdout


def test_a_bad_row_exits_2_naming_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "experiment,arm,customer_id,clv_at_issue,clv_after,spend\n"
        "e,control,c1,100,90,0\n"
        "e,B,c2,100,abc,5\n"
    )
    result = runner.invoke(app, ["experiment", "analyze", str(path), "--control", "control"])
    assert result.exit_code == 2
    assert "row 2 (line 3): column clv_after" in result.stderr
    assert "'abc' is not a number" in result.stderr


def test_missing_columns_and_an_unknown_control_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("experiment,arm,customer_id,clv_after\ne,control,c1,3\n")
    result = runner.invoke(app, ["experiment", "analyze", str(path), "--control", "control"])
    assert result.exit_code == 2 and "missing column(s) clv_at_issue, spend" in result.stderr
    good = _outcomes(tmp_path / "good.csv")
    result = runner.invoke(app, ["experiment", "analyze", str(good), "--control", "nope"])
    assert result.exit_code == 2
    assert "--control" in result.stderr and "no arm named 'nope'" in result.stderr


def test_negative_spend_and_out_of_range_perception_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "experiment,arm,customer_id,clv_at_issue,clv_after,spend,perception_post\n"
        "e,control,c1,100,90,-1,50\n"
    )
    result = runner.invoke(app, ["experiment", "analyze", str(path), "--control", "control"])
    assert result.exit_code == 2 and "column spend: must not be negative" in result.stderr
    path.write_text(
        "experiment,arm,customer_id,clv_at_issue,clv_after,spend,perception_post\n"
        "e,control,c1,100,90,1,150\n"
    )
    result = runner.invoke(app, ["experiment", "analyze", str(path), "--control", "control"])
    assert result.exit_code == 2 and "column perception_post" in result.stderr


def test_create_list_stop_through_the_command_line() -> None:
    holdout = default_policy_path().with_name("holdout_apology_only.yaml")
    result = runner.invoke(
        app,
        [
            "experiment",
            "create",
            "cli-exp",
            "--control",
            "default",
            "--arm",
            f"default={default_policy_path()}",
            "--arm",
            f"holdout={holdout}",
            "--share",
            "default=0.8",
            "--share",
            "holdout=0.2",
            "--cap",
            "default=500",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    created = json.loads(result.stdout)
    assert [(a["arm"], a["share"], a["control"]) for a in created["arms"]] == [
        ("default", "0.8", True),
        ("holdout", "0.2", False),
    ]
    listed = json.loads(runner.invoke(app, ["experiment", "list"]).stdout)
    assert listed["experiments"][0]["status"] == "running"
    stopped = runner.invoke(app, ["experiment", "stop", "cli-exp"])
    assert json.loads(stopped.stdout)["status"] == "stopped"
    report = runner.invoke(app, ["experiment", "report", "cli-exp", "--json"])
    assert report.exit_code == 0 and json.loads(report.stdout) == {"experiments": []}
    unknown = runner.invoke(app, ["experiment", "report", "nope"])
    assert unknown.exit_code == 2 and "no experiment named 'nope'" in unknown.stderr


def test_create_with_a_broken_policy_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: x\n")
    result = runner.invoke(
        app,
        [
            "experiment",
            "create",
            "x",
            "--control",
            "a",
            "--arm",
            f"a={default_policy_path()}",
            "--arm",
            f"b={bad}",
        ],
    )
    assert result.exit_code == 2 and "bad.yaml" in result.stderr
    result = runner.invoke(
        app, ["experiment", "create", "x", "--control", "a", "--arm", "a", "--arm", "b=x.yaml"]
    )
    assert result.exit_code == 2 and "--arm" in result.stderr
