"""The CSV export's pure parts: major units, content negotiation, formula defusing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from returns_api.core.money import ISO_4217
from returns_api.exports.exceptions import NotAcceptable
from returns_api.exports.service import check_acceptable, major_units

# The ISO 4217 table's active currencies whose minor unit is not a hundredth, written out
# here (not read from the code) so that a code dropped from or added to the service's table
# shows up. Every other currency in ISO_4217 has two decimals.
NO_DECIMALS = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV"}
    | {"XAF", "XOF", "XPF"}
)
THREE_DECIMALS = frozenset({"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"})


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (1999, "EUR", "19.99"),
        (5, "EUR", "0.05"),
        (0, "EUR", "0.00"),
        (1999, "JPY", "1999"),
        (1999, "KWD", "1.999"),
        (10**12, "EUR", "10000000000.00"),
        (123_456_789_012_345_678, "USD", "1234567890123456.78"),  # beyond a float's digits
    ],
)
def test_major_units_are_exact(amount: int, currency: str, expected: str) -> None:
    assert major_units(amount, currency) == expected


def test_every_currency_without_two_decimals_is_a_known_code() -> None:
    assert NO_DECIMALS | THREE_DECIMALS <= ISO_4217


@pytest.mark.parametrize("currency", sorted(ISO_4217))
def test_every_currency_shows_its_own_number_of_decimals(currency: str) -> None:
    shown = major_units(1_234_567, currency)
    if currency in NO_DECIMALS:
        assert shown == "1234567"
    elif currency in THREE_DECIMALS:
        assert shown == "1234.567"
    else:
        assert shown == "12345.67"


@given(st.integers(min_value=0, max_value=10**15))
def test_major_units_round_trip(amount: int) -> None:
    whole, _, cents = major_units(amount, "EUR").partition(".")
    assert int(whole) * 100 + int(cents) == amount
    assert len(cents) == 2


@pytest.mark.parametrize(
    "accept",
    [
        None,
        "",
        "text/csv",
        "text/csv; charset=utf-8",
        "TEXT/CSV",
        "text/*",
        "*/*",
        "application/json, text/csv;q=0.1",
        "application/json;q=1, */*;q=0.5",
    ],
)
def test_csv_is_acceptable(accept: str | None) -> None:
    check_acceptable(accept)


@pytest.mark.parametrize(
    "accept",
    ["application/json", "text/html", "text/csv;q=0", "text/csv; q=0.0, application/json"],
)
def test_other_formats_are_not_acceptable(accept: str) -> None:
    with pytest.raises(NotAcceptable):
        check_acceptable(accept)
