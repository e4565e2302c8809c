"""The embedded model's sentence is started for it and sampled until one passes both checks."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from bot.domain import IssueCategory
from bot.drafting import Drafter, LocalLlamaChat, _providers, render_offer_sentence
from bot.drafting import _drafter as drafter_module
from tests.factories import make_decision

VASE = "The ceramic vase I ordered arrived in pieces. The box was crushed. Order A10311."
DECISION = make_decision("store_credit", "18.00", cap="24.00")
# The SmolLM2 GGUF's own chat template (ChatML), as llama.cpp reads it from the file.
CHATML = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
    "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


class _FakeLlama:
    """llama_cpp.Llama's surface the provider uses; completions come from a script."""

    def __init__(self, continuations: list[str]) -> None:
        self.metadata = {"tokenizer.chat_template": CHATML}
        self.continuations = continuations
        self.calls: list[dict[str, Any]] = []

    def token_eos(self) -> int:
        return 2

    def token_bos(self) -> int:
        return 1

    def detokenize(self, tokens: list[int]) -> bytes:
        return {1: b"<|im_start|>", 2: b"<|im_end|>"}[tokens[0]]

    def create_completion(self, prompt: str, **kwargs: Any) -> dict[str, Any]:
        self.calls.append({"prompt": prompt, **kwargs})
        text = self.continuations.pop(0)
        return {"choices": [{"text": text}], "usage": {"prompt_tokens": 9, "completion_tokens": 5}}

    def create_chat_completion(self, **kwargs: Any) -> dict[str, Any]:
        raise AssertionError("a trailing assistant message must be continued, not answered")


@pytest.fixture
def scripted(monkeypatch: pytest.MonkeyPatch):
    def make(continuations: list[str]) -> tuple[LocalLlamaChat, _FakeLlama]:
        fake = _FakeLlama(continuations)
        locked = _providers._Locked(fake)
        monkeypatch.setattr(LocalLlamaChat, "_client", lambda self: locked)
        return LocalLlamaChat(model_path="unused.gguf"), fake

    return make


def test_a_trailing_assistant_message_is_continued_in_the_models_template(scripted) -> None:
    model, fake = scripted([" your parcel is late"])
    out = model.invoke(
        [SystemMessage("Be kind."), HumanMessage("Where is my parcel?"), AIMessage("I'm sorry")]
    )
    assert out.content == " your parcel is late"
    assert fake.calls[0]["prompt"] == (
        "<|im_start|>system\nBe kind.<|im_end|>\n<|im_start|>user\nWhere is my parcel?<|im_end|>\n"
        "<|im_start|>assistant\nI'm sorry"
    )


def test_the_first_candidate_that_passes_opens_the_reply(scripted) -> None:
    model, fake = scripted(
        [".", " for the inconvenience", " the ceramic vase arrived in pieces, but it's fine"]
    )
    out = Drafter(model, provider="local").resolution(
        message=VASE, decision=DECISION, category=IssueCategory.damaged_item, order_id="A10311"
    )
    # "I'm sorry." and "I'm sorry for the inconvenience." name nothing the customer wrote; the
    # third is kept up to its first clause
    assert out.reply.source == "llm" and out.usage.model_text
    assert out.reply.text.startswith("I'm sorry the ceramic vase arrived in pieces. ")
    assert out.reply.text.endswith(render_offer_sentence(DECISION))
    assert out.usage.model_calls == 3 and out.usage.quality_rejections == 2
    prompts = {c["prompt"] for c in fake.calls}
    assert len(prompts) == 1 and prompts.pop().endswith("<|im_start|>assistant\nI'm sorry")
    assert [c["temperature"] for c in fake.calls] == [0.0, 0.8, 0.8]
    assert len({c["seed"] for c in fake.calls}) == 3


def test_after_every_candidate_fails_the_library_answers(scripted) -> None:
    model, fake = scripted(["."] * drafter_module._CANDIDATES)
    out = Drafter(model, provider="local").resolution(
        message=VASE, decision=DECISION, category=IssueCategory.damaged_item, order_id="A10311"
    )
    assert out.reply.source == "template" and out.usage.fallback
    assert out.usage.model_calls == drafter_module._CANDIDATES == len(fake.calls)
    assert not out.reply.text.startswith("I'm sorry.")


def test_one_context_serves_concurrent_continuations(scripted) -> None:
    model, fake = scripted([" the box was crushed"] * 8)
    prompt = [HumanMessage("Box crushed."), AIMessage("I'm sorry")]
    threads = [threading.Thread(target=model.invoke, args=(prompt,)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(fake.calls) == 8 and not fake.continuations
