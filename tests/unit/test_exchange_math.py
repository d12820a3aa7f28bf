"""The exchange balance (issue 19 §3-4), pure: credit - new value is what is refunded or
owed, to the minor unit, for any mix of lines, discounts, taxes, fees and bonuses."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from returns_api.policies.resolutions import RESOLUTIONS
from returns_api.returns.exchange_math import Replacement, exchange_balance
from returns_api.returns.refund_math import (
    FeeTerms,
    PaidLine,
    RefundBreakdown,
    RefundItem,
    compute_refund,
)


def swap(item_id: str, quantity: int, *, price: int = 0, tax: int = 0) -> Replacement:
    """Like for like unless a price is given."""
    return Replacement(
        item_id=item_id,
        variant_id=f"var_{item_id}",
        quantity=quantity,
        unit_price=price,
        tax=tax,
        like_for_like=not price,
    )


def exchange_of(line: PaidLine, units: int, fees: FeeTerms | None = None) -> RefundBreakdown:
    item = RefundItem("it", line, units, merchant_fault=False, resolution="exchange")
    return compute_refund([item], fees or FeeTerms())


DISCOUNTED = PaidLine(quantity=3, unit_price=1000, discount=300, tax=171)


def test_a_size_swap_is_even_whatever_discount_the_order_had() -> None:
    balance = exchange_balance(exchange_of(DISCOUNTED, 1), [swap("it", 1)])
    assert (balance.credit, balance.new_value) == (957, 957)  # 1000 - 100 + 57
    assert (balance.amount_due, balance.refund_due) == (0, 0)


def test_a_dearer_variant_is_owed_to_the_cent() -> None:
    balance = exchange_balance(exchange_of(DISCOUNTED, 1), [swap("it", 1, price=1200, tax=228)])
    assert balance.new_value == 1428
    assert (balance.amount_due, balance.refund_due) == (1428 - 957, 0)


def test_a_cheaper_variant_leaves_a_refund() -> None:
    balance = exchange_balance(exchange_of(DISCOUNTED, 2), [swap("it", 2, price=400, tax=76)])
    assert balance.credit == 1914  # 2000 - 200 + 114
    assert (balance.amount_due, balance.refund_due) == (0, 1914 - 952)


def test_the_bonus_rounds_half_up_and_joins_the_credit() -> None:
    line = PaidLine(quantity=1, unit_price=1001, discount=0, tax=0)
    balance = exchange_balance(exchange_of(line, 1), [swap("it", 1)], bonus_bps=50)
    assert balance.bonus == 5  # 5.005
    assert (balance.credit, balance.refund_due) == (1006, 5)


def test_fees_make_even_swaps_owe_them() -> None:
    line = PaidLine(quantity=1, unit_price=1000, discount=0, tax=0)
    fees = FeeTerms(restocking_fee_bps=1000, return_shipping_fee=300)
    balance = exchange_balance(exchange_of(line, 1, fees), [swap("it", 1)])
    assert balance.credit == 1000 - 100 - 300
    assert balance.amount_due == 400


@pytest.mark.parametrize(
    ("replacements", "why"),
    [
        ([], "differ"),  # an exchanged item without a replacement
        ([swap("it", 1), swap("it", 1)], "one variant only"),
        ([swap("other", 1)], "differ"),  # a replacement for an item that is not exchanged
        ([swap("it", 2)], "1 unit"),  # more units out than back
    ],
)
def test_replacements_must_match_the_exchanged_items(
    replacements: list[Replacement], why: str
) -> None:
    with pytest.raises(ValueError, match=why):
        exchange_balance(exchange_of(DISCOUNTED, 1), replacements)


def test_bonus_bps_is_bounded() -> None:
    with pytest.raises(ValueError, match="bonus_bps"):
        exchange_balance(exchange_of(DISCOUNTED, 1), [swap("it", 1)], bonus_bps=10_001)


@st.composite
def returns_with_exchanges(draw: st.DrawFn) -> tuple[RefundBreakdown, list[Replacement], int]:
    items, replacements = [], []
    for n in range(draw(st.integers(1, 4))):
        quantity = draw(st.integers(1, 5))
        unit_price = draw(st.integers(0, 100_000))
        line = PaidLine(
            quantity=quantity,
            unit_price=unit_price,
            discount=draw(st.integers(0, quantity * unit_price)),
            tax=draw(st.integers(0, 20_000)),
        )
        units = draw(st.integers(1, quantity))
        resolution = draw(st.sampled_from(RESOLUTIONS))
        items.append(
            RefundItem(
                f"it{n}", line, units, merchant_fault=draw(st.booleans()), resolution=resolution
            )
        )
        if resolution == "exchange":
            like = draw(st.booleans())
            replacements.append(
                Replacement(
                    item_id=f"it{n}",
                    variant_id=f"var{n}",
                    quantity=units,
                    unit_price=unit_price if like else draw(st.integers(0, 100_000)),
                    tax=draw(st.integers(0, 20_000)),
                    like_for_like=like,
                )
            )
    fees = FeeTerms(
        restocking_fee_bps=draw(st.integers(0, 10_000)),
        return_shipping_fee=draw(st.integers(0, 5_000)),
        store_credit_bonus_bps=draw(st.integers(0, 10_000)),
    )
    return compute_refund(items, fees), replacements, draw(st.integers(0, 10_000))


@given(returns_with_exchanges())
def test_credit_less_new_value_is_the_refund_or_the_amount_due(
    case: tuple[RefundBreakdown, list[Replacement], int],
) -> None:
    breakdown, replacements, bonus_bps = case
    balance = exchange_balance(breakdown, replacements, bonus_bps=bonus_bps)
    assert balance.credit - balance.new_value == balance.refund_due - balance.amount_due
    assert min(balance.refund_due, balance.amount_due) == 0
    assert balance.amount_due >= 0
    assert balance.refund_due >= 0
    assert balance.credit == breakdown.by_method.get("exchange", 0) + balance.bonus
    assert balance.new_value == sum(balance.values.values())
    exchanged = {i.item_id: i for i in breakdown.items if i.resolution == "exchange"}
    for replacement in replacements:
        if replacement.like_for_like:
            assert balance.values[replacement.item_id] == exchanged[replacement.item_id].paid


@given(
    st.lists(
        st.tuples(st.integers(1, 5), st.integers(0, 100_000), st.integers(0, 20_000), st.data()),
        min_size=1,
        max_size=4,
    ),
    st.integers(0, 10_000),
)
def test_like_for_like_without_fees_is_even_whatever_the_discounts_and_taxes(
    lines: list[tuple[int, int, int, st.DataObject]], store_credit_bonus_bps: int
) -> None:
    items, replacements = [], []
    for n, (quantity, unit_price, tax, data) in enumerate(lines):
        discount = data.draw(st.integers(0, quantity * unit_price))
        units = data.draw(st.integers(1, quantity))
        resolution = data.draw(st.sampled_from(RESOLUTIONS))
        line = PaidLine(quantity=quantity, unit_price=unit_price, discount=discount, tax=tax)
        items.append(RefundItem(f"it{n}", line, units, False, resolution))
        if resolution == "exchange":
            replacements.append(swap(f"it{n}", units))
    fees = FeeTerms(store_credit_bonus_bps=store_credit_bonus_bps)
    balance = exchange_balance(compute_refund(items, fees), replacements)
    assert (balance.amount_due, balance.refund_due) == (0, 0)
