"""Every channel in one run, then every field of `GET /v1/kpi` against figures computed here, by
hand, from what the run did: the ticket API, the Zendesk webhook, agent assist (approve, edit,
reject), a multi-turn chat that goes to a person, follow-ups, surveys, and customers accepting
and declining offers (service key, widget token, webhook). On SQLite, and on PostgreSQL when
APPEASE_TEST_POSTGRES_URL is set.

The expected figures follow the definitions in the README ("KPIs"), not the KPI code: counts and
shares over the tickets, goodwill spend = offers sent or accepted, acceptance = accepted /
(accepted + declined), automation = a reply went out with no person and no escalation, and so on.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from statistics import fmean
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.api import create_app, mint_widget_token
from bot.drafting import Drafter
from bot.kpi import default_estimator
from bot.service import run_followups
from bot.store import (
    Customer,
    Draft,
    Message,
    Survey,
    Ticket,
    make_engine,
    make_sessionmaker,
    utcnow,
)
from tests.unit.api.conftest import ADMIN, AGENT, SERVICE, seeded_settings, sse_text

pytestmark = pytest.mark.slow

CENT = Decimal("0.01")
DAMAGED = "The lamp arrived broken, the shade is cracked in two."
LATE = "My order is a week late and nobody tells me where it is."
PERSON = "I want to speak to a real person, not a bot. My parcel never arrived."
TURN_2 = "Thanks. Can you also tell me when the credit shows up?"
TURN_3 = "Still nothing on my account, this is getting really annoying."


# customer id -> (tier, segment, CLV) as imported: what the ticket's snapshot records.
Customers = dict[str, tuple[str | None, str | None, Decimal | None]]


@dataclass
class Run:
    """What one ticket of the run was, as the run itself saw it."""

    ticket_id: str
    customer_id: str
    channel: str
    order_id: str
    offer: dict[str, Any] | None = None  # the ledger row (kind, amount, currency, basis, category)
    status: str | None = None  # the offer's status after the run's answers
    escalated: bool = False
    human: bool = False  # an agent decided an assist draft
    replied: bool = True  # a reply reached the customer
    pre: tuple[float, str] | None = None  # (score, source)
    post: tuple[float, str] | None = None
    category: str = ""
    wait_s: float | None = None  # opened to the first reply the customer got, unrounded


def _first_reply_wait(s: Any, ticket_id: str) -> float | None:
    """Seconds from the ticket's opening to the first reply the customer got: the bot's, or,
    for an agent-assist ticket, the agent's (the bot's draft waited for a person)."""
    opened = s.get(Ticket, ticket_id).created_at
    assisted = s.execute(select(Draft.id).where(Draft.ticket_id == ticket_id)).first() is not None
    replies = s.execute(
        select(Message)
        .where(Message.ticket_id == ticket_id, Message.role != "customer")
        .order_by(Message.created_at, Message.id)
    ).scalars()
    first = next((m for m in replies if not assisted or m.role == "agent"), None)
    return None if first is None else (first.created_at - opened).total_seconds()


def _pct(part: float | Decimal, whole: float | Decimal) -> float | None:
    if not whole:
        return None
    value = Decimal(str(part)) / Decimal(str(whole)) * 100
    return float(value.quantize(CENT, rounding=ROUND_HALF_UP))


def _r(value: float | Decimal | None) -> float | None:
    return None if value is None else float(Decimal(str(value)).quantize(CENT, ROUND_HALF_UP))


def _money(rows: list[Run]) -> list[dict[str, str]]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for t in rows:
        if _spent(t):
            totals[t.offer["currency"]] += _spent(t)  # type: ignore[index]
    return [{"amount": str(a.quantize(CENT)), "currency": c} for c, a in sorted(totals.items())]


def _spent(t: Run) -> Decimal:
    """Goodwill given: an offer sent or accepted (declined and proposed ones cost nothing)."""
    if t.offer is None or t.status not in ("sent", "accepted") or t.offer["basis"] != "goodwill":
        return Decimal(0)
    return Decimal(t.offer["amount"])


def _ledger(client: TestClient, order_id: str) -> dict[str, Any] | None:
    rows = client.get("/v1/offers", params={"order_id": order_id}, headers=SERVICE).json()
    assert len(rows["offers"]) <= 1, "one offer per order and issue"
    return dict(rows["offers"][0]) if rows["offers"] else None


def _api_ticket(
    client: TestClient, customer: str, order: str, message: str, issue: dict | None = None
) -> Run:
    body = {
        "customer_id": customer,
        "order": {"id": order, "value": "80", "currency": "USD"},
        "message": message,
        "issue": issue,
    }
    out = client.post("/v1/tickets", json=body, headers=SERVICE)
    assert out.status_code == 200, out.text
    data = out.json()
    row = _ledger(client, order)
    assert (row is None) == (data["decision"]["offer"]["kind"] in ("none", "apology_only"))
    return Run(
        data["ticket_id"],
        customer,
        "api",
        order,
        offer=row,
        status="sent" if row else None,
        escalated=data["decision"]["escalate"],
        category=row["category"] if row else (issue or {}).get("category", ""),
    )


def _assist(client: TestClient, customer: str, order: str, action: str) -> Run:
    body = {
        "customer_id": customer,
        "order": {"id": order, "value": "80", "currency": "USD"},
        "message": DAMAGED,
    }
    draft = client.post("/v1/assist/drafts", json=body, headers=AGENT).json()
    assert _ledger(client, order)["status"] == "proposed"
    decision: dict[str, Any] = {"agent": "ana"}
    if action == "edit":
        decision["edited_text"] = draft["text"] + " Thank you for your patience with us."
    if action == "reject":
        decision["reject"] = True
    r = client.post(f"/v1/assist/drafts/{draft['draft_id']}/approve", json=decision, headers=AGENT)
    assert r.status_code == 200, r.text
    assert (
        r.json()["status"]
        == {"approve": "approved", "edit": "edited", "reject": "rejected"}[action]
    )
    return Run(
        draft["ticket_id"],
        customer,
        "assist",
        order,
        offer=_ledger(client, order),
        status="withdrawn" if action == "reject" else "sent",
        escalated=draft["decision"]["escalate"],
        human=True,
        replied=action != "reject",
    )


def _chat(client: TestClient, customer: str, order: str, turns: list[str]) -> tuple[Run, dict]:
    token = mint_widget_token("test-secret", customer)
    session = client.post(
        "/v1/chat/sessions",
        json={"order": {"id": order, "value": "60", "currency": "USD"}},
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    auth = {"Authorization": f"Bearer {session['token']}"}
    escalated = False
    first: dict[str, Any] = {}
    for i, text in enumerate(turns):
        r = client.post(
            f"/v1/chat/sessions/{session['session_id']}/messages",
            json={"message": text},
            headers=auth,
        )
        assert r.status_code == 200, r.text
        _, [done] = sse_text(r)
        escalated = escalated or done["escalated"]
        if i == 0:
            first = done
    assert first["offer"] is not None
    row = _ledger(client, order)
    assert row["id"] == first["offer"]["id"]
    return Run(
        row["ticket_id"], customer, "chat", order, offer=row, status="sent", escalated=escalated
    ), session


@pytest.fixture
def run(db_url: str) -> tuple[dict[str, Any], list[Run], Customers]:
    settings = seeded_settings(db_url, chat_max_turns=2)
    with TestClient(create_app(settings, drafter=Drafter(None))) as client:
        runs, customers = _drive(client, settings)
        kpi = client.get("/v1/kpi", headers=ADMIN)
        assert kpi.status_code == 200, kpi.text
    return kpi.json(), runs, customers


def _drive(client: TestClient, settings) -> tuple[list[Run], Customers]:
    runs: list[Run] = []
    # The ticket API: accepted (service key), declined (service key), left waiting, escalated.
    accepted = _api_ticket(client, "41", "E-1", DAMAGED)
    runs.append(accepted)
    declined = _api_ticket(client, "51", "E-2", DAMAGED)
    runs.append(declined)
    waiting = _api_ticket(client, "43", "E-3", DAMAGED)
    runs.append(waiting)
    apology = _api_ticket(
        client, "42", "E-0", DAMAGED, issue={"category": "damaged_item", "severity": 2}
    )
    assert apology.offer is None, "no rung fits this customer's cap: an apology, no offer"
    runs.append(apology)
    escalated = _api_ticket(client, "44", "E-4", PERSON)
    assert escalated.escalated, "asking for a person escalates"
    runs.append(escalated)
    for t, action in ((accepted, "accept"), (declined, "decline")):
        r = client.post(f"/v1/offers/{t.offer['id']}/{action}", headers=SERVICE)  # type: ignore[index]
        assert r.status_code == 200, r.text
        t.status = "accepted" if action == "accept" else "declined"

    # The Zendesk webhook opens a ticket, then carries the customer's yes.
    fields = [{"id": "order_id", "value": "E-5"}, {"id": "order_value", "value": "80"}]
    zd = {
        "ticket": {
            "id": 7001,
            "description": DAMAGED,
            "requester": {"external_id": "45"},
            "custom_fields": fields,
        }
    }
    opened = client.post("/v1/webhooks/zendesk", json=zd, headers=SERVICE)
    assert opened.status_code == 200, opened.text
    zd_ticket = {f["id"]: f["value"] for f in opened.json()["ticket"]["custom_fields"]}
    zendesk = Run(
        zd_ticket["appease_ticket_id"],
        "45",
        "webhook",
        "E-5",
        offer=_ledger(client, "E-5"),
        status="sent",
        escalated="appease_escalated" in opened.json()["ticket"]["tags"],
    )
    zd["ticket"]["custom_fields"] = [*fields, {"id": "appease_offer_answer", "value": "accept"}]
    assert client.post("/v1/webhooks/zendesk", json=zd, headers=SERVICE).status_code == 200
    zendesk.status = "accepted"
    runs.append(zendesk)

    # Agent assist: approved as drafted, approved with an edit, rejected (its offer declined).
    runs += [
        _assist(client, c, o, a)
        for c, o, a in (("53", "E-6", "approve"), ("47", "E-7", "edit"), ("48", "E-8", "reject"))
    ]

    # A three-turn chat past its two-turn budget (escalated), by the customer of the first
    # ticket (a recontact); its offer accepted with the widget token. A second chat, declined.
    chat, session = _chat(client, "41", "E-9", [DAMAGED, TURN_2, TURN_3])
    assert chat.escalated, "the third turn is past APPEASE_CHAT_MAX_TURNS=2"
    r = client.post(
        f"/v1/offers/{chat.offer['id']}/accept",  # type: ignore[index]
        headers={"Authorization": f"Bearer {session['token']}"},
    )
    assert r.status_code == 200, r.text
    chat.status = "accepted"
    runs.append(chat)
    chat2, session2 = _chat(client, "49", "E-10", [DAMAGED])
    r = client.post(
        f"/v1/offers/{chat2.offer['id']}/decline",  # type: ignore[index]
        headers={"Authorization": f"Bearer {session2['token']}"},
    )
    assert r.status_code == 200, r.text
    chat2.status = "declined"
    runs.append(chat2)

    # Surveys: pre and post for two tickets.
    for t, pre, post in ((accepted, 20, 70), (waiting, 40, 80)):
        for phase, score in (("pre", pre), ("post", post)):
            r = client.post(
                "/v1/surveys",
                json={"ticket_id": t.ticket_id, "phase": phase, "score": score},
                headers=SERVICE,
            )
            assert r.status_code == 201, r.text
        t.pre, t.post = (float(pre), "survey"), (float(post), "survey")

    # Follow-ups, as `appease followups run` sends them once due.
    engine = make_engine(settings.database_url)
    try:
        sessions = make_sessionmaker(engine)
        sent = run_followups(sessions, drafter=Drafter(None), now=utcnow() + timedelta(days=30))
        assert sent, "the run's follow-ups are due a month later"
        with sessions() as s:
            for t in runs:
                t.wait_s = _first_reply_wait(s, t.ticket_id)
                t.category = t.offer["category"] if t.offer else t.category
                if t.pre is None:  # the sentiment estimate logged with the ticket
                    logged = s.execute(
                        select(Survey.score).where(
                            Survey.ticket_id == t.ticket_id, Survey.source == "estimated"
                        )
                    ).scalar_one_or_none()
                    t.pre = (float(logged), "estimated") if logged is not None else None
            # The chat's later turns are the customer's words after the first reply.
            chat.post = (float(default_estimator()(f"{TURN_2} {TURN_3}")), "estimated")
            customers = {
                c.id: (c.tier, c.segment, c.clv) for c in s.execute(select(Customer)).scalars()
            }
    finally:
        engine.dispose()
    return runs, customers


def _rate(runs: list[Run], hit) -> dict[str, Any]:
    ids = [t.ticket_id for t in runs if hit(t)]
    return {"count": len(ids), "n": len(runs), "pct": _pct(len(ids), len(runs)), "ticket_ids": ids}


def _automated(t: Run) -> bool:
    return t.replied and not t.escalated and not t.human


def _recontacted(runs: list[Run]) -> set[str]:
    seen: dict[str, int] = {}
    out = set()
    for i, t in enumerate(runs):  # oldest first; all within minutes, inside the 14 days
        if t.customer_id in seen:
            out.add(runs[seen[t.customer_id]].ticket_id)
        seen[t.customer_id] = i
    return out


def _pair(t: Run) -> str | None:
    if t.pre is None or t.post is None:
        return None
    sources = {t.pre[1], t.post[1]}
    return next((s for s in ("estimated", "simulated") if s in sources), "survey")


def _perception(runs: list[Run]) -> dict[str, dict[str, Any]]:
    out = {}
    for source in ("survey", "simulated", "estimated"):
        rs = [t for t in runs if _pair(t) == source]
        if not rs:
            out[source] = {
                "value": None,
                "band": None,
                "n": 0,
                "customers": 0,
                "mean_pre": None,
                "mean_post": None,
                "positive_share_pct": None,
                "ticket_ids": [],
            }
            continue
        latest = {t.customer_id: t.post[0] for t in rs}  # type: ignore[index]
        share = _pct(sum(1 for v in latest.values() if v >= 60), len(latest))
        pre = fmean(t.pre[0] for t in rs)  # type: ignore[index]
        post = fmean(t.post[0] for t in rs)  # type: ignore[index]
        band = (
            None
            if share is None
            else "strong"
            if share > 75
            else "moderate"
            if share >= 50
            else "urgent"
        )
        out[source] = {
            "value": _r(Decimal(str(post)) - Decimal(str(pre))),
            "band": band,
            "n": len(rs),
            "customers": len(latest),
            "mean_pre": _r(pre),
            "mean_post": _r(post),
            "positive_share_pct": share,
            "ticket_ids": [t.ticket_id for t in rs],
        }
    return out


def _breakdown(runs: list[Run], key, recontacted: set[str]) -> list[dict[str, Any]]:
    groups: dict[str, list[Run]] = defaultdict(list)
    seen: set[tuple[str, str]] = set()
    recurring: set[str] = set()
    for t in runs:
        groups[key(t)].append(t)
        if (t.customer_id, key(t)) in seen:
            recurring.add(t.ticket_id)
        seen.add((t.customer_id, key(t)))
    rows = []
    for name, rs in groups.items():
        head = next((p for p in _perception(rs).values() if p["n"]), None)
        rows.append(
            {
                "key": name,
                "tickets": len(rs),
                "share_pct": _pct(len(rs), len(runs)),
                "spend": _money(rs),
                "clv_post_issue_pct": None,
                "perception_change": head["value"] if head else None,
                "escalation_rate_pct": _pct(sum(t.escalated for t in rs), len(rs)),
                "recontact_rate_pct": _pct(sum(t.ticket_id in recontacted for t in rs), len(rs)),
                "recurring": sum(t.ticket_id in recurring for t in rs),
                "ticket_ids": [t.ticket_id for t in rs],
            }
        )
    return sorted(rows, key=lambda b: (-b["tickets"], b["key"]))


def _spend_rows(
    runs: list[Run], part: int, residual: dict[str, Decimal], customers: Customers
) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str], list[Run]] = defaultdict(list)
    for t in runs:
        groups[(customers[t.customer_id][part] or "unknown", "USD")].append(t)
    rows = []
    for (name, currency), rs in sorted(groups.items()):
        clv = sum((customers[t.customer_id][2] or Decimal(0) for t in rs), Decimal(0))
        res = sum((residual[t.ticket_id] for t in rs), Decimal(0))
        spend = sum((_spent(t) for t in rs), Decimal(0))
        rows.append(
            {
                "key": name,
                "currency": currency,
                "tickets": len(rs),
                "spend": str(spend.quantize(CENT)),
                "clv": str(clv.quantize(CENT)),
                "residual_clv": str(res.quantize(CENT)),
                "share_of_clv_pct": _pct(spend, clv),
                "share_of_residual_clv_pct": _pct(spend, res) if res > 0 else None,
                "ticket_ids": [t.ticket_id for t in rs],
            }
        )
    return rows


def test_every_kpi_field_matches_the_run_counted_by_hand(run) -> None:
    kpi, runs, customers = run
    ids = [t.ticket_id for t in runs]
    assert [r["ticket_id"] for r in kpi["rows"]] == ids, "one row per ticket, oldest first"
    assert kpi["tickets"] == len(runs) == 11
    assert kpi["filters"] == dict.fromkeys(
        ("date_from", "date_to", "tier", "segment", "category", "channel", "policy_version")
    )
    assert kpi["windows"] == {
        "measurement_window_days": 90,
        "recontact_window_days": 14,
        "positive_threshold": 60.0,
    }
    assert (kpi["experiments"], kpi["experiment_outcomes"]) == ([], [])

    # Goodwill and offers.
    g = kpi["goodwill"]
    offered = [t for t in runs if t.offer is not None]
    answered = [t for t in offered if t.status in ("accepted", "declined")]
    accepted = [t.ticket_id for t in answered if t.status == "accepted"]
    assert g["offers"] == {
        "by_status": dict(sorted(Counter(t.status for t in offered).items())),
        "by_kind": dict(sorted(Counter(t.offer["kind"] for t in offered).items())),  # type: ignore[index]
        "acceptance": {
            "count": len(accepted),
            "n": len(answered),
            "pct": _pct(len(accepted), len(answered)),
            "ticket_ids": accepted,
        },
        "awaiting_answer": sum(t.status == "sent" for t in offered),
    }
    # 3 accepted, 2 declined by customers; the assist draft an agent rejected is withdrawn
    assert (g["offers"]["acceptance"]["count"], g["offers"]["acceptance"]["n"]) == (3, 5)
    assert g["spend"] == _money(runs)
    assert g["entitlements"] == []

    # Residual CLV at each ticket: CLV minus the goodwill already given to the customer then
    # (offers made earlier in the run and not declined by that time).
    residual: dict[str, Decimal] = {}
    given: dict[str, Decimal] = defaultdict(Decimal)
    for t in runs:
        clv = customers[t.customer_id][2] or Decimal(0)
        residual[t.ticket_id] = clv - given[t.customer_id]
        if t.offer and t.offer["basis"] == "goodwill" and t.status != "declined":
            given[t.customer_id] += Decimal(t.offer["amount"])
    # (a declined offer was declined after the customer's later tickets only if it had any:
    # none of the run's declined offers belongs to a customer with a later ticket)
    assert not {t.customer_id for t in runs if t.status == "declined"} & {
        t.customer_id for t in runs if sum(u.customer_id == t.customer_id for u in runs) > 1
    }
    assert g["by_tier"] == _spend_rows(runs, 0, residual, customers)
    assert g["by_segment"] == _spend_rows(runs, 1, residual, customers)

    recontacted = _recontacted(runs)
    assert recontacted == {runs[0].ticket_id}, "the first customer came back through the chat"
    assert g["recontact"] == _rate(runs, lambda t: t.ticket_id in recontacted)
    assert g["automation"] == _rate(runs, _automated)
    escalated = [t.ticket_id for t in runs if t.escalated]
    assert len(escalated) >= 2, "the person-asker and the chat past its budget"
    assert g["escalations"] == {
        "count": len(escalated),
        "rate_pct": _pct(len(escalated), len(runs)),
        "ticket_ids": escalated,
    }
    none = _rate(runs, lambda t: False)
    assert g["guard"] == {
        "rejections": 0,
        "tickets_with_rejection": none,
        "template_fallbacks": none,
        "quality_rejections": 0,
        "tickets_with_quality_rejection": none,
        "model_written": none,
    }
    assert g["model"] == {
        "calls": 0,
        "tokens_total": 0,
        "tokens_per_ticket": None,
        "latency_ms_mean": None,
        "latency_ms_p95": None,
        "by_provider": {},
    }
    replied = [t for t in runs if t.replied]
    assert g["first_response"]["n"] == len(replied) == 10
    # the mean of the unrounded waits (the rows show each rounded to 0.01)
    waits = [t.wait_s for t in runs if t.wait_s is not None]
    assert len(waits) == len(replied)
    assert g["first_response"]["mean_s"] == _r(fmean(waits))

    # CLV post-issue: nothing rescored yet, so every ticket with a CLV is pending.
    with_clv = [t for t in runs if customers[t.customer_id][2]]
    c = kpi["clv_post_issue"]
    assert (c["value"], c["band"], c["n"], c["tickets_measured"], c["ratio_of_sums_pct"]) == (
        None,
        None,
        0,
        0,
        None,
    )
    assert (c["pending"], c["excluded"]) == (len(with_clv), len(runs) - len(with_clv))
    assert (c["bands"], c["customers"], c["ticket_ids"]) == (
        {"strong": 0, "moderate": 0, "act_now": 0},
        [],
        [],
    )

    # Perception: two survey pairs (the headline), one estimated pair (the chat).
    p = kpi["perception_change"]
    by_source = _perception(runs)
    assert p["by_source"] == by_source
    assert by_source["survey"]["n"] == 2 and by_source["estimated"]["n"] >= 1
    head = by_source["survey"]
    assert p == {
        "value": head["value"],
        "band": head["band"],
        "n": head["n"],
        "source": "survey",
        "positive_threshold": 60.0,
        "mean_pre": head["mean_pre"],
        "mean_post": head["mean_post"],
        "positive_share_pct": head["positive_share_pct"],
        "by_source": by_source,
        "ticket_ids": head["ticket_ids"],
    }

    # Root causes and channels.
    by_category = _breakdown(runs, lambda t: t.category, recontacted)
    assert kpi["root_causes"]["by_category"] == by_category
    assert (
        kpi["root_causes"]["top_recurring"]
        == sorted(
            (b for b in by_category if b["recurring"]),
            key=lambda b: (-b["recurring"], -b["tickets"], b["key"]),
        )[:5]
    )
    claimants = [
        {
            "customer_id": cid,
            "tickets": len(rs),
            "categories": sorted({t.category for t in rs}),
            "spend": _money(rs),
            "ticket_ids": [t.ticket_id for t in rs],
        }
        for cid, rs in _by_customer(runs).items()
        if len(rs) >= 2
    ]
    assert kpi["root_causes"]["repeat_claimants"] == claimants
    assert [c["customer_id"] for c in claimants] == ["41"]
    assert kpi["by_channel"] == _breakdown(runs, lambda t: t.channel, recontacted)
    assert {b["key"] for b in kpi["by_channel"]} == {"api", "webhook", "assist", "chat"}

    # One row per ticket.
    for t, row in zip(runs, kpi["rows"], strict=True):
        o = t.offer or {}
        tier, segment, clv = customers[t.customer_id]
        assert row["customer_id"] == t.customer_id
        assert (row["channel"], row["category"], row["tier"], row["segment"]) == (
            t.channel,
            t.category,
            tier,
            segment,
        )
        assert (
            row["offer_kind"],
            row["offer_amount"],
            row["offer_currency"],
            row["offer_status"],
        ) == (o.get("kind"), o.get("amount"), o.get("currency"), t.status)
        assert row["clv_at_issue"] == (str(clv.quantize(CENT)) if clv is not None else None)
        assert (row["clv_after"], row["clv_post_issue_pct"]) == (None, None)
        assert row["perception_pre"] == (t.pre[0] if t.pre else None)
        assert row["perception_post"] == (t.post[0] if t.post else None)
        assert row["perception_source"] == _pair(t)
        assert row["recontacted"] == (t.ticket_id in recontacted)
        assert (row["automated"], row["escalated"]) == (_automated(t), t.escalated)
        assert (row["guard_rejections"], row["template_fallback"], row["tokens"]) == (0, False, 0)
        assert row["latency_ms"] is None
        assert (row["first_response_s"] is not None) == t.replied
        assert row["policy_version"]


def _by_customer(runs: list[Run]) -> dict[str, list[Run]]:
    out: dict[str, list[Run]] = defaultdict(list)
    for t in runs:
        out[t.customer_id].append(t)
    return dict(sorted(out.items(), key=lambda kv: (-len(kv[1]), kv[0])))
