"""The guard's, the gate's and triage's scans find exactly what the plain patterns find.

`word_scan` puts a one-character lookahead in front of a pattern so that re skips positions no
match can start at. It is only right for patterns whose every match starts with a word character
(or a listed symbol); these tests hold every pattern compiled with it to the plain pattern, on
the texts the product scans and on generated text built from the patterns' own words.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import bot.drafting.guard as guard
import bot.drafting.quality as quality
from bot.triage._text import CATEGORY_CUES, SEVERITY_CUES

_WRAPPED = re.compile(r"^\(\?=\[(?P<set>(?:\\.|[^\]])*)\]\)\(\?:(?P<body>.*)\)$", re.DOTALL)


def _scans() -> list[tuple[str, re.Pattern[str], re.Pattern[str]]]:
    """(name, the pattern as compiled, the same pattern without the lookahead)."""
    found = []
    named = [(f"guard.{n}", getattr(guard, n)) for n in dir(guard)]
    named += [(f"quality.{n}", getattr(quality, n)) for n in dir(quality)]
    named += [(f"guard._OFFERS[{i}]", p) for i, (p, _) in enumerate(guard._OFFERS)]
    for family, cues in (("CATEGORY_CUES", CATEGORY_CUES), ("SEVERITY_CUES", SEVERITY_CUES)):
        named += [(f"triage.{family}[{key}]", p) for key, p in cues.items()]
    for name, value in named:
        if isinstance(value, re.Pattern) and (m := _WRAPPED.match(value.pattern)):
            found.append((name, value, re.compile(m.group("body"), value.flags)))
    return found


SCANS = _scans()
ROOT = Path(__file__).resolve().parents[2]


def _corpus() -> list[str]:
    """Replies, phrase-library sentences and complaints: what the scans run on in practice."""
    texts = [
        "I'm sorry your parcel is late. As an apology, we have added $28.35 in store credit.",
        "We'll send you a full refund of USD 1,250.00 and I promise it won't happen again.",
        "Le daremo un rimborso totale di venticinque euro; mai più.",
        "Vamos enviar vinte e cinco euros. Seu próximo pedido será grátis.",
        "As an AI language model I cannot help. Here is my response: 50% off your next order!",
        "twenty five dollars, a hundred bucks, 10 percent, half price, £5, ¥500, 3 €",
        "A partial refund, free shipping and a replacement; I'm here to help, feel free to ask.",
        "Your CLV puts you in the gold tier of the Champions segment. Sorry for your loss.",
    ]
    for path in sorted((ROOT / "bot" / "prompts" / "phrases").glob("*.yaml")):
        texts += [str(v) for v in _strings(yaml.safe_load(path.read_text(encoding="utf-8")))]
    csv = (ROOT / "bot" / "triage" / "data" / "complaints.csv").read_text(encoding="utf-8")
    texts += csv.splitlines()[1:400]
    return texts


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _spans(pattern: re.Pattern[str], text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group(0)) for m in pattern.finditer(text)]


def test_the_product_scans_with_word_scan() -> None:
    names = {name for name, _, _ in SCANS}
    for expected in (
        "guard._AMOUNT_RE",
        "guard._COMMITMENTS",
        "quality._SELF",
        "guard._OFFERS[0]",
        "triage.CATEGORY_CUES[late_delivery]",
        "triage.SEVERITY_CUES[high]",
    ):
        assert expected in names, sorted(names)


@pytest.mark.parametrize(("name", "fast", "plain"), SCANS, ids=[n for n, _, _ in SCANS])
def test_same_matches_on_the_corpus(
    name: str, fast: re.Pattern[str], plain: re.Pattern[str]
) -> None:
    corpus = _corpus()
    assert len(corpus) > 300
    hits = 0
    for text in corpus:
        assert _spans(fast, text) == _spans(plain, text), (name, text)
        hits += bool(plain.search(text))
    assert hits, f"{name} never matched the corpus: a weak test"


# Words taken from the patterns themselves, so generated text often matches.
_VOCAB = sorted({w for _, _, p in SCANS for w in re.findall(r"[^\W\d_]{2,}", p.pattern)})
_PIECES = st.one_of(
    st.sampled_from(_VOCAB),
    st.sampled_from(["$", "€", "£", "%", "US$", "12", "1,250.00", "3.5", "'", "-", "_", "é"]),
    st.text(alphabet=" \t\n.,;:!?'’-_$€%0123456789aeiouÀÉÓÜßçñ", max_size=4),
)


@settings(max_examples=300, deadline=None)
@given(
    pieces=st.lists(_PIECES, max_size=25),
    seps=st.lists(st.sampled_from([" ", "", "\n", ", "]), min_size=25, max_size=25),
)
def test_same_matches_on_generated_text(pieces: list[str], seps: list[str]) -> None:
    text = "".join(p + s for p, s in zip(pieces, seps, strict=False))
    for variant in (text, text.upper(), text.title()):
        for name, fast, plain in SCANS:
            assert _spans(fast, variant) == _spans(plain, variant), (name, variant)
