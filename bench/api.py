"""`POST /v1/tickets` latency at a fixed arrival rate, on loopback, SQLite and PostgreSQL.

`appease serve` runs in a subprocess (template drafts, one worker); an open-loop client sends
requests at the target rate for a bounded count and reports p50 and p99.

    python -m bench api -- --rate 200 --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

RESULTS = Path(__file__).resolve().parent / "results" / "api.md"
PG = os.environ.get("APPEASE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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


async def _load(base: str, rate: int, seconds: float) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0
    total = int(rate * seconds)
    async with httpx.AsyncClient(
        base_url=base, timeout=10, limits=httpx.Limits(max_connections=200)
    ) as client:

        async def one(i: int) -> None:
            nonlocal errors
            body = {"customer_id": str(i % 500), "order": {"id": f"bench-{i}", "value": "80", "currency": "USD"},
                    "issue": {"category": "late_delivery", "severity": 2}, "message": "My parcel is late."}  # fmt: skip
            t0 = time.perf_counter()
            r = await client.post(
                "/v1/tickets",
                json=body,
                headers={"Authorization": "Bearer bench-key", "Idempotency-Key": f"b-{i}"},
            )
            latencies.append((time.perf_counter() - t0) * 1000)
            errors += r.status_code != 200

        start = time.perf_counter()
        tasks = []
        for i in range(total):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i)))
        await asyncio.gather(*tasks)
    return latencies, errors


def run(url: str, rate: int, seconds: float) -> dict[str, float]:
    _seed(url)
    port = _port()
    env = {**os.environ, "APPEASE_DATABASE_URL": url, "APPEASE_LLM": "template", "APPEASE_API_KEYS": "bench-key:service",
           "APPEASE_RATE_LIMIT_PER_MINUTE": "1000000"}  # fmt: skip
    exe = str(Path(sys.executable).with_name("appease"))
    proc = subprocess.Popen(
        [exe, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        asyncio.run(_load(base, 20, 1))  # warm up: triage/model loading, connections
        lat, errors = asyncio.run(_load(base, rate, seconds))
    finally:
        # Graceful first (uvicorn drains open connections), then a kill: a benchmark on a
        # loaded machine must still end, and its figures are already taken.
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    lat.sort()
    return {
        "n": len(lat),
        "p50": lat[len(lat) // 2],
        "p99": lat[int(len(lat) * 0.99)],
        "errors": errors,
    }


def main(argv: list[str]) -> int:
    from bench.clv import machine

    parser = argparse.ArgumentParser(prog="python -m bench api")
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        rows.append(("SQLite", run(f"sqlite:///{tmp}/bench.db", args.rate, args.seconds)))
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    from sqlalchemy import create_engine, text

    admin = create_engine(PG.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with admin.begin() as c:
            c.execute(text(f'CREATE SCHEMA "{schema}"'))
        rows.append(
            ("PostgreSQL", run(f"{PG}?options=-csearch_path%3D{schema}", args.rate, args.seconds))
        )
    except Exception as exc:  # PostgreSQL unreachable: report SQLite only
        print(f"PostgreSQL skipped: {type(exc).__name__}: {exc}", file=sys.stderr)
    finally:
        try:
            with admin.begin() as c:
                c.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        except Exception:
            pass
    lines = [f"Machine: {machine()}. {args.rate} requests/s for {args.seconds:.0f} s, template drafts, one `appease serve` worker.",
             "", "| database | requests | p50 (ms) | p99 (ms) | errors | goal p99 |", "|---|---:|---:|---:|---:|---:|"]  # fmt: skip
    for name, r in rows:
        print(
            f"{name}: {r['n']} requests, p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms, errors {r['errors']}"
        )
        lines.append(
            f"| {name} | {r['n']} | {r['p50']:.1f} | {r['p99']:.1f} | {r['errors']} | < 20 ms |"
        )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n")
    return 0
