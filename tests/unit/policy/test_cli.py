"""The `appease decide` and `appease policy check|simulate` contracts."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.policy import decide, default_policy_path, load_policy
from tests.factories import case_dict, make_case

runner = CliRunner()
POLICIES = default_policy_path().parent
TICKETS = Path(__file__).resolve().parents[2] / "data" / "past_tickets.csv"
KINDS = {"none", "apology_only", "discount_code", "free_shipping", "store_credit",
         "refund_partial", "refund_full", "replacement"}  # fmt: skip


# decide ---------------------------------------------------------------------------------


def test_decide_prints_the_contract_decision() -> None:
    result = runner.invoke(app, ["decide"], input=json.dumps(case_dict(clv="200", tier="gold")))
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert set(out) == {"offer", "cap", "escalate", "reasons", "policy_version"}
    assert set(out["offer"]) == {"kind", "amount", "currency"}
    assert out["offer"]["kind"] in KINDS
    assert Decimal(out["offer"]["amount"]) <= Decimal(out["cap"])
    expected = decide(make_case(clv="200", tier="gold"), load_policy())
    assert out == json.loads(expected.model_dump_json())


def test_decide_with_another_policy_uses_it() -> None:
    case = json.dumps(case_dict(clv="1000", tier="gold", order_value="200", severity=3))
    default = json.loads(runner.invoke(app, ["decide"], input=case).stdout)
    strict = json.loads(
        runner.invoke(app, ["decide", "--policy", str(POLICIES / "strict.yaml")], input=case).stdout
    )
    assert strict["policy_version"].startswith("2026-11-22-strict+")
    assert Decimal(strict["offer"]["amount"]) < Decimal(default["offer"]["amount"])


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda c: c["issue"].update(severity=7), "issue.severity"),
        (lambda c: c["customer"].update(residual_clv="lots"), "customer.residual_clv"),
        (lambda c: c["order"].update(currency="dollars"), "order.currency"),
        (lambda c: c["customer"].pop("tier"), "customer.tier"),
        (lambda c: c["issue"].update(category="lost_parcel"), "issue.category"),
        (lambda c: c.update(extra=1), "extra"),
    ],
)
def test_decide_bad_input_exits_2_naming_the_field(edit, field) -> None:
    bad = case_dict()
    edit(bad)
    result = runner.invoke(app, ["decide"], input=json.dumps(bad))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: {field}: ")


def test_decide_input_that_is_not_json_exits_2() -> None:
    result = runner.invoke(app, ["decide"], input="{customer: 1")
    assert result.exit_code == 2 and "not JSON" in result.stderr and result.stdout == ""


def test_decide_with_a_broken_policy_exits_2_naming_it(tmp_path: Path) -> None:
    result = runner.invoke(app, ["decide", "--policy", str(tmp_path / "nope.yaml")], input="{}")
    assert result.exit_code == 2 and "nope.yaml: no such policy file" in result.stderr


def test_decide_jsonl_keeps_order_and_reports_bad_lines_in_place() -> None:
    lines = [json.dumps(case_dict(order_id="a")), "{not json", json.dumps({"customer": {}}),
             "", json.dumps(case_dict(order_id="b", tier="bronze"))]  # fmt: skip
    result = runner.invoke(app, ["decide", "--jsonl"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == 4  # the blank line is skipped, every other line answered in order
    assert out[0] == json.loads(decide(make_case(order_id="a"), load_policy()).model_dump_json())
    assert out[1]["error"].startswith("line 2: not JSON")
    assert out[2]["error"].startswith("line 3: ") and out[2]["field"].startswith("customer")
    assert out[3]["offer"]["kind"] in KINDS


# policy check ---------------------------------------------------------------------------


def test_policy_check_prints_the_version() -> None:
    for name in ("default.yaml", "strict.yaml", "generous.yaml"):
        result = runner.invoke(app, ["policy", "check", str(POLICIES / name)])
        assert result.exit_code == 0
        assert result.stdout == f"ok {load_policy(POLICIES / name).version}\n"


def test_policy_check_names_the_file_key_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "mine.yaml"
    text = (POLICIES / "default.yaml").read_text()
    broken.write_text(text.replace("window_days: 90", "window_days: -1"))
    result = runner.invoke(app, ["policy", "check", str(broken)])
    assert result.exit_code == 2 and result.stdout == ""
    line = text.splitlines().index("  window_days: 90") + 1
    assert result.stderr == (
        f"error: {broken}:abuse.window_days (line {line}): Input should be greater than or "
        "equal to 1\n"
    )


# policy simulate ------------------------------------------------------------------------


def read_out(path: Path) -> dict[tuple[str, str, str], list[str]]:
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh))
    return {tuple(r[:3]): r[3:] for r in rows[1:]}  # type: ignore[misc]


def test_simulate_compares_two_policies_and_writes_csv(tmp_path: Path) -> None:
    out = tmp_path / "compare.csv"
    result = runner.invoke(
        app,
        ["policy", "simulate", str(TICKETS), "--against", str(POLICIES / "strict.yaml"),
         "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Backtest over 8 tickets" in result.stdout
    header = out.read_text().splitlines()[0]
    assert header == "section,group,measure,default.yaml,strict.yaml,change"
    rows = read_out(out)
    assert rows[("all", "all tickets", "tickets")] == ["8", "8", "0"]
    base, strict, change = map(Decimal, rows[("all", "all tickets", "goodwill USD")])
    assert strict < base and change == strict - base
    assert ("all", "all tickets", "goodwill EUR") in rows  # never added to dollars
    assert ("tier", "platinum", "goodwill / CLV USD (%)") in rows
    assert ("category", "damaged_item", "escalations") in rows
    assert not list(tmp_path.glob(".*.tmp"))


def test_simulate_totals_match_the_decisions() -> None:
    from bot.cli.policy import _read_cases

    cases = _read_cases(TICKETS)
    policy = load_policy()
    total = sum(
        (decide(c, policy).offer.amount for c in cases if c.order.currency == "USD"), Decimal(0)
    )
    result = runner.invoke(app, ["policy", "simulate", str(TICKETS)])
    assert result.exit_code == 0
    line = next(ln for ln in result.stdout.splitlines() if "goodwill USD" in ln)
    assert f"{total:.2f}" in line


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("gold,loyal", "golden,loyal", "row 1 (line 2): column tier: Input should be"),
        ("89.00,USD", "89.00,US", "row 1 (line 2): column currency: String should match"),
        (",2\nc2", ",high\nc2", "row 1 (line 2): column severity: Input should be a valid integer"),
        ("c2,35.00", "c2,-", "row 2 (line 3): column clv: Input should be a valid decimal"),
        ("o8,310.00,USD,service_outage,1", "o8,310.00,USD,service_outage",
         "row 8 (line 9): column severity: missing"),
        ("o8,310.00,USD,service_outage,1", "o8,310.00,USD,service_outage,1,extra",
         "row 8 (line 9): more fields than the header"),
        ("customer_id,clv,", "customer,clv,", "missing column(s) customer_id"),
    ],
)  # fmt: skip
def test_simulate_bad_input_exits_2_naming_row_and_column(tmp_path, old, new, message) -> None:
    bad = tmp_path / "t.csv"
    text = TICKETS.read_text()
    assert old in text
    bad.write_text(text.replace(old, new, 1))
    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["policy", "simulate", str(bad), "--out", str(out)])
    assert result.exit_code == 2
    assert message in result.stderr, result.stderr
    assert result.stdout == "" and not out.exists()


def test_simulate_reads_a_spreadsheet_export_with_bom_and_blank_optional_cells(tmp_path) -> None:
    export = tmp_path / "export.csv"
    text = TICKETS.read_text().replace(",0,0,o1,89.00,USD,", ",,,o1,89.00,,", 1)
    export.write_text("\ufeff" + text, encoding="utf-8")
    result = runner.invoke(app, ["policy", "simulate", str(export)])
    assert result.exit_code == 0, result.stderr


def test_simulate_header_only_or_missing_file_exits_2(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text(TICKETS.read_text().splitlines()[0] + "\n")
    assert "no tickets" in runner.invoke(app, ["policy", "simulate", str(empty)]).stderr
    missing = runner.invoke(app, ["policy", "simulate", str(tmp_path / "none.csv")])
    assert missing.exit_code == 2 and "none.csv" in missing.stderr


def test_simulate_out_into_a_missing_folder_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "no" / "such" / "dir.csv"
    result = runner.invoke(app, ["policy", "simulate", str(TICKETS), "--out", str(out)])
    assert result.exit_code == 2 and "does not exist" in result.stderr
    assert not (tmp_path / "no").exists()
