"""The store query: the hand-computed fixture written to SQLite reads back to the same KPIs."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, insert
from sqlalchemy.orm import Session

from bot.kpi import KpiFilters, KpiWindows, build_report, compute_kpis
from bot.store import EventType
from tests.unit.kpi import store_schema
from tests.unit.kpi.fixtures import AT, KPI_TICKETS, load_records


def estimate(text: str) -> float:
    """A stand-in sentiment model: messages in the fixture end with their score."""
    return float(text.rsplit(" ", 1)[-1])


def _seed(session: Session) -> None:
    tables = store_schema.tables(session)
    rows = json.loads(KPI_TICKETS.read_text())["tickets"]
    customers = sorted({row["customer_id"] for row in rows})
    session.execute(insert(tables["customers"]), [{"id": c} for c in customers])
    for row in rows:
        opened = datetime.fromisoformat(row["created_at"])
        session.execute(
            insert(tables["tickets"]),
            [
                {
                    "id": row["ticket_id"],
                    "customer_id": row["customer_id"],
                    "channel": row["channel"],
                    "category": row["category"],
                    "severity": 1,
                    "status": row.get("status", "resolved"),
                    "order_id": f"O-{row['ticket_id']}",
                    "order_value": Decimal(100),
                    "currency": "USD",
                    "created_at": opened,
                }
            ],
        )
        if row.get("clv_at_issue"):
            session.execute(
                insert(tables["score_snapshots"]),
                [
                    {
                        "customer_id": row["customer_id"],
                        "ticket_id": row["ticket_id"],
                        "clv": Decimal(row["clv_at_issue"]),
                        "residual_clv": Decimal(row["residual_clv_at_issue"]),
                        "tier": row["tier"],
                        "segment": row["segment"],
                        "taken_at": opened,
                        "reason": "ticket",
                    }
                ],
            )
        for snap in row.get("later_snapshots", []):
            if snap["reason"] == "ticket":
                continue  # written with the ticket it belongs to
            session.execute(
                insert(tables["score_snapshots"]),
                [
                    {
                        "customer_id": row["customer_id"],
                        "clv": Decimal(snap["clv"]),
                        "residual_clv": Decimal(snap["clv"]),
                        "tier": row["tier"],
                        "segment": row["segment"],
                        "taken_at": datetime.fromisoformat(snap["taken_at"]),
                        "reason": snap["reason"],
                    }
                ],
            )
        session.execute(
            insert(tables["decisions"]),
            [
                {
                    "ticket_id": row["ticket_id"],
                    "policy_version": row["policy_version"],
                    "kind": (row.get("offer") or {}).get("kind", "apology_only"),
                    "amount": Decimal((row.get("offer") or {}).get("amount", "0")),
                    "currency": "USD",
                    "cap": Decimal(100),
                    "reasons": [],
                    "escalate": row.get("escalated", False),
                    "created_at": opened,
                }
            ],
        )
        if offer := row.get("offer"):
            session.execute(
                insert(tables["offers"]),
                [
                    {
                        "ticket_id": row["ticket_id"],
                        "kind": offer["kind"],
                        "customer_id": row["customer_id"],
                        "order_id": f"O-{row['ticket_id']}",
                        "category": row["category"],
                        "policy_version": row["policy_version"],
                        "amount": Decimal(offer["amount"]),
                        "currency": offer["currency"],
                        "status": offer["status"],
                        "created_at": opened,
                    }
                ],
            )
        pre, post = row.get("perception_pre"), row.get("perception_post")
        messages = []  # T5 in the fixture has no message, hence no pre-resolution score
        if pre:
            text = f"my complaint {pre['score']}"
            messages.append(
                {
                    "ticket_id": row["ticket_id"],
                    "role": "customer",
                    "text": text,
                    "created_at": opened,
                }
            )
        if "first_response_s" in row:
            replied = opened + timedelta(seconds=row["first_response_s"])
            role = "agent" if row.get("human_handled") else "bot"
            messages.append(
                {
                    "ticket_id": row["ticket_id"],
                    "role": role,
                    "text": "sorry",
                    "created_at": replied,
                }
            )
            if post:
                messages.append(
                    {
                        "ticket_id": row["ticket_id"],
                        "role": "customer",
                        "text": f"thanks {post['score']}",
                        "created_at": replied + timedelta(hours=1),
                    }
                )
        if messages:
            session.execute(insert(tables["messages"]), messages)
        for phase, reading in (("pre", pre), ("post", post)):
            if reading and reading["source"] != "estimated":  # estimated: from the messages
                session.execute(
                    insert(tables["surveys"]),
                    [
                        {
                            "ticket_id": row["ticket_id"],
                            "phase": phase,
                            "score": reading["score"],
                            "source": reading["source"],
                            "created_at": opened,
                        }
                    ],
                )
        # T2 is logged the way the drafter logs a reply (one usage event with everything in
        # it); the others as separate events, as older rows or other channels may be.
        if row["ticket_id"] == "T2":
            [call] = row["model_calls"]
            events = [
                {
                    "ticket_id": "T2",
                    "type": EventType.model_call,
                    "created_at": opened,
                    "payload": {
                        "provider": call["provider"],
                        "model_calls": 1,
                        "tokens": call["tokens"],
                        "latency_ms": call["latency_ms"],
                        "guard_rejections": row["guard_rejections"],
                        "guard_violations": [{"kind": "amount", "text": "$50"}],
                        "fallback": row["template_fallback"],
                        "error": None,
                    },
                }
            ]
            session.execute(insert(tables["events"]), events)
            continue
        events = [
            {
                "ticket_id": row["ticket_id"],
                "type": EventType.model_call,
                "created_at": opened,
                "payload": {
                    "provider": c["provider"],
                    "tokens": c["tokens"],
                    "latency_ms": c["latency_ms"],
                },
            }
            for c in row.get("model_calls", [])
        ]
        events += [
            {
                "ticket_id": row["ticket_id"],
                "type": EventType.guard_rejected,
                "created_at": opened,
                "payload": {"violations": [{"kind": "amount"}]},
            }
        ] * row.get("guard_rejections", 0)
        if row.get("template_fallback"):
            events.append(
                {
                    "ticket_id": row["ticket_id"],
                    "type": EventType.template_reply,
                    "created_at": opened,
                    "payload": {"provider": "template", "model_calls": 0, "fallback": True},
                }
            )
        if events:
            session.execute(insert(tables["events"]), events)
    session.commit()


@pytest.fixture
def session(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'kpi.db'}")
    store_schema.create(engine)
    with Session(engine) as session:
        _seed(session)
        yield session
    engine.dispose()


def from_store(session, **filters):
    return compute_kpis(
        session, KpiFilters(**filters), windows=KpiWindows(), estimate=estimate, generated_at=AT
    )


def by_hand(**filters):
    return build_report(load_records(), KpiFilters(**filters), KpiWindows(), generated_at=AT)


def test_the_store_gives_the_same_kpis_as_the_hand_computed_records(session):
    stored, expected = from_store(session), by_hand()
    assert stored.clv_post_issue == expected.clv_post_issue
    assert stored.perception_change == expected.perception_change
    assert stored.goodwill == expected.goodwill
    assert stored.root_causes == expected.root_causes
    assert stored.by_channel == expected.by_channel
    assert stored.rows == expected.rows


def test_the_headline_kpis_read_from_the_store(session):
    data = from_store(session).model_dump(mode="json")
    clv = data["clv_post_issue"]
    assert (clv["value"], clv["band"], clv["n"]) == (70.0, "moderate", 3)
    assert (data["perception_change"]["value"], data["perception_change"]["n"]) == (32.5, 2)
    assert data["perception_change"]["by_source"]["estimated"]["ticket_ids"] == ["T3"]
    assert data["goodwill"]["spend"] == [{"amount": "95.00", "currency": "USD"}]


@pytest.mark.parametrize(
    "filters",
    [
        {"tier": "gold"},
        {"category": "late_delivery"},
        {"channel": "web"},
        {"policy_version": "v2"},
        {"date_from": "2024-01-15", "date_to": "2024-01-20"},
    ],
)
def test_filters_select_the_same_tickets_from_the_store(session, filters):
    assert from_store(session, **filters).rows == by_hand(**filters).rows


def test_sentiment_estimates_perception_where_no_survey_came_back(session):
    t3 = next(r for r in from_store(session).rows if r.ticket_id == "T3")
    assert (t3.perception_pre, t3.perception_post, t3.perception_source) == (
        20.0,
        70.0,
        "estimated",
    )


def test_an_empty_database_gives_an_empty_report(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    store_schema.create(engine)
    with Session(engine) as session:
        report = compute_kpis(session, KpiFilters(), estimate=estimate, generated_at=AT)
    engine.dispose()
    assert report.tickets == 0 and report.clv_post_issue.value is None


@pytest.mark.postgres
def test_the_store_query_gives_the_same_kpis_on_postgresql():
    import os
    import uuid

    from sqlalchemy import text

    from bot.config import Settings
    from tests.conftest import require_service

    url = os.environ.get("APPEASE_TEST_POSTGRES_URL")
    require_service(bool(url), "APPEASE_TEST_POSTGRES_URL is not set")
    schema = f"kpi_{uuid.uuid4().hex[:10]}"
    engine = create_engine(
        Settings(database_url=url).database_url,
        connect_args={"options": f"-csearch_path={schema}"},
    )
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        store_schema.create(engine)
        with Session(engine) as session:
            _seed(session)
            stored = from_store(session)
            gold = from_store(session, tier="gold", date_from="2024-01-01", date_to="2024-01-20")
        expected = by_hand()
        assert stored.rows == expected.rows
        assert stored.goodwill == expected.goodwill
        assert stored.clv_post_issue == expected.clv_post_issue
        assert [r.ticket_id for r in gold.rows] == ["T1", "T4"]
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


def test_a_template_only_reply_is_not_a_model_call(session):
    session.execute(
        insert(store_schema.tables(session)["events"]),
        [
            {
                "ticket_id": "T5",
                "type": EventType.template_reply,
                "created_at": AT,
                "payload": {
                    "provider": "template",
                    "model_calls": 0,
                    "tokens": 0,
                    "latency_ms": 0,
                    "guard_rejections": 0,
                    "guard_violations": [],
                    "fallback": False,
                },
            }
        ],
    )
    session.commit()
    model = from_store(session).goodwill.model
    assert (model.calls, model.tokens_total) == (3, 300)
    assert "template" not in model.by_provider


def test_an_agent_assist_draft_decided_by_a_person_is_not_automated(session):
    from bot.store import Draft, DraftStatus

    session.add(
        Draft(
            ticket_id="T2",
            text="sorry",
            guard={"ok": True},
            status=DraftStatus.approved,
            decided_by="agent-7",
        )
    )
    session.commit()
    rows = {r.ticket_id: r for r in from_store(session).rows}
    assert not rows["T2"].automated
    assert rows["T1"].automated


def test_the_default_estimator_puts_sentiment_on_the_perception_scale():
    from bot.kpi import default_estimator

    estimate = default_estimator()
    happy = estimate("Thank you so much, that was quick and kind, I love it!")
    angry = estimate("This is terrible, the worst service, I am furious and disgusted.")
    assert 0 <= angry < 50 < happy <= 100


def test_a_real_pre_survey_beats_the_estimate_logged_at_ticket_time(session):
    tables = store_schema.tables(session)
    opened = datetime.fromisoformat("2024-02-01T08:00:00+00:00")
    session.execute(
        insert(tables["surveys"]),
        [
            {
                "ticket_id": "T3",
                "phase": "pre",
                "score": 10.0,
                "source": "estimated",
                "created_at": opened,
            },
            {
                "ticket_id": "T3",
                "phase": "pre",
                "score": 30.0,
                "source": "survey",
                "created_at": opened + timedelta(minutes=5),
            },
            {
                "ticket_id": "T3",
                "phase": "post",
                "score": 75.0,
                "source": "survey",
                "created_at": opened + timedelta(days=3),
            },
        ],
    )
    session.commit()
    t3 = next(r for r in from_store(session).rows if r.ticket_id == "T3")
    assert (t3.perception_pre, t3.perception_post, t3.perception_source) == (30.0, 75.0, "survey")


def test_an_escalated_event_and_a_failed_request_are_read_as_the_writers_mean_them(session):
    """A chat past its budget logs `escalated` after its first decision; a failed request marks
    the ticket's state `failed`: the first is an escalation, neither is automated."""
    from bot.store import Event, Ticket, TicketState

    assert {r.ticket_id for r in from_store(session).rows if r.automated} >= {"T1", "T3"}
    session.add(Event(ticket_id="T1", type=EventType.escalated, payload={"reason": "chat budget"}))
    ticket = session.get(Ticket, "T3")
    assert ticket is not None
    ticket.state = TicketState.failed
    session.commit()
    rows = {r.ticket_id: r for r in from_store(session).rows}
    assert rows["T1"].escalated and not rows["T1"].automated
    assert not rows["T3"].automated
