"""The embedded model loads without llama.cpp's weight repacking (it segfaulted with it here)."""

from __future__ import annotations

import importlib

import pytest

from bot.drafting._providers import _no_weight_repacking


def test_the_model_loads_without_extra_buffer_types_and_the_defaults_come_back() -> None:
    pytest.importorskip("llama_cpp")
    low = importlib.import_module("llama_cpp.llama").llama_cpp
    if not hasattr(low.llama_model_default_params(), "use_extra_bufts"):
        pytest.skip("this llama.cpp has no extra buffer types")
    with _no_weight_repacking():
        assert low.llama_model_default_params().use_extra_bufts is False
    assert low.llama_model_default_params().use_extra_bufts is True
