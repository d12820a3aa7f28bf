"""Refund rules of a statutory withdrawal (Directive 2011/83/EU, Articles 13 and 14), as
properties over random orders: a whole-order withdrawal refunds exactly everything paid,
delivery included, whatever the policy's fees; splitting it never pays more."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from returns_api.returns.refund_math import (
    FeeTerms,
    PaidLine,
    RefundItem,
    StatutoryRefund,
    Taken,
    compute_refund,
)


@st.composite
def paid_lines(draw: st.DrawFn) -> PaidLine:
    quantity = draw(st.integers(1, 12))
    unit_price = draw(st.integers(0, 500_000))
    discount = draw(st.integers(0, unit_price * quantity))
    tax = draw(st.integers(0, 200_000))
    return PaidLine(quantity=quantity, unit_price=unit_price, discount=discount, tax=tax)


orders = st.lists(paid_lines(), min_size=1, max_size=8)
fees = st.builds(
    FeeTerms,
    restocking_fee_bps=st.integers(0, 10_000),
    return_shipping_fee=st.integers(0, 5_000),
    store_credit_bonus_bps=st.just(0),
)


def paid(line: PaidLine) -> int:
    return line.value - line.discount + line.tax


def whole(lines: list[PaidLine], merchant_fault: bool = False) -> list[RefundItem]:
    return [
        RefundItem(
            key=f"li_{i}",
            line=line,
            quantity=line.quantity,
            merchant_fault=merchant_fault,
            resolution="refund",
        )
        for i, line in enumerate(lines)
    ]


@given(orders, fees, st.integers(0, 100_000), st.booleans())
def test_whole_order_withdrawal_refunds_exactly_everything_paid(
    lines: list[PaidLine], terms: FeeTerms, shipping_paid: int, partial_rule: bool
) -> None:
    result = compute_refund(
        whole(lines),
        terms,
        shipping_paid=shipping_paid,
        whole_order_returned=True,
        statutory=StatutoryRefund(refund_delivery_on_partial=partial_rule),
    )
    assert result.total == sum(paid(line) for line in lines) + shipping_paid
    assert result.shipping_refund == shipping_paid
    assert all(item.restocking_fee == 0 for item in result.items)
    assert result.return_shipping_fee == 0


@given(orders, fees, st.integers(0, 100_000))
def test_return_shipping_is_charged_only_when_the_consumer_was_told(
    lines: list[PaidLine], terms: FeeTerms, shipping_paid: int
) -> None:
    told = compute_refund(
        whole(lines),
        terms,
        shipping_paid=shipping_paid,
        whole_order_returned=True,
        statutory=StatutoryRefund(charge_return_shipping=True),
    )
    everything = sum(paid(line) for line in lines) + shipping_paid
    assert told.return_shipping_fee == min(terms.return_shipping_fee, told.subtotal)
    assert told.total == everything - told.return_shipping_fee
    assert all(item.restocking_fee == 0 for item in told.items)


@given(orders, fees, st.integers(0, 100_000), st.booleans(), st.data())
def test_withdrawing_in_two_parts_never_pays_more_than_the_order(
    lines: list[PaidLine],
    terms: FeeTerms,
    shipping_paid: int,
    partial_rule: bool,
    data: st.DataObject,
) -> None:
    """Two withdrawals that together cover the order: the second is valued against what the
    first took (its shares and the delivery), as the service does."""
    first_units = [data.draw(st.integers(0, line.quantity)) for line in lines]
    rule = StatutoryRefund(refund_delivery_on_partial=partial_rule)
    first_items = [
        RefundItem(f"li_{i}", line, units, False, "refund")
        for i, (line, units) in enumerate(zip(lines, first_units, strict=True))
        if units
    ]
    first_total, shipping_taken, taken = 0, 0, {}
    if first_items:
        first = compute_refund(
            first_items,
            terms,
            shipping_paid=shipping_paid,
            whole_order_returned=all(
                u == line.quantity for u, line in zip(first_units, lines, strict=True)
            ),
            statutory=rule,
        )
        first_total, shipping_taken = first.total, first.shipping_refund
        taken = {b.item_id: Taken(b.quantity, b.discount, b.tax) for b in first.items}
    second_items = [
        RefundItem(
            f"li_{i}", line, line.quantity - units, False, "refund", taken.get(f"li_{i}", Taken())
        )
        for i, (line, units) in enumerate(zip(lines, first_units, strict=True))
        if line.quantity - units
    ]
    second_total = 0
    if second_items:
        second = compute_refund(
            second_items,
            terms,
            shipping_paid=shipping_paid - shipping_taken,
            whole_order_returned=True,
            statutory=rule,
        )
        second_total = second.total
    assert first_total + second_total == sum(paid(line) for line in lines) + shipping_paid


@given(orders, fees, st.integers(1, 100_000))
def test_under_the_policy_the_same_order_keeps_its_fees(
    lines: list[PaidLine], terms: FeeTerms, shipping_paid: int
) -> None:
    """The contrast: without the statutory rules, fees apply and delivery stays paid."""
    result = compute_refund(
        whole(lines), terms, shipping_paid=shipping_paid, whole_order_returned=True
    )
    assert result.shipping_refund == 0
    assert result.total <= sum(paid(line) for line in lines)
