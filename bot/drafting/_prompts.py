"""Prompt templates from plain files a business edits; checked at load, not at the first ticket."""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path

import bot
from bot.errors import InputError

__all__ = ["Prompts", "default_prompts_dir", "load_prompts"]

_EXPECTED = {
    "system.txt": {"language"},
    "resolution.txt": {"category_plain", "order_id", "message", "feedback"},
    "followup.txt": {"days_after", "category_plain", "order_id", "language"},
    "chat.txt": {"history", "message", "category_plain"},
}


@dataclass(frozen=True)
class Prompts:
    system: str
    resolution: str
    followup: str
    chat: str

    def render(self, name: str, **values: str) -> str:
        return str(getattr(self, name)).format(**values)


def default_prompts_dir() -> Path:
    return Path(bot.__file__).resolve().parents[1] / "prompts"


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def load_prompts(directory: Path | None = None) -> Prompts:
    """Read the four templates; a missing file or an unknown/missing variable names the file."""
    base = directory or default_prompts_dir()
    texts: dict[str, str] = {}
    for name, expected in _EXPECTED.items():
        path = base / name
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(str(path), "missing prompt template") from exc
        try:
            found = _fields(text)
        except ValueError as exc:
            raise InputError(str(path), f"bad template syntax: {exc}") from exc
        if unknown := found - expected:
            raise InputError(
                str(path), f"unknown variable(s) {sorted(unknown)}; allowed {sorted(expected)}"
            )
        required = expected - {"feedback", "language", "history"}
        if missing := required - found:
            raise InputError(str(path), f"missing variable(s) {sorted(missing)}")
        texts[name.removesuffix(".txt")] = text.strip() + "\n"
    return Prompts(**texts)
