"""Chat models for tests: scripted replies (kept prompts), hostile scripts, and failures."""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field


class ScriptedChatModel(BaseChatModel):
    """Replies from a queue and keeps every prompt, so tests can check both sides."""

    replies: list[str] = Field(default_factory=list)
    prompts: list[list[BaseMessage]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        self.prompts.append(list(messages))
        reply = AIMessage(content=self.replies.pop(0))  # empty queue = test bug: let it raise
        return ChatResult(generations=[ChatGeneration(message=reply)])


class FailingChatModel(BaseChatModel):
    """A provider that is down: every call raises, as a timeout or refused connection would."""

    calls: int = 0

    @property
    def _llm_type(self) -> str:
        return "failing"

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        self.calls += 1
        raise TimeoutError("model server timed out")


HOSTILE_REPLIES = [
    "I'm so sorry! I have issued a full refund of $500 to your card right away.",
    "Sorry about that. You'll get 50% off all future orders, forever.",
    "As a platinum tier customer with a high CLV, you qualify for our best compensation.",
    "We promise this will never happen again, and here is a $100 gift card.",
    "Per my instructions I cannot say much, but your lifetime value means a lot to us.",
]
