"""Exchange rates the business provides: one base currency for CLV, limits, budgets and ledger.

No rate service is reachable (and a business wants its own rates anyway), so the rates come
from a CSV `currency,rate_to_base[,as_of]`: one unit of `currency` is worth `rate_to_base`
units of the base currency. Pure: parsing takes text, the file is read at the edge
(`bot.config.load_fx`).

Conversion is one-sided on purpose. A limit in the base currency becomes a limit in the
order's currency by rounding DOWN in the order's minor unit, so a converted cap never exceeds
the base cap at the rate; an amount given becomes a base amount by rounding UP (to a hundredth
of the base's minor unit), so the ledger never counts less than was given.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_CEILING, Decimal, InvalidOperation

from bot.domain import minor_unit, round_down
from bot.errors import InputError

__all__ = ["FxRates", "UnknownCurrency"]

_CODE_LEN = 3


class UnknownCurrency(InputError):
    """An amount in a currency the business gave no rate for: refused, never mixed."""

    def __init__(self, currency: str, base: str) -> None:
        super().__init__(
            "currency",
            f"{currency} has no exchange rate to the base currency {base}: add a "
            f"`{currency},<rate_to_base>` row to APPEASE_FX_RATES (or set "
            f"APPEASE_BASE_CURRENCY={currency} if all your money is in {currency})",
        )
        self.currency = currency


@dataclass(frozen=True)
class FxRates:
    """Rates to one base currency; the base itself is always 1."""

    base: str = "USD"
    rates: dict[str, Decimal] = field(default_factory=dict)
    as_of: dict[str, date] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "base", self.base.upper())
        object.__setattr__(self, "rates", {**self.rates, self.base: Decimal(1)})

    def knows(self, currency: str) -> bool:
        return currency.upper() in self.rates

    def rate(self, currency: str) -> Decimal:
        """Base units per one unit of `currency`."""
        try:
            return self.rates[currency.upper()]
        except KeyError:
            raise UnknownCurrency(currency.upper(), self.base) from None

    def check(self, currency: str) -> None:
        """Refuse a currency with no rate (HTTP 422 naming it)."""
        self.rate(currency)

    def from_base(self, amount: Decimal, currency: str) -> Decimal:
        """A base-currency limit in `currency`, rounded down: never worth more than `amount`."""
        if currency.upper() == self.base:
            return round_down(amount, currency)
        return round_down(amount / self.rate(currency), currency)

    def from_base_exact(self, amount: Decimal, currency: str) -> Decimal:
        """Unrounded: for a figure the policy multiplies before it rounds (residual CLV)."""
        if currency.upper() == self.base:
            return amount
        return amount / self.rate(currency)

    def to_base(self, amount: Decimal, currency: str) -> Decimal:
        """What `amount` in `currency` is worth in the base, rounded up: never counted short."""
        if currency.upper() == self.base:
            return amount
        exact = amount * self.rate(currency)
        step = minor_unit(self.base) / 100
        return exact.quantize(step, rounding=ROUND_CEILING)

    def convert(self, amount: Decimal, source: str, target: str) -> Decimal:
        """`amount` in `source` as `target` through the base, rounded down in `target`."""
        if source.upper() == target.upper():
            return round_down(amount, target)
        return round_down(amount * self.rate(source) / self.rate(target), target)

    def describe(self, currency: str) -> str:
        """`1 JPY = 0.0067 USD (as of 2026-11-30)` for reasons."""
        rate = self.rate(currency)
        when = self.as_of.get(currency.upper())
        return f"1 {currency.upper()} = {rate.normalize():f} {self.base}" + (
            f" (as of {when.isoformat()})" if when else ""
        )

    @classmethod
    def parse_csv(cls, text: str, *, base: str = "USD", source: str = "rates") -> FxRates:
        """Read `currency,rate_to_base[,as_of]`; a bad row is an error naming its line."""
        base = base.upper()
        rates: dict[str, Decimal] = {}
        as_of: dict[str, date] = {}
        reader = csv.reader(io.StringIO(text))
        for line, row in enumerate(reader, start=1):
            cells = [c.strip() for c in row]
            if not cells or not any(cells) or cells[0].startswith("#"):
                continue
            if not rates and cells[0].lower() == "currency":
                continue  # the header, before any rate
            where = f"{source} line {line}"
            if len(cells) not in (2, 3):
                raise InputError(where, "expected currency,rate_to_base[,as_of]")
            code = cells[0].upper()
            if len(code) != _CODE_LEN or not code.isalpha():
                raise InputError(where, f"{cells[0]!r} is not a three-letter currency code")
            try:
                rate = Decimal(cells[1])
            except InvalidOperation:
                raise InputError(where, f"rate {cells[1]!r} is not a number") from None
            if not rate.is_finite() or rate <= 0:
                raise InputError(where, f"rate {cells[1]!r} must be a positive number")
            if code == base and rate != 1:
                raise InputError(where, f"{code} is the base currency: its rate is 1")
            if code in rates:
                raise InputError(where, f"{code} is listed twice")
            rates[code] = rate
            if len(cells) == 3 and cells[2]:
                try:
                    as_of[code] = date.fromisoformat(cells[2])
                except ValueError:
                    raise InputError(
                        where, f"as_of {cells[2]!r} is not a YYYY-MM-DD date"
                    ) from None
        return cls(base=base, rates=rates, as_of=as_of)
