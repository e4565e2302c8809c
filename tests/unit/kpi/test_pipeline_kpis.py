"""The KPIs of tickets that went through the real service (template drafter, SQLite store)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bot.domain import Issue, IssueCategory, Order
from bot.drafting import Drafter
from bot.kpi import KpiFilters, compute_kpis
from bot.policy import load_policy
from bot.scoring import BgNbdParams, simulate_transactions
from bot.service import (
    TicketRequest,
    approve_draft,
    create_assist_draft,
    handle_ticket,
    import_transactions,
    record_survey,
    rescore,
)
from bot.store import make_engine, make_sessionmaker, upgrade

pytestmark = pytest.mark.slow

OPENED = datetime.now(UTC) - timedelta(days=120)


@pytest.fixture(scope="module")
def resolved(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('kpi') / 'store.db'}"
    upgrade(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    import_transactions(
        sessions, simulate_transactions(BgNbdParams(0.5, 20.0, 0.6, 3.0), 60, seed=3)
    )
    policy, drafter = load_policy(), Drafter(None)

    def ticket(customer, order, category, message, *, hours=0):
        request = TicketRequest(
            customer_id=customer,
            order=Order(id=order, value=Decimal("80.00"), currency="USD"),
            issue=Issue(category=category, severity=2),
            message=message,
        )
        return request, OPENED + timedelta(hours=hours)

    ids = {}
    for name, (customer, order, category, message, hours) in {
        "late": ("1", "A1", IssueCategory.late_delivery, "My parcel is two weeks late.", 0),
        "broken": ("2", "A2", IssueCategory.damaged_item, "The vase arrived smashed!", 1),
        "again": ("1", "A3", IssueCategory.wrong_item, "Wrong size, again.", 24 * 5),
    }.items():
        request, when = ticket(customer, order, category, message, hours=hours)
        ids[name] = handle_ticket(
            sessions, request, policy=policy, drafter=drafter, channel="web", now=when
        ).ticket_id
    request, _ = ticket("3", "A4", IssueCategory.billing_error, "Charged twice for one order.")
    assist = create_assist_draft(sessions, request, policy=policy, drafter=drafter, agent="ana")
    approve_draft(sessions, assist["draft_id"], agent="ana")
    ids["assist"] = assist["ticket_id"]
    record_survey(sessions, ticket_id=ids["late"], phase="post", score=85.0)
    record_survey(sessions, ticket_id=ids["broken"], phase="post", score=40.0)
    rescore(sessions)  # today: past the 90-day window of the tickets opened 120 days ago
    with sessions() as session:
        yield ids, compute_kpis(session, KpiFilters())
    engine.dispose()


def test_every_resolved_ticket_is_counted_with_its_channel_and_category(resolved):
    ids, report = resolved
    assert {r.ticket_id for r in report.rows} == set(ids.values())
    rows = {r.ticket_id: r for r in report.rows}
    assert rows[ids["late"]].category == "late_delivery" and rows[ids["late"]].channel == "web"
    assert rows[ids["assist"]].channel == "assist"
    assert all(r.tier and r.segment and r.policy_version for r in report.rows)


def test_clv_is_measured_after_the_window_for_old_tickets_only(resolved):
    ids, report = resolved
    rows = {r.ticket_id: r for r in report.rows}
    old = [rows[ids[name]] for name in ("late", "broken", "again")]
    assert all(r.clv_at_issue and r.clv_after is not None for r in old)
    for r in old:
        assert r.clv_post_issue_pct == pytest.approx(
            float(r.clv_after / r.clv_at_issue * 100), abs=0.01
        )
    assert rows[ids["assist"]].clv_post_issue_pct is None  # opened today: pending
    assert report.clv_post_issue.pending >= 1


def test_perception_pre_is_estimated_from_triage_and_post_is_the_survey(resolved):
    ids, report = resolved
    rows = {r.ticket_id: r for r in report.rows}
    late = rows[ids["late"]]
    assert late.perception_post == 85.0
    assert late.perception_source == "estimated"  # pre came from sentiment, not a survey
    estimated = report.perception_change.by_source["estimated"]
    assert set(estimated.ticket_ids) == {ids["late"], ids["broken"]}
    assert estimated.positive_share_pct == 50.0  # c1 at 85, c2 at 40


def test_agent_assist_is_human_and_the_rest_automated(resolved):
    ids, report = resolved
    automated = set(report.goodwill.automation.ticket_ids)
    assert ids["assist"] not in automated
    rows = {r.ticket_id: r for r in report.rows}
    assert automated == {t for t in ids.values() if not rows[t].escalated} - {ids["assist"]}
    assert all(rows[t].first_response_s is not None for t in ids.values())


def test_recontact_and_repeat_claimant_from_real_tickets(resolved):
    ids, report = resolved
    assert report.goodwill.recontact.ticket_ids == [ids["late"]]  # customer 1, five days later
    [claimant] = report.root_causes.repeat_claimants
    assert claimant.customer_id == "1" and claimant.tickets == 2
