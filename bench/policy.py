"""Policy engine speed: per-decision latency in process, and `appease decide --jsonl` as a process.

Goals from the issue: decision p99 under 1 ms in process; 2,000 cases through `appease decide
--jsonl` in under 3 s as a whole process (start-up, policy load, parse, decide, print). Also
measured, not goals: loading a policy file, and a backtest of 20,000 tickets.

python -m bench policy
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

from bot.policy import decide, default_policy_path, load_policy, simulate
from tests.factories import case_dict

RESULTS = Path(__file__).resolve().parent / "results" / "policy.md"
TIERS = ["bronze", "silver", "gold", "platinum"]
SEGMENTS = ["champions", "loyal", "potential_loyalists", "new", "at_risk", "cant_lose_them",
            "hibernating", "lost"]  # fmt: skip
CATEGORIES = ["late_delivery", "damaged_item", "wrong_item", "missing_item", "billing_error",
              "service_outage", "poor_service", "other"]  # fmt: skip


def cases(n: int, seed: int = 1) -> list[dict]:
    rng = random.Random(seed)
    return [
        case_dict(
            customer_id=f"c{i}",
            clv=f"{rng.uniform(0, 2000):.2f}",
            residual_clv=f"{rng.uniform(-50, 2000):.2f}",
            tier=rng.choice(TIERS),
            segment=rng.choice(SEGMENTS),
            order_value=f"{rng.uniform(5, 500):.2f}",
            category=rng.choice(CATEGORIES),
            severity=rng.randint(1, 3),
            appeasements_90d=rng.choice([0, 0, 0, 1, 2, 5]),
            currency=rng.choice(["USD", "USD", "USD", "EUR", "JPY"]),
        )
        for i in range(n)
    ]


def _percentile(sorted_ns: list[int], q: float) -> float:
    return sorted_ns[min(len(sorted_ns) - 1, int(len(sorted_ns) * q))] / 1e6


def main(argv: list[str]) -> int:
    from bench.clv import machine
    from bot.domain import Case

    t0 = time.perf_counter()
    for _ in range(20):
        policy = load_policy()
    load_ms = (time.perf_counter() - t0) / 20 * 1000

    parsed = [Case.model_validate(c) for c in cases(20_000)]
    for case in parsed[:1000]:  # warm up
        decide(case, policy)
    # Wall clock is what a caller waits; CPU time of this thread is what the engine costs,
    # which stays readable when other work shares the machine.
    times, cpu = [], []
    for case in parsed:
        c0, t0n = time.thread_time_ns(), time.perf_counter_ns()
        decide(case, policy)
        times.append(time.perf_counter_ns() - t0n)
        cpu.append(time.thread_time_ns() - c0)
    times.sort()
    cpu.sort()
    p50, p99, worst = _percentile(times, 0.5), _percentile(times, 0.99), times[-1] / 1e6
    cpu_p50, cpu_p99 = _percentile(cpu, 0.5), _percentile(cpu, 0.99)
    load = os.getloadavg()[0]

    strict = load_policy(default_policy_path().with_name("strict.yaml"))
    t0 = time.perf_counter()
    simulate(parsed, policy)
    simulate(parsed, strict)
    backtest = time.perf_counter() - t0

    lines = "\n".join(json.dumps(c) for c in cases(2000, seed=2)) + "\n"
    exe = str(Path(sys.executable).with_name("appease"))
    runs = []
    for _ in range(3):
        t0 = time.perf_counter()
        proc = subprocess.run(
            [exe, "decide", "--jsonl"], input=lines, capture_output=True, text=True, check=True
        )
        runs.append(time.perf_counter() - t0)
        out = proc.stdout.splitlines()
        assert len(out) == 2000 and all('"offer"' in line for line in out), "bad decide output"
    whole = sorted(runs)[1]

    print(f"load policies/default.yaml: {load_ms:.2f} ms")
    print(f"decide in process: p50 {p50:.3f} ms, p99 {p99:.3f} ms, max {worst:.3f} ms (20,000)")
    print(f"decide CPU time: p50 {cpu_p50:.3f} ms, p99 {cpu_p99:.3f} ms; load average {load:.1f}")
    print(f"backtest of 20,000 tickets under two policies: {backtest:.2f} s")
    print(f"appease decide --jsonl, 2,000 cases, whole process: {whole:.2f} s (median of 3)")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        f"Machine: {machine()}; load average {load:.1f} during the run.\n\n"
        "20,000 random cases (every tier, segment and category, severities 1-3, USD/EUR/JPY, some\n"
        "with no residual CLV or repeat claims) under `policies/default.yaml`.\n\n"
        "| measure | result | goal |\n|---|---:|---:|\n"
        f"| decision p50 in process | {p50:.3f} ms | |\n"
        f"| decision p99 in process | {p99:.3f} ms | < 1 ms |\n"
        f"| decision max in process | {worst:.3f} ms | |\n"
        f"| decision CPU time p50 / p99 | {cpu_p50:.3f} / {cpu_p99:.3f} ms | |\n"
        f"| 2,000 cases through `appease decide --jsonl` (whole process, median of 3) "
        f"| {whole:.2f} s | < 3 s |\n"
        f"| load and validate `policies/default.yaml` | {load_ms:.2f} ms | |\n"
        f"| `simulate` 20,000 tickets under two policies | {backtest:.2f} s | |\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
