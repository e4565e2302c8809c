"""Replies that fit what happened, not only the category: read in the demo, a late parcel that
had arrived was "being traced", a parcel marked delivered that never came was "part of the
order missing", a parcel sent to the wrong address was "the wrong item", and one reply said "I
understand your frustration" twice."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.demo import load_complaints
from bot.domain import IssueCategory
from bot.drafting import Drafter, load_prompts
from bot.drafting._slots import extract_slots
from bot.drafting.quality import check_quality
from bot.errors import InputError
from bot.triage import load_triager
from tests.factories import make_decision

NO_MONEY = make_decision("none", "0")


def _reply(message: str, category: IssueCategory, language: str = "en", severity: int = 2) -> str:
    out = Drafter(None).resolution(
        message=message,
        decision=NO_MONEY,
        category=category,
        order_id="A10475",
        language=language,
        severity=severity,
    )
    text = out.reply.text
    assert check_quality(
        text,
        customer_message=message,
        language=language,
        topic_words=["A10475"],
        category=str(category),
    ).ok, text
    return text


@pytest.mark.parametrize(
    ("language", "message", "says", "never"),
    [
        ("en", "Delivered 9 days late, after the event I needed it for.", "9 days late", "trac"),
        ("en", "Delivery came 3 days late and the courier left it in the rain.", "late", "trac"),
        ("en", "Meh. Took forever to arrive and the item was fine I guess.", "later", "trac"),
        ("es", "Mi pedido llegó con una semana de retraso.", "una semana de retraso", "localice"),
        (
            "fr",
            "Le colis est arrivé avec trois jours de retard.",
            "trois jours de retard",
            "retrouve",
        ),
        ("de", "Das Paket kam mit einer Woche Verspätung an.", "verspätet", "sucht"),
        ("it", "Il pacco è arrivato con due settimane di ritardo.", "due settimane", "rintracci"),
    ],
)
def test_a_late_parcel_that_has_arrived_is_not_traced(
    language: str, message: str, says: str, never: str
) -> None:
    text = _reply(message, IssueCategory.late_delivery, language)
    assert says in text and never not in text.lower(), text


@pytest.mark.parametrize(
    "message",
    [
        "It was supposed to arrive last Tuesday and it still hasn't shown up.",
        "Order A10519 still 'processing' after two weeks.",
    ],
)
def test_a_parcel_still_on_its_way_is_traced(message: str) -> None:
    assert "trac" in _reply(message, IssueCategory.late_delivery).lower()


def test_a_parcel_marked_delivered_that_never_came_is_not_part_of_an_order() -> None:
    message = "The tracking says delivered but nothing is at my door, not with neighbours."
    text = _reply(message, IssueCategory.missing_item)
    assert "never reached you" in text or "has not reached you" in text, text
    assert "part of" not in text and "incomplete" not in text


@pytest.mark.parametrize(
    ("language", "message", "says"),
    [
        ("en", "Package was delivered to the wrong address across town.", "wrong address"),
        ("es", "El paquete se entregó en una dirección equivocada.", "dirección equivocada"),
        ("fr", "Le colis a été livré à la mauvaise adresse.", "mauvaise adresse"),
        ("de", "Das Paket wurde an die falsche Adresse geliefert.", "falsche Adresse"),
    ],
)
def test_a_parcel_sent_to_the_wrong_address_is_not_a_wrong_item(
    language: str, message: str, says: str
) -> None:
    text = _reply(message, IssueCategory.wrong_item, language)
    assert says in text, text
    assert "other than what you ordered" not in text and "wrong item" not in text


def test_no_demo_reply_says_the_same_stock_phrase_twice() -> None:
    triager, drafter = load_triager(), Drafter(None)
    for c in load_complaints():
        reading = triager.triage(c["message"])
        for severity in (1, 2, 3):
            text = drafter.resolution(
                message=c["message"],
                decision=NO_MONEY,
                category=reading.category,
                order_id="A10475",
                language=reading.language,
                severity=severity,
            ).reply.text
            lowered = text.lower()
            for phrase in ("understand", "thank", "frustrat", "entiendo", "comprends", "verstehe"):
                assert lowered.count(phrase) <= 1, text


def test_german_delays_keep_the_capital_of_the_noun() -> None:
    slots = extract_slots(
        "Die Bestellung ist 8 Tage zu spät.", order_id="X", language="de", plain="x"
    )
    assert slots["delay"] == "8 Tage"


def test_a_situation_key_the_library_does_not_know_names_the_file(tmp_path: Path) -> None:
    shutil.copytree("prompts", tmp_path, dirs_exist_ok=True)
    path = tmp_path / "phrases" / "en.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("\n  late_delivery/arrived:\n", "\n  any/lost_in_space:\n", 1),
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"en\.yaml.*any/lost_in_space.*situation"):
        load_prompts(tmp_path)


def test_a_callback_that_never_came_is_not_a_lost_parcel() -> None:
    text = _reply(
        "I was promised a callback about my order and it never came.", IssueCategory.poor_service
    )
    assert "parcel" not in text and "reached you" not in text, text


@pytest.mark.parametrize(("language", "says"), [("en", "wrong address"), ("de", "falsche Adresse")])
def test_the_follow_up_names_the_wrong_address_not_a_missing_item(language: str, says: str) -> None:
    message = {
        "en": "Package was delivered to the wrong address across town.",
        "de": "Das Paket wurde an die falsche Adresse geliefert.",
    }[language]
    out = Drafter(None).followup(
        decision=NO_MONEY,
        category=IssueCategory.missing_item,
        order_id="A10475",
        days_after=7,
        language=language,
        message=message,
    )
    assert says in out.reply.text and "missing" not in out.reply.text, out.reply.text


def test_a_later_chat_turn_remembers_what_happened() -> None:
    """Read in the widget: "when will I get it back?" after a misdelivery got "your parcel is
    late" (the new message alone says nothing about the address)."""
    first = "My parcel was delivered to the wrong address, a neighbour has it. Order W-1."
    drafter = Drafter(None)
    opening = drafter.resolution(
        message=first,
        decision=NO_MONEY,
        category=IssueCategory.late_delivery,
        order_id="W-1",
        language="en",
    ).reply.text
    turn = "".join(
        drafter.stream_chat_turn(
            history=[("customer", first), ("bot", opening)],
            message="Can you tell me when I will get it back?",
            decision=NO_MONEY,
            category=IssueCategory.late_delivery,
            order_id="W-1",
        )
    )
    assert "late" not in turn, turn
    said = {sentence.strip() for sentence in opening.split(". ")}
    assert not any(sentence.strip() in said for sentence in turn.split(". ")), turn
