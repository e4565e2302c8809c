from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from bot.api import create_app
from bot.config import Settings
from bot.drafting import Drafter
from bot.scoring import BgNbdParams, simulate_transactions
from bot.service import import_transactions
from bot.store import make_engine, make_sessionmaker, upgrade

KEYS = "svc-key:service,agent-key:agent,admin-key:admin"
SERVICE = {"Authorization": "Bearer svc-key"}
AGENT = {"Authorization": "Bearer agent-key"}
ADMIN = {"Authorization": "Bearer admin-key"}


def seeded_settings(db_url: str, **over) -> Settings:
    upgrade(db_url)
    engine = make_engine(db_url)
    import_transactions(
        make_sessionmaker(engine),
        simulate_transactions(BgNbdParams(0.5, 20.0, 0.6, 3.0), 200, seed=1),
    )
    engine.dispose()
    return Settings(
        database_url=db_url, llm="template", api_keys=KEYS, widget_secret="test-secret", **over
    )


@pytest.fixture
def settings(db_url: str) -> Settings:
    return seeded_settings(db_url)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, drafter=Drafter(None))) as c:
        yield c


def sse_text(response: httpx.Response) -> tuple[str, list[dict]]:
    """A chat reply's server-sent events: the text of its deltas, and its done events."""
    text, done = "", []
    for frame in response.text.split("\n\n"):
        lines = dict(line.split(": ", 1) for line in frame.splitlines() if ": " in line)
        if lines.get("event") == "delta":
            text += json.loads(lines["data"])["text"]
        if lines.get("event") == "done":
            done.append(json.loads(lines["data"]))
    return text, done
