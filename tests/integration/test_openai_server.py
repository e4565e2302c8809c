"""The `openai` provider against a real OpenAI-compatible server: llama.cpp's, on loopback,
serving the embedded GGUF; langchain-openai's ChatOpenAI and the real openai client."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from bot.config import Settings
from bot.drafting import Drafter, get_chat_model, render_offer_sentence, smollm2_path
from bot.pipeline import resolve
from bot.policy import load_policy
from tests.conftest import require_service
from tests.factories import make_ticket
from tests.net import free_port

pytestmark = pytest.mark.llm_server


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    require_service(
        importlib.util.find_spec("llama_cpp.server") is not None, "needs llama-cpp-python[server]"
    )
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(smollm2_path()),
            "--model_alias",
            "smollm2",
            "--n_ctx",
            "2048",
            "--n_threads",
            "2",
            "--verbose",
            "False",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/v1"
    try:
        for _ in range(120):
            try:
                if httpx.get(f"{base}/models", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.25)
        else:
            pytest.fail("llama_cpp.server did not start within 30 s")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_invoke_and_stream_through_langchain_openai(server: str) -> None:
    model = get_chat_model(
        Settings(llm="openai", openai_base_url=server, model="smollm2", llm_max_tokens=24)
    )
    assert model is not None
    reply = model.invoke("Say hello in five words.")
    assert isinstance(reply.content, str) and reply.content
    assert (reply.usage_metadata or {}).get("output_tokens", 0) > 0
    chunks = [c.content for c in model.stream("Count from one to five.")]
    assert len(chunks) > 1


def test_resolve_through_the_openai_provider(server: str) -> None:
    settings = Settings(llm="openai", openai_base_url=server, model="smollm2", llm_max_tokens=80)
    drafter = Drafter(get_chat_model(settings), provider="openai")
    ticket = make_ticket(
        "The lamp arrived with the glass shade cracked.",
        with_issue=False,
        tier="platinum",
        clv="2000",
        order_value="95",
    )
    out = resolve(ticket, policy=load_policy(), drafter=drafter)
    assert out.reply.guard.ok
    assert (
        render_offer_sentence(out.decision, out.triage.language if out.triage else "en")
        in out.reply.text
    )


def test_the_plain_openai_client_talks_to_it(server: str) -> None:
    from openai import OpenAI

    client = OpenAI(base_url=server, api_key="none")
    r = client.chat.completions.create(
        model="smollm2", messages=[{"role": "user", "content": "Hi"}], max_tokens=8
    )
    assert r.choices[0].message.content is not None
