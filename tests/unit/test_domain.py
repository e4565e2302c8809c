from decimal import Decimal

import pytest
from pydantic import ValidationError

from bot.domain import Case, Order, Segment, minor_unit, round_down


def test_round_down_never_rounds_up_to_the_next_minor_unit() -> None:
    assert round_down(Decimal("36.009"), "USD") == Decimal("36.00")
    assert round_down(Decimal("1999.9"), "JPY") == Decimal("1999")
    assert round_down(Decimal("1.2345"), "KWD") == Decimal("1.234")
    assert minor_unit("usd") == Decimal("0.01")


def test_currency_is_normalised_and_validated() -> None:
    assert Order(id="o1", value=Decimal("10"), currency="eur").currency == "EUR"
    with pytest.raises(ValidationError):
        Order(id="o1", value=Decimal("10"), currency="euro")


def test_case_rejects_unknown_fields_and_out_of_range_severity() -> None:
    base = {
        "customer": {
            "id": "c",
            "clv": "10",
            "residual_clv": "5",
            "tier": "gold",
            "segment": "loyal",
        },
        "order": {"id": "o", "value": "20", "currency": "USD"},
        "issue": {"category": "late_delivery", "severity": 2},
    }
    assert Case.model_validate(base).issue.severity == 2
    with pytest.raises(ValidationError, match="severity"):
        Case.model_validate({**base, "issue": {"category": "late_delivery", "severity": 4}})
    with pytest.raises(ValidationError):
        Case.model_validate({**base, "surprise": 1})


def test_segment_labels_read_as_people_say_them() -> None:
    assert Segment.cant_lose_them.label == "Can't lose them"
