"""Policy engine speed: per-decision latency in process, and `appease decide --jsonl` as a process.

python -m bench policy
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from pathlib import Path

from bot.policy import decide, load_policy
from tests.factories import case_dict

RESULTS = Path(__file__).resolve().parent / "results" / "policy.md"
TIERS = ["bronze", "silver", "gold", "platinum"]
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
            order_value=f"{rng.uniform(5, 500):.2f}",
            category=rng.choice(CATEGORIES),
            severity=rng.randint(1, 3),
            appeasements_90d=rng.choice([0, 0, 0, 1, 2, 5]),
        )
        for i in range(n)
    ]


def main(argv: list[str]) -> int:
    from bench.clv import machine
    from bot.domain import Case

    policy = load_policy()
    parsed = [Case.model_validate(c) for c in cases(20_000)]
    times = []
    for case in parsed:
        t0 = time.perf_counter_ns()
        decide(case, policy)
        times.append(time.perf_counter_ns() - t0)
    times.sort()
    p50, p99 = times[len(times) // 2] / 1e6, times[int(len(times) * 0.99)] / 1e6
    lines = "\n".join(json.dumps(c) for c in cases(2000, seed=2)) + "\n"
    exe = str(Path(sys.executable).with_name("appease"))
    t0 = time.perf_counter()
    proc = subprocess.run(
        [exe, "decide", "--jsonl"], input=lines, capture_output=True, text=True, check=True
    )
    whole = time.perf_counter() - t0
    assert len(proc.stdout.splitlines()) == 2000
    print(f"decide in process: p50 {p50:.3f} ms, p99 {p99:.3f} ms over 20,000 cases")
    print(f"appease decide --jsonl, 2,000 cases, whole process: {whole:.2f} s")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        f"Machine: {machine()}.\n\n| measure | result | goal |\n|---|---:|---:|\n"
        f"| decision p50 in process | {p50:.3f} ms | |\n| decision p99 in process | {p99:.3f} ms | < 1 ms |\n"
        f"| 2,000 cases through `appease decide --jsonl` (whole process) | {whole:.2f} s | < 3 s |\n"
    )
    return 0
