"""Request limits: message length (422 naming the field), chat budgets (turns, tokens, model
time: past any, the template answers and a human takes over), the model's output per call."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

from fastapi.testclient import TestClient
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from sqlalchemy import select

from bot.api import create_app, mint_widget_token
from bot.config import Settings
from bot.drafting import Drafter, LocalLlamaChat, get_chat_model
from bot.store import Event, Message, Ticket
from tests.unit.api.conftest import AGENT, SERVICE, seeded_settings

BODY = {"customer_id": "5", "order": {"id": "L1", "value": "80.00", "currency": "USD"}}
WARM = "I am so sorry your parcel is late. We have checked with the courier and it is moving again."


class SlowChatModel(BaseChatModel):
    """Answers kindly after `delay_s`, invoked or streamed: every call costs model time."""

    delay_s: float = 0.0
    calls: int = 0

    @property
    def _llm_type(self) -> str:
        return "slow"

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        self.calls += 1
        time.sleep(self.delay_s)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=WARM))])

    def _stream(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> Iterator[ChatGenerationChunk]:
        self.calls += 1
        time.sleep(self.delay_s)
        for word in WARM.split(" "):
            yield ChatGenerationChunk(message=AIMessageChunk(content=word + " "))


def _detail_locs(r: Any) -> list[list[str]]:
    return [d["loc"] for d in r.json()["detail"]]


def test_a_message_over_the_limit_is_422_naming_the_field_and_one_at_it_is_stored_intact(
    db_url: str,
) -> None:
    settings = seeded_settings(db_url, max_message_chars=300)
    app = create_app(settings, drafter=Drafter(None))
    at_limit = "My order arrived late. " * 13 + "x" * 1  # 300 characters, stored as sent
    assert len(at_limit) == 300
    with TestClient(app) as c:
        over = c.post("/v1/tickets", json={**BODY, "message": at_limit + "!"}, headers=SERVICE)
        assert over.status_code == 422
        assert _detail_locs(over) == [["body", "message"]]
        assert "300" in over.json()["detail"][0]["msg"]
        ok = c.post("/v1/tickets", json={**BODY, "message": at_limit}, headers=SERVICE)
        assert ok.status_code == 200, ok.text
        assist = c.post(
            "/v1/assist/drafts", json={**BODY, "message": at_limit + "!"}, headers=AGENT
        )
        assert assist.status_code == 422 and _detail_locs(assist) == [["body", "message"]]
        hook = c.post(
            "/v1/webhooks/zendesk",
            headers=SERVICE,
            json={
                "ticket": {
                    "id": 9,
                    "description": at_limit + "!",
                    "requester": {"external_id": "5"},
                    "custom_fields": [{"id": "order_id", "value": "Z9"}],
                }
            },
        )
        assert hook.status_code == 422
        assert _detail_locs(hook) == [["body", "ticket", "description"]]
    with app.state.appease.sessions() as s:
        stored = (
            s.execute(
                select(Message.text).where(
                    Message.ticket_id == ok.json()["ticket_id"], Message.role == "customer"
                )
            )
            .scalars()
            .all()
        )
    assert stored == [at_limit], "an accepted message is stored exactly as written"


def test_the_default_limit_is_4000_characters(db_url: str) -> None:
    assert Settings().max_message_chars == 4000
    settings = seeded_settings(db_url)
    with TestClient(create_app(settings, drafter=Drafter(None))) as c:
        r = c.post("/v1/tickets", json={**BODY, "message": "a" * 4001}, headers=SERVICE)
        assert r.status_code == 422 and _detail_locs(r) == [["body", "message"]]
        assert (
            c.post("/v1/tickets", json={**BODY, "message": "a" * 4000}, headers=SERVICE).status_code
            == 200
        )


def _chat(c: TestClient, order_id: str) -> tuple[str, dict[str, str]]:
    token = mint_widget_token("test-secret", "5")
    session = c.post(
        "/v1/chat/sessions",
        headers={"Authorization": f"Bearer {token}"},
        json={"order": {"id": order_id, "value": "60", "currency": "USD"}},
    ).json()
    return (
        f"/v1/chat/sessions/{session['session_id']}/messages",
        {"Authorization": f"Bearer {session['token']}"},
    )


def _done(r: Any) -> dict[str, Any]:
    frames = [f for f in r.text.split("\n\n") if f.startswith("event: done")]
    assert frames, r.text
    return json.loads(frames[-1].split("data: ", 1)[1])


def test_a_chat_message_over_the_limit_is_422_naming_the_field(db_url: str) -> None:
    settings = seeded_settings(db_url, max_message_chars=50)
    with TestClient(create_app(settings, drafter=Drafter(None))) as c:
        url, auth = _chat(c, "CL1")
        r = c.post(url, json={"message": "x" * 51}, headers=auth)
        assert r.status_code == 422 and _detail_locs(r) == [["body", "message"]]
        assert c.post(url, json={"message": "x" * 50}, headers=auth).status_code == 200


def _escalations(app: Any, order_id: str) -> list[dict[str, Any]]:
    with app.state.appease.sessions() as s:
        ticket = s.execute(select(Ticket).where(Ticket.order_id == order_id)).scalar_one()
        return [
            e.payload
            for e in s.execute(
                select(Event).where(Event.ticket_id == ticket.id, Event.type == "escalated")
            ).scalars()
        ]


def test_past_the_model_time_budget_the_template_answers_and_a_human_takes_over(
    db_url: str,
) -> None:
    settings = seeded_settings(db_url, chat_max_model_seconds=0.5)
    model = SlowChatModel(delay_s=0.3)
    app = create_app(settings, drafter=Drafter(model))
    with TestClient(app) as c:
        url, auth = _chat(c, "CT1")
        first = c.post(url, json={"message": "My parcel is late."}, headers=auth)
        assert _done(first)["source"] == "llm"  # 0.3 s of model time spent
        second = c.post(url, json={"message": "Any news?"}, headers=auth)
        # 0.2 s left: the model is cut off at the budget, the template answers
        assert _done(second)["source"] == "template"
        calls = model.calls
        third = c.post(url, json={"message": "Hello?"}, headers=auth)
        done = _done(third)
        assert done == {"escalated": True, "source": "template"}
        assert model.calls == calls, "past the budget the model is not called at all"
    assert any(e.get("budget") == "model_seconds" for e in _escalations(app, "CT1"))


def test_past_the_token_budget_the_template_answers_and_a_human_takes_over(db_url: str) -> None:
    settings = seeded_settings(db_url, chat_max_tokens=10)
    app = create_app(settings, drafter=Drafter(SlowChatModel()))
    with TestClient(app) as c:
        url, auth = _chat(c, "CK1")
        assert (
            _done(c.post(url, json={"message": "My parcel is late."}, headers=auth))["source"]
            == "llm"
        )
        # the first reply's tokens count: the second message is already past the budget
        assert _done(c.post(url, json={"message": "Any news?"}, headers=auth)) == {
            "escalated": True,
            "source": "template",
        }
    assert any(e.get("budget") == "tokens" for e in _escalations(app, "CK1"))


def test_past_the_turn_budget_the_template_answers_and_a_human_takes_over(db_url: str) -> None:
    settings = seeded_settings(db_url, chat_max_turns=2)
    app = create_app(settings, drafter=Drafter(SlowChatModel()))
    with TestClient(app) as c:
        url, auth = _chat(c, "CN1")
        sources = [
            _done(c.post(url, json={"message": said}, headers=auth))
            for said in ("My parcel is late.", "Any news?", "Hello?")
        ]
    assert [d["escalated"] for d in sources] == [False, False, True]
    assert sources[-1]["source"] == "template"
    assert any(e.get("budget") == "turns" for e in _escalations(app, "CN1"))


def test_every_provider_gets_the_output_bound(tmp_path: Any) -> None:
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"")
    local = get_chat_model(Settings(llm="local", model_path=gguf, llm_max_tokens=77))
    assert isinstance(local, LocalLlamaChat) and local.max_tokens == 77
    assert local._payload([], None)["max_tokens"] == 77
    remote = get_chat_model(
        Settings(llm="openai", openai_base_url="http://127.0.0.1:9/v1", llm_max_tokens=77)
    )
    assert remote is not None
    assert remote.extra_body == {"max_tokens": 77}  # type: ignore[attr-defined]
    assert remote.max_retries == 0  # type: ignore[attr-defined]
    assert get_chat_model(Settings(llm="template")) is None


def test_a_request_still_in_flight_is_409_with_retry_after(db_url: str) -> None:
    from bot.service import TicketRequest
    from bot.service._tickets import _hash

    settings = seeded_settings(db_url)
    app = create_app(settings, drafter=Drafter(None))
    body = {**BODY, "order": {"id": "IF1", "value": "80.00", "currency": "USD"}, "message": "late"}
    with app.state.appease.sessions.begin() as s:  # the first request is still resolving
        s.add(
            Ticket(
                customer_id="5",
                channel="api",
                order_id="IF1",
                order_value=80,
                currency="USD",
                idempotency_key="if-1",
                request_hash=_hash(TicketRequest.model_validate(body)),
                state="in_flight",
            )
        )
    with TestClient(app) as c:
        r = c.post("/v1/tickets", json=body, headers={**SERVICE, "Idempotency-Key": "if-1"})
    assert r.status_code == 409 and r.headers["Retry-After"] == "1"


def test_the_openapi_schema_states_the_message_limit_the_server_enforces(
    settings: Settings,
) -> None:
    small = settings.model_copy(update={"max_message_chars": 1234})
    with TestClient(create_app(small, drafter=Drafter(None))) as c:
        schema = c.get("/openapi.json").json()
        limits = {
            (name, prop.get("maxLength"))
            for component in schema["components"]["schemas"].values()
            for name, prop in component.get("properties", {}).items()
            if name in ("message", "description") and "maxLength" in prop
        }
        assert limits and {limit for _, limit in limits} == {1234}
        over = c.post(
            "/v1/tickets",
            json={
                "customer_id": "c1",
                "message": "x" * 1235,
                "order": {"id": "o", "value": "10", "currency": "USD"},
            },
            headers={"Authorization": "Bearer none"},
        )
        assert over.status_code in (401, 422)


def test_serve_says_where_it_listens_and_what_is_missing() -> None:
    from bot.cli.service import _banner

    lines = _banner(
        Settings(database_url="postgresql://app:hunter2@db:5432/prod"), "0.0.0.0", 8080, 2, None
    )
    text = "\n".join(lines)
    assert "http://0.0.0.0:8080" in text and "2 workers" in text
    assert "hunter2" not in text and "@db:5432/prod" in text
    assert "no API keys" in text and "no widget secret" in text


def test_the_in_process_limiter_keeps_a_bounded_number_of_buckets() -> None:
    """One bucket per chat session: a long-lived worker must not grow without bound."""
    from bot.api._security import RateLimiter

    limiter = RateLimiter(per_minute=1, max_keys=100)
    for i in range(10_000):
        assert limiter.take(f"session-{i}", now=0.0) is None  # each new session starts full
    assert len(limiter) == 100
    # The most recent keys are still limited; a forgotten one starts full again.
    assert limiter.take("session-9999", now=0.0) is not None
    assert limiter.take("session-0", now=0.0) is None
