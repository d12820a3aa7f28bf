"""What a return's items are worth (its refund breakdown), handed to the aggregate.

The aggregate stays pure: it asks a `Valuation` for the breakdown of its items when they
are created and again once inspected. This module builds those valuations from what they
depend on outside the return: the policy's terms, the order, and the order's other live
returns (the rounding residue of a line goes to the unit that completes it).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from returns_api.orders.repository import OrderRepository
from returns_api.policies.document import PolicyDocument
from returns_api.policies.service import policy_version
from returns_api.returns import breakdown
from returns_api.returns.domain import Return, Valuation
from returns_api.returns.parts import Item
from returns_api.returns.repository import ReturnRepository, items
from returns_api.returns.store import row_of


def _rows(found: Sequence[Item]) -> list[dict[str, Any]]:
    return [row_of(items, item, return_id=None) for item in found]


def requested(
    *,
    currency: str,
    policy: PolicyDocument,
    shipping_paid: int,
    line_quantities: Mapping[str, int],
    held: Mapping[str, int],
) -> Valuation:
    """A new return's items, by the units requested; `held`: units of each line that live
    returns hold (all of them older than a new one)."""

    def value(found: Sequence[Item]) -> dict[str, Any]:
        mine = {item.line_item_id: item.quantity for item in found}
        return breakdown.compute_breakdown(
            _rows(found),
            basis="requested",
            currency=currency,
            policy=policy,
            shipping_paid=shipping_paid,
            units_before=held,
            whole_order_returned=breakdown.whole_order_comes_back(line_quantities, held, mine),
        )

    return value


async def after_inspection(session: AsyncSession, ret: Return) -> Valuation:
    """The items of `ret` by the units accepted, judged by the policy version the return was
    judged by."""
    policy = await policy_version(session, ret.policy_version)
    orders = OrderRepository(session)
    order = await orders.get(ret.order_id)
    assert order is not None  # returns reference their order
    line_quantities = {
        line["id"]: int(line["quantity"]) for line in await orders.lines(ret.order_id)
    }
    others = await ReturnRepository(session).units_held_by_others(ret.order_id, ret.id)
    return accepted(
        currency=ret.currency,
        policy=policy,
        shipping_paid=int(order["shipping_paid"]),
        line_quantities=line_quantities,
        others=others,
        return_id=ret.id,
    )


def accepted(
    *,
    currency: str,
    policy: PolicyDocument,
    shipping_paid: int,
    line_quantities: Mapping[str, int],
    others: Sequence[tuple[uuid.UUID, str, int]],
    return_id: uuid.UUID,
) -> Valuation:
    """The items of return `return_id` by the units accepted; `others`: (return, line,
    units) of the order's other live returns. Pure, for writers that know these already."""

    def value(found: Sequence[Item]) -> dict[str, Any]:
        mine = {item.line_item_id: item.accepted_quantity for item in found}
        return breakdown.compute_breakdown(
            _rows(found),
            basis="accepted",
            currency=currency,
            policy=policy,
            shipping_paid=shipping_paid,
            units_before=breakdown.units_before_by_line(others, return_id),
            whole_order_returned=breakdown.whole_order_comes_back(
                line_quantities, breakdown.units_by_line(others), mine
            ),
        )

    return value
