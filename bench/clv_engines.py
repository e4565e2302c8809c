"""Transactions -> RFM summary -> fit -> scores on each engine, side by side in one run.

Generated transactions (about 5 a customer over two years, cents around a mean of each customer's
own, tz-aware UTC timestamps) are written as Parquet partitions once; then `appease clv score DIR
--engine E --out scores.parquet` runs as a whole process per engine (this checkout's code:
`python -c "from bot.cli import main; main()"` from the repository root), and we report its wall time and the peak memory of its
whole process tree (the JVM and Python workers included for Spark), sampled from /proc, and its
CPU time (user + system: the process's own exactly, its descendants' as last sampled).

    python -m bench clv_engines                        # 10M transactions: pandas, duckdb, spark
    python -m bench clv_engines -- --sizes 10M 100M    # 100M too (DuckDB and Spark only)
    python -m bench clv_engines -- --quick             # 1M, a smoke run
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from bench.clv import machine

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "clv_engines.md"
CHUNK = 2_000_000  # transactions per Parquet part
# Above this many transactions pandas holds too much in memory on this machine to be worth it.
PANDAS_MAX = 20_000_000


def parse_size(text: str) -> int:
    text = text.strip().upper()
    mult = {"K": 1_000, "M": 1_000_000, "B": 1_000_000_000}.get(text[-1], 1)
    return int(float(text.rstrip("KMB")) * mult)


def generate(n_transactions: int, out: Path, seed: int = 0) -> tuple[int, int]:
    """Write about n transactions as Parquet parts; return (transactions, customers)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    start = np.datetime64("2024-01-01T00:00:00", "s").astype(np.int64)
    horizon = 730 * 86_400
    written = customers = 0
    part = 0
    while written < n_transactions:
        n_cust = max(1, min(CHUNK, n_transactions - written) // 12)
        rate = rng.gamma(1.0, 12.0 / 730.0, n_cust)  # purchases a day while active
        life = rng.exponential(600.0, n_cust)  # days until the customer drops out
        first = rng.uniform(0, 730, n_cust)
        active = np.minimum(life, 730 - first)
        k = 1 + rng.poisson(rate * active)
        ids = np.repeat(np.arange(customers, customers + n_cust), k)
        is_first = np.r_[True, ids[1:] != ids[:-1]]
        offset = rng.uniform(0, 1, len(ids)) * np.repeat(active, k)
        offset[is_first] = 0.0
        seconds = start + (np.repeat(first, k) + offset) * 86_400
        seconds = np.minimum(seconds, start + horizon - 1).astype(np.int64)
        # each customer spends around a mean of their own (Gamma-Gamma's heterogeneity; iid
        # amounts put its optimum on the boundary, where no two engines' fits agree)
        mean_spend = np.repeat(rng.gamma(4.0, 10.0, n_cust), k)
        amounts = np.round(rng.gamma(4.0, mean_spend / 4.0), 2)
        table = pa.table(
            {
                "customer_id": pa.array(np.char.add("c", ids.astype(str))),
                "date": pa.array(seconds.astype("datetime64[s]"), pa.timestamp("s", tz="UTC")),
                "amount": pa.array(amounts),
            }
        )
        pq.write_table(table, out / f"part-{part:05d}.parquet")
        written += len(ids)
        customers += n_cust
        part += 1
    return written, customers


def tree_usage(pid: int) -> tuple[float, dict[int, float]]:
    """Resident memory (MB) of a process and all its descendants, and each one's CPU seconds
    so far (user + system), from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    cpu: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            fields = stat.rsplit(")", 1)[1].split()
            ppid = int(fields[1])
            pages = int(Path(f"/proc/{entry}/statm").read_text().split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
        rss[int(entry)] = pages
        # utime, stime (fields 14 and 15 of stat; 11 and 12 after the command)
        cpu[int(entry)] = (int(fields[11]) + int(fields[12])) / tick
    total, stack, tree_cpu = 0, [pid], {}
    while stack:
        p = stack.pop()
        total += rss.get(p, 0)
        tree_cpu[p] = cpu.get(p, 0.0)
        stack.extend(children.get(p, []))
    return total * os.sysconf("SC_PAGE_SIZE") / 2**20, tree_cpu


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, from /proc."""
    return tree_usage(pid)[0]


def run_engine(
    engine: str, data: Path, out: Path, memory_limit: str | None = None
) -> dict[str, float]:
    # This checkout's code, not whatever the `appease` script on PATH was installed from.
    cli = "from bot.cli import main; main()"
    cmd = [sys.executable, "-c", cli, "clv", "score", str(data), "--engine", engine]
    cmd += ["--out", str(out)]
    if engine == "duckdb" and memory_limit:
        cmd += ["--memory-limit", memory_limit]
    env = dict(os.environ)
    if engine == "spark":
        env.setdefault("PYSPARK_SUBMIT_ARGS", "--driver-memory 6g pyspark-shell")
    peak = 0.0
    cpu: dict[int, float] = {}  # each process's CPU seconds, last seen
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    before = children.ru_utime + children.ru_stime
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            rss, seen = tree_usage(proc.pid)
            peak = max(peak, rss)
            for p, seconds in seen.items():
                cpu[p] = max(cpu.get(p, 0.0), seconds)
            done.wait(0.25)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    elapsed = time.perf_counter() - t0
    done.set()
    sampler.join()
    # The process itself, exactly (it is waited for); its descendants (the JVM, Spark's Python
    # workers) as last sampled, so up to a quarter of a second of theirs may be missed.
    cpu[proc.pid] = 0.0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = usage.ru_utime + usage.ru_stime - before
    if proc.returncode != 0:
        raise RuntimeError(f"{engine} failed ({proc.returncode}): {err.decode()[-2000:]}")
    return {"seconds": elapsed, "peak_mb": peak, "cpu": own + sum(cpu.values())}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench clv_engines")
    parser.add_argument("--sizes", nargs="+", default=["10M"], help="transactions, e.g. 10M 100M")
    parser.add_argument("--engines", nargs="+", default=["pandas", "duckdb", "spark"])
    parser.add_argument("--quick", action="store_true", help="1M transactions only")
    parser.add_argument("--data", type=Path, help="where the generated Parquet goes (kept)")
    parser.add_argument("--duckdb-memory-limit", help="DuckDB's memory limit, e.g. 6GB")
    args = parser.parse_args(argv)
    sizes = [1_000_000] if args.quick else [parse_size(s) for s in args.sizes]
    header = f"Machine: {machine()}."
    print(header, flush=True)
    root = args.data or Path(tempfile.mkdtemp(prefix="appease-bench-engines-"))
    rows = []
    try:
        for n in sizes:
            data = root / f"tx-{n}"
            t0 = time.perf_counter()
            if not data.exists():
                n_tx, n_cust = generate(n, data)
            else:
                import pyarrow.parquet as pq

                n_tx = sum(pq.ParquetFile(p).metadata.num_rows for p in data.glob("*.parquet"))
                n_cust = -1
            size_mb = sum(p.stat().st_size for p in data.glob("*.parquet")) / 2**20
            print(
                f"{n_tx:,} transactions, {size_mb:.0f} MB of Parquet "
                f"({time.perf_counter() - t0:.0f}s to generate)",
                flush=True,
            )
            for engine in args.engines:
                if engine == "pandas" and n_tx > PANDAS_MAX:
                    rows.append((n_tx, engine, None, "skipped: does not fit in memory here"))
                    continue
                load = os.getloadavg()[0]
                out = root / f"scores-{engine}-{n}.parquet"
                result = run_engine(engine, data, out, args.duckdb_memory_limit)
                note = f"load {load:.1f} at start, {os.getloadavg()[0]:.1f} at end"
                if engine == "duckdb" and args.duckdb_memory_limit:
                    note += f", memory limit {args.duckdb_memory_limit}"
                rows.append((n_tx, engine, result, note))
                print(
                    f"  {engine:>6}: {result['seconds']:.1f}s, {result['cpu']:.1f} CPU-s, "
                    f"peak {result['peak_mb']:.0f} MB "
                    f"({note})",
                    flush=True,
                )
            del n_cust
    finally:
        if args.data is None:
            shutil.rmtree(root, ignore_errors=True)
    lines = [
        header,
        "Run: `python -m bench clv_engines` (`appease clv score DIR --engine E --out "
        "scores.parquet` as a whole process, this checkout's code: read Parquet, summary, fit, "
        "score, write).",
        "",
        "| transactions | engine | wall time (s) | CPU (user+sys, s) | peak memory (MB) | note |",
        "|---:|---|---:|---:|---:|---|",
    ]
    for n_tx, engine, result, note in rows:
        if result is None:
            lines.append(f"| {n_tx:,} | {engine} | - | - | - | {note} |")
        else:
            lines.append(
                f"| {n_tx:,} | {engine} | {result['seconds']:.1f} | {result['cpu']:.1f} | "
                f"{result['peak_mb']:.0f} | {note} |"
            )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n")
    print(f"wrote {RESULTS}")
    return 0
