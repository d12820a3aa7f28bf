"""Spreading a refund over an order's payments (settlement/allocation.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from returns_api.settlement.allocation import NotEnoughPaid, allocate
from returns_api.settlement.executor import Payment


def paid(*amounts: int) -> list[Payment]:
    return [Payment("stripe", f"pi_{n}", amount, "EUR") for n, amount in enumerate(amounts)]


def test_the_first_payment_pays_back_first_then_the_next() -> None:
    first, second = paid(6000, 3454)
    assert allocate(7000, [first, second], {}) == [(first, 6000), (second, 1000)]
    assert allocate(500, [first, second], {"pi_0": 6000}) == [(second, 500)]


def test_more_than_was_paid_is_refused() -> None:
    with pytest.raises(NotEnoughPaid):
        allocate(10_000, paid(6000, 3454), {})


@given(
    st.lists(st.integers(min_value=1, max_value=10_000), min_size=1, max_size=5),
    st.lists(st.integers(min_value=0, max_value=10_000), min_size=5, max_size=5),
    st.integers(min_value=1, max_value=50_000),
)
def test_parts_add_up_and_no_payment_pays_back_more_than_is_left(
    amounts: list[int], taken: list[int], amount: int
) -> None:
    payments = paid(*amounts)
    refunded = {p.reference: min(t, p.amount) for p, t in zip(payments, taken, strict=False)}
    room = sum(p.amount - refunded[p.reference] for p in payments)
    if amount > room:
        with pytest.raises(NotEnoughPaid):
            allocate(amount, payments, refunded)
        return
    parts = allocate(amount, payments, refunded)
    assert sum(part for _, part in parts) == amount
    for payment, part in parts:
        assert 0 < part <= payment.amount - refunded[payment.reference]
