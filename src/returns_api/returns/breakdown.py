"""From stored return items to the refund breakdown shown in the API (DESIGN §5).

The arithmetic is refund_math's; this module decides what it is fed: which units count
(requested before inspection, accepted after), how many units of each line earlier
returns already cover (the rounding residue goes to the unit that completes the line),
and whether the whole order has now come back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any, Literal

from returns_api.policies.document import PolicyDocument
from returns_api.returns.refund_math import FeeTerms, PaidLine, RefundItem, compute_refund
from returns_api.returns.schemas import METHOD_OF_RESOLUTION

Basis = Literal["requested", "accepted"]


def units_of(item: Mapping[Any, Any], basis: Basis) -> int:
    return int(item["quantity"] if basis == "requested" else item["accepted_quantity"])


def fee_terms(policy: PolicyDocument) -> FeeTerms:
    """The fees and bonus of `policy`, as the refund arithmetic takes them."""
    return FeeTerms(
        restocking_fee_bps=policy.restocking_fee_bps,
        return_shipping_fee=policy.return_shipping_fee,
        store_credit_bonus_bps=policy.store_credit_bonus_bps,
    )


def compute_breakdown(
    items: Sequence[Mapping[Any, Any]],
    *,
    basis: Basis,
    currency: str,
    policy: PolicyDocument,
    shipping_paid: int,
    units_before: Mapping[str, int],
    whole_order_returned: bool,
) -> dict[str, Any]:
    """The breakdown as stored on the return (the shape of RefundBreakdownOut)."""
    refund_items = [
        RefundItem(
            key=str(item["id"]),
            line=PaidLine(
                quantity=int(item["line_quantity"]),
                unit_price=int(item["unit_price"]),
                discount=int(item["line_discount"]),
                tax=int(item["line_tax"]),
            ),
            quantity=units_of(item, basis),
            units_before=min(
                units_before.get(item["line_item_id"], 0),
                int(item["line_quantity"]) - units_of(item, basis),
            ),
            merchant_fault=bool(item["merchant_fault"]),
            resolution=item["resolution"],
        )
        for item in items
        if units_of(item, basis) > 0
    ]
    empty: dict[str, Any] = {
        "basis": basis,
        "currency": currency,
        "items": [],
        "subtotal": 0,
        "return_shipping_fee": 0,
        "shipping_refund": 0,
        "total": 0,
        "by_method": {},
    }
    if not refund_items:
        return empty
    result = compute_refund(
        refund_items,
        fee_terms(policy),
        shipping_paid=shipping_paid,
        whole_order_returned=whole_order_returned,
    )
    return {
        **empty,
        "items": [asdict(line) for line in result.items],
        "subtotal": result.subtotal,
        "return_shipping_fee": result.return_shipping_fee,
        "shipping_refund": result.shipping_refund,
        "total": result.total,
        "by_method": {
            METHOD_OF_RESOLUTION[resolution]: amount
            for resolution, amount in result.by_method.items()
        },
    }


def units_before_by_line(
    others: Sequence[tuple[Any, str, int]], this_return: Any | None
) -> dict[str, int]:
    """Units of each line held by live returns created before this one (ids are time-ordered)."""
    before: dict[str, int] = {}
    for return_id, line_id, units in others:
        if this_return is None or return_id < this_return:
            before[line_id] = before.get(line_id, 0) + units
    return before


def units_by_line(others: Sequence[tuple[Any, str, int]]) -> dict[str, int]:
    """Units of each line held by the given (return, line, units) rows."""
    held: dict[str, int] = {}
    for _, line_id, units in others:
        held[line_id] = held.get(line_id, 0) + units
    return held


def whole_order_comes_back(
    order_units: Mapping[str, int], held_by_others: Mapping[str, int], mine: Mapping[str, int]
) -> bool:
    """Every unit of the order is covered by this return and the other live ones."""
    return all(
        held_by_others.get(line_id, 0) + mine.get(line_id, 0) >= quantity
        for line_id, quantity in order_units.items()
    )
