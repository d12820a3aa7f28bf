"""Refund calculation: what a customer gets back for the items of one return.

Pure functions, no I/O. Money is always an ``int`` in minor units (cents); no floats, so
every amount is exact and the same inputs always give the same breakdown.

Per item
    What was paid for an order line has three components: merchandise (unit price x
    quantity), the line discount and the line tax. A return's items take shares of them
    with :func:`line_share`, given what the line's other live returns have already taken
    (`Taken`): every unit gets the floor share, and the return that takes the line's last
    units gets what is left, rounding residue included. So the shares of all live returns
    never add up to more than was paid for the line, and refunding every unit exactly once
    pays back exactly that, whatever the order of returns, releases and inspections. One
    exception: no unit gets more discount than its price, so on a nearly fully discounted
    line a share takes more than the floor when the units left could not otherwise hold the
    rest of the discount; refunding one unit then never comes out negative.
    ``paid = merchandise - discount + tax``.

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

Statutory withdrawal (Directive 2011/83/EU, Articles 13 and 14; ``StatutoryRefund``)
    Every payment is refunded: no restocking fee; the standard delivery paid is refunded
    when the whole order is withdrawn from (and, by policy, with a partial withdrawal); the
    return-shipping fee only when the consumer was told beforehand that they bear it.

Rounding: basis-point amounts round half up, in integer arithmetic.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

from returns_api.policies.resolutions import RESOLUTIONS, Resolution

__all__ = [
    "FeeTerms",
    "ItemBreakdown",
    "PaidLine",
    "RefundBreakdown",
    "RefundItem",
    "StatutoryRefund",
    "Taken",
    "compute_refund",
    "line_share",
    "return_shipping_waived",
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
class Taken:
    """What the other live returns of a line hold of it: the units their breakdowns value,
    and the discount and tax shares those units were given. (Merchandise needs no record:
    it is the unit price times the units, with no residue.)"""

    units: int = 0
    discount: int = 0
    tax: int = 0

    def __post_init__(self) -> None:
        _require_not_negative("taken units", self.units)
        _require_not_negative("taken discount", self.discount)
        _require_not_negative("taken tax", self.tax)


@dataclass(frozen=True, slots=True)
class RefundItem:
    """Some units of one order line coming back in this return."""

    key: str
    """The caller's id for the item, echoed back in the breakdown."""
    line: PaidLine
    quantity: int
    """Units refunded now."""
    merchant_fault: bool
    resolution: Resolution
    taken: Taken = field(default_factory=Taken)
    """What the line's other live returns already hold of it."""
    deduction: int = 0
    """Diminished value found at inspection (Article 14(2)); never more than is left."""

    def __post_init__(self) -> None:
        available = self.line.quantity - self.taken.units
        if not 1 <= self.quantity <= available:
            raise ValueError(
                f"item {self.key!r}: quantity {self.quantity} is outside 1..{available} "
                f"(line of {self.line.quantity}, {self.taken.units} taken by other returns)"
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
class StatutoryRefund:
    """The refund rules of a statutory withdrawal, in place of the policy's fees."""

    charge_return_shipping: bool = False
    """The policy charges for sending back and the consumer was told so beforehand
    (Article 14(1)); otherwise the trader bears it."""
    refund_delivery_on_partial: bool = False
    """The policy's delivery rule for a withdrawal from part of the order."""


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
    deduction: int
    """Taken off at inspection for diminished value (the item's own reason says why)."""


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


def line_share(
    total: int,
    quantity: int,
    count: int,
    *,
    taken_units: int = 0,
    taken_amount: int = 0,
    unit_cap: int | None = None,
) -> int:
    """Share of `total` (spread over a line of `quantity` units) for `count` more units, when
    other returns already hold `taken_units` units and `taken_amount` of it.

    The units that complete the line get all that is left; any others the floor share
    (total // quantity) per unit. With `unit_cap`, no unit may end up with more than
    `unit_cap`: a share takes more than the floor when the units left after it could not
    hold the rest at that cap. Shares stored against an older copy of the line (an order
    re-synced with other amounts) cannot push a share below zero or past the cap.
    """
    if quantity < 1:
        raise ValueError(f"quantity must be at least 1, got {quantity}")
    _require_not_negative("total", total)
    _require_not_negative("taken_amount", taken_amount)
    units_left = quantity - taken_units
    if taken_units < 0 or not 1 <= count <= units_left:
        raise ValueError(
            f"cannot take {count} unit(s) of a line of {quantity} with {taken_units} taken"
        )
    if unit_cap is not None and total > unit_cap * quantity:
        raise ValueError(f"{total} cannot be spread over {quantity} units of at most {unit_cap}")
    left = max(0, total - taken_amount)
    if count == units_left:
        share = left
    else:
        share = min(total // quantity * count, left)
        if unit_cap is not None:
            share = max(share, left - unit_cap * (units_left - count))
    return share if unit_cap is None else min(share, unit_cap * count)


def compute_refund(
    items: Sequence[RefundItem],
    fees: FeeTerms,
    *,
    shipping_paid: int = 0,
    whole_order_returned: bool = False,
    statutory: StatutoryRefund | None = None,
) -> RefundBreakdown:
    """Breakdown of the refund for the items of one return under `fees`, or under the
    statutory rules when it is a withdrawal (`statutory`)."""
    if not items:
        raise ValueError("a refund needs at least one item")
    _require_not_negative("shipping_paid", shipping_paid)
    if statutory is not None:
        fees = FeeTerms(
            restocking_fee_bps=0,  # Article 13(1): every payment is refunded
            return_shipping_fee=fees.return_shipping_fee if statutory.charge_return_shipping else 0,
            store_credit_bonus_bps=fees.store_credit_bonus_bps,
        )

    breakdowns = tuple(_item_breakdown(item, fees) for item in items)
    subtotal = sum(b.total for b in breakdowns)
    waived = return_shipping_waived(item.merchant_fault for item in items)
    return_shipping_fee = 0 if waived else min(fees.return_shipping_fee, subtotal)
    all_merchant_fault = all(item.merchant_fault for item in items)
    shipping_refund = shipping_paid if whole_order_returned and all_merchant_fault else 0
    if statutory is not None and (whole_order_returned or statutory.refund_delivery_on_partial):
        shipping_refund = shipping_paid  # Article 13(1): standard delivery included
    return RefundBreakdown(
        items=breakdowns,
        subtotal=subtotal,
        return_shipping_fee=return_shipping_fee,
        shipping_refund=shipping_refund,
        total=subtotal - return_shipping_fee + shipping_refund,
        by_method=_split_by_method(breakdowns, return_shipping_fee, shipping_refund),
    )


def return_shipping_waived(merchant_faults: Iterable[bool]) -> bool:
    """No return-shipping fee when any item is the merchant's fault: the parcel had to come
    back anyway, so the customer should not pay for the trip."""
    return any(merchant_faults)


def _item_breakdown(item: RefundItem, fees: FeeTerms) -> ItemBreakdown:
    line = item.line

    taken = item.taken

    def share(total: int, taken_amount: int, unit_cap: int | None = None) -> int:
        return line_share(
            total,
            line.quantity,
            item.quantity,
            taken_units=taken.units,
            taken_amount=taken_amount,
            unit_cap=unit_cap,
        )

    merchandise = line.unit_price * item.quantity
    # Capped at the unit price: refunding a unit of a heavily discounted line must not
    # come out negative.
    discount = share(line.discount, taken.discount, unit_cap=line.unit_price)
    tax = share(line.tax, taken.tax)
    paid = merchandise - discount + tax
    # bps <= 10000 already keeps the fee within the net merchandise; the cap on `paid` is
    # the invariant the service relies on, so it is stated rather than implied.
    restocking_fee = (
        0
        if item.merchant_fault
        else min(_bps_of(merchandise - discount, fees.restocking_fee_bps), paid)
    )
    deduction = min(max(0, item.deduction), paid - restocking_fee)
    store_credit_bonus = (
        _bps_of(paid - restocking_fee - deduction, fees.store_credit_bonus_bps)
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
        total=paid - restocking_fee - deduction + store_credit_bonus,
        resolution=item.resolution,
        deduction=deduction,
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


NOTHING_TAKEN: Final = Taken()
