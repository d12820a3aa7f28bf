from dataclasses import replace
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from returns_api.policies.resolutions import RESOLUTIONS, Resolution
from returns_api.returns.refund_math import (
    FeeTerms,
    PaidLine,
    RefundItem,
    Taken,
    compute_refund,
    line_share,
)


def make_line(
    *, quantity: int = 1, unit_price: int = 1000, discount: int = 0, tax: int = 0
) -> PaidLine:
    return PaidLine(quantity=quantity, unit_price=unit_price, discount=discount, tax=tax)


def make_item(
    line: PaidLine | None = None,
    *,
    key: str = "item-1",
    quantity: int | None = None,
    taken: Taken | None = None,
    merchant_fault: bool = False,
    resolution: Resolution = "refund",
) -> RefundItem:
    """An item refunding, by default, every unit of the line other returns have not taken."""
    line = line or make_line()
    taken = taken or Taken()
    return RefundItem(
        key=key,
        line=line,
        quantity=line.quantity - taken.units if quantity is None else quantity,
        merchant_fault=merchant_fault,
        resolution=resolution,
        taken=taken,
    )


def taken_by(*parts: Any) -> Taken:
    """What the given item breakdowns take of their (one) line, together."""
    return Taken(
        units=sum(p.quantity for p in parts),
        discount=sum(p.discount for p in parts),
        tax=sum(p.tax for p in parts),
    )


def first_units(line: PaidLine, units: int) -> Taken:
    """What a first return of `units` units of `line` takes of it."""
    return taken_by(compute_refund([make_item(line, quantity=units)], FeeTerms()).items[0])


def take_in_turn(
    total: int, quantity: int, counts: list[int], unit_cap: int | None = None
) -> list[int]:
    """The shares of `total` that returns of `counts` units get, one after the other."""
    shares: list[int] = []
    for count in counts:
        shares.append(
            line_share(
                total,
                quantity,
                count,
                taken_units=sum(counts[: len(shares)]),
                taken_amount=sum(shares),
                unit_cap=unit_cap,
            )
        )
    return shares


# --- line_share ---------------------------------------------------------------------------


def test_line_share_splits_evenly_when_total_divides() -> None:
    assert take_in_turn(900, 3, [1, 1, 1]) == [300, 300, 300]


def test_line_share_gives_what_is_left_to_the_units_that_complete_the_line() -> None:
    assert take_in_turn(10, 3, [1, 1, 1]) == [3, 3, 4]
    assert take_in_turn(10, 3, [2, 1]) == [6, 4]
    assert take_in_turn(10, 3, [1, 2]) == [3, 7]


def test_line_share_of_all_units_is_the_total() -> None:
    assert line_share(1001, 7, 7) == 1001


def test_the_residue_goes_to_whoever_completes_the_line_not_to_a_position() -> None:
    """Two units are held by a return that is then released: the unit that completed the
    line keeps the residue, and the return that takes the released units gets floor shares."""
    holder, completer = take_in_turn(190, 3, [2, 1])
    assert (holder, completer) == (126, 64)
    again = line_share(190, 3, 2, taken_units=1, taken_amount=completer)
    assert again == 126
    assert completer + again == 190


def test_line_share_cap_takes_more_than_the_floor_when_the_rest_would_not_fit() -> None:
    # 15 over 10 units of at most 2: the floor share is 1; the last units must hold 2 each.
    per_unit = take_in_turn(15, 10, [1] * 10, unit_cap=2)

    assert per_unit == [1, 1, 1, 1, 1, 2, 2, 2, 2, 2]


def test_line_share_cap_changes_nothing_when_residue_fits_on_last_unit() -> None:
    assert take_in_turn(10, 3, [1, 1, 1], unit_cap=5) == [3, 3, 4]


def test_line_share_never_goes_below_zero_or_past_the_cap_on_inconsistent_records() -> None:
    # Others' shares recorded against an older copy of the line (more than is left now).
    assert line_share(10, 3, 1, taken_units=1, taken_amount=50) == 0
    assert line_share(10, 3, 2, taken_units=1, taken_amount=50) == 0
    # Less recorded than the cap allows the remaining units to carry.
    assert line_share(30, 3, 1, taken_units=2, taken_amount=0, unit_cap=10) == 10


@pytest.mark.parametrize(
    ("quantity", "taken_units", "count", "message"),
    [
        (0, 0, 1, "quantity must be at least 1"),
        (3, -1, 1, "cannot take 1 unit"),
        (3, 0, 0, "cannot take 0 unit"),
        (3, 2, 2, "cannot take 2 unit"),
        (3, 3, 1, "cannot take 1 unit"),
    ],
)
def test_line_share_rejects_units_outside_the_line(
    quantity: int, taken_units: int, count: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        line_share(10, quantity, count, taken_units=taken_units)


def test_line_share_rejects_negative_amounts() -> None:
    with pytest.raises(ValueError, match="total must not be negative"):
        line_share(-1, 3, 1)
    with pytest.raises(ValueError, match="taken_amount must not be negative"):
        line_share(10, 3, 1, taken_units=1, taken_amount=-1)


def test_line_share_rejects_total_that_cannot_fit_under_cap() -> None:
    with pytest.raises(ValueError, match="at most 2"):
        line_share(7, 3, 1, unit_cap=2)


# --- items --------------------------------------------------------------------------------


def test_refund_without_fees_is_what_was_paid() -> None:
    line = make_line(quantity=2, unit_price=1500, discount=400, tax=260)

    breakdown = compute_refund([make_item(line)], FeeTerms())

    (item,) = breakdown.items
    assert (item.merchandise, item.discount, item.tax) == (3000, 400, 260)
    assert item.paid == item.total == breakdown.total == 3000 - 400 + 260


def test_discount_and_tax_shares_put_rounding_residue_on_last_unit() -> None:
    line = make_line(quantity=3, unit_price=1000, discount=100, tax=200)

    first = compute_refund([make_item(line, quantity=1)], FeeTerms()).items[0]
    last = compute_refund(
        [make_item(line, quantity=1, taken=first_units(line, 2))], FeeTerms()
    ).items[0]

    assert (first.discount, first.tax) == (33, 66)
    assert (last.discount, last.tax) == (34, 68)


def test_restocking_fee_is_charged_on_net_merchandise_not_tax() -> None:
    line = make_line(unit_price=10_000, discount=2_000, tax=1_600)

    item = compute_refund([make_item(line)], FeeTerms(restocking_fee_bps=1_500)).items[0]

    assert item.restocking_fee == 1_200  # 15% of 8000
    assert item.total == 8_000 + 1_600 - 1_200


@pytest.mark.parametrize(("bps", "fee"), [(500, 1), (499, 0)])
def test_restocking_fee_rounds_half_up(bps: int, fee: int) -> None:
    # 5% of 10 minor units is exactly half a unit.
    item = compute_refund(
        [make_item(make_line(unit_price=10))], FeeTerms(restocking_fee_bps=bps)
    ).items[0]

    assert item.restocking_fee == fee


def test_merchant_fault_reason_waives_restocking_fee() -> None:
    item = compute_refund(
        [make_item(merchant_fault=True)], FeeTerms(restocking_fee_bps=2_000)
    ).items[0]

    assert item.restocking_fee == 0
    assert item.total == 1000


def test_store_credit_bonus_is_on_amount_after_restocking_fee() -> None:
    fees = FeeTerms(restocking_fee_bps=1_000, store_credit_bonus_bps=500)
    line = make_line(unit_price=10_000, tax=1_000)

    item = compute_refund([make_item(line, resolution="store_credit")], fees).items[0]

    assert item.restocking_fee == 1_000
    assert item.store_credit_bonus == 500  # 5% of 11000 - 1000
    assert item.total == 11_000 - 1_000 + 500


@pytest.mark.parametrize("resolution", ["refund", "exchange"])
def test_store_credit_bonus_is_only_for_store_credit(resolution: Resolution) -> None:
    fees = FeeTerms(store_credit_bonus_bps=1_000)

    item = compute_refund([make_item(resolution=resolution)], fees).items[0]

    assert item.store_credit_bonus == 0
    assert item.total == 1000


def test_refunding_last_unit_of_heavily_discounted_line_is_not_negative() -> None:
    # 15 off 10 units of 2: the last unit alone would carry a discount of 6 under the plain
    # residue rule; it never gets more discount than its price.
    line = make_line(quantity=10, unit_price=2, discount=15)

    last = compute_refund(
        [make_item(line, quantity=1, taken=first_units(line, 9))], FeeTerms()
    ).items[0]

    assert (last.merchandise, last.discount, last.paid) == (2, 2, 0)


def test_fully_discounted_line_refunds_only_its_tax() -> None:
    line = make_line(quantity=2, unit_price=500, discount=1_000, tax=30)

    item = compute_refund([make_item(line)], FeeTerms(restocking_fee_bps=10_000)).items[0]

    assert (item.paid, item.restocking_fee, item.total) == (30, 0, 30)


# --- return level -------------------------------------------------------------------------


def test_return_shipping_fee_is_charged_once_per_return() -> None:
    items = [make_item(key="a"), make_item(key="b")]

    breakdown = compute_refund(items, FeeTerms(return_shipping_fee=300))

    assert breakdown.subtotal == 2000
    assert breakdown.return_shipping_fee == 300
    assert breakdown.total == 1700


def test_merchant_fault_item_waives_return_shipping_fee_for_whole_return() -> None:
    items = [make_item(key="a"), make_item(key="b", merchant_fault=True)]

    breakdown = compute_refund(items, FeeTerms(return_shipping_fee=300))

    assert breakdown.return_shipping_fee == 0
    assert breakdown.total == 2000


def test_return_shipping_fee_never_makes_refund_negative() -> None:
    item = make_item(make_line(unit_price=200))

    breakdown = compute_refund([item], FeeTerms(return_shipping_fee=500))

    assert breakdown.return_shipping_fee == 200
    assert breakdown.total == 0


def test_original_shipping_refunded_when_whole_order_returned_for_merchant_fault() -> None:
    items = [make_item(key="a", merchant_fault=True), make_item(key="b", merchant_fault=True)]

    breakdown = compute_refund(items, FeeTerms(), shipping_paid=499, whole_order_returned=True)

    assert breakdown.shipping_refund == 499
    assert breakdown.total == 2000 + 499


def test_original_shipping_kept_when_order_only_partly_returned() -> None:
    breakdown = compute_refund([make_item(merchant_fault=True)], FeeTerms(), shipping_paid=499)

    assert breakdown.shipping_refund == 0


def test_original_shipping_kept_when_any_item_is_not_merchant_fault() -> None:
    items = [make_item(key="a", merchant_fault=True), make_item(key="b")]

    breakdown = compute_refund(items, FeeTerms(), shipping_paid=499, whole_order_returned=True)

    assert breakdown.shipping_refund == 0


# --- by_method ----------------------------------------------------------------------------


def test_by_method_splits_total_by_resolution() -> None:
    items = [
        make_item(key="a", resolution="refund"),
        make_item(key="b", resolution="exchange"),
        make_item(key="c", resolution="refund"),
    ]

    breakdown = compute_refund(items, FeeTerms())

    assert breakdown.by_method == {"refund": 2000, "exchange": 1000}


def test_return_shipping_fee_is_taken_from_refund_bucket_first() -> None:
    items = [make_item(key="a", resolution="store_credit"), make_item(key="b")]

    breakdown = compute_refund(items, FeeTerms(return_shipping_fee=300))

    assert breakdown.by_method == {"refund": 700, "store_credit": 1000}


def test_return_shipping_fee_spills_to_store_credit_then_exchange() -> None:
    items = [
        make_item(make_line(unit_price=100), key="a", resolution="exchange"),
        make_item(make_line(unit_price=100), key="b", resolution="store_credit"),
        make_item(make_line(unit_price=100), key="c", resolution="refund"),
    ]

    breakdown = compute_refund(items, FeeTerms(return_shipping_fee=250))

    assert breakdown.by_method == {"exchange": 50}
    assert breakdown.total == 50


def test_shipping_refund_goes_to_refund_bucket() -> None:
    items = [
        make_item(key="a", merchant_fault=True, resolution="store_credit"),
        make_item(key="b", merchant_fault=True, resolution="refund"),
    ]

    breakdown = compute_refund(items, FeeTerms(), shipping_paid=500, whole_order_returned=True)

    assert breakdown.by_method == {"refund": 1500, "store_credit": 1000}


def test_shipping_refund_goes_to_first_present_bucket_without_refund_bucket() -> None:
    items = [
        make_item(key="a", merchant_fault=True, resolution="exchange"),
        make_item(key="b", merchant_fault=True, resolution="store_credit"),
    ]

    breakdown = compute_refund(items, FeeTerms(), shipping_paid=500, whole_order_returned=True)

    assert breakdown.by_method == {"store_credit": 1500, "exchange": 1000}


def test_by_method_leaves_out_buckets_that_end_at_zero() -> None:
    items = [make_item(make_line(unit_price=0), key="a"), make_item(key="b", resolution="exchange")]

    breakdown = compute_refund(items, FeeTerms())

    assert breakdown.by_method == {"exchange": 1000}


# --- input guards -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"quantity": 0}, "line quantity"),
        ({"unit_price": -1}, "unit_price must not be negative"),
        ({"discount": -1}, "discount must not be negative"),
        ({"tax": -1}, "tax must not be negative"),
        ({"quantity": 2, "unit_price": 100, "discount": 201}, "exceeds the line value"),
    ],
)
def test_invalid_paid_line_is_rejected(fields: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_line(**fields)


@pytest.mark.parametrize(
    ("quantity", "taken_units"),
    [(0, 0), (4, 0), (2, 2), (1, 3)],
)
def test_item_quantity_outside_what_is_left_of_line_is_rejected(
    quantity: int, taken_units: int
) -> None:
    with pytest.raises(ValueError, match="item 'item-1'"):
        make_item(make_line(quantity=3), quantity=quantity, taken=Taken(units=taken_units))


def test_negative_taken_amounts_are_rejected() -> None:
    with pytest.raises(ValueError, match="taken units must not be negative"):
        Taken(units=-1)


def test_unknown_resolution_is_rejected() -> None:
    resolution: Any = "cash"

    with pytest.raises(ValueError, match="unknown resolution 'cash'"):
        make_item(resolution=resolution)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"restocking_fee_bps": -1}, "restocking_fee_bps"),
        ({"restocking_fee_bps": 10_001}, "restocking_fee_bps"),
        ({"store_credit_bonus_bps": -1}, "store_credit_bonus_bps"),
        ({"store_credit_bonus_bps": 10_001}, "store_credit_bonus_bps"),
        ({"return_shipping_fee": -1}, "return_shipping_fee must not be negative"),
    ],
)
def test_invalid_fee_terms_are_rejected(fields: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FeeTerms(**fields)


def test_refund_of_no_items_is_rejected() -> None:
    with pytest.raises(ValueError, match="at least one item"):
        compute_refund([], FeeTerms())


def test_negative_shipping_paid_is_rejected() -> None:
    with pytest.raises(ValueError, match="shipping_paid must not be negative"):
        compute_refund([make_item()], FeeTerms(), shipping_paid=-1)


# --- properties ---------------------------------------------------------------------------


@st.composite
def paid_lines(draw: st.DrawFn) -> PaidLine:
    quantity = draw(st.integers(1, 12))
    unit_price = draw(st.integers(0, 50_000))
    value = unit_price * quantity
    # Near-total discounts are where per-unit rounding can go wrong, so draw them often.
    discount = draw(
        st.integers(0, value) | st.integers(max(0, value - quantity), value) | st.just(0)
    )
    tax = draw(st.integers(0, 20_000))
    return PaidLine(quantity=quantity, unit_price=unit_price, discount=discount, tax=tax)


@st.composite
def refund_items(draw: st.DrawFn, *, merchant_fault: bool | None = None) -> RefundItem:
    line = draw(paid_lines())
    taken_units = draw(st.integers(0, line.quantity - 1))
    taken = first_units(line, taken_units) if taken_units else Taken()
    return RefundItem(
        key=draw(st.sampled_from("abcdef")),
        line=line,
        quantity=draw(st.integers(1, line.quantity - taken_units)),
        merchant_fault=draw(st.booleans()) if merchant_fault is None else merchant_fault,
        resolution=draw(st.sampled_from(RESOLUTIONS)),
        taken=taken,
    )


@st.composite
def splits(draw: st.DrawFn, quantity: int) -> list[int]:
    """Unit counts of returns that cover a line's units once."""
    cuts = sorted(draw(st.sets(st.integers(1, quantity - 1))) if quantity > 1 else set())
    bounds = [0, *cuts, quantity]
    return [end - start for start, end in pairwise(bounds)]


basis_points = st.integers(0, 10_000)
fee_terms = st.builds(
    FeeTerms,
    restocking_fee_bps=basis_points,
    return_shipping_fee=st.integers(0, 5_000),
    store_credit_bonus_bps=basis_points,
)
item_lists = st.lists(refund_items(), min_size=1, max_size=5)
shipping = st.integers(0, 2_000)


@given(items=item_lists, fees=fee_terms, shipping_paid=shipping, whole=st.booleans())
def test_refund_is_never_negative(
    items: list[RefundItem], fees: FeeTerms, shipping_paid: int, whole: bool
) -> None:
    breakdown = compute_refund(items, fees, shipping_paid=shipping_paid, whole_order_returned=whole)

    for item in breakdown.items:
        assert min(item.merchandise, item.discount, item.tax, item.paid) >= 0
        assert item.restocking_fee >= 0
        assert item.store_credit_bonus >= 0
        assert item.total >= 0
    assert breakdown.total >= 0


@given(item=refund_items(), fees=fee_terms)
def test_item_refund_without_bonus_never_exceeds_what_was_paid(
    item: RefundItem, fees: FeeTerms
) -> None:
    fees = replace(fees, store_credit_bonus_bps=0)
    line = item.line

    result = compute_refund([item], fees).items[0]

    assert result.discount <= result.merchandise == item.quantity * line.unit_price
    assert result.paid <= line.value - line.discount + line.tax
    assert result.total <= result.paid


@given(item=refund_items())
def test_item_refund_without_fees_is_its_paid_share(item: RefundItem) -> None:
    breakdown = compute_refund([item], FeeTerms())

    (result,) = breakdown.items
    assert breakdown.total == result.total == result.paid
    assert result.paid == result.merchandise - result.discount + result.tax


@given(data=st.data(), line=paid_lines())
def test_partial_refunds_add_up_to_what_was_paid(data: st.DataObject, line: PaidLine) -> None:
    parts: list[Any] = []
    for count in data.draw(splits(line.quantity)):
        item = make_item(line, quantity=count, taken=taken_by(*parts))
        parts.append(compute_refund([item], FeeTerms()).items[0])

    assert sum(p.merchandise for p in parts) == line.value
    assert sum(p.discount for p in parts) == line.discount
    assert sum(p.tax for p in parts) == line.tax
    assert sum(p.paid for p in parts) == line.value - line.discount + line.tax


@given(
    data=st.data(),
    total=st.integers(0, 10**9),
    quantity=st.integers(1, 50),
    capped=st.booleans(),
)
def test_line_shares_of_returns_in_turn_add_up_to_total(
    data: st.DataObject, total: int, quantity: int, capped: bool
) -> None:
    # The smallest cap that can hold the total, the tightest case for spilling.
    unit_cap = -(-total // quantity) if capped else None

    shares = take_in_turn(total, quantity, data.draw(splits(quantity)), unit_cap)

    assert sum(shares) == total


@given(total=st.integers(0, 10**6), quantity=st.integers(1, 30), slack=st.integers(0, 100))
def test_capped_line_share_never_gives_a_unit_more_than_cap(
    total: int, quantity: int, slack: int
) -> None:
    unit_cap = -(-total // quantity) + slack

    per_unit = take_in_turn(total, quantity, [1] * quantity, unit_cap)

    assert all(0 <= share <= unit_cap for share in per_unit)
    assert sum(per_unit) == total


@given(items=item_lists, fees=fee_terms, shipping_paid=shipping, whole=st.booleans())
def test_by_method_sums_to_total_with_no_empty_or_negative_bucket(
    items: list[RefundItem], fees: FeeTerms, shipping_paid: int, whole: bool
) -> None:
    breakdown = compute_refund(items, fees, shipping_paid=shipping_paid, whole_order_returned=whole)

    assert sum(breakdown.by_method.values()) == breakdown.total
    assert all(amount > 0 for amount in breakdown.by_method.values())
    assert set(breakdown.by_method) <= {item.resolution for item in items}


@given(items=item_lists, fees=fee_terms, bps=st.tuples(basis_points, basis_points))
def test_raising_restocking_fee_never_increases_total(
    items: list[RefundItem], fees: FeeTerms, bps: tuple[int, int]
) -> None:
    lower, higher = sorted(bps)

    cheaper = compute_refund(items, replace(fees, restocking_fee_bps=lower))
    dearer = compute_refund(items, replace(fees, restocking_fee_bps=higher))

    assert dearer.total <= cheaper.total
    for cheap_item, dear_item in zip(cheaper.items, dearer.items, strict=True):
        assert dear_item.total <= cheap_item.total
