"""Held-out evaluation by template group, so the score is on wording the model never saw.

Rows that paraphrase one problem statement share a `group`; the split keeps each group on one
side, and `leaks` checks that no held-out text (nor its group) appears in training. Severity is
scored on the classifier's own reading, before the policy bound, so the numbers measure reading.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.triage._triager import LabelledRow, train

__all__ = ["Evaluation", "evaluate", "leaks", "split"]


@dataclass(frozen=True)
class Evaluation:
    macro_f1: float
    severity_within_one: float
    severity_exact: float
    n_train: int
    n_test: int
    labels: list[str]
    confusion: list[list[int]]
    unsure_share: float
    accuracy_when_sure: float

    def confusion_table(self) -> str:
        """Markdown table: rows are the true category, columns the predicted one."""
        short = [label.replace("_", " ") for label in self.labels]
        lines = ["| true \\ predicted | " + " | ".join(short) + " |"]
        lines.append("|---" * (len(short) + 1) + "|")
        for label, row in zip(short, self.confusion, strict=True):
            lines.append(f"| {label} | " + " | ".join(str(n) for n in row) + " |")
        return "\n".join(lines)


def split(
    rows: Sequence[LabelledRow], *, test_share: float = 0.25, seed: int = 7
) -> tuple[list[LabelledRow], list[LabelledRow]]:
    """Train and held-out rows, whole groups (templates) on one side."""
    from sklearn.model_selection import GroupShuffleSplit

    groups = [r.group or r.text for r in rows]
    splitter = GroupShuffleSplit(n_splits=1, test_size=test_share, random_state=seed)
    train_idx, test_idx = next(splitter.split(list(rows), groups=groups))
    return [rows[i] for i in train_idx], [rows[i] for i in test_idx]


def leaks(train_rows: Sequence[LabelledRow], test_rows: Sequence[LabelledRow]) -> list[str]:
    """Held-out texts whose text or group also appears in training (should be none)."""
    seen_texts = {r.text.casefold() for r in train_rows}
    seen_groups = {r.group for r in train_rows if r.group}
    return [r.text for r in test_rows if r.text.casefold() in seen_texts or r.group in seen_groups]


def evaluate(
    rows: Sequence[LabelledRow],
    *,
    test_share: float = 0.25,
    seed: int = 7,
    min_confidence: float = 0.55,
) -> Evaluation:
    import numpy as np
    from sklearn.metrics import confusion_matrix, f1_score

    train_rows, test_rows = split(rows, test_share=test_share, seed=seed)
    classifiers = train(rows=train_rows, source="training split")._classifiers
    cat_p, sev_p = classifiers.predict_proba([r.text for r in test_rows])
    predicted = np.asarray(classifiers.categories)[cat_p.argmax(axis=1)]
    truth = np.asarray([r.category for r in test_rows])
    sev_pred = np.asarray(classifiers.severities)[sev_p.argmax(axis=1)]
    sev_true = np.asarray([r.severity for r in test_rows])
    sure = cat_p.max(axis=1) >= min_confidence
    labels = sorted({r.category for r in rows})
    return Evaluation(
        macro_f1=float(f1_score(truth, predicted, average="macro", labels=labels, zero_division=0)),
        severity_within_one=float(np.mean(np.abs(sev_pred - sev_true) <= 1)),
        severity_exact=float(np.mean(sev_pred == sev_true)),
        n_train=len(train_rows),
        n_test=len(test_rows),
        labels=labels,
        confusion=confusion_matrix(truth, predicted, labels=labels).tolist(),
        unsure_share=float(1.0 - np.mean(sure)),
        accuracy_when_sure=float(np.mean(predicted[sure] == truth[sure])) if sure.any() else 0.0,
    )
