"""schemathesis over the whole OpenAPI schema, in process: whatever it sends, no 5xx."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from bot.api import create_app
from bot.drafting import Drafter
from tests.unit.api.conftest import ADMIN, seeded_settings

_DB = Path(tempfile.mkdtemp(prefix="appease-schemathesis-")) / "api.db"
APP = create_app(seeded_settings(f"sqlite:///{_DB}"), drafter=Drafter(None))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case) -> None:
    response = case.call(headers={**ADMIN, **(case.headers or {})})
    assert response.status_code < 500, (
        case.method,
        case.path,
        response.status_code,
        response.text[:300],
    )
