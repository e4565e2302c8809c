"""Held-out evaluation by template group, so the score is on wording the model never saw."""

from __future__ import annotations

from dataclasses import dataclass

from bot.triage._triager import train

__all__ = ["Evaluation", "evaluate"]


@dataclass
class Evaluation:
    macro_f1: float
    severity_within_one: float
    severity_exact: float
    n_test: int
    labels: list[str]
    confusion: list[list[int]]


def evaluate(rows: list[dict[str, str]], *, test_share: float = 0.25, seed: int = 7) -> Evaluation:
    import numpy as np
    from sklearn.metrics import confusion_matrix, f1_score
    from sklearn.model_selection import GroupShuffleSplit

    groups = [r.get("group") or r["text"] for r in rows]
    split = GroupShuffleSplit(n_splits=1, test_size=test_share, random_state=seed)
    train_idx, test_idx = next(split.split(rows, groups=groups))
    model = train(rows=[rows[i] for i in train_idx])
    test = [rows[i] for i in test_idx]
    texts = [r["text"] for r in test]
    pred_cat = model.category_model.predict(texts)
    pred_sev = np.asarray(model.severity_model.predict(texts), dtype=int)
    true_sev = np.array([int(r["severity"]) for r in test])
    labels = sorted({r["category"] for r in rows})
    true_cat = [r["category"] for r in test]
    return Evaluation(
        macro_f1=float(
            f1_score(true_cat, pred_cat, average="macro", labels=labels, zero_division=0)
        ),
        severity_within_one=float(np.mean(np.abs(pred_sev - true_sev) <= 1)),
        severity_exact=float(np.mean(pred_sev == true_sev)),
        n_test=len(test),
        labels=labels,
        confusion=confusion_matrix(true_cat, pred_cat, labels=labels).tolist(),
    )
