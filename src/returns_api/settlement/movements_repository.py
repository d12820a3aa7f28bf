"""Every money movement of returns in one list: the refunds (money out) and the payments a
customer made for them (money in: what an exchange costs more, a hold charged), as one
UNION ALL keyset-paginated by id (UUIDv7 in both tables, so by creation time)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Integer, String, bindparam, cast, literal_column, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from returns_api.core.driver import Row, fetch_all
from returns_api.returns.tables import payments, refunds, returns


def _text(value: str) -> Any:
    return literal_column(f"'{value}'", String)


_OUT = select(
    refunds.c.id,
    refunds.c.return_id,
    _text("out").label("direction"),
    _text("refund").label("kind"),
    refunds.c.status,
    refunds.c.method,
    refunds.c.executor,
    cast(null(), String).label("provider"),
    refunds.c.amount,
    refunds.c.currency,
    refunds.c.external_reference.label("reference"),
    refunds.c.payment_reference,
    refunds.c.failure_reason,
    refunds.c.created_at,
    refunds.c.settled_at,
)
_IN = select(
    payments.c.id,
    payments.c.return_id,
    _text("in").label("direction"),
    payments.c.kind,
    _text("succeeded").label("status"),
    cast(null(), String).label("method"),
    cast(null(), String).label("executor"),
    payments.c.provider,
    payments.c.amount,
    payments.c.currency,
    payments.c.reference,
    cast(null(), String).label("payment_reference"),
    cast(null(), String).label("failure_reason"),
    payments.c.created_at,
    payments.c.created_at.label("settled_at"),
)
_FILTERED = ("return_id", "direction", "kind", "status", "currency")


def _page(filters: Mapping[str, Any], cursor: uuid.UUID | None, limit: int | None) -> Any:
    """Newest first; `limit` None: all of them, oldest first (one return's report)."""
    parts = []
    for part, table in ((_OUT, refunds), (_IN, payments)):
        # The filters that are columns of both tables go inside each branch (indexes).
        if filters.get("return_id") is not None:
            part = part.where(table.c.return_id == filters["return_id"])
        if filters.get("created_after") is not None:
            part = part.where(table.c.created_at >= filters["created_after"])
        if filters.get("created_before") is not None:
            part = part.where(table.c.created_at < filters["created_before"])
        if cursor is not None:
            part = part.where(table.c.id < cursor)
        parts.append(part)
    moves = union_all(*parts).subquery("moves")
    statement = select(*moves.c, returns.c.rma_number).join(
        returns, returns.c.id == moves.c.return_id
    )
    for name in _FILTERED[1:]:
        if filters.get(name) is not None:
            statement = statement.where(moves.c[name] == filters[name])
    if limit is None:
        return statement.order_by(moves.c.id)
    return statement.order_by(moves.c.id.desc()).limit(bindparam("limit", limit, Integer))


class MovementRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def page(
        self, filters: Mapping[str, Any], cursor: uuid.UUID | None, limit: int
    ) -> Sequence[Row]:
        return await fetch_all(self.session, _page(filters, cursor, limit))

    async def of_return(self, return_id: uuid.UUID) -> Sequence[Row]:
        """A return's movements, oldest first."""
        return await fetch_all(self.session, _page({"return_id": return_id}, None, None))

    async def paid_in(self, return_id: uuid.UUID, provider: str) -> Sequence[Row]:
        """The return's payments at `provider`, oldest first (refund allocation)."""
        statement = (
            select(payments.c.reference, payments.c.amount, payments.c.kind)
            .where(
                payments.c.return_id == return_id,
                payments.c.provider == provider,
                payments.c.reference.is_not(None),
            )
            .order_by(payments.c.id)
        )
        return await fetch_all(self.session, statement)
