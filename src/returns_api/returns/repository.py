"""Every query about returns, as lean Core statements (DESIGN §10: no ORM unit of work on
the hot paths — create, get, list, quote)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, exists, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from returns_api.returns.models import Refund, Return, ReturnChange, ReturnItem
from returns_api.returns.status import RELEASED

RETURN_COLUMNS = tuple(Return.__table__.c)
ITEM_COLUMNS = tuple(ReturnItem.__table__.c)


@dataclass(frozen=True, slots=True)
class ReturnFilters:
    status: str | None = None
    order_id: str | None = None
    customer_id: str | None = None
    reason: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


class ReturnRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def insert(
        self,
        values: Mapping[str, Any],
        items: Sequence[Mapping[str, Any]],
        change: Mapping[str, Any],
    ) -> None:
        await self.session.execute(insert(Return).values(**values))
        await self.session.execute(insert(ReturnItem), list(items))
        await self.session.execute(insert(ReturnChange).values(**change))

    async def get(self, return_id: uuid.UUID, *, lock: bool = False) -> RowMapping | None:
        stmt = select(*RETURN_COLUMNS).where(Return.id == return_id)
        if lock:
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).mappings().one_or_none()

    async def items(self, return_ids: Sequence[uuid.UUID]) -> Sequence[RowMapping]:
        stmt = (
            select(*ITEM_COLUMNS)
            .where(ReturnItem.return_id.in_(return_ids))
            .order_by(ReturnItem.return_id, ReturnItem.position)
        )
        return (await self.session.execute(stmt)).mappings().all()

    async def refunds(self, return_id: uuid.UUID) -> Sequence[RowMapping]:
        stmt = select(*Refund.__table__.c).where(Refund.return_id == return_id).order_by(Refund.id)
        return (await self.session.execute(stmt)).mappings().all()

    async def timeline(self, return_id: uuid.UUID) -> Sequence[RowMapping]:
        stmt = (
            select(*ReturnChange.__table__.c)
            .where(ReturnChange.return_id == return_id)
            .order_by(ReturnChange.id)
        )
        return (await self.session.execute(stmt)).mappings().all()

    async def update(
        self, return_id: uuid.UUID, expected_version: int, values: Mapping[str, Any]
    ) -> bool:
        """Compare-and-set on `version`: False when someone else changed the return first."""
        result = await self.session.execute(
            update(Return)
            .where(Return.id == return_id, Return.version == expected_version)
            .values(**values, version=expected_version + 1)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def update_item(self, item_id: uuid.UUID, values: Mapping[str, Any]) -> None:
        await self.session.execute(
            update(ReturnItem).where(ReturnItem.id == item_id).values(**values)
        )

    async def add_change(self, values: Mapping[str, Any]) -> None:
        await self.session.execute(insert(ReturnChange).values(**values))

    async def add_refund(self, values: Mapping[str, Any]) -> None:
        await self.session.execute(insert(Refund).values(**values))

    async def refunded_by_method(self, return_id: uuid.UUID) -> dict[str, int]:
        stmt = (
            select(Refund.method, func.sum(Refund.amount))
            .where(Refund.return_id == return_id)
            .group_by(Refund.method)
        )
        return {method: int(total) for method, total in (await self.session.execute(stmt)).all()}

    async def units_held_by_others(
        self, order_id: str, exclude: uuid.UUID | None
    ) -> list[tuple[uuid.UUID, str, int]]:
        """(return id, line id, units) of the order's other live returns, oldest first."""
        stmt = (
            select(ReturnItem.return_id, ReturnItem.line_item_id, ReturnItem.quantity)
            .join(Return, Return.id == ReturnItem.return_id)
            .where(ReturnItem.order_id == order_id, Return.status.not_in(list(RELEASED)))
            .order_by(ReturnItem.return_id)
        )
        if exclude is not None:
            stmt = stmt.where(ReturnItem.return_id != exclude)
        rows = (await self.session.execute(stmt)).all()
        return [(rid, line, int(qty)) for rid, line, qty in rows]

    async def customer_history(self, customer_id: str, since: datetime) -> tuple[int, int, int]:
        """(returns, value of those returns, units returned) of a customer since a moment.

        Cancelled returns do not count; rejected ones do (they are the serial-returner signal).
        """
        returns_stmt = select(
            func.count(Return.id), func.coalesce(func.sum(Return.refundable_amount), 0)
        ).where(
            Return.customer_id == customer_id,
            Return.created_at >= since,
            Return.status != "cancelled",
        )
        count, value = (await self.session.execute(returns_stmt)).one()
        units_stmt = (
            select(func.coalesce(func.sum(ReturnItem.quantity), 0))
            .join(Return, Return.id == ReturnItem.return_id)
            .where(
                Return.customer_id == customer_id,
                Return.created_at >= since,
                Return.status != "cancelled",
            )
        )
        units = (await self.session.execute(units_stmt)).scalar_one()
        return int(count), int(value), int(units)

    async def page(
        self, filters: ReturnFilters, cursor: uuid.UUID | None, limit: int
    ) -> Sequence[RowMapping]:
        """Newest first by id (UUIDv7, so by creation time); keyset-paginated, so a page is
        stable while new returns arrive."""
        stmt = select(*RETURN_COLUMNS).order_by(Return.id.desc()).limit(limit)
        if cursor is not None:
            stmt = stmt.where(Return.id < cursor)
        if filters.status is not None:
            stmt = stmt.where(Return.status == filters.status)
        if filters.order_id is not None:
            stmt = stmt.where(Return.order_id == filters.order_id)
        if filters.customer_id is not None:
            stmt = stmt.where(Return.customer_id == filters.customer_id)
        if filters.created_after is not None:
            stmt = stmt.where(Return.created_at >= filters.created_after)
        if filters.created_before is not None:
            stmt = stmt.where(Return.created_at < filters.created_before)
        if filters.reason is not None:
            stmt = stmt.where(
                exists().where(
                    ReturnItem.return_id == Return.id, ReturnItem.reason == filters.reason
                )
            )
        return (await self.session.execute(stmt)).mappings().all()
