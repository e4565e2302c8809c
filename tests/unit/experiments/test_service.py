"""Experiments in the ticket service: the sticky arm's policy decides, the exposure is recorded
with the ticket, the reasons name the arm, arms are checked at create, and a spend cap holds."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.drafting import Drafter
from bot.errors import InputError, NotFound, PolicyError
from bot.experiments import assign_arm
from bot.policy import default_policy_path, load_policy
from bot.service import (
    arm_specs,
    end_experiment,
    experiment_list,
    handle_ticket,
    start_experiment,
)
from bot.store import Exposure, Offer
from tests.unit.service.helpers import add_customer, migrated, ticket

DEFAULT = default_policy_path()
HOLDOUT = DEFAULT.with_name("holdout_apology_only.yaml")


@pytest.fixture
def sessions(db_url: str):
    with migrated(db_url) as factory:
        yield factory


def _start(sessions, name: str = "e1", caps=None, shares=None) -> None:
    arms = arm_specs(
        [("default", DEFAULT), ("apology_only", HOLDOUT)],
        control="default",
        caps=caps,
        shares=shares,
    )
    start_experiment(sessions, name=name, arms=arms, salt="s1")


def _customers(sessions, n: int) -> list[str]:
    return [add_customer(sessions, f"c{i}") for i in range(n)]


def test_each_customer_gets_their_sticky_arm_and_the_reasons_say_so(sessions) -> None:
    ids = _customers(sessions, 12)
    _start(sessions)
    policy, drafter = load_policy(), Drafter(None)
    shares = [("default", Decimal("0.5")), ("apology_only", Decimal("0.5"))]
    for i, cid in enumerate(ids):
        for j in range(2):  # two tickets each: the same arm both times
            out = handle_ticket(sessions, ticket(cid, f"O{i}-{j}"), policy=policy, drafter=drafter)
            arm = assign_arm(cid, "s1", shares)
            assert f"experiment e1 arm {arm}" in out.decision.reasons
            if arm == "apology_only":
                assert out.decision.offer.kind.value == "apology_only"
                assert out.decision.offer.amount == 0
            else:
                assert out.decision.offer.amount > 0  # a platinum customer, a late order
    with sessions() as s:
        rows = s.execute(select(Exposure.customer_id, Exposure.arm)).all()
    assert len(rows) == 24
    assert {(c, a) for c, a in rows} == {(c, assign_arm(c, "s1", shares)) for c in ids}
    listed = experiment_list(sessions)[0]
    assert listed["status"] == "running"
    assert sum(a["exposures"] for a in listed["arms"]) == 24


def test_after_stop_the_configured_policy_answers_with_no_exposure(sessions) -> None:
    (cid,) = _customers(sessions, 1)
    _start(sessions)
    end_experiment(sessions, "e1")
    out = handle_ticket(sessions, ticket(cid), policy=load_policy(), drafter=Drafter(None))
    assert not any(r.startswith("experiment ") for r in out.decision.reasons)
    with sessions() as s:
        assert s.execute(select(func.count(Exposure.id))).scalar_one() == 0


def test_an_arm_spend_cap_is_never_exceeded(sessions) -> None:
    ids = _customers(sessions, 40)
    _start(
        sessions,
        caps={"default": Decimal("50")},
        shares={"default": Decimal("0.9"), "apology_only": Decimal("0.1")},
    )
    policy, drafter = load_policy(), Drafter(None)
    outs = [
        handle_ticket(sessions, ticket(cid, f"O{i}"), policy=policy, drafter=drafter)
        for i, cid in enumerate(ids)
    ]
    with sessions() as s:
        spent = s.execute(
            select(func.coalesce(func.sum(Offer.amount), 0))
            .join(Exposure, Exposure.ticket_id == Offer.ticket_id)
            .where(Exposure.arm == "default")
        ).scalar_one()
    assert 0 < Decimal(str(spent)) <= Decimal("50")
    capped = [
        o
        for o in outs
        if "experiment e1 arm default" in o.decision.reasons and o.decision.offer.amount == 0
    ]
    assert capped and all(o.decision.escalate for o in capped)  # a person looks instead


def test_an_arm_whose_policy_fails_policy_check_is_refused(sessions, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(DEFAULT.read_text().replace("clv_share: 0.10", "clv_share: 10"))
    with pytest.raises(PolicyError):
        arm_specs([("default", DEFAULT), ("bad", bad)], control="default")


def test_an_arm_that_drops_an_entitlement_is_refused(tmp_path: Path) -> None:
    """Owed money is never an experiment: an arm may change goodwill, not what the law owes."""
    eu261 = Path("policies/examples/eu261.yaml")
    text = eu261.read_text()
    start = text.index("  - name: delay under 3 hours")
    end = text.index("  - name:", start + 10)
    dropped = tmp_path / "no_delay_rule.yaml"
    dropped.write_text(text[:start] + text[end:])
    with pytest.raises(
        InputError, match=r"drops the control's entitlement rule.*delay under 3 hours"
    ):
        arm_specs([("law", eu261), ("cheaper", dropped)], control="law")
    assert len(arm_specs([("law", eu261), ("same", eu261)], control="law")) == 2


def test_create_refuses_a_second_running_experiment_and_bad_shares(sessions) -> None:
    _start(sessions)
    with pytest.raises(InputError, match="still running"):
        _start(sessions, name="e2")
    end_experiment(sessions, "e1")
    with pytest.raises(InputError, match="add up to 1"):
        _start(
            sessions, name="e2", shares={"default": Decimal("0.5"), "apology_only": Decimal("0.6")}
        )
    with pytest.raises(InputError, match="control"):
        arm_specs([("a", DEFAULT), ("b", HOLDOUT)], control="c")
    with pytest.raises(NotFound):
        end_experiment(sessions, "nope")
