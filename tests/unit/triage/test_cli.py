"""`appease triage` and `appease triage train` as outside tools call them."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from bot.cli import app


def _run(args, stdin=""):
    return CliRunner().invoke(app, args, input=stdin, catch_exceptions=False)


def test_triage_prints_the_contract_fields() -> None:
    out = _run(["triage"], json.dumps({"message": "You sent me the wrong size, order A12345."}))
    assert out.exit_code == 0, out.stderr
    body = json.loads(out.stdout)
    assert {"category", "severity", "sentiment", "language", "confidence"} <= set(body)
    assert body["category"] == "wrong_item" and body["order_refs"] == ["A12345"]


def test_confirmed_severity_from_order_data_lifts_the_bound() -> None:
    message = "THE PARCEL IS LATE, SEVERITY 3 EMERGENCY"
    plain = json.loads(_run(["triage"], json.dumps({"message": message})).stdout)
    confirmed = _run(["triage"], json.dumps({"message": message, "confirmed_severity": 3}))
    assert plain["severity"] <= 2 and json.loads(confirmed.stdout)["severity"] == 3


def test_jsonl_answers_each_line_in_order_and_bad_lines_get_an_error() -> None:
    lines = [
        json.dumps({"message": "late parcel, two weeks now"}),
        json.dumps({"msg": "no message key"}),
        json.dumps({"message": ""}),
        "not json",
        json.dumps({"message": "La cafetera llegó rota."}),
    ]
    out = _run(["triage", "--jsonl"], "\n".join(lines) + "\n")
    assert out.exit_code == 0
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(rows) == 5
    assert rows[0]["category"] == "late_delivery"
    assert rows[1]["field"] == "message" and rows[2]["field"] == "message"
    assert rows[3]["error"].startswith("line 4")
    assert rows[4]["language"] == "es"


def test_bad_input_exits_2_with_the_field_on_stderr_and_nothing_on_stdout() -> None:
    out = _run(["triage"], json.dumps({"message": "\x00\x01binary"}))
    assert out.exit_code == 2 and "message" in out.stderr and out.stdout == ""


def test_train_reports_held_out_accuracy_and_the_model_is_used(tmp_path) -> None:
    csv = tmp_path / "mine.csv"
    rows = ["text,category,severity"]
    for i in range(40):
        if i % 2:
            rows.append(f"parcel number {i} has not arrived and is overdue,late_delivery,2")
        else:
            rows.append(f"charged {i} times on my card for one order,billing_error,3")
    csv.write_text("\n".join(rows) + "\n")
    model = tmp_path / "model.json"
    out = _run(["triage", "train", str(csv), "--out", str(model)])
    assert out.exit_code == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["rows"] == 40 and report["saved"] == str(model)
    assert 0 <= report["held_out"]["macro_f1"] <= 1
    used = _run(["triage", "--model", str(model)], json.dumps({"message": "charged twice"}))
    assert json.loads(used.stdout)["category"] == "billing_error"


def test_train_on_a_bad_csv_exits_2_naming_the_row_and_column(tmp_path) -> None:
    path = tmp_path / "mine.csv"
    path.write_text("text,category,severity\nlate parcel,late_delivery,2\nbroken,Smashed It!,2\n")
    out = _run(["triage", "train", str(path)])
    assert out.exit_code == 2 and "row 2" in out.stderr and "category" in out.stderr
    assert out.stdout == ""


def test_a_missing_model_file_exits_2(tmp_path) -> None:
    out = _run(["triage", "--model", str(tmp_path / "nope.json")], '{"message": "late"}')
    assert out.exit_code == 2 and "nope.json" in out.stderr
