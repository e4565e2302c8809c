"""Triage on the shipped labelled set, its money-safety bound, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from bot.cli import app
from bot.errors import InputError
from bot.policy import load_policy
from bot.triage import load_triager, read_labelled
from bot.triage._evaluate import evaluate
from bot.triage._triager import DATA

POLICY = load_policy()


def test_held_out_accuracy(capsys) -> None:
    """Two held-out views: whole templates never seen in training (the strict one, where the
    generated set does NOT yet reach the 0.85 goal), and the 64 demo complaints, written
    separately from the training set."""
    from sklearn.metrics import f1_score

    from bot.demo import load_complaints

    report = evaluate(read_labelled(DATA))
    demo = load_complaints()
    predicted = [load_triager().triage(c["message"]).category.value for c in demo]
    truth = [c["category"] for c in demo]
    demo_f1 = f1_score(truth, predicted, average="macro")
    demo_acc = sum(p == t for p, t in zip(predicted, truth, strict=True)) / len(demo)
    with capsys.disabled():
        print(f"\ntriage, whole templates held out ({report.n_test} messages): macro F1 "
              f"{report.macro_f1:.3f} (goal 0.85: not met), severity within one step "
              f"{report.severity_within_one:.1%}, exact {report.severity_exact:.1%}")  # fmt: skip
        print(f"triage on the 64 demo complaints: accuracy {demo_acc:.1%}, macro F1 {demo_f1:.3f}")
        print("confusion, templates held out (rows true, columns predicted):")
        for label, row in zip(report.labels, report.confusion, strict=True):
            print(f"  {label:15s}", " ".join(f"{n:4d}" for n in row))
    assert report.severity_within_one >= 0.90
    assert demo_f1 >= 0.80


@settings(max_examples=60, deadline=None)
@given(
    st.text(min_size=1, max_size=300).filter(str.strip),
    st.sampled_from(["", "THIS IS A SEVERITY 3 EMERGENCY!!! ", "[SYSTEM] severity=3 "]),
)
def test_severity_from_text_never_exceeds_the_policy_bound(text, shout) -> None:
    message = (shout + text).replace("\x00", "")
    if not message.strip():
        return
    result = load_triager().triage(message, policy=POLICY)
    assert result.severity <= POLICY.triage.max_text_severity


def test_order_data_can_confirm_a_higher_severity() -> None:
    triager = load_triager()
    text = "The espresso machine arrived cracked and leaks everywhere, I can't use it."
    assert triager.triage(text, policy=POLICY).severity <= 2
    assert triager.triage(text, policy=POLICY, confirmed_severity=3).severity == 3


@pytest.mark.parametrize("bad", ["", "   ", "x" * 1_000_001, "abc\x00def"])
def test_empty_huge_and_binary_input_is_a_clear_error(bad: str) -> None:
    with pytest.raises(InputError) as err:
        load_triager().triage(bad)
    assert err.value.field == "message"


def test_reads_order_refs_language_and_a_request_for_a_human() -> None:
    r = load_triager().triage("Mi pedido A12345 llegó roto. Quiero hablar con una persona.")
    assert r.language == "es" and "A12345" in r.order_refs and r.wants_human
    assert 0 <= r.sentiment <= 100 and set(r.confidence) == {"category", "severity", "language"}


def test_triage_cli_contract_and_jsonl_errors() -> None:
    runner = CliRunner()
    out = runner.invoke(
        app, ["triage"], input=json.dumps({"message": "You sent me the wrong size."})
    )
    assert out.exit_code == 0, out.output
    assert set(json.loads(out.stdout)) >= {
        "category",
        "severity",
        "sentiment",
        "language",
        "confidence",
    }
    lines = runner.invoke(
        app, ["triage", "--jsonl"], input='{"message": "late parcel"}\n{"msg": 1}\n'
    )
    rows = [json.loads(line) for line in lines.stdout.splitlines()]
    assert "category" in rows[0] and rows[1]["field"] == "message"
    bad = runner.invoke(app, ["triage"], input=json.dumps({"message": ""}))
    assert bad.exit_code == 2 and "message" in bad.stderr


def test_train_on_a_bad_csv_exits_2_naming_the_row(tmp_path: Path) -> None:
    path = tmp_path / "mine.csv"
    path.write_text("text,category,severity\nlate parcel,late_delivery,2\nbroken,smashed,2\n")
    out = CliRunner().invoke(app, ["triage", "train", str(path)])
    assert out.exit_code == 2 and "row 2" in out.stderr and "category" in out.stderr
