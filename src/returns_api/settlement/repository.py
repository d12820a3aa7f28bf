"""Refund queries across returns: which return a refund belongs to, and the reconciliation
pages (newest first, keyset-paginated by id, UUIDv7 so by creation time)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Integer, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from returns_api.core.driver import Row, fetch_all, fetch_one
from returns_api.returns.tables import refunds, returns

_RETURN_OF = select(refunds.c.return_id).where(refunds.c.id == bindparam("id"))


def _page(filters: Mapping[str, Any], cursor: uuid.UUID | None, limit: int) -> Any:
    statement = select(*refunds.c, returns.c.rma_number).join(
        returns, returns.c.id == refunds.c.return_id
    )
    for name in ("status", "method", "executor", "currency"):
        if filters.get(name) is not None:
            statement = statement.where(refunds.c[name] == filters[name])
    if filters.get("created_after") is not None:
        statement = statement.where(refunds.c.created_at >= filters["created_after"])
    if filters.get("created_before") is not None:
        statement = statement.where(refunds.c.created_at < filters["created_before"])
    if cursor is not None:
        statement = statement.where(refunds.c.id < cursor)
    return statement.order_by(refunds.c.id.desc()).limit(bindparam("limit", limit, Integer))


class RefundRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def return_of(self, refund_id: uuid.UUID) -> uuid.UUID | None:
        row = await fetch_one(self.session, _RETURN_OF, {"id": refund_id})
        return None if row is None else row["return_id"]

    async def page(
        self, filters: Mapping[str, Any], cursor: uuid.UUID | None, limit: int
    ) -> Sequence[Row]:
        return await fetch_all(self.session, _page(filters, cursor, limit))
