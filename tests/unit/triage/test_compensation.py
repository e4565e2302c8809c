"""The deterministic `asked_for_compensation` reading rulebooks like tau-bench's rely on."""

from __future__ import annotations

import pytest

from bot.triage import asks_for_compensation


@pytest.mark.parametrize(
    "message",
    [
        "My flight was cancelled. I want compensation for this.",
        "Can I get a refund for the delay?",
        "I expect to be reimbursed.",
        "Give me my money back",
        "¿Me pueden dar un reembolso?",
        "Je demande un dédommagement.",
        "Ich möchte eine Entschädigung.",
        "Please send a voucher",
        "I want a r\u0435fund",  # a Cyrillic e folded to Latin
    ],
)
def test_a_message_asking_for_money_back_says_so(message: str) -> None:
    assert asks_for_compensation(message)


@pytest.mark.parametrize(
    "message",
    ["My flight was delayed by five hours.", "Where is my bag?", "", "I paid by credit card."],
)
def test_a_complaint_without_a_request_for_money_is_not_asking(message: str) -> None:
    assert not asks_for_compensation(message)
