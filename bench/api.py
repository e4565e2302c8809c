"""`POST /v1/tickets` latency at a fixed arrival rate, on loopback, SQLite and PostgreSQL.

`appease serve` runs in a subprocess (template drafts, one worker); an open-loop client sends
requests at the target rate for a bounded count and reports p50 and p99.

    python -m bench api -- --rate 200 --seconds 10
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx

from tests.net import appease_serve

RESULTS = Path(__file__).resolve().parent / "results" / "api.md"
PG = os.environ.get("APPEASE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _seed(url: str) -> None:
    from bot.scoring import BgNbdParams, simulate_transactions
    from bot.service import import_transactions
    from bot.store import make_engine, make_sessionmaker, upgrade

    upgrade(url)
    engine = make_engine(url)
    import_transactions(
        make_sessionmaker(engine),
        simulate_transactions(BgNbdParams(0.5, 20.0, 0.6, 3.0), 500, seed=5),
    )
    engine.dispose()


def _load(base: str, rate: int, seconds: float, threads: int = 32) -> tuple[list[float], int]:
    """Open loop: request i is due at start + i/rate whatever happened before it.

    Latency counts from the moment a request was due, so a server that falls behind is charged
    for the queue it builds (no coordinated omission). Threads with keep-alive sync clients:
    an asyncio httpx client on these 2 cores spent more time on itself than the server did.
    """
    run_id = uuid.uuid4().hex[:6]
    total = int(rate * seconds)
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    start = time.perf_counter() + 0.2

    def worker(k: int) -> None:
        nonlocal errors
        with httpx.Client(base_url=base, timeout=30) as client:
            for i in range(k, total, threads):
                due = start + i / rate
                delay = due - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                body = {
                    "customer_id": str(i % 500),
                    "order": {"id": f"bench-{run_id}-{i}", "value": "80", "currency": "USD"},
                    "issue": {"category": "late_delivery", "severity": 2},
                    "message": "My parcel is late.",
                }
                headers = {
                    "Authorization": "Bearer bench-key",
                    "Idempotency-Key": f"b-{run_id}-{i}",
                }
                try:
                    ok = client.post("/v1/tickets", json=body, headers=headers).status_code == 200
                except httpx.TransportError:  # a dropped connection is an error, not the end
                    ok = False
                took = (time.perf_counter() - due) * 1000
                with lock:
                    latencies.append(took)
                    errors += not ok

    pool = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return latencies, errors


def run(url: str, rate: int, seconds: float, workers: int = 1) -> dict[str, float]:
    _seed(url)
    env = {
        **os.environ,
        "APPEASE_DATABASE_URL": url,
        "APPEASE_LLM": "template",
        "APPEASE_API_KEYS": "bench-key:service",
        "APPEASE_RATE_LIMIT_PER_MINUTE": "1000000",
    }
    with (
        open(Path(tempfile.gettempdir()) / f"bench-api-{uuid.uuid4().hex[:6]}.log", "wb") as log,
        appease_serve(env, workers=workers, log=log) as base,
    ):
        _load(base, 20, 2, threads=4)  # warm up: triage/model loading, connections
        started = time.perf_counter()
        lat, errors = _load(base, rate, seconds)
        elapsed = time.perf_counter() - started
    lat.sort()
    return {
        "n": len(lat),
        "p50": lat[len(lat) // 2],
        "p99": lat[int(len(lat) * 0.99)],
        "errors": errors,
        "throughput": len(lat) / elapsed,
    }


def floor(url: str, rate: int, seconds: float) -> dict[str, float]:
    """The same load against the floor (bench/_floor.py): one row stored per request."""
    import subprocess

    from tests.net import free_port, wait_healthy

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench._floor", str(port), url],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, proc)
        _load(base, 20, 2, threads=4)
        started = time.perf_counter()
        lat, errors = _load(base, rate, seconds)
        elapsed = time.perf_counter() - started
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    lat.sort()
    return {
        "n": len(lat),
        "p50": lat[len(lat) // 2],
        "p99": lat[int(len(lat) * 0.99)],
        "errors": errors,
        "throughput": len(lat) / elapsed,
    }


def main(argv: list[str]) -> int:
    from bench.clv import machine

    parser = argparse.ArgumentParser(prog="python -m bench api")
    parser.add_argument("--rate", type=int, nargs="+", default=[50, 100, 200])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--floor-only", action="store_true", help="only appease vs floor at 50/s")
    args = parser.parse_args(argv)
    results = RESULTS
    if args.floor_only:  # its own results file: the full table stays as last measured
        args.rate, args.workers = [50], [1]
        results = RESULTS.with_name("api_floor.md")
    runs = [(r, w) for w in args.workers for r in args.rate]
    rows = []
    for rate, workers in runs:
        with tempfile.TemporaryDirectory() as tmp:
            rows.append(
                (
                    "SQLite",
                    rate,
                    workers,
                    run(f"sqlite:///{tmp}/bench.db", rate, args.seconds, workers),
                )
            )
    from sqlalchemy import create_engine, text

    admin = create_engine(PG.replace("postgresql://", "postgresql+psycopg://", 1))
    for rate, workers in runs:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        try:
            with admin.begin() as c:
                c.execute(text(f'CREATE SCHEMA "{schema}"'))
            url = f"{PG}?options=-csearch_path%3D{schema}"
            rows.append(("PostgreSQL", rate, workers, run(url, rate, args.seconds, workers)))
        except Exception as exc:  # PostgreSQL unreachable: report SQLite only
            print(f"PostgreSQL skipped: {type(exc).__name__}: {exc}", file=sys.stderr)
            break
        finally:
            try:
                with admin.begin() as c:
                    c.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            except Exception:
                pass
    floors = []
    with tempfile.TemporaryDirectory() as tmp:
        floors.append(("SQLite", floor(f"sqlite:///{tmp}/floor.db", 50, args.seconds)))
    schema = f"floor_{uuid.uuid4().hex[:8]}"
    try:
        with admin.begin() as c:
            c.execute(text(f'CREATE SCHEMA "{schema}"'))
        floors.append(
            ("PostgreSQL", floor(f"{PG}?options=-csearch_path%3D{schema}", 50, args.seconds))
        )
    except Exception as exc:
        print(f"PostgreSQL floor skipped: {type(exc).__name__}: {exc}", file=sys.stderr)
    finally:
        with admin.begin() as c:
            c.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    lines = [
        f"Machine: {machine()}. Open-loop client (32 threads of keep-alive httpx clients on the same machine; latency from each request's due time) for {args.seconds:.0f} s per row, "
        "template drafts, issue given (triage still reads language and sentiment).",
        "",
        "| database | workers | offered req/s | served req/s | requests | p50 (ms) | p99 (ms) | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, rate, workers, r in rows:
        print(
            f"{name}, {workers} worker(s), {rate}/s offered: {r['throughput']:.0f}/s served, "
            f"p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms, errors {r['errors']}"
        )
        lines.append(
            f"| {name} | {workers} | {rate} | {r['throughput']:.0f} | {r['n']} | "
            f"{r['p50']:.1f} | {r['p99']:.1f} | {r['errors']} |"
        )
    lines += [
        "",
        "The floor: a minimal FastAPI route storing one row on the same database "
        "(bench/_floor.py), same client, 50 req/s, one worker; ratio = appease p99 / floor p99.",
        "",
        "| database | floor p50 (ms) | floor p99 (ms) | appease p99 (ms) | ratio |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, f in floors:
        ours = next((r for n, rate, w, r in rows if n == name and rate == 50 and w == 1), None)
        if ours is not None:
            lines.append(
                f"| {name} | {f['p50']:.1f} | {f['p99']:.1f} | {ours['p99']:.1f} | "
                f"{ours['p99'] / f['p99']:.1f}x |"
            )
            print(
                f"{name} floor: p50 {f['p50']:.1f} ms, p99 {f['p99']:.1f} ms; appease p99 "
                f"{ours['p99']:.1f} ms ({ours['p99'] / f['p99']:.1f}x)"
            )
    results.parent.mkdir(exist_ok=True)
    results.write_text("\n".join(lines) + "\n")
    return 0
