"""Accuracy on wording the classifier never saw, printed so the README figures can be checked.

Two views: whole templates held out of the shipped set (no paraphrase of a held-out problem is
in training), and the 64 demo complaints, written separately for the demo.
"""

from __future__ import annotations

import numpy as np
import pytest

from bot.triage import DATA, evaluate, read_labelled
from bot.triage._evaluate import leaks, split


@pytest.fixture(scope="module")
def rows():
    return read_labelled(DATA)


def test_labelled_set_covers_every_category_languages_and_hard_cases(rows) -> None:
    from bot.domain import IssueCategory

    assert len(rows) >= 400
    assert {r.category for r in rows} == {c.value for c in IssueCategory}
    languages = {r.language for r in rows}
    assert {"en", "es", "fr", "de"} <= languages
    assert sum(r.language != "en" for r in rows) / len(rows) >= 0.3
    texts = [r.text.lower() for r in rows]
    assert sum("severity 3" in t or "ignore" in t for t in texts) >= 10  # injection attempts
    assert sum(" also" in t or "además" in t or "außerdem" in t for t in texts) >= 50
    assert {1, 2, 3} == {r.severity for r in rows}


def test_held_out_split_shares_no_text_or_template_with_training(rows) -> None:
    train_rows, test_rows = split(rows)
    assert leaks(train_rows, test_rows) == []
    assert len(test_rows) >= 0.2 * len(rows)


def test_category_and_severity_accuracy_on_held_out_templates(rows, capsys) -> None:
    report = evaluate(rows)
    with capsys.disabled():
        print(
            f"\ntriage, {report.n_test} held-out messages from templates never seen in training "
            f"({report.n_train} to train): macro F1 {report.macro_f1:.3f} (goal 0.85), "
            f"severity within one step {report.severity_within_one:.1%} (goal 90%), "
            f"exact {report.severity_exact:.1%}; below the 0.55 confidence floor "
            f"{report.unsure_share:.1%} (routed to a person), accuracy above it "
            f"{report.accuracy_when_sure:.1%}"
        )
        print(report.confusion_table())
    assert report.macro_f1 >= 0.85
    assert report.severity_within_one >= 0.90


def test_accuracy_on_the_separately_written_demo_complaints(triager, capsys) -> None:
    from sklearn.metrics import f1_score

    from bot.demo import load_complaints

    demo = load_complaints()
    cat_p, _ = triager._classifiers.predict_proba([c["message"] for c in demo])
    predicted = np.asarray(triager._classifiers.categories)[cat_p.argmax(axis=1)]
    truth = np.asarray([c["category"] for c in demo])
    accuracy = float(np.mean(predicted == truth))
    macro_f1 = f1_score(truth, predicted, average="macro")
    with capsys.disabled():
        print(
            f"\ntriage on the {len(demo)} demo complaints: accuracy {accuracy:.1%}, "
            f"macro F1 {macro_f1:.3f}"
        )
    assert accuracy >= 0.80
