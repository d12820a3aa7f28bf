"""Amounts as the customer reads them: Babel's currency format for the return's locale."""

from __future__ import annotations

from decimal import Decimal

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency

from returns_api.core.money import minor_unit_exponent

FALLBACK_LOCALE = "en"


def babel_locale(tag: str) -> Locale:
    """The Babel locale of a BCP 47 tag (`de-DE`), its language alone when Babel lacks the
    region or script, English when it lacks the language."""
    for candidate in (tag, tag.split("-", 1)[0], FALLBACK_LOCALE):
        try:
            return Locale.parse(candidate, sep="-")
        except (UnknownLocaleError, ValueError):
            continue
    raise AssertionError("English is always known")  # pragma: no cover


def format_money(minor: int, currency: str, locale: str) -> str:
    """`1234` EUR is `12,34 €` (with a no-break space) in `de-DE`, `€12.34` in `en-IE`; the
    currency's own minor unit (`1234` JPY is `¥1,234`)."""
    amount = Decimal(minor).scaleb(-minor_unit_exponent(currency))
    return str(format_currency(amount, currency, locale=babel_locale(locale)))
