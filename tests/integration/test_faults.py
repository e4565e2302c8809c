"""Model faults: the real `openai` provider against loopback servers that misbehave.

Each fault is a real HTTP endpoint started here: a closed port (connection refused), a server
that accepts and never answers, one that answers only after the timeout, one that trickles a
valid answer a byte at a time (the client's timeout is per read: only the Drafter's deadline
bounds it), one that answers 200 with garbage, and one that answers 500, 503 or 429 every time. Through `POST /v1/tickets` and
through the chat stream, every customer message must still be answered by the template, with
the authorized offer, passing the guard, within `llm_timeout_s` plus a margin: the retries
(the Drafter's tenacity policy; the openai client's own are off) share one deadline per message.
The wall times are printed per fault (`pytest -s`); the assertion is only the bound.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.api import create_app, mint_widget_token
from bot.config import Settings
from bot.domain import OfferDecision, OfferKind
from bot.drafting import check_draft
from bot.store import Message, Ticket
from bot.triage import load_triager
from tests.unit.api.conftest import KEYS, SERVICE, seeded_settings

TIMEOUT_S = 2.5
# Generous: the template path itself (triage, policy, SQLite) on a loaded 2-core machine. Without
# one deadline per message, the two tenacity attempts alone take 2 x TIMEOUT_S + 0.2 s.
MARGIN_S = 2.0
MAX_TOKENS = 64


@dataclass
class FaultServer:
    """A loopback endpoint that answers every POST with `respond(handler, body)`."""

    respond: Callable[[BaseHTTPRequestHandler, dict[str, Any]], None]
    requests: list[dict[str, Any]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)


def _serve(fault: FaultServer) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("content-length") or 0))
            try:
                body = json.loads(raw)
            except ValueError:
                body = {}
            fault.requests.append(body)
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                fault.respond(self, body)  # (the client may rightly give up first)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        fault.stop.set()
        server.shutdown()
        server.server_close()


def _send(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: bytes,
    ctype: str,
    headers: dict[str, str] | None = None,
) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", ctype)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)


def _completion(text: str) -> bytes:
    return json.dumps(
        {
            "id": "cmpl-1",
            "object": "chat.completion",
            "created": 0,
            "model": "m",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": text},
                }
            ],
            "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
        }
    ).encode()


def _garbage(kind: str) -> Callable[[BaseHTTPRequestHandler, dict[str, Any]], None]:
    bodies = {
        "html": (b"<html><body><h1>502 Bad Gateway</h1>nginx</body></html>", "text/html"),
        "invalid_json": (b'{"choices": [{"message": {"content": "We are so', "application/json"),
        "no_choices": (
            b'{"id": "x", "object": "chat.completion", "model": "m"}',
            "application/json",
        ),
    }
    body, ctype = bodies[kind]

    def respond(h: BaseHTTPRequestHandler, req: dict[str, Any]) -> None:
        _send(h, 200, body, "text/event-stream" if req.get("stream") and kind != "html" else ctype)

    return respond


def _status(code: int) -> Callable[[BaseHTTPRequestHandler, dict[str, Any]], None]:
    def respond(h: BaseHTTPRequestHandler, _req: dict[str, Any]) -> None:
        # Retry-After invites a client that retries on its own to wait 20 s: it must not.
        error = json.dumps({"error": {"message": "overloaded", "type": "server_error"}}).encode()
        _send(h, code, error, "application/json", {"Retry-After": "20"})

    return respond


def _trickle(
    fault_stop: threading.Event,
) -> Callable[[BaseHTTPRequestHandler, dict[str, Any]], None]:
    def respond(h: BaseHTTPRequestHandler, req: dict[str, Any]) -> None:
        # A valid answer, one byte every 0.1 s: each read is quick, so the client's (per read)
        # timeout never fires; only a deadline over the whole call bounds it.
        if req.get("stream"):
            delta = {
                "id": "c",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": "m",
                "choices": [{"index": 0, "delta": {"content": "We are so sorry. "}}],
            }
            body, ctype = (
                f"data: {json.dumps(delta)}\n\ndata: [DONE]\n\n".encode(),
                "text/event-stream",
            )
        else:
            body, ctype = (
                _completion("We are truly sorry about your order. " * 3),
                "application/json",
            )
        h.send_response(200)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        for i in range(len(body)):
            if fault_stop.wait(0.1):
                return
            h.wfile.write(body[i : i + 1])
            h.wfile.flush()

    return respond


def _late(fault_stop: threading.Event) -> Callable[[BaseHTTPRequestHandler, dict[str, Any]], None]:
    def respond(h: BaseHTTPRequestHandler, _req: dict[str, Any]) -> None:
        # Answers, well, but only after three timeouts: too late to be used.
        if not fault_stop.wait(3 * TIMEOUT_S):
            _send(
                h, 200, _completion("We are truly sorry about your order. " * 3), "application/json"
            )

    return respond


@pytest.fixture(scope="module")
def db_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('faults') / 'store.db'}"
    seeded_settings(url)
    load_triager()  # loaded once here, so no request below pays for it
    return url


@pytest.fixture
def refused_url() -> Iterator[str]:
    """A port that nothing listens on: connection refused."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    yield f"http://127.0.0.1:{port}/v1"


@pytest.fixture
def silent_url() -> Iterator[str]:
    """A port that completes the TCP handshake (kernel backlog) and never reads or answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(512)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    finally:
        sock.close()


FAULTS = [
    "refused",
    "silent",
    "late",
    "trickle",
    "html",
    "invalid_json",
    "no_choices",
    "500",
    "503",
    "429",
]


@pytest.fixture
def fault_url(request: pytest.FixtureRequest) -> Iterator[tuple[str, FaultServer | None]]:
    kind = request.param
    if kind == "refused":
        yield request.getfixturevalue("refused_url"), None
        return
    if kind == "silent":
        yield request.getfixturevalue("silent_url"), None
        return
    fault = FaultServer(respond=lambda h, b: None)
    if kind == "late":
        fault.respond = _late(fault.stop)
    elif kind == "trickle":
        fault.respond = _trickle(fault.stop)
    elif kind.isdigit():
        fault.respond = _status(int(kind))
    else:
        fault.respond = _garbage(kind)
    yield from ((url, fault) for url in _serve(fault))


def _sse(text: str) -> tuple[str, dict[str, Any]]:
    out, done = "", {}
    for frame in text.split("\n\n"):
        lines = dict(line.split(": ", 1) for line in frame.splitlines() if ": " in line)
        if lines.get("event") == "delta":
            out += json.loads(lines["data"])["text"]
        elif lines.get("event") == "done":
            done = json.loads(lines["data"])
    return out.strip(), done


def _offer_shown(decision: OfferDecision, text: str) -> bool:
    if decision.offer.kind in (OfferKind.none, OfferKind.apology_only) or not decision.offer.amount:
        return True
    return str(decision.offer.amount).split(".")[0] in text.replace(",", "")


def _timed(call: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


@pytest.mark.slow
@pytest.mark.parametrize("fault_url", FAULTS, indirect=True)
def test_every_message_is_answered_by_the_template_within_the_timeout(
    fault_url: tuple[str, FaultServer | None], db_file: str, request: pytest.FixtureRequest
) -> None:
    base_url, fault = fault_url
    kind = request.node.callspec.params["fault_url"]
    settings = _settings(db_file, base_url)
    app = create_app(settings)  # the real provider: get_chat_model(settings) builds ChatOpenAI
    assert app.state.appease.drafter.chat_model is not None
    bound = TIMEOUT_S + MARGIN_S
    times: list[float] = []
    with TestClient(app) as client:
        for i, body in enumerate(_tickets(kind)):
            r, took = _timed(
                lambda body=body, i=i: client.post(
                    "/v1/tickets", json=body, headers={**SERVICE, "Idempotency-Key": f"{kind}-{i}"}
                )
            )
            times.append(took)
            assert r.status_code == 200, r.text
            out = r.json()
            decision = OfferDecision.model_validate(out["decision"])
            assert out["reply"]["source"] == "template", out["reply"]
            assert out["reply"]["guard"]["ok"] and check_draft(out["reply"]["text"], decision).ok
            assert _offer_shown(decision, out["reply"]["text"]), out["reply"]["text"]
            assert took < bound, f"{kind}: ticket took {took:.2f} s (bound {bound} s)"

        token = mint_widget_token("test-secret", "5")
        session = client.post(
            "/v1/chat/sessions",
            headers={"Authorization": f"Bearer {token}"},
            json={"order": {"id": f"CHAT-{kind}", "value": "90", "currency": "USD"}},
        ).json()
        auth = {"Authorization": f"Bearer {session['token']}"}
        url = f"/v1/chat/sessions/{session['session_id']}/messages"
        for n, said in enumerate(
            ["My blender arrived broken, the jar is cracked.", "Hello? Anyone?"]
        ):
            r, took = _timed(
                lambda said=said: client.post(url, json={"message": said}, headers=auth)
            )
            times.append(took)
            assert r.status_code == 200, r.text
            text, done = _sse(r.text)
            assert done.get("source") == "template", (kind, done, text)
            assert took < bound, f"{kind}: chat message {n + 1} took {took:.2f} s (bound {bound} s)"
            with app.state.appease.sessions() as s:
                ticket = s.execute(
                    select(Ticket).where(Ticket.order_id == f"CHAT-{kind}")
                ).scalar_one()
                decision = OfferDecision.model_validate(ticket.response["decision"])
                stored = (
                    s.execute(
                        select(Message.text).where(
                            Message.ticket_id == ticket.id, Message.role == "customer"
                        )
                    )
                    .scalars()
                    .all()
                )
            assert said in stored, "the customer's message is stored"
            if n == 0:  # the first reply carries the decision's offer
                assert check_draft(text, decision).ok and _offer_shown(decision, text), text
            else:  # later replies repeat no offer
                silent = decision.model_copy(
                    update={
                        "escalate": False,
                        "offer": decision.offer.model_copy(
                            update={"kind": OfferKind.none, "amount": 0}
                        ),
                    }
                )
                assert check_draft(text, silent).ok, text
    calls = len(fault.requests) if fault is not None else None
    print(
        f"\nfault {kind}: {len(times)} messages, max {max(times):.2f} s, "
        f"bound {bound:.1f} s (llm_timeout_s {TIMEOUT_S}), model requests {calls}"
    )
    if fault is not None:
        # One bounded retry policy: at most two model requests per message (four messages here).
        assert len(fault.requests) <= 2 * len(times)
        # An output bound reaches the server on every call (llama.cpp reads max_tokens): the
        # configured one for a whole reply, a tighter one for compose mode's single sentence.
        bounds = [req.get("max_tokens") for req in fault.requests]
        assert all(isinstance(b, int) and 0 < b <= MAX_TOKENS for b in bounds), fault.requests[:1]


def _settings(db_file: str, base_url: str) -> Settings:
    """The openai provider pointed at the fault, on the module's seeded SQLite store."""
    return Settings(
        database_url=db_file,
        llm="openai",
        openai_base_url=base_url,
        model="smollm2",
        llm_timeout_s=TIMEOUT_S,
        llm_max_tokens=MAX_TOKENS,
        api_keys=KEYS,
        widget_secret="test-secret",
        rate_limit_per_minute=10_000,
    )


def _tickets(kind: str) -> list[dict[str, Any]]:
    return [
        {
            "customer_id": "5",
            "order": {"id": f"T-{kind}-1", "value": "120.00", "currency": "USD"},
            "issue": {"category": "damaged_item", "severity": 3},
            "message": "The lamp arrived in pieces and I need it for Friday.",
        },
        {
            "customer_id": "7",
            "order": {"id": f"T-{kind}-2", "value": "45.00", "currency": "USD"},
            "message": "My parcel is two weeks late and nobody answers my emails.",
        },
    ]
