"""Refund calculation: what a customer gets back for the items of one return.

Pure functions, no I/O. Money is always an ``int`` in minor units (cents); no floats, so
every amount is exact and the same inputs always give the same breakdown.

Per item
    What was paid for an order line has three components: merchandise (unit price x
    quantity), the line discount and the line tax. Each is split over the line's units
    with :func:`unit_share`: every unit gets the floor share and the rounding residue goes
    to the last unit of the line, so refunding a line in several goes adds up exactly to
    what was paid for it, however the units are split. One exception: no unit gets more
    discount than its price, so on a nearly fully discounted line the discount residue that
    does not fit on the last unit spills onto the units before it; otherwise refunding just
    the last unit could come out negative. ``paid = merchandise - discount + tax``.

    - Restocking fee: ``restocking_fee_bps`` of the net merchandise (merchandise -
      discount; tax is handed back in full), waived when the item's reason is the
      merchant's fault, never more than ``paid``.
    - Store-credit bonus: ``store_credit_bonus_bps`` of ``paid - restocking_fee``, only
      for items resolved as store credit.
    - ``total = paid - restocking_fee + store_credit_bonus``.

Per return
    - Return-shipping fee: a flat fee once per return, waived when any item is the
      merchant's fault (the parcel had to come back anyway, so the customer should not pay
      for the trip), and never more than the sum of item totals so a refund is never
      negative.
    - Shipping refund: the original shipping is refunded only when the whole order comes
      back and every item is the merchant's fault.
    - ``total = subtotal - return_shipping_fee + shipping_refund``.
    - ``by_method`` splits the total by resolution: item totals per resolution, the
      return-shipping fee taken from refund, then store credit, then exchange (no bucket
      goes negative), the shipping refund added to the refund bucket (or the first bucket
      present in that order). Buckets that end at zero are left out.

Rounding: basis-point amounts round half up, in integer arithmetic.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from returns_api.policies.resolutions import RESOLUTIONS, Resolution

__all__ = [
    "FeeTerms",
    "ItemBreakdown",
    "PaidLine",
    "RefundBreakdown",
    "RefundItem",
    "compute_refund",
    "unit_share",
]

_BPS_PER_WHOLE: Final = 10_000


@dataclass(frozen=True, slots=True)
class PaidLine:
    """What the customer paid for one order line."""

    quantity: int
    unit_price: int
    discount: int
    """Total discount on the whole line."""
    tax: int
    """Total tax on the whole line."""

    def __post_init__(self) -> None:
        if self.quantity < 1:
            raise ValueError(f"line quantity must be at least 1, got {self.quantity}")
        _require_not_negative("unit_price", self.unit_price)
        _require_not_negative("discount", self.discount)
        _require_not_negative("tax", self.tax)
        if self.discount > self.value:
            raise ValueError(f"line discount {self.discount} exceeds the line value {self.value}")

    @property
    def value(self) -> int:
        """Unit price x quantity, before discount and tax."""
        return self.unit_price * self.quantity


@dataclass(frozen=True, slots=True)
class RefundItem:
    """Some units of one order line coming back in this return."""

    key: str
    """The caller's id for the item, echoed back in the breakdown."""
    line: PaidLine
    quantity: int
    """Units refunded now."""
    units_before: int
    """Units of this line already refunded (or covered) before this one."""
    merchant_fault: bool
    resolution: Resolution

    def __post_init__(self) -> None:
        if self.units_before < 0:
            raise ValueError(f"item {self.key!r}: units_before must be >= 0")
        available = self.line.quantity - self.units_before
        if not 1 <= self.quantity <= available:
            raise ValueError(
                f"item {self.key!r}: quantity {self.quantity} is outside 1..{available} "
                f"(line of {self.line.quantity}, {self.units_before} already refunded)"
            )
        if self.resolution not in RESOLUTIONS:
            raise ValueError(f"item {self.key!r}: unknown resolution {self.resolution!r}")


@dataclass(frozen=True, slots=True)
class FeeTerms:
    """The fees and bonus of the return policy that applies."""

    restocking_fee_bps: int = 0
    """Basis points of the item's net merchandise (price share - discount share)."""
    return_shipping_fee: int = 0
    """Flat, once per return."""
    store_credit_bonus_bps: int = 0
    """Bonus on store-credit items, basis points of their amount before the bonus."""

    def __post_init__(self) -> None:
        _require_bps("restocking_fee_bps", self.restocking_fee_bps)
        _require_not_negative("return_shipping_fee", self.return_shipping_fee)
        _require_bps("store_credit_bonus_bps", self.store_credit_bonus_bps)


@dataclass(frozen=True, slots=True)
class ItemBreakdown:
    """One item's refund; the API's refund line (``schemas.ItemRefundLine``) is this, as is."""

    item_id: str
    """The item's ``RefundItem.key``."""
    quantity: int
    merchandise: int
    discount: int
    tax: int
    paid: int
    restocking_fee: int
    store_credit_bonus: int
    total: int
    resolution: Resolution


@dataclass(frozen=True, slots=True)
class RefundBreakdown:
    items: tuple[ItemBreakdown, ...]
    subtotal: int
    """Sum of the item totals."""
    return_shipping_fee: int
    shipping_refund: int
    total: int
    by_method: dict[Resolution, int]
    """The total split by resolution; sums to ``total``, zero buckets left out."""


def unit_share(
    total: int, quantity: int, units_before: int, count: int, *, unit_cap: int | None = None
) -> int:
    """Share of `total` (spread over `quantity` units) owed for `count` units after `units_before`.

    Every unit gets total // quantity; the rounding residue (total % quantity) goes to the LAST
    unit of the line, i.e. it is included iff units_before + count == quantity. So refunds of
    all units add up exactly to total, whatever the split.

    With `unit_cap`, no unit gets more than `unit_cap`: residue that does not fit on the last
    unit spills onto the units just before it. When it fits (the usual case) the result is
    the same as without a cap.
    """
    if quantity < 1:
        raise ValueError(f"quantity must be at least 1, got {quantity}")
    if units_before < 0 or count < 1 or units_before + count > quantity:
        raise ValueError(
            f"cannot take {count} unit(s) after {units_before} of a line of {quantity}"
        )
    _require_not_negative("total", total)
    base, residue = divmod(total, quantity)
    if unit_cap is None:
        last_unit_included = units_before + count == quantity
        return base * count + (residue if last_unit_included else 0)
    if total > unit_cap * quantity:
        raise ValueError(f"{total} cannot be spread over {quantity} units of at most {unit_cap}")
    # Fill the residue from the last unit backwards, at most `room` per unit; the residue
    # owed for a range of units is then what the units from its start to the end of the
    # line hold minus what the units after it hold.
    room = unit_cap - base
    units_to_end = quantity - units_before
    units_after = units_to_end - count
    return base * count + min(residue, units_to_end * room) - min(residue, units_after * room)


def compute_refund(
    items: Sequence[RefundItem],
    fees: FeeTerms,
    *,
    shipping_paid: int = 0,
    whole_order_returned: bool = False,
) -> RefundBreakdown:
    """Breakdown of the refund for the items of one return under `fees`."""
    if not items:
        raise ValueError("a refund needs at least one item")
    _require_not_negative("shipping_paid", shipping_paid)

    breakdowns = tuple(_item_breakdown(item, fees) for item in items)
    subtotal = sum(b.total for b in breakdowns)
    any_merchant_fault = any(item.merchant_fault for item in items)
    return_shipping_fee = 0 if any_merchant_fault else min(fees.return_shipping_fee, subtotal)
    all_merchant_fault = all(item.merchant_fault for item in items)
    shipping_refund = shipping_paid if whole_order_returned and all_merchant_fault else 0
    return RefundBreakdown(
        items=breakdowns,
        subtotal=subtotal,
        return_shipping_fee=return_shipping_fee,
        shipping_refund=shipping_refund,
        total=subtotal - return_shipping_fee + shipping_refund,
        by_method=_split_by_method(breakdowns, return_shipping_fee, shipping_refund),
    )


def _item_breakdown(item: RefundItem, fees: FeeTerms) -> ItemBreakdown:
    line = item.line

    def share(total: int, unit_cap: int | None = None) -> int:
        return unit_share(total, line.quantity, item.units_before, item.quantity, unit_cap=unit_cap)

    merchandise = share(line.value)
    # Capped at the unit price: with the residue all on the last unit, refunding just that
    # unit of a heavily discounted line would otherwise come out negative.
    discount = share(line.discount, unit_cap=line.unit_price)
    tax = share(line.tax)
    paid = merchandise - discount + tax
    # bps <= 10000 already keeps the fee within the net merchandise; the cap on `paid` is
    # the invariant the service relies on, so it is stated rather than implied.
    restocking_fee = (
        0
        if item.merchant_fault
        else min(_bps_of(merchandise - discount, fees.restocking_fee_bps), paid)
    )
    store_credit_bonus = (
        _bps_of(paid - restocking_fee, fees.store_credit_bonus_bps)
        if item.resolution == "store_credit"
        else 0
    )
    return ItemBreakdown(
        item_id=item.key,
        quantity=item.quantity,
        merchandise=merchandise,
        discount=discount,
        tax=tax,
        paid=paid,
        restocking_fee=restocking_fee,
        store_credit_bonus=store_credit_bonus,
        total=paid - restocking_fee + store_credit_bonus,
        resolution=item.resolution,
    )


def _split_by_method(
    items: Sequence[ItemBreakdown], return_shipping_fee: int, shipping_refund: int
) -> dict[Resolution, int]:
    buckets: dict[Resolution, int] = {}
    for resolution in RESOLUTIONS:
        totals = [item.total for item in items if item.resolution == resolution]
        if totals:
            buckets[resolution] = sum(totals)

    fee_left = return_shipping_fee
    for resolution, amount in buckets.items():
        taken = min(fee_left, amount)
        buckets[resolution] = amount - taken
        fee_left -= taken

    if shipping_refund:
        # Buckets were filled in RESOLUTIONS order, so the first is "refund" when present.
        first_present = next(iter(buckets))
        buckets[first_present] += shipping_refund
    return {resolution: amount for resolution, amount in buckets.items() if amount}


def _bps_of(amount: int, bps: int) -> int:
    """`bps` basis points of a non-negative `amount`, rounded half up."""
    return (amount * bps + _BPS_PER_WHOLE // 2) // _BPS_PER_WHOLE


def _require_not_negative(name: str, amount: int) -> None:
    if amount < 0:
        raise ValueError(f"{name} must not be negative, got {amount}")


def _require_bps(name: str, bps: int) -> None:
    if not 0 <= bps <= _BPS_PER_WHOLE:
        raise ValueError(f"{name} must be within 0..{_BPS_PER_WHOLE} basis points, got {bps}")
