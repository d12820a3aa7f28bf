"""What a return's items are worth (its refund breakdown), handed to the aggregate.

The aggregate stays pure: it asks a `Valuation` for the breakdown of its items when they
are created and again once inspected. This module builds those valuations from what they
depend on outside the return: the policy's terms, the order, and what the order's other
live returns hold of each line (the return that takes a line's last units gets what is
left of it, rounding residue included).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from returns_api.orders.repository import OrderRepository
from returns_api.policies.document import PolicyDocument
from returns_api.policies.service import policy_version
from returns_api.returns import breakdown
from returns_api.returns.domain import Return, Valuation
from returns_api.returns.parts import Item
from returns_api.returns.refund_math import StatutoryRefund, Taken
from returns_api.returns.repository import Held, ReturnRepository, items
from returns_api.returns.store import row_of


def _rows(found: Sequence[Item]) -> list[dict[str, Any]]:
    return [row_of(items, item, return_id=None) for item in found]


def requested(
    *,
    currency: str,
    policy: PolicyDocument,
    return_method: str,
    shipping_paid: int,  # less what the order's live returns refund of it
    line_quantities: Mapping[str, int],
    held: Mapping[str, Held],
    statutory: StatutoryRefund | None = None,
) -> Valuation:
    """A new return's items, by the units requested; `held`: what the order's live returns
    hold of each line (a new return is not one of them yet)."""
    return _valuation(
        "requested",
        currency,
        policy,
        return_method,
        shipping_paid,
        line_quantities,
        held,
        statutory,
    )


def accepted(
    *,
    currency: str,
    policy: PolicyDocument,
    return_method: str,
    shipping_paid: int,  # less what the order's other live returns refund of it
    line_quantities: Mapping[str, int],
    others: Mapping[str, Held],
    statutory: StatutoryRefund | None = None,
) -> Valuation:
    """An inspected return's items, by the units accepted; `others`: what the order's other
    live returns hold of each line. Pure, for writers that know these already."""
    return _valuation(
        "accepted",
        currency,
        policy,
        return_method,
        shipping_paid,
        line_quantities,
        others,
        statutory,
    )


def _valuation(
    basis: breakdown.Basis,
    currency: str,
    policy: PolicyDocument,
    return_method: str,
    shipping_paid: int,
    line_quantities: Mapping[str, int],
    others: Mapping[str, Held],
    statutory: StatutoryRefund | None = None,
) -> Valuation:
    units = {line_id: found.units for line_id, found in others.items()}
    taken = {line_id: found.taken for line_id, found in others.items()}

    def value(found: Sequence[Item]) -> dict[str, Any]:
        rows = _rows(found)
        mine = {row["line_item_id"]: breakdown.units_of(row, basis) for row in rows}
        return breakdown.compute_breakdown(
            rows,
            basis=basis,
            currency=currency,
            policy=policy,
            return_method=return_method,
            shipping_paid=shipping_paid,
            taken=taken,
            whole_order_returned=breakdown.whole_order_comes_back(line_quantities, units, mine),
            statutory=statutory,
        )

    return value


async def after_inspection(session: AsyncSession, ret: Return) -> Valuation:
    """The items of `ret` by the units accepted, judged by the policy version the return was
    judged by, against what the order's other live returns hold.

    Takes the order's row lock, as creating a return does: valuations of one order's lines
    are made one at a time, each against what the others have stored.
    """
    return await _stored(session, ret, "accepted")


async def again(session: AsyncSession, ret: Return) -> Valuation:
    """The items of a stored, live `ret` valued again as they stand (by the units accepted
    once received, else by those requested): for a change of their resolution."""
    received = ret.received_at is not None
    return await _stored(session, ret, "accepted" if received else "requested")


async def _stored(session: AsyncSession, ret: Return, basis: breakdown.Basis) -> Valuation:
    # Under the exchange terms the return was granted (its bonus), and by its method (its
    # return-shipping fee): the same terms its items were valued by when it was created.
    policy = (await policy_version(session, ret.policy_version)).for_decision(ret.decision)
    orders = OrderRepository(session)
    order = await orders.get(ret.order_id, lock=True)
    assert order is not None  # returns reference their order
    line_quantities = {
        line["id"]: int(line["quantity"]) for line in await orders.lines(ret.order_id)
    }
    returns = ReturnRepository(session)
    # Stored: the return is live while it is inspected, and holds its own share.
    others_took = await returns.shipping_taken(ret.order_id) - ret.shipping_refund_taken
    return _valuation(
        basis,
        ret.currency,
        policy,
        ret.return_method,
        max(0, int(order["shipping_paid"]) - others_took),
        line_quantities,
        without(await returns.held(ret.order_id), ret),
        breakdown.statutory_refund(ret.legal_basis, policy, ret.return_method, order),
    )


def held_by(returns: Iterable[Return]) -> dict[str, Held]:
    """What the live ones of `returns` hold of each line: `ReturnRepository.held` for
    writers that keep the returns in memory (benchmark seeds)."""
    held: dict[str, Held] = {}
    for ret in returns:
        for item in ret.items if ret.holds_units else ():
            found = held.get(item.line_item_id, Held(units=0, taken=Taken()))
            held[item.line_item_id] = Held(
                units=found.units + item.quantity,
                taken=Taken(
                    units=found.taken.units + item.units_taken,
                    discount=found.taken.discount + item.discount_taken,
                    tax=found.taken.tax + item.tax_taken,
                ),
            )
    return held


def without(held: Mapping[str, Held], ret: Return) -> dict[str, Held]:
    """What the live returns hold of each line, less what `ret` (one of them, as stored)
    holds."""
    others = dict(held)
    for item in ret.items if ret.holds_units else ():
        found = others.get(item.line_item_id)
        if found is None:
            continue
        others[item.line_item_id] = Held(
            units=found.units - item.quantity,
            taken=Taken(
                units=found.taken.units - item.units_taken,
                discount=found.taken.discount - item.discount_taken,
                tax=found.taken.tax - item.tax_taken,
            ),
        )
    return others
