"""Case attributes over HTTP: the ticket API and the Zendesk webhook carry them to the store."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.config import Settings
from bot.store import Ticket, make_engine, make_sessionmaker
from tests.unit.api.conftest import SERVICE


def _stored(settings: Settings, order_id: str) -> Ticket:
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine)() as s:
            return s.execute(select(Ticket).where(Ticket.order_id == order_id)).scalar_one()
    finally:
        engine.dispose()


def test_a_ticket_carries_customer_order_and_issue_attributes(
    client: TestClient, settings: Settings
) -> None:
    body = {
        "customer_id": "5",
        "customer": {"attributes": {"membership": "gold"}},
        "order": {
            "id": "AT1",
            "value": "80.00",
            "currency": "USD",
            "attributes": {"cabin": "business", "passengers": 2},
        },
        "issue": {
            "category": "late_delivery",
            "severity": 1,
            "attributes": {"asked_for_compensation": True},
        },
        "message": "My parcel is late.",
    }
    r = client.post("/v1/tickets", json=body, headers={**SERVICE, "Idempotency-Key": "at-1"})
    assert r.status_code == 200, r.text
    assert r.json()["decision"]["offer"]["basis"] == "goodwill"
    assert _stored(settings, "AT1").attributes == {
        "customer": {"membership": "gold"},
        "order": {"cabin": "business", "passengers": 2},
        "issue": {"asked_for_compensation": True},
    }


def test_a_bad_attribute_or_unknown_category_is_422_naming_it(client: TestClient) -> None:
    body = {
        "customer_id": "5",
        "order": {
            "id": "AT2",
            "value": "80.00",
            "currency": "USD",
            "attributes": {"passengers": {"adults": 2}},
        },
        "message": "late",
    }
    r = client.post("/v1/tickets", json=body, headers=SERVICE)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"][-4:-1] == ["order", "attributes", "passengers"]
    unknown = {
        **body,
        "order": {"id": "AT2", "value": "80.00"},
        "issue": {"category": "flight_delayed"},
    }
    r = client.post("/v1/tickets", json=unknown, headers=SERVICE)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["issue", "category"]


def test_zendesk_custom_fields_named_customer_or_order_are_attributes(
    client: TestClient, settings: Settings
) -> None:
    fields = [
        {"id": "order_id", "value": "ZA1"},
        {"id": "order_value", "value": "40"},
        {"id": "order.cabin", "value": "economy"},
        {"id": "customer.membership", "value": "silver"},
        {"id": "order.passengers", "value": 3},
        {"id": "order.note", "value": None},
    ]
    payload = {
        "ticket": {
            "id": 91,
            "description": "Wrong size.",
            "requester": {"external_id": "5"},
            "custom_fields": fields,
        }
    }
    r = client.post("/v1/webhooks/zendesk", json=payload, headers=SERVICE)
    assert r.status_code == 200, r.text
    assert _stored(settings, "ZA1").attributes == {
        "customer": {"membership": "silver"},
        "order": {"cabin": "economy", "passengers": 3},
    }
    fields.append({"id": "order.sizes", "value": [1, 2]})
    payload["ticket"]["id"] = 92
    bad = client.post("/v1/webhooks/zendesk", json=payload, headers=SERVICE)
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["ticket", "custom_fields", "order", "sizes"]
