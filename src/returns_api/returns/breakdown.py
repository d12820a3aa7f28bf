"""From stored return items to the refund breakdown shown in the API (DESIGN §5).

The arithmetic is refund_math's; this module decides what it is fed: which units count
(requested before inspection, accepted after), what the other live returns of each line
already hold of it (`Taken`: the return that takes a line's last units gets what is left
of it, rounding residue included), and whether the whole order has now come back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, replace
from typing import Any, Literal

from returns_api.policies.document import PolicyDocument
from returns_api.returns.exchange_math import Replacement, exchange_balance
from returns_api.returns.refund_math import (
    NOTHING_TAKEN,
    FeeTerms,
    PaidLine,
    RefundBreakdown,
    RefundItem,
    StatutoryRefund,
    Taken,
    compute_refund,
)
from returns_api.returns.schemas import METHOD_OF_RESOLUTION

Basis = Literal["requested", "accepted"]


def units_of(item: Mapping[Any, Any], basis: Basis) -> int:
    return int(item["quantity"] if basis == "requested" else item["accepted_quantity"])


def fee_terms(policy: PolicyDocument, return_method: str) -> FeeTerms:
    """The fees and bonus of `policy` for a return by `return_method` (whose own fee, when
    set, is the return-shipping fee), as the refund arithmetic takes them."""
    return FeeTerms(
        restocking_fee_bps=policy.restocking_fee_bps,
        return_shipping_fee=policy.return_shipping_fee_for(return_method),
        store_credit_bonus_bps=policy.store_credit_bonus_bps,
    )


def compute_breakdown(
    items: Sequence[Mapping[Any, Any]],
    *,
    basis: Basis,
    currency: str,
    policy: PolicyDocument,
    return_method: str,
    shipping_paid: int,
    taken: Mapping[str, Taken],
    whole_order_returned: bool,
    statutory: StatutoryRefund | None = None,
) -> dict[str, Any]:
    """The breakdown as stored on the return (the shape of RefundBreakdownOut); `taken`:
    by line id, what the line's other live returns hold of it."""
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
            merchant_fault=bool(item["merchant_fault"]),
            resolution=item["resolution"],
            taken=_taken(taken, item, units_of(item, basis)),
            # Only an inspection deducts (Article 14(2)): never from a requested estimate.
            deduction=int(item.get("deduction") or 0) if basis == "accepted" else 0,
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
        "exchange": None,
    }
    if not refund_items:
        return empty
    result = compute_refund(
        refund_items,
        fee_terms(policy, return_method),
        shipping_paid=shipping_paid,
        whole_order_returned=whole_order_returned,
        statutory=statutory,
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
        "exchange": _exchange(items, basis, result, policy),
    }


def _exchange(
    items: Sequence[Mapping[Any, Any]],
    basis: Basis,
    result: RefundBreakdown,
    policy: PolicyDocument,
) -> dict[str, int] | None:
    """The exchange balance, when the exchanged items name catalog variants (items made
    before there was a catalog, and demo data, do not: no balance then)."""
    exchanged = [
        item for item in items if item["resolution"] == "exchange" and units_of(item, basis) > 0
    ]
    if not exchanged or any(item["exchange_variant_id"] is None for item in exchanged):
        return None
    balance = exchange_balance(
        result,
        [
            Replacement(
                item_id=str(item["id"]),
                variant_id=item["exchange_variant_id"],
                quantity=units_of(item, basis),
                unit_price=int(item["exchange_unit_price"]),
                tax=int(item["exchange_tax"]),
                like_for_like=bool(item["exchange_like_for_like"]),
            )
            for item in exchanged
        ],
        bonus_bps=policy.exchanges.bonus_bps,
    )
    return {
        "credit": balance.credit,
        "bonus": balance.bonus,
        "new_value": balance.new_value,
        "amount_due": balance.amount_due,
        "refund_due": balance.refund_due,
    }


def _taken(taken: Mapping[str, Taken], item: Mapping[Any, Any], units: int) -> Taken:
    """What the other returns hold of the item's line, never more units than leave room for
    this item's (a line re-synced with fewer units would otherwise refuse to be valued)."""
    found = taken.get(item["line_item_id"], NOTHING_TAKEN)
    room = int(item["line_quantity"]) - units
    return found if found.units <= room else replace(found, units=room)


def whole_order_comes_back(
    order_units: Mapping[str, int], held_by_others: Mapping[str, int], mine: Mapping[str, int]
) -> bool:
    """Every unit of the order is covered by this return and the other live ones."""
    return all(
        held_by_others.get(line_id, 0) + mine.get(line_id, 0) >= quantity
        for line_id, quantity in order_units.items()
    )


def statutory_refund(
    legal_basis: str, policy: PolicyDocument, return_method: str, order: Mapping[str, Any]
) -> StatutoryRefund | None:
    """The statutory refund rules when a return is a statutory withdrawal (else None: the
    policy's fees apply): the return-shipping fee only where the policy charges one and the
    order records that the consumer was told they bear it."""
    if legal_basis != "statutory_withdrawal":
        return None
    told = bool(order.get("consumer_bears_return_cost_informed", False))
    return StatutoryRefund(
        charge_return_shipping=told and policy.return_shipping_fee_for(return_method) > 0,
        refund_delivery_on_partial=policy.statutory.partial_withdrawal_delivery == "refunded",
    )
