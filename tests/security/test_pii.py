"""PII and secrets stay out of logs and prompts; the stored customer message keeps every word.

Unit tests of `bot.redact` on realistic text (and on what must survive: order ids, amounts,
dates, tracking numbers), hypothesis properties, and one full run of the service over HTTP
with every logger at DEBUG whose captured log and model prompts are scanned.
"""

from __future__ import annotations

import io
import json
import logging
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field
from sqlalchemy import select

from bot.api import create_app, mint_widget_token
from bot.cli._logging import configure_logging
from bot.config import Settings
from bot.drafting import Drafter
from bot.redact import RedactingFilter, luhn_ok, redact
from bot.store import Message, make_engine, make_sessionmaker
from bot.triage import load_triager
from tests.net import free_port
from tests.unit.api.conftest import seeded_settings

# -- redact(): what goes --------------------------------------------------------------------

EMAILS = ["jane.doe@example.com", "J.O'Neil+orders@mail.example.co.uk", "x_y-z@sub.domain.io"]
PHONES = [
    "+44 20 7946 0958",
    "+1 (415) 555-2671",
    "+33 1 42 68 53 00",
    "+49 30 901820",
    "+91 98765 43210",
    "+61 2 9374 4000",
    "+1-800-555-0199",
    "(415) 555-2671",
    "415-555-2671",
    "415.555.2671",
    "07700 900123",
    "020 7946 0958",
    "01 42 68 53 00",
]
CARDS = [
    "4111 1111 1111 1111",
    "4111-1111-1111-1111",
    "4111111111111111",
    "5500 0000 0000 0004",
    "3782 822463 10005",  # Amex 4-6-5
    "6011000990139424",
]
ADDRESSES = [
    "221B Baker Street",
    "10 Downing St",
    "1600 Pennsylvania Avenue",
    "42 Wallaby Way",
    "12 rue de la Paix",
    "3 bis avenue Foch",
    "7 calle del Prado",
    "Hauptstraße 12",
    "Keizersgracht 123",
    "Calle Mayor 5",
    "Via Roma 12",
]


@pytest.mark.parametrize(
    ("value", "placeholder"),
    [(e, "[email]") for e in EMAILS]
    + [(p, "[phone]") for p in PHONES]
    + [(c, "[card]") for c in CARDS]
    + [(a, "[address]") for a in ADDRESSES],
)
def test_pii_in_a_complaint_becomes_a_placeholder(value: str, placeholder: str) -> None:
    text = f"My order A-10023 ($40.00) never came. Reach me via {value}, thanks!"
    out = redact(text)
    assert value not in out
    assert placeholder in out
    assert "A-10023" in out and "$40.00" in out


def test_a_realistic_message_keeps_its_meaning() -> None:
    text = (
        "Hi, order A-10023 arrived broken on 2026-11-23. I paid $89.99 with card "
        "4111 1111 1111 1111. Please call +44 20 7946 0958 or write to jane.doe@example.com; "
        "the parcel should go to 221B Baker Street, London NW1 6XE."
    )
    assert redact(text) == (
        "Hi, order A-10023 arrived broken on 2026-11-23. I paid $89.99 with card "
        "[card]. Please call [phone] or write to [email]; "
        "the parcel should go to [address], London NW1 6XE."
    )


# -- redact(): what stays -------------------------------------------------------------------

KEEP = [
    "order A-10023",
    "order #123456789",
    "refund of $40.00",
    "1,299.00 EUR",
    "on 2026-11-23",
    "on 23/11/2026",
    "on 01.12.2026",
    "at 05.12.2026 14:30",
    "tracking 1Z999AA10123456784",
    "tracking 9400 1000 0000 0000 0000 00",
    "tracking 1234 5678 9012 3456",  # 16 digits, fails Luhn
    "tracking 4111111111111112",  # a card's digits, last one off: fails Luhn
    "I waited 14 days for 2 items on the way",
    "I bought 3 place mats and a Ring 5 days ago",
    "sent via DHL 2 weeks ago",
    "the bearer of bad news",
    "version 2026-11-22+3f9a0c1b2d4e",
]


@pytest.mark.parametrize("text", KEEP)
def test_ids_amounts_dates_and_tracking_numbers_are_not_redacted(text: str) -> None:
    assert redact(text) == text


def test_luhn() -> None:
    assert luhn_ok("4111111111111111") and luhn_ok("378282246310005")
    assert not luhn_ok("4111111111111112") and not luhn_ok("1234567890123456")


# -- secrets ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ('GET /dashboard?key=adm-S3cr3t&tier=gold HTTP/1.1" 200', "adm-S3cr3t"),
        ("/assist?key=agt-Xy12&customer=5", "agt-Xy12"),
        ("/widget?token=eyJzdWIiOiI1In0.c2ln&order_id=W-1", "eyJzdWIiOiI1In0.c2ln"),
        ("https://h/x?api_key=sk-live-123", "sk-live-123"),
        ("Authorization: Bearer svc-key-42", "svc-key-42"),
        ("{'authorization': 'Bearer eyJh.eyJz.sig'}", "eyJh.eyJz"),
        ("[(b'authorization', b'Bearer tok-98765')]", "tok-98765"),
        ("postgresql+psycopg://app:pa55word@db:5432/appease", "pa55word"),
    ],
)
def test_keys_tokens_and_passwords_are_redacted(text: str, secret: str) -> None:
    out = redact(text)
    assert secret not in out and "[redacted]" in out


def test_repr_of_settings_shows_no_key_or_password() -> None:
    s = Settings(
        api_keys="svc-Q9x:service,adm-Z8y:admin",
        widget_secret="w1dget-s3cret",
        openai_api_key="sk-abc123",
        database_url="postgresql://app:pa55word@db/appease",
    )
    shown = repr(s) + str(s)
    for secret in ("svc-Q9x", "adm-Z8y", "w1dget-s3cret", "sk-abc123", "pa55word"):
        assert secret not in shown


# -- properties ---------------------------------------------------------------------------------


@st.composite
def luhn_cards(draw: st.DrawFn) -> str:
    """A Luhn-valid number of 13-19 digits (first digit 1-9), plain, spaced or dashed by 4."""
    size = draw(st.integers(13, 19))
    rest = draw(st.lists(st.integers(0, 9), min_size=size - 2, max_size=size - 2))
    body = [draw(st.integers(1, 9)), *rest]
    for check in range(10):
        if luhn_ok("".join(map(str, [*body, check]))):
            break
    digits = "".join(map(str, [*body, check]))
    sep = draw(st.sampled_from(["", " ", "-"]))
    return sep.join(digits[i : i + 4] for i in range(0, len(digits), 4)) if sep else digits


def _no_digit_at(end: int) -> Any:
    # A card stands apart from other digits; a single space or dash would join them into one
    # longer number, which redact leaves alone (tracking numbers look like that).
    return st.text(max_size=40).filter(lambda s: not re.match(r"\d", s[end:] or "x"))


@given(before=st.text(max_size=40), email=st.emails(), after=st.text(max_size=40))
def test_any_email_in_any_text_is_gone(before: str, email: str, after: str) -> None:
    assert email not in redact(f"{before} {email} {after}")


@given(before=_no_digit_at(-1), card=luhn_cards(), after=_no_digit_at(0))
def test_any_luhn_valid_card_in_any_text_is_gone(before: str, card: str, after: str) -> None:
    assert card not in redact(f"{before} {card} {after}")


@given(
    st.lists(
        st.one_of(
            st.text(max_size=30),
            st.emails(),
            luhn_cards(),
            st.sampled_from(PHONES),
            st.sampled_from(ADDRESSES),
            st.sampled_from(KEEP),
        ),
        max_size=6,
    ),
    st.sampled_from([" ", "\n", ", ", ""]),
)
def test_redact_is_idempotent(parts: list[str], sep: str) -> None:
    once = redact(sep.join(parts))
    assert redact(once) == once


# -- the logging filter -------------------------------------------------------------------------


def _record(msg: object, args: Any = (), **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, msg, args, None)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_filter_redacts_message_args_extra_and_traceback() -> None:
    f = RedactingFilter()
    r = _record("mail from %s to %s", ("jane.doe@example.com", "+44 20 7946 0958"))
    assert f.filter(r) and r.getMessage() == "mail from [email] to [phone]"
    r = _record("%s - %r", ("127.0.0.1", {"q": "x", "t": "key=adm-S3cr3t"}))
    f.filter(r)
    assert "adm-S3cr3t" not in r.getMessage()
    r = _record("params %(p)s", ({"p": "4111 1111 1111 1111"},))
    f.filter(r)
    assert r.getMessage() == "params [card]"
    r = _record("resolved", customer="jane.doe@example.com", tickets=3)
    f.filter(r)
    assert r.customer == "[email]" and r.tickets == 3
    try:
        raise ValueError("bad address 221B Baker Street")
    except ValueError:
        import sys

        r = logging.LogRecord("t", logging.ERROR, __file__, 1, "boom", (), sys.exc_info())
    f.filter(r)
    assert "Baker" not in logging.Formatter().format(r)


def test_uvicorn_access_records_keep_their_shape() -> None:
    """Formatters that unpack `record.args` (uvicorn's access formatter) still work."""
    r = _record(
        '%s - "%s %s HTTP/%s" %d', ("127.0.0.1:5", "GET", "/dashboard?key=k-123", "1.1", 200)
    )
    RedactingFilter().filter(r)
    assert len(r.args) == 5 and r.args[2] == "/dashboard?key=[redacted]"


def test_the_triage_model_gets_no_pii() -> None:
    model = RecordingModel(
        script=[
            '{"category": "late_delivery", "severity": 2, "wants_human": false, "confidence": 0.9}'
        ]
    )
    text = f"Late again! {EMAILS[0]}, {PHONES[0]}, {CARDS[0]}, {ADDRESSES[0]}"
    load_triager().with_chat_model(model).triage(text)
    sent = "".join(str(m.content) for m in model.prompts[0])
    assert not [v for v in (EMAILS[0], PHONES[0], CARDS[0], ADDRESSES[0]) if v in sent]
    assert "[email]" in sent


# -- a full run, every logger at DEBUG --------------------------------------------------------


class RecordingModel(BaseChatModel):
    """Keeps every prompt; replies from a script in which an entry "FAIL" raises (a timeout)."""

    script: list[str] = Field(default_factory=list)
    prompts: list[list[BaseMessage]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "recording"

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        self.prompts.append(list(messages))
        reply = self.script.pop(0) if self.script else "FAIL"
        if reply == "FAIL":
            # Real servers echo input in errors: the warning path must not leak it either.
            raise TimeoutError(f"model server timed out on: {messages[-1].content[:200]}")
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=reply))])


KEYS = {"service": "svc-7Hq2xK9mPq", "agent": "agt-3Lw8vB1nZr", "admin": "adm-9Tc4sD6fJy"}
WIDGET_SECRET = "w1dget-Secret-55"
APOLOGY = "We are so sorry about your order and the trouble it caused you. We are on it now."
PII = {
    "email": "jane.doe+orders@example.co.uk",
    "phone": "+44 20 7946 0958",
    "phone_us": "(415) 555-2671",
    "card": "4111 1111 1111 1111",
    "card_plain": "5500000000000004",
    "address": "221B Baker Street",
    "address_fr": "12 rue de la Paix",
}


def _message(n: int) -> str:
    return (
        f"Complaint {n}: my parcel for order A-1002{n} is two weeks late and the lamp is broken. "
        f"Write to {PII['email']} or call {PII['phone']} / {PII['phone_us']}. I paid with "
        f"{PII['card']} (backup card {PII['card_plain']}). Ship the replacement to "
        f"{PII['address']}, London, or to {PII['address_fr']}, Paris."
    )


@pytest.fixture
def debug_logs() -> Iterator[io.StringIO]:
    """The `serve` logging configuration, at DEBUG for every logger, into a buffer; restored after."""
    root = logging.getLogger()
    loggers = [
        root,
        *(lg for lg in root.manager.loggerDict.values() if isinstance(lg, logging.Logger)),
    ]
    saved = [(lg, lg.level, list(lg.handlers), lg.propagate, lg.disabled) for lg in loggers]
    buffer = io.StringIO()
    configure_logging(logging.DEBUG, stream=buffer)
    for lg in root.manager.loggerDict.values():
        if isinstance(lg, logging.Logger):
            lg.setLevel(logging.DEBUG)
            lg.disabled = False
    try:
        yield buffer
    finally:
        for h in root.handlers:
            if h not in saved[0][2]:
                h.close()
        for lg in root.manager.loggerDict.values():
            if isinstance(lg, logging.Logger):
                lg.setLevel(logging.NOTSET)
        for lg, level, handlers, propagate, disabled in saved:
            lg.setLevel(level)
            lg.handlers[:] = handlers
            lg.propagate, lg.disabled = propagate, disabled


def _sse(text: str) -> str:
    out = ""
    for frame in text.split("\n\n"):
        lines = dict(line.split(": ", 1) for line in frame.splitlines() if ": " in line)
        if lines.get("event") == "delta":
            out += json.loads(lines["data"])["text"]
    return out


def test_a_full_run_logs_no_pii_or_keys_and_prompts_carry_none(
    tmp_path: Path, debug_logs: io.StringIO
) -> None:
    import uvicorn

    url = seeded_settings(f"sqlite:///{tmp_path / 'pii.db'}").database_url
    settings = Settings(
        database_url=url,
        llm="template",
        widget_secret=WIDGET_SECRET,
        api_keys=",".join(f"{k}:{role}" for role, k in KEYS.items()),
    )
    # Replies for the first ticket, then failures (warning path, template), then replies again.
    model = RecordingModel(script=[APOLOGY, "FAIL", "FAIL", *[APOLOGY] * 12])
    app = create_app(settings, drafter=Drafter(model))
    port = free_port()
    # As `appease serve` runs it: log_config=None, so uvicorn's loggers reach the filtered handler.
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_config=None, log_level="debug", access_log=True
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    service = {"Authorization": f"Bearer {KEYS['service']}"}
    agent = {"Authorization": f"Bearer {KEYS['agent']}"}
    tokens: list[str] = []
    try:
        with httpx.Client(base_url=base, timeout=30) as http:
            for _ in range(100):
                try:
                    if http.get("/healthz").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.05)
            order = lambda n: {"id": f"A-1002{n}", "value": "80.00", "currency": "USD"}  # noqa: E731
            codes = []
            for n in (1, 2):  # 1: the model answers; 2: the model fails twice, the template answers
                r = http.post(
                    "/v1/tickets",
                    headers={**service, "Idempotency-Key": f"pii-{n}"},
                    json={"customer_id": "5", "order": order(n), "message": _message(n)},
                )
                codes.append(r.status_code)
            replay = http.post(
                "/v1/tickets",
                headers={**service, "Idempotency-Key": "pii-1"},
                json={"customer_id": "5", "order": order(1), "message": _message(1)},
            )
            codes.append(replay.status_code)
            conflict = http.post(
                "/v1/tickets",
                headers={**service, "Idempotency-Key": "pii-1"},
                json={"customer_id": "5", "order": order(1), "message": _message(9)},
            )
            codes.append(conflict.status_code)
            bad = http.post(
                "/v1/tickets",
                headers=service,
                json={"customer_id": PII["email"], "order": order(3), "message": _message(3)},
            )
            codes.append(bad.status_code)
            wrong_key = http.post(
                "/v1/tickets",
                json={"customer_id": "5", "order": order(4)},
                headers={"Authorization": f"Bearer {KEYS['admin']}x"},
            )
            codes.append(wrong_key.status_code)
            draft = http.post(
                "/v1/assist/drafts",
                headers=agent,
                json={"customer_id": "6", "order": order(5), "message": _message(5)},
            )
            codes.append(draft.status_code)
            approve = http.post(
                f"/v1/assist/drafts/{draft.json()['draft_id']}/approve",
                headers=agent,
                json={"agent": "ana", "edited_text": f"Sorry! We wrote to {PII['email']}."},
            )
            codes.append(approve.status_code)
            token = mint_widget_token(WIDGET_SECRET, "7")
            session = http.post(
                "/v1/chat/sessions",
                json={"order": order(6)},
                headers={"Authorization": f"Bearer {token}"},
            ).json()
            tokens += [token, session["token"]]
            chat = {"Authorization": f"Bearer {session['token']}"}
            for n in (6, 7):  # the first turn is a ticket, the second streams with history
                r = http.post(
                    f"/v1/chat/sessions/{session['session_id']}/messages",
                    json={"message": _message(n)},
                    headers=chat,
                )
                codes.append(r.status_code)
                assert _sse(r.text)
            dash = http.get("/dashboard", params={"key": KEYS["admin"], "tier": "gold"})
            codes.append(dash.status_code)
            codes.append(http.get(f"/dashboard?key={KEYS['service']}").status_code)
            codes.append(http.get(f"/assist?key={KEYS['agent']}&customer=5").status_code)
            codes.append(
                http.get(
                    "/v1/kpi", headers={"Authorization": f"Bearer {KEYS['admin']}"}
                ).status_code
            )
            codes.append(
                http.get("/v1/offers", params={"order_id": "A-10021"}, headers=service).status_code
            )
            hook = {
                "ticket": {
                    "id": 4242,
                    "description": _message(8),
                    "requester": {"external_id": "8"},
                    "custom_fields": [
                        {"id": "order_id", "value": "Z-8"},
                        {"id": "order_value", "value": "40"},
                    ],
                }
            }
            codes.append(http.post("/v1/webhooks/zendesk", json=hook, headers=service).status_code)
            bad_hook = {
                "ticket": {
                    "id": 4243,
                    "description": _message(9),
                    "requester": {"external_id": PII["email"]},
                    "custom_fields": [{"id": "order_value", "value": PII["phone"]}],
                }
            }
            codes.append(
                http.post("/v1/webhooks/zendesk", json=bad_hook, headers=service).status_code
            )
    finally:
        server.should_exit = True
        thread.join(timeout=10)

    assert codes == [
        200,
        200,
        200,
        422,
        200,  # a customer id the store never saw (here an email) is answered as a new customer
        401,
        200,
        200,
        200,
        200,
        200,
        403,
        200,
        200,
        200,
        200,
        422,
    ]
    log_text = debug_logs.getvalue()
    lines = log_text.splitlines()
    secrets = {
        **PII,
        "card_digits": PII["card"].replace(" ", ""),
        "phone_digits": "2079460958",
        **{f"key_{r}": k for r, k in KEYS.items()},
        "widget_secret": WIDGET_SECRET,
    }
    secrets.update({f"token_{i}": t for i, t in enumerate(tokens)})
    leaked = {name: [ln for ln in lines if value in ln][:2] for name, value in secrets.items()}
    assert not {k: v for k, v in leaked.items() if v}, "PII or a secret reached the log"
    # The scan looked at real traffic: access log, SQL with its parameters, the model warning.
    assert "/dashboard?key=[redacted]" in log_text
    assert "uvicorn.access" in log_text and "sqlalchemy.engine" in log_text
    assert "[email]" in log_text and "[card]" in log_text
    assert "model failed; the phrase library answers" in log_text

    prompts = ["\n".join(str(m.content) for m in p) for p in model.prompts]
    assert len(prompts) >= 6
    in_prompts = {name: value for name, value in PII.items() if any(value in p for p in prompts)}
    assert not in_prompts, "PII reached the model"
    assert all("[email]" in p and "[card]" in p and "[address]" in p for p in prompts)

    engine = make_engine(url)
    with make_sessionmaker(engine)() as s:
        stored = [m.text for m in s.scalars(select(Message).where(Message.role == "customer"))]
    engine.dispose()
    full = [t for t in stored if all(v in t for v in PII.values())]
    assert len(full) >= 6, "the stored customer messages keep every word"
    print(
        f"\nPII log scan: {len(lines)} log lines and {len(prompts)} prompts scanned, "
        f"{len(secrets)} values looked for, 0 found; {len(full)} stored messages complete"
    )
