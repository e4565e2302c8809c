"""Through HTTP: tickets on the ticket API land in the running experiment's arms, and
`GET /v1/kpi` and `/dashboard` carry the experiment (pending until the window has passed)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from bot.api import create_app
from bot.drafting import Drafter
from bot.policy import default_policy_path
from bot.service import arm_specs, start_experiment
from bot.store import make_engine, make_sessionmaker
from tests.unit.api.conftest import ADMIN, SERVICE, seeded_settings


def test_tickets_are_exposed_and_the_kpis_carry_the_experiment(tmp_path: Path) -> None:
    settings = seeded_settings(f"sqlite:///{tmp_path / 'api.db'}")
    engine = make_engine(settings.database_url)
    holdout = default_policy_path().with_name("holdout_apology_only.yaml")
    arms = arm_specs(
        [("default", default_policy_path()), ("apology_only", holdout)], control="default"
    )
    start_experiment(make_sessionmaker(engine), name="web", arms=arms, salt="w")
    engine.dispose()
    with TestClient(create_app(settings, drafter=Drafter(None))) as client:
        arms_seen = set()
        for i in range(20):
            body = {
                "customer_id": str(i),
                "order": {"id": f"W{i}", "value": "60", "currency": "USD"},
                "issue": {"category": "late_delivery", "severity": 2},
                "message": "Late again.",
            }
            r = client.post(
                "/v1/tickets", json=body, headers={**SERVICE, "Idempotency-Key": f"w{i}"}
            )
            assert r.status_code == 200
            (label,) = [x for x in r.json()["decision"]["reasons"] if x.startswith("experiment ")]
            arms_seen.add(label.removeprefix("experiment web arm "))
        assert arms_seen == {"default", "apology_only"}
        kpi = client.get("/v1/kpi", headers=ADMIN).json()
        (exp,) = kpi["experiments"]
        assert exp["experiment"] == "web" and exp["control"] == "default"
        assert sum(a["pending"] for a in exp["arms"]) == 20  # CLV after not measured yet
        assert exp["effects"] == []
        assert len(kpi["experiment_outcomes"]) == 20
        page = client.get("/dashboard", params={"key": "admin-key"}).text
        assert 'id="experiment-web"' in page and "too few measured customers" in page
