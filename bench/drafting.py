"""Drafting with the embedded model: tokens, calls, time outside the model, guard outcomes.

python -m bench drafting -- --n 200
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "drafting.md"


def main(argv: list[str]) -> int:
    from bench.clv import machine
    from bot.config import Settings
    from bot.demo import load_complaints
    from bot.drafting import Drafter, get_chat_model
    from bot.pipeline import resolve
    from bot.policy import load_policy
    from bot.triage import load_triager
    from tests.factories import make_ticket

    parser = argparse.ArgumentParser(prog="python -m bench drafting")
    parser.add_argument("--n", type=int, default=200)
    args = parser.parse_args(argv)
    rng = random.Random(3)
    complaints = load_complaints()
    policy, triager = load_policy(), load_triager()
    drafter = Drafter(get_chat_model(Settings(llm="local")), provider="local")
    tiers = ["bronze", "silver", "gold", "platinum"]
    totals = {
        "prompt": 0,
        "completion": 0,
        "calls": 0,
        "model_ms": 0.0,
        "wall_ms": 0.0,
        "rejections": 0,
        "fallbacks": 0,
        "unsafe": 0,
    }
    for i in range(args.n):
        c = complaints[i % len(complaints)]
        ticket = make_ticket(
            c["message"],
            with_issue=False,
            tier=rng.choice(tiers),
            clv=f"{rng.uniform(50, 3000):.2f}",
            order_value=c["order_value"],
            currency=c["currency"],
            order_id=f"B{i}",
        )
        t0 = time.perf_counter()
        out = resolve(ticket, policy=policy, drafter=drafter, triager=triager)
        totals["wall_ms"] += (time.perf_counter() - t0) * 1000
        u = out.usage
        totals["prompt"] += u.input_tokens
        totals["completion"] += u.output_tokens
        totals["calls"] += u.model_calls
        totals["model_ms"] += u.latency_ms
        totals["rejections"] += u.guard_rejections
        totals["fallbacks"] += u.fallback
        totals["unsafe"] += not out.reply.guard.ok
    n = args.n
    outside = 1 - totals["model_ms"] / totals["wall_ms"]
    rows = [
        ("tickets", f"{n}", ""),
        (
            "prompt tokens per model call",
            f"{totals['prompt'] / max(totals['calls'], 1):.0f}",
            "< 500",
        ),
        (
            "completion tokens per model call",
            f"{totals['completion'] / max(totals['calls'], 1):.0f}",
            "",
        ),
        ("model calls per message", f"{totals['calls'] / n:.2f}", "1"),
        ("share of time outside the model", f"{outside:.1%}", "< 5%"),
        ("guard rejections per message", f"{totals['rejections'] / n:.2f}", ""),
        ("template fallbacks", f"{totals['fallbacks']} ({totals['fallbacks'] / n:.0%})", ""),
        ("replies failing the guard that were sent", f"{totals['unsafe']}", "0"),
        ("mean time per ticket", f"{totals['wall_ms'] / n / 1000:.2f} s", ""),
    ]
    for name, value, goal in rows:
        print(f"{name}: {value}" + (f" (goal {goal})" if goal else ""))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        f"Machine: {machine()}. SmolLM2-135M-Instruct Q4_1 in process, 2 threads.\n\n| measure | result | goal |\n|---|---:|---:|\n"
        + "".join(f"| {a} | {b} | {c} |\n" for a, b, c in rows)
    )
    return 0
