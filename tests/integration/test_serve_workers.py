"""`appease serve --workers 2`: several processes, one database, still one offer per order."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from bot.scoring import BgNbdParams, simulate_transactions
from bot.service import import_transactions
from bot.store import make_engine, make_sessionmaker, upgrade
from tests.net import appease_serve

pytestmark = pytest.mark.slow


def test_two_workers_answer_and_never_double_an_offer(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/w.db"
    upgrade(url)
    engine = make_engine(url)
    import_transactions(
        make_sessionmaker(engine),
        simulate_transactions(BgNbdParams(0.5, 20.0, 0.6, 3.0), 50, seed=2),
    )
    engine.dispose()
    env = {
        **os.environ,
        "APPEASE_DATABASE_URL": url,
        "APPEASE_LLM": "template",
        "APPEASE_API_KEYS": "k:service",
    }
    with appease_serve(env, cwd=tmp_path, workers=2) as base:

        def post(i: int) -> httpx.Response:
            body = {
                "customer_id": "1",
                "order": {"id": "W-1", "value": "80", "currency": "USD"},
                "issue": {"category": "damaged_item", "severity": 2},
                "message": "It broke.",
            }
            return httpx.post(
                f"{base}/v1/tickets",
                json=body,
                timeout=30,
                headers={"Authorization": "Bearer k", "Idempotency-Key": f"w{i}"},
            )

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(post, range(24)))
        assert [r.status_code for r in answers] == [200] * 24
        offers = httpx.get(
            f"{base}/v1/offers", params={"order_id": "W-1"}, headers={"Authorization": "Bearer k"}
        ).json()["offers"]
        amounts = {r.json()["decision"]["offer"]["amount"] for r in answers}
        assert len(amounts) == 1, "every duplicate is answered with the one recorded offer"
        assert len(offers) == (float(amounts.pop()) > 0)
