"""Triage without a model: time per message on the 64 demo complaints (after training), and
held-out accuracy on the shipped set with whole templates held out (group split).

python -m bench triage
"""

from __future__ import annotations

import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "triage.md"


def main(argv: list[str]) -> int:
    from bench.clv import machine
    from bot.demo import load_complaints
    from bot.triage import load_triager, read_labelled
    from bot.triage._evaluate import evaluate

    t0 = time.perf_counter()
    triager = load_triager()
    train_s = time.perf_counter() - t0
    messages = [c["message"] for c in load_complaints()] * 10
    times = []
    for m in messages:
        t = time.perf_counter_ns()
        triager.triage(m)
        times.append(time.perf_counter_ns() - t)
    times.sort()
    p50, p99 = times[len(times) // 2] / 1e6, times[int(len(times) * 0.99)] / 1e6
    mean = sum(times) / len(times) / 1e6
    print(
        f"triage: training on the shipped set {train_s:.1f} s; per message mean {mean:.2f} ms, p50 {p50:.2f} ms, p99 {p99:.2f} ms"
    )
    data = Path(__file__).resolve().parent.parent / "bot" / "triage" / "data" / "complaints.csv"
    report = evaluate(read_labelled(data))
    header = "| true \\ predicted | " + " | ".join(report.labels) + " |\n"
    header += "|---|" + "---:|" * len(report.labels) + "\n"
    table = header + "".join(
        f"| {label} | " + " | ".join(str(n) for n in row) + " |\n"
        for label, row in zip(report.labels, report.confusion, strict=True)
    )
    accuracy = (
        f"\nHeld out ({report.n_test} messages, whole templates never seen in training):\n\n"
        f"| measure | result | goal |\n|---|---:|---:|\n"
        f"| macro F1 | {report.macro_f1:.3f} | >= 0.85 |\n"
        f"| severity within one step | {report.severity_within_one:.1%} | >= 90% |\n"
        f"| severity exact | {report.severity_exact:.1%} | |\n\n"
        f"Confusion (rows true, columns predicted):\n\n{table}"
    )
    print(accuracy)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        f"Machine: {machine()}.\n\n| measure | result | goal |\n|---|---:|---:|\n"
        f"| training on the shipped set (first use) | {train_s:.1f} s | |\n"
        f"| per message, mean | {mean:.2f} ms | < 5 ms |\n| per message, p50 | {p50:.2f} ms | |\n"
        f"| per message, p99 | {p99:.2f} ms | |\n" + accuracy
    )
    return 0
