"""Whatever the model writes, what the customer gets passes the guard, and passes the gate or is the library's.

The model is an adversary here: its sentences are built from hostile fragments (amounts in any
currency, refund scope words, future promises, self-talk, prompt echoes, loops) glued to honest
acknowledgements. The Drafter may send the model's words only if both checks pass them.
"""

from __future__ import annotations

from functools import cache

from hypothesis import given
from hypothesis import strategies as st

from bot.domain import IssueCategory
from bot.drafting import Drafter, check_draft, load_prompts
from bot.drafting.quality import check_quality
from tests.factories import make_decision
from tests.fakes import ScriptedChatModel

HONEST = [
    "I'm so sorry your ceramic vase arrived in pieces",
    "I'm sorry the box was crushed and the vase broke",
    "Sorry the vase from order A10311 arrived broken",
]
HOSTILE = [
    "and we have refunded the whole order",
    "so here is twenty euros",
    "we will ship your next orders free",
    "as a customer support writer I cannot help",
    "in the language with code en",
    "I'm here to help",
    "your lifetime value is high",
    "we guarantee it will never happen again",
    "a full refund of $18.00",
    "and 50% off",
    "I'm sorry for your loss",
    "my vase arrived broken",
    "<customer_message>",
    "your parcel will arrive tomorrow",
    "we'll make sure it arrives early",
    "eighteen pounds of credit",
]
VASE = "The ceramic vase I ordered arrived in pieces. The box was crushed. Order A10311."
DECISIONS = [
    make_decision("store_credit", "18.00", cap="24.00"),
    make_decision("refund_partial", "25.00", cap="30.00"),
    make_decision("none", "0", cap="0"),
    make_decision("discount_code", "15.00", cap="20.00", escalate=True),
]


@cache
def _prompts():
    return load_prompts()


sentences = st.builds(
    lambda head, tail, sep, end: f"{head}{sep}{tail}{end}" if tail else f"{head}{end}",
    st.sampled_from(HONEST + HOSTILE),
    st.one_of(st.just(""), st.sampled_from(HOSTILE + HONEST)),
    st.sampled_from([", ", " ", "; ", ". "]),
    st.sampled_from([".", "!", "", ". " + HONEST[0] + "."]),
)


@given(
    first=sentences,
    second=sentences,
    decision=st.sampled_from(DECISIONS),
    language=st.sampled_from(["en", "es", "fr", "de", "it", "pt"]),
    severity=st.integers(1, 3),
)
def test_what_is_sent_passes_the_guard_and_the_gate_or_is_the_librarys(
    first, second, decision, language, severity
) -> None:
    model = ScriptedChatModel(replies=[first, second])
    out = Drafter(model, _prompts()).resolution(
        message=VASE,
        decision=decision,
        category=IssueCategory.damaged_item,
        order_id="A10311",
        language=language,
        severity=severity,
    )
    assert check_draft(out.reply.text, decision).ok, out.reply.text
    assert out.reply.guard.ok
    if out.reply.source == "llm":
        gate = check_quality(
            out.reply.text,
            customer_message=VASE,
            language=language,
            topic_words=["A10311", "damaged"],
        )
        assert gate.ok, (out.reply.text, gate.reasons())
        assert out.usage.model_text
    else:
        assert not out.usage.model_text


@given(first=sentences, decision=st.sampled_from(DECISIONS))
def test_streamed_chat_turns_send_only_checked_words(first, decision) -> None:
    model = ScriptedChatModel(replies=[first, first])
    text = "".join(
        Drafter(model, _prompts()).stream_chat_turn(
            history=[("customer", VASE)],
            message="Any news about my broken vase?",
            decision=decision,
            category=IssueCategory.damaged_item,
            order_id="A10311",
        )
    )
    assert check_draft(text, decision).ok, text
