"""Prompt templates and the phrase library, from plain files a business edits; checked at load."""

from __future__ import annotations

import functools
import string
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from bot.drafting._phrases import Phrases, load_phrases
from bot.errors import InputError

__all__ = ["Prompts", "default_prompts_dir", "load_prompts"]

_EXPECTED = {
    "system.txt": {"language"},
    "acknowledge.txt": {"language"},
    "resolution.txt": {"category_plain", "order_id", "message", "feedback"},
    "followup.txt": {"days_after", "category_plain", "order_id", "language"},
    "chat.txt": {"history", "message", "category_plain"},
}


@dataclass(frozen=True)
class Prompts:
    system: str
    acknowledge: str
    resolution: str
    followup: str
    chat: str
    phrases: Phrases

    def render(self, name: str, **values: str) -> str:
        return str(getattr(self, name)).format(**values)


def default_prompts_dir() -> Path:
    """The shipped prompts and phrase library: package data (`bot/prompts/`, linked as
    `prompts/` at the project root), so a wheel install finds them as an editable one does."""
    return Path(str(resources.files("bot") / "prompts"))


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def load_prompts(directory: Path | None = None) -> Prompts:
    """Read the templates and `phrases/`; a missing file or a bad variable names the file.

    Cached per folder and the files' modification times: every Drafter a process builds
    shares one checked copy, and an edited file is read again.
    """
    base = (directory or default_prompts_dir()).resolve()
    stamp = (
        tuple(
            (p.name, p.stat().st_mtime_ns)
            for p in sorted([*base.glob("*.txt"), *base.glob("phrases/*")])
        )
        if base.is_dir()
        else ()
    )
    return _load(base, stamp)


@functools.lru_cache(maxsize=16)
def _load(base: Path, _stamp: tuple[tuple[str, int], ...]) -> Prompts:
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
    return Prompts(**texts, phrases=load_phrases(base / "phrases"))
