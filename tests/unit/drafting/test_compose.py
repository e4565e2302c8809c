"""Compose mode: the model's one sentence, the phrase library's rest, both checks on each."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.domain import IssueCategory
from bot.drafting import Drafter, check_draft, load_prompts, render_offer_sentence
from bot.drafting._slots import extract_slots
from bot.drafting.quality import check_quality
from bot.errors import InputError
from bot.language import language_scores
from tests.factories import make_decision
from tests.fakes import ScriptedChatModel

DECISION = make_decision("store_credit", "18.00", cap="24.00")
VASE = "The ceramic vase I ordered arrived in pieces. The box was crushed. Order A10311."


def _reply(
    message: str,
    *,
    model=None,
    category=IssueCategory.damaged_item,
    language="en",
    order_id="A10311",
    decision=DECISION,
    severity=2,
):
    return Drafter(model).resolution(
        message=message,
        decision=decision,
        category=category,
        order_id=order_id,
        language=language,
        severity=severity,
    )


def test_the_models_sentence_opens_an_approved_reply() -> None:
    model = ScriptedChatModel(replies=["I'm so sorry your ceramic vase arrived in pieces."])
    out = _reply(VASE, model=model)
    assert out.reply.source == "llm" and out.usage.model_text
    assert out.reply.text.startswith("I'm so sorry your ceramic vase arrived in pieces.")
    assert out.reply.text.endswith(render_offer_sentence(DECISION))
    assert check_quality(out.reply.text, customer_message=VASE).ok
    assert out.usage.model_calls == 1


def test_only_the_first_sentence_is_kept_and_a_cut_sentence_is_ended() -> None:
    model = ScriptedChatModel(replies=["I'm so sorry your vase arrived broken and the box crushed"])
    out = _reply(VASE, model=model)
    assert out.reply.text.startswith("I'm so sorry your vase arrived broken and the box crushed. ")


@pytest.mark.parametrize(
    ("bad", "kind"),
    [
        ("My ceramic vase arrived in pieces.", "perspective"),
        ("I'm sorry for your loss.", "register"),
        ("As a customer support writer, I cannot do that.", "self_reference"),
        ("Please refer to the customer's message in the language with code en.", "prompt_echo"),
        ("I'm sorry for the inconvenience caused.", "off_topic"),
    ],
)
def test_a_bad_sentence_gets_one_retry_then_the_library(bad: str, kind: str) -> None:
    model = ScriptedChatModel(replies=[bad, bad])
    out = _reply(VASE, model=model)
    assert out.reply.source == "template" and out.usage.fallback and not out.usage.model_text
    assert out.usage.quality_rejections == 2 and len(out.usage.rejected) == 2
    core = bad.rstrip(".").lower()
    assert all(core[2:] in r.lower() for r in out.usage.rejected), out.usage.rejected
    assert kind in {p["kind"] for p in out.usage.quality_problems}
    assert core[2:] not in out.reply.text.lower()
    assert kind in str(model.prompts[1][0].content) or "not usable" in str(
        model.prompts[1][0].content
    )
    assert check_quality(out.reply.text, customer_message=VASE).ok


def test_without_a_model_replies_are_specific_to_the_complaint() -> None:
    vase = _reply(VASE).reply.text
    shoes = _reply(
        "I ordered the blue running shoes in size 10 and got brown sandals. Order A10322.",
        category=IssueCategory.wrong_item,
        order_id="A10322",
    ).reply.text
    late = _reply(
        "Order A10400 is 6 days late, still nothing.",
        category=IssueCategory.late_delivery,
        order_id="A10400",
    ).reply.text
    assert "ceramic vase" in vase
    assert "blue running shoes" in shoes
    assert "6 days late" in late
    assert len({vase.split(".")[0], shoes.split(".")[0], late.split(".")[0]}) == 3


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("es", "Mi pedido A2001 llegó con la caja rota y el jarrón hecho pedazos."),
        ("fr", "Ma commande A3002 est arrivée cassée, le carton était écrasé."),
        ("de", "Meine Bestellung A4003 kam kaputt an, der Karton war eingedrückt."),
        ("it", "Il mio ordine A5004 è arrivato rotto, la scatola era schiacciata."),
        ("pt", "O meu pedido A6005 chegou danificado, a caixa estava amassada."),
    ],
)
def test_template_replies_in_the_customers_language(language: str, message: str) -> None:
    out = _reply(message, language=language, order_id="A2001")
    scores = language_scores(out.reply.text, ("en", "es", "fr", "de", "it", "pt"))
    assert max(scores, key=lambda k: scores[k]) == language, out.reply.text
    assert out.reply.guard.ok


def test_tone_follows_severity() -> None:
    mild = _reply(VASE, severity=1).reply.text
    strong = _reply(VASE, severity=3).reply.text
    assert mild != strong


def test_followup_names_what_happened_and_repeats_nothing() -> None:
    first = _reply(VASE)
    out = Drafter(None).followup(
        decision=DECISION,
        category=IssueCategory.damaged_item,
        order_id="A10311",
        days_after=7,
        earlier=[first.reply.text],
    )
    assert "A10311" in out.reply.text and "damaged" in out.reply.text
    assert "0 to 100" in out.reply.text and "$18" not in out.reply.text
    assert check_quality(out.reply.text, customer_message="", earlier=[first.reply.text]).ok


def test_a_later_chat_turn_never_repeats_what_the_conversation_had() -> None:
    drafter = Drafter(None)
    history: list[tuple[str, str]] = [("customer", VASE), ("bot", _reply(VASE).reply.text)]
    seen = []
    for message in ("Any news?", "Still waiting for an answer.", "Hello?"):
        text = "".join(
            drafter.stream_chat_turn(
                history=history,
                message=message,
                decision=make_decision("none", "0"),
                category=IssueCategory.damaged_item,
                order_id="A10311",
            )
        ).strip()
        assert text not in seen
        seen.append(text)
        history += [("customer", message), ("bot", text)]


def test_slots_fill_only_when_the_words_are_unmistakable() -> None:
    slots = extract_slots(VASE, order_id="A1", language="en", plain="x")
    assert slots["item"] == "ceramic vase"
    assert "delay" not in slots
    assert (
        extract_slots("My order is 2 weeks late", order_id="A1", language="en", plain="x")["delay"]
        == "2 weeks"
    )
    assert "item" not in extract_slots(
        "My order arrived damaged", order_id="A1", language="en", plain="x"
    )
    # the set is not what is missing: one candle of it is ("your set did not make it into the
    # parcel" was the demo's reply)
    for partial in (
        "one of the 3 candles from the set is missing. order A10402. thanks",
        "The handle of the mug is broken",
        "A button on the jacket was missing",
    ):
        assert "item" not in extract_slots(partial, order_id="A1", language="en", plain="x")
    assert (
        extract_slots(
            "the lamp I ordered and the shade was missing", order_id="A1", language="en", plain="x"
        ).get("item")
        == "lamp"
    )
    assert (
        extract_slots("El pedido lleva 5 días de retraso", order_id="A1", language="es", plain="x")[
            "delay"
        ]
        == "5 días"
    )
    it = "Il pacco A10601 è arrivato con due settimane di ritardo."
    assert extract_slots(it, order_id="A1", language="it", plain="x")["delay"] == "due settimane"
    pt = "A encomenda tem 6 dias de atraso."
    assert extract_slots(pt, order_id="A1", language="pt", plain="x")["delay"] == "6 dias"


def _library(tmp_path: Path) -> Path:
    shutil.copytree("prompts", tmp_path, dirs_exist_ok=True)
    return tmp_path / "phrases" / "en.yaml"


def test_a_phrase_that_promises_money_is_refused_at_load(tmp_path: Path) -> None:
    en = _library(tmp_path)
    en.write_text(
        en.read_text().replace('"Thank you for your patience."', '"We will refund you in full."')
    )
    with pytest.raises(InputError, match=r"en\.yaml.*close.*promises"):
        load_prompts(tmp_path)


def test_unknown_slots_and_missing_categories_are_named(tmp_path: Path) -> None:
    en = _library(tmp_path)
    original = en.read_text()
    en.write_text(
        original.replace("{order_id} did not arrive when it should have.", "{tracking} is stuck.")
    )
    with pytest.raises(InputError, match=r"acknowledge\.late_delivery.*unknown slot.*tracking"):
        load_prompts(tmp_path)
    en.write_text(
        original.replace(
            "  billing_error:\n    - \"I'm sorry you were charged",
            "  billing_errorx:\n    - \"I'm sorry you were charged",
        )
    )
    with pytest.raises(InputError, match=r"missing categories \['billing_error'\]"):
        load_prompts(tmp_path)
    (tmp_path / "phrases" / "de.yaml").unlink()
    en.write_text(original)
    with pytest.raises(InputError, match=r"missing phrase files.*de"):
        load_prompts(tmp_path)


def test_every_shipped_phrase_passes_both_checks() -> None:
    """Load-time validation is the check; this pins that the shipped library loads."""
    phrases = load_prompts().phrases
    assert set(phrases.languages) >= {"en", "es", "fr", "de", "it", "pt"}
    for book in phrases.books.values():
        for category in IssueCategory:
            text = book.acknowledge(category, {"order_id": "A1", "plain": "x"}, "seed")
            assert check_draft(text, DECISION).ok


def _keys(data: object, prefix: str = "") -> set[str]:
    if isinstance(data, dict):
        return {
            k
            for key, value in data.items()
            for k in {prefix + key} | _keys(value, prefix + key + ".")
        }
    return set()


@pytest.mark.parametrize("language", ["es", "fr", "de", "it", "pt"])
def test_every_language_has_the_english_librarys_keys(language: str) -> None:
    import yaml

    en = yaml.safe_load(Path("prompts/phrases/en.yaml").read_text(encoding="utf-8"))
    other = yaml.safe_load(Path(f"prompts/phrases/{language}.yaml").read_text(encoding="utf-8"))
    assert _keys(other) == _keys(en)


@pytest.mark.parametrize(
    ("language", "message", "expect"),
    [
        (
            "it",
            "Il pacco A10601 è arrivato con due settimane di ritardo. Così non va.",
            "Mi dispiace",
        ),
        ("pt", "O meu pedido A10598 chegou danificado, o produto veio partido.", "Lamento"),
    ],
)
def test_italian_and_portuguese_get_replies_and_offers_in_their_language(
    language: str, message: str, expect: str
) -> None:
    category = IssueCategory.late_delivery if language == "it" else IssueCategory.damaged_item
    decision = make_decision("store_credit", "18.00", currency="EUR")
    out = _reply(
        message, language=language, order_id="A10601", category=category, decision=decision
    )
    assert out.reply.text.startswith(expect), out.reply.text
    assert out.reply.text.endswith(render_offer_sentence(decision, language))
    assert "18,00" in out.reply.text and out.reply.guard.ok
    assert check_quality(
        out.reply.text,
        customer_message=message,
        language=language,
        topic_words=["A10601"],
        category=str(category),
    ).ok
    if language == "it":
        assert "due settimane" in out.reply.text
    followup = Drafter(None).followup(
        decision=decision,
        category=category,
        order_id="A10601",
        days_after=7,
        language=language,
        earlier=[out.reply.text],
    )
    assert "0 a 100" in followup.reply.text and "A10601" in followup.reply.text
    assert "18,00" not in followup.reply.text


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("it", "Mi dispiace molto che la lampada sia arrivata rotta."),
        ("pt", "Lamento muito que a lâmpada tenha chegado partida."),
    ],
)
def test_the_models_italian_and_portuguese_sentence_opens_the_reply(
    language: str, sentence: str
) -> None:
    message = {
        "it": "La lampada che ho ordinato è arrivata rotta.",
        "pt": "A lâmpada que encomendei chegou partida.",
    }[language]
    out = _reply(message, model=ScriptedChatModel(replies=[sentence]), language=language)
    assert out.reply.source == "llm", out.usage.quality_problems
    assert out.reply.text.startswith(sentence)


def test_the_embedded_model_writes_only_in_the_languages_it_was_measured_right_in() -> None:
    from bot.config import Settings
    from bot.drafting._drafter import LOCAL_MODEL_LANGUAGES

    model = ScriptedChatModel(replies=["Lamento mucho que el jarrón llegara roto."])
    drafter = Drafter(model, model_languages=LOCAL_MODEL_LANGUAGES)
    out = drafter.resolution(
        message="El jarrón llegó roto. Pedido A2001.",
        decision=DECISION,
        category=IssueCategory.damaged_item,
        order_id="A2001",
        language="es",
    )
    assert out.reply.source == "template" and out.usage.model_calls == 0
    assert out.reply.text.startswith("Lamento")
    english = drafter.resolution(
        message=VASE,
        decision=DECISION,
        order_id="A10311",
        category=IssueCategory.damaged_item,
        language="en",
    )
    assert english.usage.model_calls >= 1
    assert Drafter.from_settings(Settings(llm="template")).model_languages is None


@pytest.mark.parametrize("category", list(IssueCategory))
def test_the_safe_template_names_the_order_once(category: IssueCategory) -> None:
    """Read in agent assist: "sorry about a problem with your order with order A10293"."""
    from bot.drafting import template_reply

    text = template_reply(DECISION, category=category, order_id="A10293", language="en")
    first = text.split(". ")[0]
    assert first.lower().count("order") == 1, first
    assert "A10293" in first
    # read in the widget: "sorry about a late delivery with order W-1"
    assert " about the " in first and " with order" not in first, first


def test_the_safe_template_names_a_policys_own_category_by_its_name() -> None:
    from bot.drafting import template_reply

    text = template_reply(DECISION, category="gift_wrap_missing", order_id="A1", language="en")
    assert "sorry about gift wrap missing." in text, text
