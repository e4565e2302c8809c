"""The `appease decide` and `appease policy` contracts."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app
from tests.factories import case_dict

runner = CliRunner()


def test_decide_prints_the_contract_decision() -> None:
    result = runner.invoke(app, ["decide"], input=json.dumps(case_dict(clv="200", tier="gold")))
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert set(out) == {"offer", "cap", "escalate", "reasons", "policy_version"}
    assert set(out["offer"]) == {"kind", "amount", "currency"}
    assert out["offer"]["kind"] in {
        "none", "apology_only", "discount_code", "free_shipping", "store_credit",
        "refund_partial", "refund_full", "replacement",
    }  # fmt: skip
    assert float(out["offer"]["amount"]) <= float(out["cap"])


def test_decide_bad_input_exits_2_naming_the_field() -> None:
    bad = case_dict()
    bad["issue"]["severity"] = 7
    result = runner.invoke(app, ["decide"], input=json.dumps(bad))
    assert result.exit_code == 2
    assert "issue.severity" in result.stderr


def test_decide_jsonl_keeps_order_and_reports_bad_lines_in_place() -> None:
    lines = [json.dumps(case_dict(order_id="a")), "{not json", json.dumps({"customer": {}}),
             json.dumps(case_dict(order_id="b", tier="bronze"))]  # fmt: skip
    result = runner.invoke(app, ["decide", "--jsonl"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == 4
    assert "offer" in out[0] and "offer" in out[3]
    assert out[1]["error"].startswith("line 2")
    assert out[2]["field"].startswith("customer")


def test_policy_check_names_the_broken_key(tmp_path: Path) -> None:
    ok = runner.invoke(app, ["policy", "check", "policies/default.yaml"])
    assert ok.exit_code == 0 and ok.stdout.startswith("ok 2026-11-22+")
    broken = tmp_path / "mine.yaml"
    broken.write_text(
        Path("policies/default.yaml").read_text().replace("window_days: 90", "window_days: -1")
    )
    result = runner.invoke(app, ["policy", "check", str(broken)])
    assert result.exit_code == 2
    assert "mine.yaml:abuse.window_days (line" in result.stderr


def test_simulate_compares_two_policies_and_writes_csv(tmp_path: Path) -> None:
    out = tmp_path / "compare.csv"
    result = runner.invoke(
        app,
        [
            "policy",
            "simulate",
            "tests/data/past_tickets.csv",
            "--against",
            "policies/strict.yaml",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    rows = {r.split(",")[0]: r.split(",")[1:] for r in out.read_text().splitlines()}
    assert rows["tickets"] == ["8", "8"]
    default_total, strict_total = map(float, rows["total goodwill"])
    assert strict_total < default_total


def test_simulate_bad_row_exits_2_naming_row_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "t.csv"
    text = Path("tests/data/past_tickets.csv").read_text().replace("gold,loyal", "golden,loyal", 1)
    bad.write_text(text)
    result = runner.invoke(app, ["policy", "simulate", str(bad)])
    assert result.exit_code == 2
    assert "row 1: customer.tier" in result.stderr
