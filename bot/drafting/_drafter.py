"""The Drafter: the model writes the empathy, appease writes the offer, the guard has the last word.

Normal path: one model call per customer message. If the guard rejects the model's words,
one retry with the violations as feedback, then the safe template. A model that raises, times
out or returns nothing also gets the template. Every outcome carries what the KPIs count.

Time: with `timeout_s` set, one customer message spends at most that long on the model, all
calls, retries and waits included: each call gets what is left of the deadline as its own
timeout, and a retry starts only if the deadline leaves room for it.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_fixed,
)
from tenacity.stop import stop_base

from bot.domain import OfferDecision, OfferKind, Reply, Violation
from bot.drafting._prompts import Prompts, load_prompts
from bot.drafting._providers import configured_timeout, invoke_within, stream_within
from bot.drafting._render import category_plain, render_offer_sentence, template_reply
from bot.drafting.guard import check_draft
from bot.errors import ProviderUnavailable
from bot.redact import redact
from bot.text import visible_text

__all__ = ["DraftOutcome", "Drafter", "Usage"]

log = logging.getLogger(__name__)
_MAX_CHARS = 700
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")
_RETRY_WAIT_S = 0.2
# A retry needs at least this much of the deadline left to be worth starting.
_MIN_CALL_S = 0.25


@dataclass
class Usage:
    """What one reply cost and how it went, for the events table and the KPIs."""

    provider: str
    model_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    latency_ms: float = 0.0
    guard_rejections: int = 0
    fallback: bool = False
    violations: list[Violation] = field(default_factory=list)
    error: str | None = None

    def as_event(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "model_calls": self.model_calls,
            "tokens": self.input_tokens + self.output_tokens,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "latency_ms": round(self.latency_ms, 1),
            "guard_rejections": self.guard_rejections,
            "guard_violations": [v.model_dump() for v in self.violations],
            "fallback": self.fallback,
            "error": self.error,
        }


@dataclass
class DraftOutcome:
    reply: Reply
    usage: Usage


def _clean(text: str) -> str:
    """Model text trimmed to whole sentences, without echoed tags."""
    text = re.sub(r"</?customer_message>", "", text).strip().strip('"').strip()
    if len(text) > _MAX_CHARS:
        text = text[:_MAX_CHARS]
    ends = [m.start() for m in re.finditer(r"[.!?](?=\s|$)", text)]
    if ends and ends[-1] < len(text) - 1:
        text = text[: ends[-1] + 1]
    return text.strip()


class Drafter:
    """Drafts replies with an optional chat model; None means templates only."""

    def __init__(
        self,
        chat_model: BaseChatModel | None,
        prompts: Prompts | None = None,
        *,
        provider: str | None = None,
        attempts: int = 2,
        timeout_s: float | None = None,
    ) -> None:
        self.chat_model = chat_model
        self.prompts = prompts or load_prompts()
        self.provider = provider or ("template" if chat_model is None else chat_model._llm_type)
        self.attempts = attempts
        # Model time per customer message; by default the timeout the model was built with
        # (APPEASE_LLM_TIMEOUT_S for the openai provider), so retries never multiply it.
        self.timeout_s = timeout_s if timeout_s is not None else configured_timeout(chat_model)

    # -- model plumbing -------------------------------------------------------------------
    def _deadline(self, timeout_s: float | None = None) -> float:
        """When the model time for one message runs out (perf_counter seconds; inf: never)."""
        limits = [t for t in (self.timeout_s, timeout_s) if t is not None]
        return time.perf_counter() + min(limits) if limits else float("inf")

    def _call(self, messages: Sequence[BaseMessage], usage: Usage, deadline: float) -> str:
        assert self.chat_model is not None
        chat_model = self.chat_model

        started = time.perf_counter()
        try:
            for attempt in Retrying(
                stop=stop_after_attempt(self.attempts) | _StopNearDeadline(deadline),
                wait=wait_fixed(_RETRY_WAIT_S),
                retry=retry_if_exception_type(Exception), reraise=True,
            ):  # fmt: skip
                with attempt:
                    left = deadline - time.perf_counter()
                    if left <= 0:
                        raise _OutOfTime("no model time left for this message")
                    usage.model_calls += 1
                    if left == float("inf"):
                        message = chat_model.invoke(list(messages))
                    else:
                        message = invoke_within(chat_model, list(messages), left)
                    if time.perf_counter() > deadline:
                        raise _OutOfTime(
                            f"the model answered after the {self.timeout_s} s deadline"
                        )
        finally:
            usage.latency_ms += (time.perf_counter() - started) * 1000
        meta = getattr(message, "usage_metadata", None) or {}
        text = str(message.content)
        usage.input_tokens += int(meta.get("input_tokens", 0)) or _estimate(messages)
        usage.output_tokens += int(meta.get("output_tokens", 0)) or max(1, len(text) // 4)
        return text

    def _guarded(
        self,
        build: Any,
        decision: OfferDecision,
        fallback: str,
        language: str,
    ) -> DraftOutcome:
        usage = Usage(provider=self.provider)
        offer = render_offer_sentence(decision, language)
        if self.chat_model is None:
            return self._template(fallback, decision, usage)
        deadline = self._deadline()
        feedback = ""
        for _ in range(2):  # the first draft, and one retry with the guard's feedback
            try:
                raw = self._call(build(feedback), usage, deadline)
            except Exception as exc:  # any provider failure: the customer still gets an answer
                usage.error = f"{type(exc).__name__}: {exc}"[:300]
                log.warning("model failed; template answers", extra={"provider": self.provider})
                return self._template(fallback, decision, usage)
            words = _clean(raw)
            if len(words) < 20:
                usage.error = "empty or too short model reply"
                return self._template(fallback, decision, usage)
            text = f"{words} {offer}".strip()
            verdict = check_draft(text, decision)
            if verdict.ok:
                return DraftOutcome(Reply(text=text, source="llm", guard=verdict), usage)
            usage.guard_rejections += 1
            usage.violations.extend(verdict.violations)
            said = ", ".join(sorted({v.text for v in verdict.violations}))
            feedback = (
                f"Your previous draft was rejected because it mentioned: {said}. "
                "Write it again without any money, offer, promise or internal detail.\n"
            )
        log.info("guard rejected the model twice; template answers",
                 extra={"provider": self.provider, "violations": len(usage.violations)})  # fmt: skip
        return self._template(fallback, decision, usage)

    def _template(self, text: str, decision: OfferDecision, usage: Usage) -> DraftOutcome:
        usage.fallback = self.chat_model is not None
        verdict = check_draft(text, decision)
        if not verdict.ok:  # a business edited a template into a promise: say so loudly
            log.error("template fails the guard", extra={"violations": len(verdict.violations)})
            text = render_offer_sentence(decision) or "We are sorry, and we are looking into it."
            verdict = check_draft(text, decision)
        return DraftOutcome(Reply(text=text, source="template", guard=verdict), usage)

    # -- the three kinds of message ---------------------------------------------------------
    def resolution(
        self,
        *,
        message: str,
        decision: OfferDecision,
        category: str,
        order_id: str,
        language: str = "en",
    ) -> DraftOutcome:
        """The first reply to a complaint."""

        def build(feedback: str) -> list[BaseMessage]:
            return [
                SystemMessage(self.prompts.render("system", language=language)),
                HumanMessage(
                    self.prompts.render(
                        "resolution",
                        category_plain=category_plain(category),
                        order_id=order_id,
                        message=_delimit(message),
                        feedback=feedback,
                    )
                ),
            ]

        fallback = template_reply(decision, category=category, order_id=order_id, language=language)
        return self._guarded(build, decision, fallback, language)

    def followup(
        self,
        *,
        decision: OfferDecision,
        category: str,
        order_id: str,
        days_after: int,
        language: str = "en",
    ) -> DraftOutcome:
        """A check-in some days after resolution, ending with the perception survey question."""
        survey = _SURVEY.get(language, _SURVEY["en"])
        no_offer = decision.model_copy(update={"escalate": False})

        def build(feedback: str) -> list[BaseMessage]:
            return [
                SystemMessage(self.prompts.render("system", language=language)),
                HumanMessage(
                    feedback
                    + self.prompts.render(
                        "followup",
                        days_after=str(days_after),
                        language=language,
                        category_plain=category_plain(category),
                        order_id=order_id,
                    )
                ),
            ]

        fallback = _CHECK_IN.get(language, _CHECK_IN["en"]).format(order_id=order_id)
        # The follow-up repeats no offer: guard it against a decision with none.
        silent = _no_offer(no_offer)
        outcome = self._guarded(build, silent, fallback, language)
        reply = outcome.reply
        text = f"{reply.text} {survey}"
        outcome.reply = Reply(text=text, source=reply.source, guard=check_draft(text, silent))
        return outcome

    def chat_turn(
        self,
        *,
        history: Sequence[tuple[str, str]],
        message: str,
        decision: OfferDecision,
        category: str,
        order_id: str,
        language: str = "en",
        first: bool = True,
    ) -> DraftOutcome:
        """A chat reply; the offer sentence goes with the first reply only."""
        shown = decision if first else decision.model_copy(update={"escalate": False})

        def build(feedback: str) -> list[BaseMessage]:
            convo = "\n".join(f"{who}: {_delimit(text)}" for who, text in history[-6:]) or "(none)"
            return [
                SystemMessage(self.prompts.render("system", language=language)),
                HumanMessage(
                    feedback
                    + self.prompts.render(
                        "chat",
                        history=convo,
                        message=_delimit(message),
                        category_plain=category_plain(category),
                    )
                ),
            ]

        fallback = template_reply(shown, category=category, order_id=order_id, language=language)
        if not first:
            fallback = _FOLLOW_ON.get(language, _FOLLOW_ON["en"])
            shown = _without_offer_sentence(decision)
        return self._guarded(build, shown, fallback, language)

    def stream_chat_turn(
        self,
        *,
        history: Sequence[tuple[str, str]],
        message: str,
        decision: OfferDecision,
        category: str,
        order_id: str,
        language: str = "en",
        usage: Usage | None = None,
        timeout_s: float | None = None,
    ) -> Iterator[str]:
        """Stream a reply sentence by sentence; each sentence passes the guard before it is sent.

        On the first sentence the guard rejects, the model is stopped and the template's words
        finish the reply. The authorized offer sentence always comes from the decision.
        `timeout_s` (say, what is left of a conversation's model time) can only shorten the
        Drafter's own deadline; past it the model is stopped as if the guard had rejected it.
        """
        usage = usage if usage is not None else Usage(provider=self.provider)
        offer = render_offer_sentence(decision, language)
        fallback_body = template_reply(
            _no_offer(decision), category=category, order_id=order_id, language=language
        )
        if self.chat_model is None:
            yield from _words(f"{fallback_body} {offer}".strip())
            return
        messages = [
            SystemMessage(self.prompts.render("system", language=language)),
            HumanMessage(self.prompts.render(
                "chat", history="\n".join(f"{w}: {_delimit(t)}" for w, t in history[-6:]) or "(none)",
                message=_delimit(message), category_plain=category_plain(category),
            )),
        ]  # fmt: skip
        started = time.perf_counter()
        deadline = self._deadline(timeout_s)
        left = deadline - started
        buffer, sent, tokens = "", 0, 0
        usage.model_calls += 1
        try:
            if left <= 0:
                raise _OutOfTime("no model time left for this conversation")
            chunks = (
                self.chat_model.stream(messages)
                if left == float("inf")
                else stream_within(self.chat_model, list(messages), left)
            )
            for chunk in chunks:
                if time.perf_counter() > deadline:
                    raise _OutOfTime("the model stream ran past its deadline")
                tokens += 1
                buffer += str(chunk.content)
                while (m := _SENTENCE_END.search(buffer)) is not None:
                    sentence, buffer = buffer[: m.start()].strip(), buffer[m.end() :]
                    if not sentence:
                        continue
                    verdict = check_draft(sentence, decision)
                    if not verdict.ok:
                        usage.guard_rejections += 1
                        usage.violations.extend(verdict.violations)
                        raise _Rejected
                    sent += 1
                    yield sentence + " "
            tail = _clean(buffer)
            if tail:
                verdict = check_draft(tail, decision)
                if not verdict.ok:
                    usage.guard_rejections += 1
                    usage.violations.extend(verdict.violations)
                    raise _Rejected
                sent += 1
                yield tail + " "
            if sent == 0:
                raise _Rejected
        except _Rejected:
            usage.fallback = True
            if sent == 0:
                yield fallback_body + " "
        except Exception as exc:
            usage.fallback = True
            usage.error = f"{type(exc).__name__}: {exc}"[:300]
            if sent == 0:
                yield fallback_body + " "
        finally:
            usage.latency_ms += (time.perf_counter() - started) * 1000
            usage.output_tokens += tokens
            usage.input_tokens += _estimate(messages)
        if offer:
            yield offer


class _Rejected(Exception):
    """A streamed sentence failed the guard."""


class _OutOfTime(ProviderUnavailable):
    """The message's model time ran out: the template answers."""


class _StopNearDeadline(stop_base):
    """Tenacity stop: no retry unless the wait and a useful call still fit before the deadline."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline

    def __call__(self, retry_state: RetryCallState) -> bool:
        return time.perf_counter() + _RETRY_WAIT_S + _MIN_CALL_S > self.deadline


def _without_offer_sentence(decision: OfferDecision) -> OfferDecision:
    return decision.model_copy(update={"escalate": False})


def _no_offer(decision: OfferDecision) -> OfferDecision:
    """The same decision with nothing to offer and no hand-off line: for words around it."""
    offer = decision.offer.model_copy(update={"kind": OfferKind.none, "amount": Decimal(0)})
    return decision.model_copy(update={"escalate": False, "offer": offer})


def _words(text: str) -> Iterator[str]:
    for part in re.split(r"(?<=\s)", text):
        if part:
            yield part


def _delimit(text: str) -> str:
    """Customer text is data: strip our delimiters from it so it cannot close the data block.

    Emails, phones, cards and addresses become placeholders (`[email]`, ...): an apology needs
    none of them, so they never reach a model. The stored message keeps them.
    """
    text = visible_text(text)  # hidden instructions (tag characters, zero-width) are dropped
    return redact(re.sub(r"</?\s*customer_message\s*>", "", text, flags=re.IGNORECASE))[:4000]


def _estimate(messages: Sequence[BaseMessage]) -> int:
    return sum(len(str(m.content)) for m in messages) // 4


_SURVEY = {
    "en": "On a scale from 0 to 100, how do you feel about us now?",
    "es": "En una escala de 0 a 100, ¿cómo se siente ahora con nosotros?",
    "fr": "Sur une échelle de 0 à 100, que pensez-vous de nous maintenant ?",
    "de": "Auf einer Skala von 0 bis 100: Wie zufrieden sind Sie jetzt mit uns?",
}
_CHECK_IN = {
    "en": "We wanted to check in about order {order_id}: we hope everything is sorted now.",
    "es": "Queríamos saber cómo va todo con el pedido {order_id}: esperamos que ya esté resuelto.",
    "fr": "Nous voulions prendre des nouvelles de la commande {order_id} : nous espérons que tout est réglé.",
    "de": "Wir wollten nach Ihrer Bestellung {order_id} fragen: Wir hoffen, es ist nun alles in Ordnung.",
}
_FOLLOW_ON = {
    "en": "Thank you for your message. We have noted it on your case.",
    "es": "Gracias por su mensaje. Lo hemos añadido a su caso.",
    "fr": "Merci pour votre message. Nous l'avons ajouté à votre dossier.",
    "de": "Danke für Ihre Nachricht. Wir haben sie zu Ihrem Fall hinzugefügt.",
}
