"""Exchanges: what the returned items are worth against what the customer takes instead.

Pure functions, no I/O; money in integer minor units, as in ``refund_math``.

- **Credit**: the return's exchange bucket of the refund breakdown (``by_method["exchange"]``:
  what was paid for the exchanged items less their fees, the return-shipping fee taken from
  the refund and store-credit buckets first), plus the exchange bonus: ``bonus_bps`` of the
  exchanged items' totals, rounded half up.
- **New value**, per replacement: *like for like* (a variant of the returned line's product at
  the same list price) is valued at what was paid for the returned units, so a size swap is
  even whatever discount the order had; anything else at the catalog's unit price plus its
  tax per unit, times the units.
- **Balance** = credit - new value. Above zero the customer is owed it (``refund_due``, paid
  out by the ordinary refunds); below zero the customer owes it (``amount_due``, collected
  before the replacement is ordered); zero is even.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from returns_api.returns.refund_math import RefundBreakdown

__all__ = ["ExchangeBalance", "Replacement", "exchange_balance"]

_BPS_PER_WHOLE: Final = 10_000


@dataclass(frozen=True, slots=True)
class Replacement:
    """The variant one exchanged item is swapped for, priced from the catalog."""

    item_id: str
    """The returned item it replaces (its ``ItemBreakdown.item_id``)."""
    variant_id: str
    quantity: int
    unit_price: int
    """The catalog's price of one unit in the order's currency, tax excluded."""
    tax: int
    """The catalog's tax on one unit."""
    like_for_like: bool
    """Same product as the returned line, at the same list price (``unit_price``)."""

    def __post_init__(self) -> None:
        if self.quantity < 1:
            raise ValueError(f"replacement {self.variant_id!r}: quantity must be at least 1")
        if self.unit_price < 0 or self.tax < 0:
            raise ValueError(f"replacement {self.variant_id!r}: a price cannot be negative")


@dataclass(frozen=True, slots=True)
class ExchangeBalance:
    credit: int
    bonus: int
    """Part of ``credit``: the policy's exchange bonus."""
    new_value: int
    values: dict[str, int]
    """The new value by returned item id."""
    amount_due: int
    """What the customer owes (0 unless the new items are worth more than the credit)."""
    refund_due: int
    """What the customer is owed (0 unless the credit is worth more than the new items)."""


def exchange_balance(
    breakdown: RefundBreakdown, replacements: Sequence[Replacement], *, bonus_bps: int = 0
) -> ExchangeBalance:
    """Credit, new value and balance of the exchanged items of one return.

    Every item the breakdown resolves as ``exchange`` needs exactly one replacement of as
    many units, and only those items may have one.
    """
    if not 0 <= bonus_bps <= _BPS_PER_WHOLE:
        raise ValueError(f"bonus_bps must be within 0..{_BPS_PER_WHOLE}, got {bonus_bps}")
    exchanged = {item.item_id: item for item in breakdown.items if item.resolution == "exchange"}
    by_item = {replacement.item_id: replacement for replacement in replacements}
    if len(by_item) != len(replacements):
        raise ValueError("an item can be exchanged for one variant only")
    if set(by_item) != set(exchanged):
        raise ValueError(
            f"exchanged items {sorted(exchanged)} and replacements {sorted(by_item)} differ"
        )
    values: dict[str, int] = {}
    for item_id, replacement in by_item.items():
        item = exchanged[item_id]
        if replacement.quantity != item.quantity:
            raise ValueError(
                f"item {item_id!r}: {item.quantity} unit(s) back, {replacement.quantity} out"
            )
        values[item_id] = (
            item.paid
            if replacement.like_for_like
            else replacement.quantity * (replacement.unit_price + replacement.tax)
        )
    totals = sum(item.total for item in exchanged.values())
    bonus = (totals * bonus_bps + _BPS_PER_WHOLE // 2) // _BPS_PER_WHOLE
    credit = breakdown.by_method.get("exchange", 0) + bonus
    new_value = sum(values.values())
    return ExchangeBalance(
        credit=credit,
        bonus=bonus,
        new_value=new_value,
        values=values,
        amount_due=max(0, new_value - credit),
        refund_due=max(0, credit - new_value),
    )
