"""The CSV export's pure parts: major units, content negotiation, formula defusing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from returns_api.exports.exceptions import NotAcceptable
from returns_api.exports.service import check_acceptable, major_units


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
