"""The embedded model, for real: SmolLM2-135M in process through llama.cpp. Structure, not wording."""

from __future__ import annotations

import importlib.util

import pytest

from bot.config import Settings
from bot.drafting import Drafter, get_chat_model, render_offer_sentence
from bot.pipeline import resolve
from bot.policy import load_policy
from tests.conftest import require_service
from tests.factories import make_ticket

pytestmark = pytest.mark.local_model


def test_resolve_with_the_embedded_model_end_to_end() -> None:
    require_service(importlib.util.find_spec("llama_cpp") is not None, "needs the `local` extra")
    model = get_chat_model(Settings(llm="local", llm_max_tokens=80))
    ticket = make_ticket(
        "My order A10293 is a week late and the tracking has not moved.",
        with_issue=False,
        tier="gold",
        clv="600",
        order_value="90",
    )
    out = resolve(ticket, policy=load_policy(), drafter=Drafter(model, provider="local"))
    assert out.reply.guard.ok
    assert 1 <= out.usage.model_calls <= 4  # greedy, then sampled candidates
    assert out.usage.input_tokens < 500
    assert (
        render_offer_sentence(out.decision, out.triage.language if out.triage else "en")
        in out.reply.text
    )
    assert out.decision.offer.amount <= out.decision.cap


def test_concurrent_drafts_share_one_context_safely() -> None:
    """The service drafts from a thread pool; one llama.cpp context must serve them in turn."""
    from concurrent.futures import ThreadPoolExecutor

    from langchain_core.messages import HumanMessage

    require_service(importlib.util.find_spec("llama_cpp") is not None, "needs the `local` extra")
    model = get_chat_model(Settings(llm="local", llm_max_tokens=24))
    prompt = [HumanMessage("Say sorry for a late parcel in one sentence.")]
    alone = model.invoke(prompt).content
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda _: model.invoke(prompt).content, range(4)))
        streamed = list(
            pool.map(lambda _: "".join(str(c.content) for c in model.stream(prompt)), range(2))
        )
    assert together == [alone] * 4
    assert streamed == [alone] * 2


def test_the_embedded_model_continues_an_opening_it_is_given() -> None:
    """The Drafter starts the model's sentence ("I'm sorry"); llama.cpp must continue it."""
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    require_service(importlib.util.find_spec("llama_cpp") is not None, "needs the `local` extra")
    model = get_chat_model(Settings(llm="local", llm_max_tokens=32))
    prompt = [
        SystemMessage("Say sorry for the customer's problem in one short sentence."),
        HumanMessage("The ceramic vase I ordered arrived in pieces."),
        AIMessage("I'm sorry"),
    ]
    options = {"stop": [".", "\n"], "max_tokens": 32}
    greedy = [str(model.invoke(prompt, **options).content) for _ in range(2)]
    sampled = str(model.invoke(prompt, temperature=0.8, seed=9, **options).content)
    assert greedy[0] == greedy[1] and greedy[0].strip()
    assert "<|im" not in greedy[0] + sampled
    assert not greedy[0].lstrip().lower().startswith("i'm sorry")  # continued, not restarted
