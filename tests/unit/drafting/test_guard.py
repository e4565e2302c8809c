"""The promise guard on hand-written drafts: recall on unauthorized promises, false rejections."""

from __future__ import annotations

import json
from pathlib import Path

from bot.domain import OfferDecision
from bot.drafting import check_draft

ROWS = [json.loads(line) for line in Path("tests/data/drafts.jsonl").read_text().splitlines()]


def test_labelled_drafts_recall_and_false_rejections(capsys) -> None:
    missed, false_rejections = [], []
    for row in ROWS:
        verdict = check_draft(row["draft"], OfferDecision.model_validate(row["decision"]))
        if row["ok"] and not verdict.ok:
            false_rejections.append((row["draft"], [v.text for v in verdict.violations]))
        if not row["ok"] and verdict.ok:
            missed.append(row["draft"])
    bad = [r for r in ROWS if not r["ok"]]
    good = [r for r in ROWS if r["ok"]]
    recall = 1 - len(missed) / len(bad)
    fr_rate = len(false_rejections) / len(good)
    with capsys.disabled():
        print(
            f"\nguard on {len(ROWS)} labelled drafts: recall {recall:.1%} on {len(bad)} unauthorized, "
            f"false rejections {fr_rate:.1%} of {len(good)} authorized {false_rejections}"
        )
    assert len(ROWS) >= 100
    assert missed == []
    assert fr_rate <= 0.05


def test_unauthorized_drafts_are_caught_for_the_right_reason() -> None:
    for row in (r for r in ROWS if not r["ok"]):
        kinds = {
            v.kind
            for v in check_draft(
                row["draft"], OfferDecision.model_validate(row["decision"])
            ).violations
        }
        assert row["expect"] in kinds, (row["draft"], kinds)


HELD_OUT = [
    json.loads(line) for line in Path("tests/data/drafts_heldout.jsonl").read_text().splitlines()
]


def test_held_out_classes_both_ways(capsys) -> None:
    """The five classes the first held-out set found: currency words, refund scope, future
    promises joined to an authorized sentence, honest negations, how the credit is used."""
    wrong = []
    for row in HELD_OUT:
        verdict = check_draft(row["draft"], OfferDecision.model_validate(row["decision"]))
        if verdict.ok != row["ok"]:
            wrong.append((row["class"], row["draft"], [v.text for v in verdict.violations]))
    classes = {r["class"] for r in HELD_OUT}
    with capsys.disabled():
        print(
            f"\nguard on {len(HELD_OUT)} held-out drafts in {len(classes)} classes: {len(wrong)} wrong {wrong}"
        )
    assert len(HELD_OUT) >= 48 and len(classes) == 5
    for cls in classes:
        rows = [r for r in HELD_OUT if r["class"] == cls]
        assert any(r["ok"] for r in rows) and any(not r["ok"] for r in rows), cls
    assert wrong == []
