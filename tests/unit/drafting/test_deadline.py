"""One deadline per customer message: retries, guard retries and streams share `timeout_s`."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessageChunk, BaseMessage, HumanMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from pydantic import Field

from bot.domain import IssueCategory
from bot.drafting import Drafter
from bot.drafting._providers import invoke_within
from bot.errors import ProviderUnavailable
from tests.factories import make_decision

DECISION = make_decision("store_credit", "18.00", cap="24.00")
KIND: dict[str, Any] = {
    "decision": DECISION,
    "category": IssueCategory.late_delivery,
    "order_id": "A1",
}


class StallingModel(BaseChatModel):
    """Fails after `stall_s` every time (a server that times out), or streams too slowly."""

    stall_s: float
    calls: int = 0

    @property
    def _llm_type(self) -> str:
        return "stalling"

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        self.calls += 1
        time.sleep(self.stall_s)
        raise TimeoutError("read timed out")

    def _stream(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> Iterator[ChatGenerationChunk]:
        self.calls += 1
        for word in ["We", "are", "so", "sorry", "about", "this", "and", "we", "are"] * 20:
            time.sleep(self.stall_s)
            yield ChatGenerationChunk(message=AIMessageChunk(content=word + " "))


@pytest.fixture(autouse=True, scope="module")
def _warm() -> None:
    """Load once what every reply needs (Babel's locale data, the language model) before timing."""
    Drafter(None).resolution(message="Where is my parcel?", **KIND)
    "".join(Drafter(None).stream_chat_turn(history=[], message="late", **KIND))


def _timed(fn: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - started


def test_retries_stop_at_the_deadline_not_after_attempts_times_the_timeout() -> None:
    model = StallingModel(stall_s=0.4)
    drafter = Drafter(model, attempts=5, timeout_s=0.6)
    out, took = _timed(lambda: drafter.resolution(message="Where is my parcel?", **KIND))
    assert out.reply.source == "template" and out.reply.guard.ok
    assert model.calls == 1, "no retry starts when the deadline leaves no room for one"
    assert took < 0.6 + 0.3


def test_fast_failures_are_retried_within_the_attempts() -> None:
    model = StallingModel(stall_s=0.0)
    out = Drafter(model, attempts=2, timeout_s=5).resolution(message="late", **KIND)
    assert out.reply.source == "template" and out.usage.model_calls == 2 == model.calls


def test_a_stream_is_cut_at_the_deadline_and_the_offer_still_comes_from_the_decision() -> None:
    model = StallingModel(stall_s=0.05)
    drafter = Drafter(model, timeout_s=0.3, mode="full")

    def run() -> str:
        return "".join(drafter.stream_chat_turn(history=[], message="late", **KIND))

    text, took = _timed(run)
    assert took < 0.3 + 0.3
    assert "18" in text, text


def test_a_shorter_budget_passed_per_turn_wins() -> None:
    model = StallingModel(stall_s=0.05)
    drafter = Drafter(model, timeout_s=30, mode="full")
    _, took = _timed(
        lambda: "".join(drafter.stream_chat_turn(history=[], message="late", timeout_s=0.2, **KIND))
    )
    assert took < 0.2 + 0.3
    out = "".join(drafter.stream_chat_turn(history=[], message="late", timeout_s=0, **KIND))
    assert "18" in out and model.calls == 2, "no time left: the template, no model call"


class NetworkLikeModel(StallingModel):
    """Has a per-request timeout, as ChatOpenAI does: calls go through the deadline thread."""

    request_timeout: float | None = 30.0
    timeouts: list[float] = Field(default_factory=list)

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        self.timeouts.append(kwargs["timeout"])
        return super()._generate(messages, stop, run_manager, **kwargs)


def test_a_call_that_ignores_its_timeout_is_given_up_at_the_deadline() -> None:
    model = NetworkLikeModel(stall_s=3.0)
    with pytest.raises(ProviderUnavailable, match="within"):
        _timed(lambda: invoke_within(model, [HumanMessage("hi")], 0.3))
    out, took = _timed(lambda: Drafter(model, timeout_s=0.4).resolution(message="late", **KIND))
    assert out.reply.source == "template" and took < 0.4 + 0.3
    assert 0 < model.timeouts[-1] <= 0.4, "each call is given what is left as its own timeout"


def test_a_stream_that_stalls_inside_a_chunk_is_given_up_at_the_deadline() -> None:
    model = NetworkLikeModel(stall_s=2.0)
    text, took = _timed(
        lambda: "".join(
            Drafter(model, timeout_s=0.3, mode="full").stream_chat_turn(
                history=[], message="late", **KIND
            )
        )
    )
    assert took < 0.3 + 0.3 and "18" in text


def test_a_compose_chat_turn_that_stalls_is_given_up_at_the_deadline() -> None:
    model = NetworkLikeModel(stall_s=2.0)
    text, took = _timed(
        lambda: "".join(
            Drafter(model, timeout_s=0.3).stream_chat_turn(history=[], message="late", **KIND)
        )
    )
    assert took < 0.3 + 0.3 and "18" in text
