"""Any currency, one base (issue 19): the cases a new user met, through the HTTP API.

A customer scored in dollars filing a yen order was told "residual CLV ¥306" and the ¥ offer
was taken off the dollar CLV as dollars. Now CLV, limits and budgets are in the base currency
and converted at the business's rate; the ledger keeps both amounts; an order in a currency
with no rate is refused naming it, with nothing stored.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bot.api import create_app
from bot.config import Settings, load_fx
from bot.drafting import Drafter
from bot.errors import InputError
from bot.fx import FxRates
from bot.store import Customer, Offer, Ticket, make_engine, make_sessionmaker, upgrade
from tests.unit.api.conftest import KEYS, SERVICE

RATES = "currency,rate_to_base,as_of\nJPY,0.0067,2026-11-30\nEUR,1.08\n"


@pytest.fixture
def app_client(db_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    rates = tmp_path / "rates.csv"
    rates.write_text(RATES, encoding="utf-8")
    upgrade(db_url)
    sessions = make_sessionmaker(make_engine(db_url))
    with sessions.begin() as s:
        s.add(
            Customer(
                id="dollar", currency="USD", clv=Decimal("306.28"), tier="gold", segment="loyal"
            )
        )
        s.add(
            Customer(
                id="plat", currency="USD", clv=Decimal("4000"), tier="platinum", segment="champions"
            )
        )
    settings = Settings(database_url=db_url, llm="template", api_keys=KEYS, fx_rates=rates)
    with TestClient(create_app(settings, drafter=Drafter(None))) as client:
        yield client, sessions


def _ticket(
    customer: str,
    order: str,
    value: str,
    currency: str,
    category: str = "late_delivery",
    severity: int = 3,
) -> dict:
    return {
        "customer_id": customer,
        "order": {"id": order, "value": value, "currency": currency},
        "issue": {"category": category, "severity": severity},
        "message": "My order is late and I needed it.",
    }


def test_a_dollar_customer_with_a_yen_order_is_decided_in_yen_on_the_dollar_clv(app_client):
    client, sessions = app_client
    r = client.post("/v1/tickets", json=_ticket("dollar", "Y1", "12000", "JPY"), headers=SERVICE)
    assert r.status_code == 200, r.text
    decision = r.json()["decision"]
    reasons = " | ".join(decision["reasons"])
    # The reasons show both currencies and the rate; never "residual CLV ¥306".
    assert "residual CLV $306.28 = ¥45,713" in reasons, reasons
    assert "1 JPY = 0.0067 USD (as of 2026-11-30)" in reasons
    assert "¥306" not in reasons.replace("¥306.", "")
    offer = decision["offer"]
    assert offer["currency"] == "JPY" and Decimal(offer["amount"]) > 1000, offer
    with sessions() as s:
        row = s.scalars(select(Offer).where(Offer.order_id == "Y1")).one()
    assert row.base_currency == "USD" and row.fx_rate == Decimal("0.0067")
    assert row.base_amount == (row.amount * Decimal("0.0067")).quantize(Decimal("0.0001"))
    # The next ticket's residual CLV drops by the dollar value of the yen offer, not by ¥ as $.
    r2 = client.post("/v1/tickets", json=_ticket("dollar", "U2", "50", "USD"), headers=SERVICE)
    left = Decimal("306.28") - row.base_amount
    shown = f"residual CLV ${left.quantize(Decimal('0.01'), rounding='ROUND_FLOOR'):,}"
    assert shown in " | ".join(r2.json()["decision"]["reasons"])


def test_a_platinum_yen_order_gets_the_tier_limit_in_yen_not_the_dollar_number(app_client):
    client, _ = app_client
    body = _ticket("plat", "Y2", "80000", "JPY", category="wrong_item", severity=3)
    r = client.post("/v1/tickets", json=body, headers=SERVICE)
    assert r.status_code == 200, r.text
    amount = Decimal(r.json()["decision"]["offer"]["amount"])
    assert amount > 250, "a ¥80,000 wrong item is not answered with ¥250"
    assert amount * Decimal("0.0067") <= Decimal(4000), "and never more than the dollar limits"


def test_an_order_in_a_currency_with_no_rate_is_refused_naming_it_and_nothing_is_stored(
    app_client,
):
    client, sessions = app_client
    r = client.post("/v1/tickets", json=_ticket("dollar", "C1", "90", "CHF"), headers=SERVICE)
    assert r.status_code == 422
    assert "CHF" in r.text and "APPEASE_FX_RATES" in r.text
    with sessions() as s:
        assert s.scalar(select(func.count(Ticket.id))) == 0


def test_a_rates_file_is_read_with_its_header_comments_and_dates() -> None:
    fx = FxRates.parse_csv(
        "# ours\ncurrency,rate_to_base,as_of\nJPY,0.0067,2026-11-30\n\nEUR,1.08\n", base="USD"
    )
    assert fx.rate("JPY") == Decimal("0.0067") and fx.rate("usd") == 1
    assert fx.from_base(Decimal("100"), "JPY") == Decimal("14925")  # rounded down in yen
    assert fx.to_base(Decimal("14925"), "JPY") == Decimal("99.9975")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("JPY,abc\n", "line 1: rate 'abc' is not a number"),
        ("JPY,-1\n", "line 1: rate '-1' must be a positive number"),
        ("JPY,0.0067\nJPY,0.007\n", "line 2: JPY is listed twice"),
        ("USD,2\n", "line 1: USD is the base currency: its rate is 1"),
        ("YEN1,0.1\n", "line 1: 'YEN1' is not a three-letter currency code"),
        ("JPY,0.0067,30/11/2026\n", "line 1: as_of '30/11/2026' is not a YYYY-MM-DD date"),
        ("JPY\n", "line 1: expected currency,rate_to_base[,as_of]"),
    ],
)
def test_a_bad_rates_row_is_an_error_naming_the_file_and_line(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = tmp_path / "rates.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_fx(Settings(fx_rates=path))
    assert f"{path} {problem}" in str(err.value)
