from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.drafting import Drafter
from bot.policy import load_policy
from bot.scoring import BgNbdParams, simulate_transactions
from bot.service import import_transactions
from bot.store import make_engine, make_sessionmaker, upgrade


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    """A migrated database with 300 scored customers (ids "0".."299")."""
    upgrade(db_url)
    engine = make_engine(db_url)
    factory = make_sessionmaker(engine)
    tx = simulate_transactions(BgNbdParams(0.5, 20.0, 0.6, 3.0), 300, seed=11)
    import_transactions(factory, tx)
    yield factory
    engine.dispose()


@pytest.fixture
def policy():
    return load_policy()


@pytest.fixture
def drafter() -> Drafter:
    return Drafter(None)
