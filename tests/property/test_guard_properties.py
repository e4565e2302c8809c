"""Guard properties over generated amounts, currencies, languages and phrasings."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from bot.drafting import check_draft, render_offer_sentence
from tests.factories import make_decision

amounts = st.decimals(min_value=Decimal("1.00"), max_value=Decimal("5000"), places=2)
kinds = st.sampled_from(
    [
        "store_credit",
        "discount_code",
        "refund_partial",
        "refund_full",
        "free_shipping",
        "replacement",
    ]
)
currencies = st.sampled_from(["USD", "EUR", "GBP"])
languages = st.sampled_from(["en", "es", "fr", "de", "it", "pt"])


@given(kinds, amounts, currencies, languages, st.booleans())
def test_the_rendered_offer_sentence_always_passes_for_its_decision(
    kind, amount, currency, lang, escalate
) -> None:
    decision = make_decision(kind, str(amount), currency=currency, escalate=escalate)
    assert check_draft(render_offer_sentence(decision, lang), decision).ok


@given(amounts, amounts, st.sampled_from(["${}", "{} USD", "USD {}", "{} dollars", "€{}", "£{}"]))
def test_any_other_amount_is_caught(authorized, other, fmt) -> None:
    if authorized == other:
        return
    decision = make_decision("store_credit", str(authorized))
    draft = f"Sorry about that. We added {fmt.format(other)} to your account."
    verdict = check_draft(draft, decision)
    assert not verdict.ok and any(v.kind == "amount" for v in verdict.violations)


@given(
    st.integers(1, 999),
    st.sampled_from(["${:d}", "${:d}.00", "{:d}.00 USD", "{:d} dollars", "USD {:d}"]),
)
def test_the_authorized_amount_passes_in_any_format(amount, fmt) -> None:
    decision = make_decision("store_credit", f"{amount}.00")
    draft = f"We're sorry. We added {fmt.format(amount)} in store credit to your account."
    assert check_draft(draft, decision).ok
