"""Each package's `__all__` lists what it exports, so the public API is what we say it is."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import bot

PACKAGES = sorted(
    name
    for _, name, ispkg in pkgutil.walk_packages(bot.__path__, "bot.")
    if ispkg and ".migrations" not in name and not name.startswith("bot.cli")
)


@pytest.mark.parametrize("name", ["bot", "bot.domain", "bot.errors", "bot.config", *PACKAGES])
def test_all_names_exist_and_are_public(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    for member in exported:
        assert hasattr(module, member), f"{name}.__all__ names missing {member}"
        assert not member.startswith("_") or member == "__version__"
