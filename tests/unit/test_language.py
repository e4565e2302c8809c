"""Language identification: Italian and Portuguese customers are read as such."""

from __future__ import annotations

import pytest

from bot.language import DEFAULT_LANGUAGE, REPLY_LANGUAGES, detect_language


@pytest.mark.parametrize(
    ("message", "language"),
    [
        ("Il pacco A10601 è arrivato con due settimane di ritardo. Così non va.", "it"),
        ("Mi avete addebitato due volte lo stesso ordine.", "it"),
        ("Nessuno mi ha risposto.", "it"),
        ("O meu pedido A10598 chegou danificado, a caixa estava amassada.", "pt"),
        ("Cobraram-me duas vezes.", "pt"),
        ("A aplicação não funciona desde ontem", "pt"),
        # unsure (0.44) but a reply language far ahead of the runner-up (Catalan, 0.19)
        ("Recebi a cor errada", "pt"),
    ],
)
def test_italian_and_portuguese_are_read(message: str, language: str) -> None:
    assert detect_language(message)[0] == language
    assert language in REPLY_LANGUAGES


def test_text_without_a_clear_language_still_gets_the_default() -> None:
    for message in ("ok", "Hello??", "12345"):
        assert detect_language(message)[0] == DEFAULT_LANGUAGE
