"""The customer's answer to an offer: accept and decline by service key, widget token and the
Zendesk webhook; once only; what it does to the ledger and to the acceptance KPI."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.api import mint_widget_token
from bot.store import Event, EventType, goodwill_given, make_engine, make_sessionmaker
from tests.unit.api.conftest import ADMIN, AGENT, SERVICE, sse_text

DAMAGED = "The lamp arrived broken, the shade is cracked in two."


def _ticket(client: TestClient, order_id: str, customer_id: str = "5") -> dict[str, Any]:
    """A ticket that gets a money offer; returns the ledger's row for it."""
    body = {
        "customer_id": customer_id,
        "order": {"id": order_id, "value": "80", "currency": "USD"},
        "message": DAMAGED,
    }
    r = client.post("/v1/tickets", json=body, headers=SERVICE)
    assert r.status_code == 200, r.text
    [row] = client.get("/v1/offers", params={"order_id": order_id}, headers=SERVICE).json()[
        "offers"
    ]
    return dict(row)


def _chat(client: TestClient, order_id: str, customer_id: str = "5") -> tuple[dict, dict]:
    """A widget conversation whose first reply made an offer: (session, the done event's offer)."""
    token = mint_widget_token("test-secret", customer_id)
    session = client.post(
        "/v1/chat/sessions",
        json={"order": {"id": order_id, "value": "60", "currency": "USD"}},
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    r = client.post(
        f"/v1/chat/sessions/{session['session_id']}/messages",
        json={"message": DAMAGED},
        headers={"Authorization": f"Bearer {session['token']}"},
    )
    _, [done] = sse_text(r)
    assert done["offer"] is not None, "a broken lamp gets an offer under the default policy"
    return session, done["offer"]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _events(settings, offer_id: int) -> list[Event]:
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine)() as s:
            return [
                e
                for e in s.execute(select(Event).order_by(Event.id)).scalars()
                if e.payload.get("offer_id") == offer_id
                and e.type in (EventType.offer_accepted, EventType.offer_declined)
            ]
    finally:
        engine.dispose()


def test_offer_rows_carry_id_as_well_as_offer_id(client: TestClient) -> None:
    row = _ticket(client, "OF-0")
    assert row["id"] == row["offer_id"] and isinstance(row["id"], int)
    assert row["status"] == "sent"


def test_the_service_key_accepts_once_and_a_second_answer_is_idempotent_or_409(
    client: TestClient, settings
) -> None:
    offer_id = _ticket(client, "OF-1")["id"]
    first = client.post(f"/v1/offers/{offer_id}/accept", headers=SERVICE)
    assert first.status_code == 200, first.text
    assert first.json()["changed"] is True
    assert first.json()["offer"]["status"] == "accepted"

    again = client.post(f"/v1/offers/{offer_id}/accept", headers=SERVICE)
    assert again.status_code == 200 and again.json()["changed"] is False
    other = client.post(f"/v1/offers/{offer_id}/decline", headers=SERVICE)
    assert other.status_code == 409
    assert "already accepted" in other.json()["detail"]

    [row] = client.get("/v1/offers", params={"order_id": "OF-1"}, headers=SERVICE).json()["offers"]
    assert row["status"] == "accepted"
    [event] = _events(settings, offer_id)  # one event: the repeat and the 409 logged nothing
    assert event.type == EventType.offer_accepted
    assert event.payload == {"offer_id": offer_id, "by": "service", "from": "sent"}


def test_unknown_offer_is_404_and_wrong_credentials_are_refused(client: TestClient) -> None:
    offer_id = _ticket(client, "OF-2")["id"]
    assert client.post("/v1/offers/999999/accept", headers=SERVICE).status_code == 404
    for huge in (2**31, 2**63 - 1, 2**70):  # past the id column's range: 404, not a 503
        assert client.post(f"/v1/offers/{huge}/accept", headers=SERVICE).status_code == 404
    assert client.post(f"/v1/offers/{offer_id}/accept").status_code == 401
    assert client.post(f"/v1/offers/{offer_id}/accept", headers=AGENT).status_code == 403
    forged = mint_widget_token("wrong-secret", "5")
    assert client.post(f"/v1/offers/{offer_id}/accept", headers=_bearer(forged)).status_code == 401
    # A customer token that names no conversation may not answer (the widget's session token may).
    unscoped = mint_widget_token("test-secret", "5")
    assert (
        client.post(f"/v1/offers/{offer_id}/decline", headers=_bearer(unscoped)).status_code == 403
    )
    [row] = client.get("/v1/offers", params={"order_id": "OF-2"}, headers=SERVICE).json()["offers"]
    assert row["status"] == "sent"


def test_the_widget_token_of_the_conversation_answers_its_offer_and_no_other(
    client: TestClient, settings
) -> None:
    mine, my_offer = _chat(client, "OW-1")
    theirs, their_offer = _chat(client, "OW-2", customer_id="7")
    # Another conversation's token (another customer's, too) may not answer this offer.
    r = client.post(f"/v1/offers/{my_offer['id']}/accept", headers=_bearer(theirs["token"]))
    assert r.status_code == 403
    # An offer made in another conversation of another customer: 403; an unknown one: 404.
    r = client.post(f"/v1/offers/{their_offer['id']}/accept", headers=_bearer(mine["token"]))
    assert r.status_code == 403
    assert (
        client.post("/v1/offers/999999/accept", headers=_bearer(mine["token"])).status_code == 404
    )

    ok = client.post(f"/v1/offers/{my_offer['id']}/accept", headers=_bearer(mine["token"]))
    assert ok.status_code == 200 and ok.json()["offer"]["status"] == "accepted"
    assert (
        client.post(
            f"/v1/offers/{my_offer['id']}/decline", headers=_bearer(mine["token"])
        ).status_code
        == 409
    )
    [event] = _events(settings, my_offer["id"])
    assert event.payload["by"] == "widget"


def test_a_declined_offer_is_no_longer_goodwill_given(client: TestClient, settings) -> None:
    row = _ticket(client, "OF-3", customer_id="12")
    engine = make_engine(settings.database_url)
    sessions = make_sessionmaker(engine)
    try:
        with sessions() as s:
            count, total = goodwill_given(s, "12")
        r = client.post(f"/v1/offers/{row['id']}/decline", headers=SERVICE)
        assert r.status_code == 200 and r.json()["offer"]["status"] == "declined"
        with sessions() as s:
            assert goodwill_given(s, "12") == (count - 1, total - Decimal(row["amount"]))
        # Declined, it cannot be accepted after all.
        assert client.post(f"/v1/offers/{row['id']}/accept", headers=SERVICE).status_code == 409
    finally:
        engine.dispose()


def test_the_acceptance_kpi_counts_the_answers(client: TestClient) -> None:
    accepted, declined, waiting = (_ticket(client, f"OK-{i}") for i in range(3))
    assert client.post(f"/v1/offers/{accepted['id']}/accept", headers=SERVICE).status_code == 200
    assert client.post(f"/v1/offers/{declined['id']}/decline", headers=SERVICE).status_code == 200
    offers = client.get("/v1/kpi", headers=ADMIN).json()["goodwill"]["offers"]
    assert offers["acceptance"]["count"] == 1
    assert offers["acceptance"]["n"] == 2
    assert offers["acceptance"]["pct"] == 50.0
    assert offers["acceptance"]["ticket_ids"] == [accepted["ticket_id"]]
    assert offers["awaiting_answer"] == 1
    assert offers["by_status"] == {"accepted": 1, "declined": 1, "sent": 1}
    assert waiting["status"] == "sent"


def _zendesk(zid: int, requester: str, fields: list[dict[str, Any]], text: str = DAMAGED) -> dict:
    return {
        "ticket": {
            "id": zid,
            "description": text,
            "requester": {"external_id": requester},
            "custom_fields": fields,
        }
    }


def test_the_zendesk_webhook_carries_the_answer_to_its_offer(client: TestClient) -> None:
    order = [{"id": "order_id", "value": "ZO-1"}, {"id": "order_value", "value": "80"}]
    opened = client.post("/v1/webhooks/zendesk", json=_zendesk(501, "5", order), headers=SERVICE)
    assert opened.status_code == 200, opened.text
    fields = {f["id"]: f["value"] for f in opened.json()["ticket"]["custom_fields"]}
    offer_id = fields["appease_offer_id"]
    assert isinstance(offer_id, int)

    answer = [*order, {"id": "appease_offer_answer", "value": "accept"}]
    r = client.post("/v1/webhooks/zendesk", json=_zendesk(501, "5", answer), headers=SERVICE)
    assert r.status_code == 200, r.text
    ticket = r.json()["ticket"]
    assert ticket["comment"] == {"body": f"appease: offer {offer_id} accepted", "public": False}
    assert "appease_offer_accepted" in ticket["tags"]
    assert {"id": "appease_offer_status", "value": "accepted"} in ticket["custom_fields"]
    # Redelivered: the same; the other answer: 409.
    again = client.post("/v1/webhooks/zendesk", json=_zendesk(501, "5", answer), headers=SERVICE)
    assert again.json() == r.json()
    no = [{"id": "appease_offer_answer", "value": "decline"}]
    assert (
        client.post(
            "/v1/webhooks/zendesk", json=_zendesk(501, "5", no), headers=SERVICE
        ).status_code
        == 409
    )


@pytest.mark.parametrize(
    ("fields", "requester", "code"),
    [
        ([{"id": "appease_offer_answer", "value": "maybe"}], "5", 422),
        (
            [
                {"id": "appease_offer_answer", "value": "accept"},
                {"id": "appease_offer_id", "value": "twelve"},
            ],
            "5",
            422,
        ),
        ([{"id": "appease_offer_answer", "value": "accept"}], "5", 404),  # no offer for ticket 909
        (
            [
                {"id": "appease_offer_answer", "value": "accept"},
                {"id": "appease_offer_id", "value": str(2**70)},
            ],
            "5",
            404,
        ),
        (
            [
                {"id": "appease_offer_answer", "value": "accept"},
                {"id": "appease_offer_id", "value": "OFFER"},
            ],
            "7",
            403,
        ),  # another customer's offer
    ],
)
def test_a_zendesk_answer_names_its_fault(client: TestClient, fields, requester, code) -> None:
    offer_id = _ticket(client, "ZF-1")["id"]
    fields = [{**f, "value": offer_id} if f["value"] == "OFFER" else f for f in fields]
    r = client.post("/v1/webhooks/zendesk", json=_zendesk(909, requester, fields), headers=SERVICE)
    assert r.status_code == code, r.text


def test_a_declined_offer_is_not_offered_again_in_a_second_conversation(client: TestClient) -> None:
    first, offer = _chat(client, "OW-3")
    assert (offer["status"], set(offer)) == ("sent", {"id", "kind", "amount", "currency", "status"})
    r = client.post(f"/v1/offers/{offer['id']}/decline", headers=_bearer(first["token"]))
    assert r.status_code == 200
    token = mint_widget_token("test-secret", "5")
    second = client.post(
        "/v1/chat/sessions",
        json={"order": {"id": "OW-3", "value": "60", "currency": "USD"}},
        headers=_bearer(token),
    ).json()
    reply = client.post(
        f"/v1/chat/sessions/{second['session_id']}/messages",
        json={"message": DAMAGED},
        headers=_bearer(second["token"]),
    )
    _, [done] = sse_text(reply)
    assert done["offer"] is None


def test_a_second_conversation_about_the_order_may_answer_its_open_offer(
    client: TestClient,
) -> None:
    """One offer per order and issue: a second chat about the order shows the first offer, and
    its token (same customer, same order) may answer it."""
    _, offer = _chat(client, "OW-4")
    again, shown = _chat(client, "OW-4")
    assert shown["id"] == offer["id"]
    r = client.post(f"/v1/offers/{offer['id']}/accept", headers=_bearer(again["token"]))
    assert r.status_code == 200 and r.json()["offer"]["status"] == "accepted"
