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
KINDS = {
    "none",
    "apology_only",
    "discount_code",
    "free_shipping",
    "store_credit",
    "refund_partial",
    "refund_full",
    "replacement",
}


# decide ---------------------------------------------------------------------------------


def test_decide_prints_the_contract_decision() -> None:
    result = runner.invoke(app, ["decide"], input=json.dumps(case_dict(clv="200", tier="gold")))
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert set(out) == {"offer", "cap", "escalate", "reasons", "policy_version"}
    assert set(out["offer"]) == {"kind", "amount", "currency", "basis"}
    assert out["offer"]["basis"] == "goodwill"
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
    lines = [
        json.dumps(case_dict(order_id="a")),
        "{not json",
        json.dumps({"customer": {}}),
        "",
        json.dumps(case_dict(order_id="b", tier="bronze")),
    ]
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
        [
            "policy",
            "simulate",
            str(TICKETS),
            "--against",
            str(POLICIES / "strict.yaml"),
            "--out",
            str(out),
        ],
    )
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
        (
            "o8,310.00,USD,service_outage,1",
            "o8,310.00,USD,service_outage",
            "row 8 (line 9): column severity: missing",
        ),
        (
            "o8,310.00,USD,service_outage,1",
            "o8,310.00,USD,service_outage,1,extra",
            "row 8 (line 9): more fields than the header",
        ),
        ("customer_id,clv,", "customer,clv,", "missing column(s) customer_id"),
    ],
)
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


# rulebooks: attributes in, explain, warnings ------------------------------------------------

EU261 = POLICIES / "examples" / "eu261.yaml"


def _eu_case(**issue: object) -> dict:
    data = case_dict(category="flight_delayed", currency="EUR")
    data["order"]["attributes"] = {"distance_km": 2000, "departs_eu": True, "passengers": 2}
    data["issue"]["attributes"] = {"arrival_delay_hours": 5, **issue}
    return data


def test_decide_reads_attributes_and_says_the_money_is_owed() -> None:
    result = runner.invoke(app, ["decide", "--policy", str(EU261)], input=json.dumps(_eu_case()))
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["offer"] == {
        "kind": "refund_partial",
        "amount": "800.00",
        "currency": "EUR",
        "basis": "entitlement",
    }
    assert any("Article 7 compensation" in r for r in out["reasons"])


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (
            lambda c: c["order"]["attributes"].update(passengers=[1, 2]),
            "order.attributes.passengers",
        ),
        (lambda c: c["issue"]["attributes"].update({"bad key": 1}), "issue.attributes"),
        (lambda c: c["customer"].update(attributes="gold"), "customer.attributes"),
        (lambda c: c["issue"].update(category="lost_bag"), "issue.category"),
    ],
)
def test_decide_bad_attributes_exit_2_naming_the_field(edit, field) -> None:
    bad = _eu_case()
    edit(bad)
    result = runner.invoke(app, ["decide", "--policy", str(EU261)], input=json.dumps(bad))
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: {field}"), result.stderr


def test_policy_explain_names_the_rule_that_matched_and_why_others_did_not(tmp_path) -> None:
    path = tmp_path / "case.json"
    path.write_text(json.dumps(_eu_case(arrival_delay_hours=2.5)), encoding="utf-8")
    result = runner.invoke(app, ["policy", "explain", str(path), "--policy", str(EU261)])
    assert result.exit_code == 0, result.output
    assert "rules.2 'delay under 3 hours': applied" in result.stdout
    assert (
        "rules.0 'extraordinary circumstances': did not match: issue.extraordinary is missing"
        in result.stdout
    )
    assert "rules.6 'Article 7 compensation': not reached (would match)" in result.stdout
    assert "decision: apology_only 0.00 EUR (entitlement)" in result.stdout
    as_json = runner.invoke(
        app,
        ["policy", "explain", "-", "--policy", str(EU261), "--json"],
        input=path.read_text(encoding="utf-8"),
    )
    out = json.loads(as_json.stdout)
    assert [r["status"] for r in out["rules"]][:3] == ["did not match", "did not match", "applied"]
    assert out["decision"]["offer"]["amount"] == "0.00"


def test_policy_explain_bad_case_exits_2_naming_the_field(tmp_path) -> None:
    bad = _eu_case()
    bad["order"]["attributes"]["passengers"] = {"adults": 2}
    path = tmp_path / "case.json"
    path.write_text(json.dumps(bad), encoding="utf-8")
    result = runner.invoke(app, ["policy", "explain", str(path), "--policy", str(EU261)])
    assert result.exit_code == 2 and "order.attributes.passengers" in result.stderr


def test_policy_check_prints_warnings_for_rules_that_never_apply(tmp_path) -> None:
    path = tmp_path / "book.yaml"
    path.write_text(
        'version: "1"\nrules:\n  - {name: all, deny: true}\n'
        "  - {name: some, when: {order.kg: 2}, deny: true}\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["policy", "check", str(path)])
    assert result.exit_code == 0 and result.stdout.startswith("ok 1+")
    assert "rules.1 ('some') always overlaps rules.0 ('all')" in result.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        'version: "1"\nrules:\n  - name: r\n    when: {order.kg: {over: 2}}\n    deny: true\n',
        encoding="utf-8",
    )
    result = runner.invoke(app, ["policy", "check", str(broken)])
    assert result.exit_code == 2
    assert "broken.yaml:rules.0.when.order.kg.over (line 4): not a test" in result.stderr


def test_policy_simulate_reads_attribute_columns_and_counts_entitlements_apart(tmp_path) -> None:
    path = tmp_path / "flights.csv"
    header = [
        *CSV_COLUMNS_LIST,
        "order.distance_km",
        "order.departs_eu",
        "order.passengers",
        "issue.arrival_delay_hours",
    ]
    rows = [
        [
            "c1",
            "100",
            "100",
            "gold",
            "loyal",
            "0",
            "0",
            "o1",
            "50",
            "EUR",
            "flight_delayed",
            "1",
            "4000",
            "true",
            "2",
            "5",
        ],
        [
            "c2",
            "100",
            "100",
            "gold",
            "loyal",
            "0",
            "0",
            "o2",
            "50",
            "EUR",
            "flight_delayed",
            "1",
            "900",
            "true",
            "1",
            "",
        ],  # no delay given: nothing owed
    ]
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *rows])
    out = tmp_path / "out.csv"
    result = runner.invoke(
        app, ["policy", "simulate", str(path), "--policy", str(EU261), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    table = {(r[0], r[1], r[2]): r[3] for r in csv.reader(out.open(encoding="utf-8"))}
    assert table[("all", "all tickets", "entitlement EUR")] == "1200.00"
    assert ("all", "all tickets", "goodwill EUR") not in table or (
        table[("all", "all tickets", "goodwill EUR")] == "0.00"
    )
    bad = tmp_path / "bad.csv"
    rows[0][-3] = "sometimes"  # a text where the rule wants true: read as text, not an error
    rows[1][-4] = ""
    with bad.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *rows])
    assert (
        runner.invoke(app, ["policy", "simulate", str(bad), "--policy", str(EU261)]).exit_code == 0
    )


CSV_COLUMNS_LIST = [
    "customer_id",
    "clv",
    "residual_clv",
    "tier",
    "segment",
    "appeasements_90d",
    "appeasement_spend_90d",
    "order_id",
    "order_value",
    "currency",
    "category",
    "severity",
]
