"""Orders: the idempotent upsert from the commerce platform, and reading with returnability."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from returns_api.auth.caller import Caller
from returns_api.core.clock import utcnow
from returns_api.core.errors import FieldError
from returns_api.core.messages import Message
from returns_api.orders.exceptions import LineStillReturned, OrderNotFound, OrderNumberTaken
from returns_api.orders.repository import OrderRepository
from returns_api.orders.schemas import (
    Address,
    Customer,
    LineItemOut,
    OrderOut,
    OrderUpsert,
    PaymentIn,
)
from returns_api.policies.document import PolicyDocument
from returns_api.policies.service import current_policy
from returns_api.returns import eligibility


async def upsert_order(
    session: AsyncSession,
    order_id: str,
    body: OrderUpsert,
    *,
    transit_buffer_days: int,
    default_locale: str,
) -> tuple[OrderOut, bool]:
    """Create or replace the order; returns it and whether it was created. An order sent
    without `locale` gets `default_locale` (a replacement, like every field left out)."""
    repo = OrderRepository(session)
    existing = await repo.get(order_id, lock=True)
    same_number = await repo.find_by_number(body.order_number)
    if same_number is not None and same_number["id"] != order_id:
        raise OrderNumberTaken(
            f"Order number {body.order_number!r} belongs to order {same_number['id']!r}."
        )
    now = utcnow()
    values: dict[str, Any] = {
        "order_number": body.order_number,
        "customer_id": body.customer.id,
        "customer_email": body.customer.email,
        "customer_name": body.customer.name,
        "shipping_address": (
            body.shipping_address.model_dump(exclude_none=True) if body.shipping_address else None
        ),
        "currency": body.currency,
        "country": body.country,
        "locale": body.locale or default_locale,
        "placed_at": body.placed_at,
        "fulfilled_at": body.fulfilled_at,
        "delivered_at": body.delivered_at,
        "shipping_paid": body.shipping_paid,
        "buyer_is_consumer": body.buyer_is_consumer,
        "consumer_informed_of_withdrawal": body.consumer_informed_of_withdrawal,
        "consumer_bears_return_cost_informed": body.consumer_bears_return_cost_informed,
        "payments": [payment.model_dump() for payment in body.payments],
        "updated_at": now,
    }
    created = existing is None and await repo.insert_new(
        {"id": order_id, "created_at": now, **values}
    )
    held: dict[str, int] = {}
    if not created:
        if existing is None:  # a racing first sync of this order was committed first
            existing = await repo.get(order_id, lock=True)
            if existing is None:  # or of another order with this number
                raise OrderNumberTaken(f"Order number {body.order_number!r} is taken.")
        held = await repo.held_quantities(order_id)
        if any(held.values()):
            _refuse_changing_held_lines(
                body, held, await repo.lines(order_id), currency=existing["currency"]
            )
        await repo.update(order_id, values)
        if (existing["placed_at"], existing["currency"]) != (body.placed_at, body.currency):
            # Rare (a correction); the returns' items keep copies of both for analytics.
            await repo.copy_to_return_items(order_id, body.placed_at, body.currency)
    lines = [
        # The order's placed_at and currency ride along: analytics select lines by them.
        {
            **line.model_dump(),
            "position": position,
            "placed_at": body.placed_at,
            "currency": body.currency,
        }
        for position, line in enumerate(body.line_items)
    ]
    await repo.replace_lines(order_id, lines)

    order = {"id": order_id, "created_at": existing["created_at"] if existing else now, **values}
    _, policy = await current_policy(session)
    return _order_out(order, lines, held, policy, transit_buffer_days, now), created


# What a return pays back is worked out from these, and from what the other returns of the
# line already took (DESIGN §5). Changed under them, a line could be paid back twice; a line
# shrunk under the same discount would leave its holders with more than it now cost.
_HELD_AMOUNTS = ("unit_price", "discount", "tax")


def _refuse_changing_held_lines(
    body: OrderUpsert,
    held: Mapping[str, int],
    stored: Sequence[Mapping[Any, Any]],
    *,
    currency: str,
) -> None:
    """A line that returns hold (refunded ones included) stays, may not shrink and keeps its
    amounts, in the order's currency; it may grow, and anything else on the order may
    change."""
    incoming = {line.id: (index, line) for index, line in enumerate(body.line_items)}
    before = {line["id"]: line for line in stored}
    errors = []
    if body.currency != currency:
        errors.append(
            FieldError(
                location="body.currency",
                message=f"returns hold lines of this order: its currency stays {currency} "
                "(their amounts are in it)",
                type="line_amounts_held",
            )
        )
    for line_id, units in sorted(held.items()):
        if units < 1:
            continue
        index, new = incoming.get(line_id, (-1, None))
        if new is None:
            errors.append(
                FieldError(
                    location="body.line_items",
                    message=f"line {line_id!r} is held by returns for {units} unit(s); it "
                    "cannot disappear",
                    type="line_still_returned",
                )
            )
            continue
        old = before[line_id]
        if new.quantity < old["quantity"]:
            errors.append(
                FieldError(
                    location=f"body.line_items.{index}.quantity",
                    message=f"line {line_id!r} is held by returns for {units} unit(s); it "
                    f"may grow but not shrink below its {old['quantity']} unit(s)",
                    type="line_still_returned",
                )
            )
        errors.extend(
            FieldError(
                location=f"body.line_items.{index}.{name}",
                message=f"line {line_id!r} is held by returns; its {name} stays "
                f"{old[name]} while they hold it",
                type="line_amounts_held",
            )
            for name in _HELD_AMOUNTS
            if getattr(new, name) != old[name]
        )
    if errors:
        raise LineStillReturned(
            "The new order drops, shrinks or re-prices lines that returns still hold.",
            errors=errors,
        )


async def get_order(
    session: AsyncSession, caller: Caller, order_id: str, *, transit_buffer_days: int
) -> OrderOut:
    if not caller.may_see_order(order_id):
        raise OrderNotFound(Message("order.not_found", order_id=order_id))
    repo = OrderRepository(session)
    order = await repo.get(order_id)
    if order is None:
        raise OrderNotFound(Message("order.not_found", order_id=order_id))
    lines = await repo.lines(order_id)
    held = await repo.held_quantities(order_id)
    _, policy = await current_policy(session)
    shown = _order_out(order, lines, held, policy, transit_buffer_days, utcnow())
    # A customer sees their order, not the shop's payment references.
    return shown.model_copy(update={"payments": []}) if caller.is_customer else shown


def _order_out(
    order: Mapping[Any, Any],
    lines: Sequence[Mapping[Any, Any]],
    held: Mapping[str, int],
    policy: PolicyDocument,
    transit_buffer_days: int,
    now: datetime,
) -> OrderOut:
    delivery = eligibility.effective_delivery(
        order["delivered_at"], order["fulfilled_at"], transit_buffer_days
    )
    out_lines = []
    for line in lines:
        deadline = eligibility.return_deadline(delivery, line["category"], policy)
        held_units = held.get(line["id"], 0)
        out_lines.append(
            LineItemOut(
                id=line["id"],
                sku=line["sku"],
                product_id=line["product_id"],
                variant_id=line["variant_id"],
                title=line["title"],
                quantity=line["quantity"],
                unit_price=line["unit_price"],
                discount=line["discount"],
                tax=line["tax"],
                tags=list(line["tags"]),
                category=line["category"],
                final_sale=line["final_sale"],
                returned_quantity=held_units,
                returnable_quantity=eligibility.returnable_quantity(
                    quantity=line["quantity"],
                    held=held_units,
                    final_sale=line["final_sale"],
                    tags=list(line["tags"]),
                    deadline=deadline,
                    policy=policy,
                    now=now,
                ),
                return_deadline=deadline,
            )
        )
    return OrderOut(
        id=order["id"],
        order_number=order["order_number"],
        customer=Customer(
            id=order["customer_id"], email=order["customer_email"], name=order["customer_name"]
        ),
        shipping_address=(
            Address.model_validate(order["shipping_address"]) if order["shipping_address"] else None
        ),
        currency=order["currency"],
        country=order["country"],
        locale=order["locale"],
        placed_at=order["placed_at"],
        fulfilled_at=order["fulfilled_at"],
        delivered_at=order["delivered_at"],
        shipping_paid=order["shipping_paid"],
        buyer_is_consumer=order["buyer_is_consumer"],
        consumer_informed_of_withdrawal=order["consumer_informed_of_withdrawal"],
        consumer_bears_return_cost_informed=order["consumer_bears_return_cost_informed"],
        payments=[PaymentIn.model_validate(p) for p in order["payments"] or ()],
        line_items=out_lines,
        created_at=order["created_at"],
        updated_at=order["updated_at"],
    )
