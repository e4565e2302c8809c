"""Triage speed without a model: time per message, training on first use, and a whole CLI run.

Messages: the 64 demo complaints plus every 4th message of the labelled set, repeated. Also
times scikit-learn's own transform + predict_proba on the same fitted model (what a plain
pipeline would cost) and `appease triage --jsonl` as a process (start-up, training, N lines).

    python -m bench triage [-- --repeat 5 --cli-lines 500]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "triage.md"


def _percentiles(times_ns: list[int]) -> dict[str, float]:
    ordered = sorted(times_ns)
    n = len(ordered)
    return {
        "mean": sum(ordered) / n / 1e6,
        "p50": ordered[n // 2] / 1e6,
        "p95": ordered[int(n * 0.95)] / 1e6,
        "p99": ordered[min(n - 1, int(n * 0.99))] / 1e6,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench triage")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cli-lines", type=int, default=500)
    args = parser.parse_args(argv)

    from bench.clv import machine
    from bot.demo import load_complaints
    from bot.triage import DATA, read_labelled, train

    rows = read_labelled(DATA)
    t0 = time.perf_counter()
    triager = train(rows=rows)
    train_s = time.perf_counter() - t0
    messages = [c["message"] for c in load_complaints()] + [r.text for r in rows[::4]]
    for m in messages[:20]:  # warm caches (VADER, language model)
        triager.triage(m)

    ours: list[int] = []
    for _ in range(args.repeat):
        for m in messages:
            t = time.perf_counter_ns()
            triager.triage(m)
            ours.append(time.perf_counter_ns() - t)
    plain: list[int] = []
    for m in messages:
        t = time.perf_counter_ns()
        triager._classifiers.predict_proba_sklearn([m])
        plain.append(time.perf_counter_ns() - t)
    classifier_only: list[int] = []
    for m in messages:
        t = time.perf_counter_ns()
        triager._classifiers.predict_proba([m])
        classifier_only.append(time.perf_counter_ns() - t)

    lines = [json.dumps({"message": messages[i % len(messages)]}) for i in range(args.cli_lines)]
    appease = Path(sys.executable).with_name("appease")
    env = {**os.environ, "APPEASE_LLM": "template"}
    t0 = time.perf_counter()
    proc = subprocess.run(
        [str(appease), "triage", "--jsonl"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    cli_s = time.perf_counter() - t0
    answered = sum(1 for line in proc.stdout.splitlines() if '"category"' in line)

    full, sk, clf = _percentiles(ours), _percentiles(plain), _percentiles(classifier_only)
    load = os.getloadavg()[0]
    print(
        f"triage: train {train_s:.2f} s on {len(rows)} rows; per message mean {full['mean']:.2f} ms, "
        f"p50 {full['p50']:.2f}, p99 {full['p99']:.2f} ms; classifiers alone p50 {clf['p50']:.2f} ms "
        f"vs scikit-learn's transform+predict_proba p50 {sk['p50']:.2f} ms; "
        f"CLI {args.cli_lines} lines {cli_s:.1f} s ({answered} answered); load average {load:.1f}"
    )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        f"Machine: {machine()}; 1-minute load average at the end {load:.1f} "
        "(the machine is shared: figures under load are upper bounds).\n\n"
        f"{len(messages)} messages (64 demo complaints and every 4th labelled message) x "
        f"{args.repeat}, no model.\n\n"
        "| measure | mean | p50 | p95 | p99 | goal |\n|---|---:|---:|---:|---:|---:|\n"
        f"| `Triager.triage` (everything: checks, classifiers, language, sentiment, refs) | "
        f"{full['mean']:.2f} ms | {full['p50']:.2f} ms | {full['p95']:.2f} ms | "
        f"{full['p99']:.2f} ms | < 5 ms |\n"
        f"| category + severity classifiers (our prediction path) | {clf['mean']:.2f} ms | "
        f"{clf['p50']:.2f} ms | {clf['p95']:.2f} ms | {clf['p99']:.2f} ms | |\n"
        f"| same fitted model through scikit-learn's transform + predict_proba | "
        f"{sk['mean']:.2f} ms | {sk['p50']:.2f} ms | {sk['p95']:.2f} ms | {sk['p99']:.2f} ms | |\n\n"
        f"| measure | result | goal |\n|---|---:|---:|\n"
        f"| training on the shipped set ({len(rows)} rows, in process) | {train_s:.2f} s | < 2 s |\n"
        f"| `appease triage --jsonl`, {args.cli_lines} lines, whole process (start-up, "
        f"training, answers) | {cli_s:.1f} s | |\n"
    )
    return 0
