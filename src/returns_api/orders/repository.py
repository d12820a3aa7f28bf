"""Every query about orders and their lines, as lean Core statements."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from returns_api.orders.models import Order, OrderLine
from returns_api.returns.models import Return, ReturnItem
from returns_api.returns.status import RELEASED

_ORDER_COLUMNS = (
    Order.id,
    Order.order_number,
    Order.customer_id,
    Order.customer_email,
    Order.currency,
    Order.country,
    Order.placed_at,
    Order.fulfilled_at,
    Order.delivered_at,
    Order.shipping_paid,
    Order.created_at,
    Order.updated_at,
)
_LINE_COLUMNS = (
    OrderLine.id,
    OrderLine.position,
    OrderLine.sku,
    OrderLine.product_id,
    OrderLine.variant_id,
    OrderLine.title,
    OrderLine.quantity,
    OrderLine.unit_price,
    OrderLine.discount,
    OrderLine.tax,
    OrderLine.tags,
    OrderLine.category,
    OrderLine.final_sale,
)


class OrderRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, order_id: str, *, lock: bool = False) -> RowMapping | None:
        """The order row; ``lock`` takes a row lock (PostgreSQL) that serialises writers of
        this order — returns racing for its last unit, or a re-sync during a return."""
        stmt = select(*_ORDER_COLUMNS).where(Order.id == order_id)
        if lock:
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).mappings().one_or_none()

    async def find_by_number(self, order_number: str) -> RowMapping | None:
        stmt = select(*_ORDER_COLUMNS).where(Order.order_number == order_number)
        return (await self.session.execute(stmt)).mappings().one_or_none()

    async def lines(self, order_id: str) -> Sequence[RowMapping]:
        stmt = (
            select(*_LINE_COLUMNS)
            .where(OrderLine.order_id == order_id)
            .order_by(OrderLine.position)
        )
        return (await self.session.execute(stmt)).mappings().all()

    async def held_quantities(self, order_id: str) -> dict[str, int]:
        """Units per line held by returns that are not rejected, cancelled or expired."""
        stmt = (
            select(ReturnItem.line_item_id, func.sum(ReturnItem.quantity))
            .join(Return, Return.id == ReturnItem.return_id)
            .where(ReturnItem.order_id == order_id, Return.status.not_in(list(RELEASED)))
            .group_by(ReturnItem.line_item_id)
        )
        rows = (await self.session.execute(stmt)).all()
        return {line_id: int(total) for line_id, total in rows}

    async def units_sold_to(self, customer_id: str, since: datetime) -> int:
        stmt = (
            select(func.coalesce(func.sum(OrderLine.quantity), 0))
            .join(Order, Order.id == OrderLine.order_id)
            .where(Order.customer_id == customer_id, Order.placed_at >= since)
        )
        return int((await self.session.execute(stmt)).scalar_one())

    async def insert(self, values: Mapping[str, Any]) -> None:
        await self.session.execute(insert(Order).values(**values))

    async def update(self, order_id: str, values: Mapping[str, Any]) -> None:
        await self.session.execute(update(Order).where(Order.id == order_id).values(**values))

    async def replace_lines(self, order_id: str, lines: Iterable[Mapping[str, Any]]) -> None:
        await self.session.execute(delete(OrderLine).where(OrderLine.order_id == order_id))
        rows = [{**line, "order_id": order_id} for line in lines]
        if rows:
            await self.session.execute(insert(OrderLine), rows)
