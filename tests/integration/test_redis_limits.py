"""Two `appease serve` processes against one Redis enforce one per-key rate limit between them;
without Redis each process keeps its own bucket."""

from __future__ import annotations

import os
import socket
import uuid
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from bot.store import upgrade
from tests.net import appease_serve

pytest.importorskip("redis")
pytestmark = pytest.mark.slow
REDIS_URL = os.environ.get("APPEASE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


def statuses(tmp_path: Path, redis_url: str | None, per_minute: int, calls: int) -> list[int]:
    """Alternate `calls` authenticated requests between two serve processes; their codes."""
    url = f"sqlite:///{tmp_path}/r.db"
    upgrade(url)
    key = f"k-{uuid.uuid4().hex}"  # a fresh key: a fresh bucket in the shared Redis
    env = {
        **os.environ,
        "APPEASE_DATABASE_URL": url,
        "APPEASE_LLM": "template",
        "APPEASE_API_KEYS": f"{key}:service",
        "APPEASE_RATE_LIMIT_PER_MINUTE": str(per_minute),
    }
    env.pop("APPEASE_REDIS_URL", None)
    if redis_url:
        env["APPEASE_REDIS_URL"] = redis_url
    with ExitStack() as stack:
        bases = [stack.enter_context(appease_serve(env, cwd=tmp_path)) for _ in range(2)]
        codes = []
        for i in range(calls):
            r = httpx.get(
                f"{bases[i % 2]}/v1/offers",
                params={"order_id": "none"},
                timeout=30,
                headers={"Authorization": f"Bearer {key}"},
            )
            codes.append(r.status_code)
    return codes


@pytest.mark.skipif(not redis_up(), reason="no Redis on 127.0.0.1:6379")
def test_two_serve_processes_share_one_limit_through_redis(tmp_path: Path) -> None:
    codes = statuses(tmp_path, REDIS_URL, per_minute=6, calls=14)
    # 6 a minute for the key, whichever process answers (a token may refill during the run)
    assert codes.count(200) in (6, 7), codes
    assert set(codes) == {200, 429}
    assert 429 in codes[0::2] and 429 in codes[1::2], "both processes refuse once it is spent"


def test_without_redis_each_process_has_its_own_bucket(tmp_path: Path) -> None:
    codes = statuses(tmp_path, None, per_minute=6, calls=14)
    assert codes.count(200) in (12, 13, 14), codes
