"""One trained triager per test session (training is the slow part), and policy variants."""

from __future__ import annotations

import pytest

from bot.policy import Policy, load_policy
from bot.triage import Triager, load_triager


@pytest.fixture(scope="session")
def triager() -> Triager:
    return load_triager()


@pytest.fixture(scope="session")
def policy() -> Policy:
    return load_policy()


def with_triage_rules(policy: Policy, **rules: object) -> Policy:
    """The policy with other triage rules (max_text_severity, min_confidence)."""
    return policy.model_copy(update={"triage": policy.triage.model_copy(update=rules)})
