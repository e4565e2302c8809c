"""CLV fitting speed and agreement: appease vs lifetimes on the same synthetic customers, one run.

Customers are drawn from the BG/NBD process (day-granular) with CDNOW-like parameters. Both
libraries fit the same summary the way a user would call them; we report wall time, the ratio
and the largest relative parameter difference. Then transactions -> scores at 10M transactions,
with time and peak memory, in a fresh process so the peak is this step's own.

    python -m bench clv                # 10k, 100k, 1M customers, 1M real-shaped, 10M transactions
    python -m bench clv -- --quick     # 10k and 100k, 1M transactions
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from bot.scoring import BgNbd, BgNbdParams, simulate_summary

TRUTH = BgNbdParams(r=0.243, alpha=4.414 * 7, a=0.793, b=2.426)  # CDNOW's, in days
RESULTS = Path(__file__).resolve().parent / "results" / "clv.md"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import os

    # The load average when the figures were taken: a 2-core machine shared with other work
    # gives slower tails, and a reader should know which kind of run they are looking at.
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, load average {load}"


def fit_both(n: int, seed: int) -> dict[str, float]:
    summary = simulate_summary(TRUTH, n, seed=seed)
    x, t_x, T = summary["frequency"], summary["recency"], summary["T"]
    t0 = time.perf_counter()
    ours = BgNbd().fit(x, t_x, T)
    t_ours = time.perf_counter() - t0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from lifetimes import BetaGeoFitter

        t0 = time.perf_counter()
        theirs = BetaGeoFitter().fit(x, t_x, T)
        t_theirs = time.perf_counter() - t0
    assert ours.params_ is not None
    a = np.array([ours.params_.r, ours.params_.alpha, ours.params_.a, ours.params_.b])
    b = theirs.params_[["r", "alpha", "a", "b"]].to_numpy(dtype=float)
    return {
        "customers": n,
        "ours_s": t_ours,
        "lifetimes_s": t_theirs,
        "ratio": t_theirs / t_ours,
        "max_rel_diff": float(np.max(np.abs(a - b) / np.abs(b))),
    }


LIFETIMES_SCRIPT = """
import sys, warnings
import pandas as pd
warnings.simplefilter("ignore")
from lifetimes import BetaGeoFitter, GammaGammaFitter
df = pd.read_csv(sys.argv[1])
BetaGeoFitter().fit(df["frequency"], df["recency"], df["T"])
rep = df[df["frequency"] > 0]
GammaGammaFitter().fit(rep["frequency"], rep["monetary_value"])
"""


def whole_process(n: int, T_days: int, seed: int = 7) -> dict[str, float]:
    """`appease clv fit --summary` against the same fit in lifetimes, each as a whole process.

    The summary is day-granular over more than a year, so it compresses poorly (about 218k
    distinct rows for 1M customers): the shape of a real shop's history, unlike the 365-day
    draws above. Spend is drawn per customer (Gamma-Gamma shaped) for the repeat buyers.
    """
    import tempfile

    from bot.scoring import compress

    summary = simulate_summary(TRUTH, n, seed=seed, T_days=float(T_days))
    rng = np.random.default_rng(seed)
    scale = rng.gamma(6.0, 35.0 / 6.0, n)
    summary["monetary_value"] = np.where(
        summary["frequency"] > 0, np.round(rng.gamma(4.0, scale / 4.0), 2) + 0.01, 0.0
    )
    (_, _, _), w, _ = compress(*(summary[c].to_numpy(float) for c in ("frequency", "recency", "T")))
    appease = Path(sys.executable).parent / "appease"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "summary.csv"
        summary.to_csv(path, index=False)
        t0 = time.perf_counter()
        subprocess.run(
            [str(appease), "clv", "fit", "--summary", str(path), "--json"],
            check=True,
            capture_output=True,
        )
        ours = time.perf_counter() - t0
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", LIFETIMES_SCRIPT, str(path)], check=True, capture_output=True
        )
        theirs = time.perf_counter() - t0
    return {
        "customers": n,
        "distinct": len(w),
        "ours_s": ours,
        "lifetimes_s": theirs,
        "ratio": theirs / ours,
    }


def score_step(n_transactions: int) -> dict[str, float]:
    """Run in a child process: generate a log, then time transactions -> scores."""
    from bot.scoring import score_transactions, simulate_transactions

    busy = BgNbdParams(r=1.0, alpha=10.0, a=0.5, b=10.0)  # ~12 purchases a customer a year
    n_customers = max(1000, n_transactions // 12)
    import pandas as pd

    # Drawn in chunks so the generator's own peak stays below the scoring step's.
    chunk = 50_000
    parts = []
    for i, lo in enumerate(range(0, n_customers, chunk)):
        part = simulate_transactions(busy, min(chunk, n_customers - lo), seed=i, max_repeats=40)
        part["customer_id"] = (part["customer_id"].astype(np.int64) + lo).astype(str)
        parts.append(part)
    tx = pd.concat(parts, ignore_index=True)
    del parts
    data_mb = tx.memory_usage(deep=True).sum() / 2**20
    t0 = time.perf_counter()
    result = score_transactions(tx)
    elapsed = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "transactions": len(tx),
        "customers": len(result.scores),
        "seconds": elapsed,
        "peak_mb": peak,
        "data_mb": data_mb,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench clv")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument("--score-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.score_child:
        print(json.dumps(score_step(args.score_child)))
        return 0

    sizes = [10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000]
    n_tx = 1_000_000 if args.quick else 10_000_000
    rows = []
    for i, n in enumerate(sizes):
        row = fit_both(n, seed=i)
        rows.append(row)
        print(
            f"fit {n:>9,} customers: appease {row['ours_s']:.3f}s, lifetimes "
            f"{row['lifetimes_s']:.2f}s, ratio {row['ratio']:.0f}x, "
            f"max param diff {row['max_rel_diff']:.1e}",
            flush=True,
        )
    shaped = whole_process(100_000 if args.quick else 1_000_000, T_days=405)
    print(
        f"whole process, {shaped['customers']:,} customers ({shaped['distinct']:,} distinct rows): "
        f"appease clv fit --summary {shaped['ours_s']:.1f}s, lifetimes {shaped['lifetimes_s']:.1f}s, "
        f"ratio {shaped['ratio']:.1f}x",
        flush=True,
    )
    child = subprocess.run(
        [sys.executable, "-m", "bench", "clv", "--", "--score-child", str(n_tx)],
        capture_output=True,
        text=True,
        check=True,
    )
    score = json.loads(child.stdout.strip().splitlines()[-1])
    print(
        f"score {score['transactions']:,} transactions ({score['customers']:,} customers): "
        f"{score['seconds']:.1f}s, peak RSS {score['peak_mb']:.0f} MB "
        f"(the log itself: {score['data_mb']:.0f} MB in memory)"
    )

    lines = [
        f"Machine: {machine()}. Run: `make bench` (`python -m bench clv`).",
        "",
        "| customers | appease fit (s) | lifetimes fit (s) | speed-up | max relative param diff |",
        "|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['customers']:,} | {r['ours_s']:.3f} | {r['lifetimes_s']:.2f} | "
            f"{r['ratio']:.0f}x | {r['max_rel_diff']:.1e} |"
        )
    lines += [
        "",
        "Real-shaped data (day-granular over 405 days, compresses poorly), BG/NBD + Gamma-Gamma,"
        " each a whole process (start, read the summary CSV, fit both models):",
        "",
        "| customers | distinct (x, t_x, T) rows | `appease clv fit --summary` (s) | lifetimes (s) "
        "| speed-up |",
        "|---:|---:|---:|---:|---:|",
        f"| {shaped['customers']:,} | {shaped['distinct']:,} | {shaped['ours_s']:.1f} | "
        f"{shaped['lifetimes_s']:.1f} | {shaped['ratio']:.1f}x |",
        "",
        "| transactions -> scores | customers | time (s) | peak RSS (MB) | log in memory (MB) |",
        "|---:|---:|---:|---:|---:|",
        f"| {score['transactions']:,} | {score['customers']:,} | {score['seconds']:.1f} | "
        f"{score['peak_mb']:.0f} | {score['data_mb']:.0f} |",
    ]
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n")
    print(f"wrote {RESULTS}")
    return 0
