"""Claiming a worker's due jobs by lease: rows with `next_attempt_at` due are claimed by
moving it past the lease, so a worker that dies mid-job leaves the row to be claimed again
when the lease ends. SKIP LOCKED (PostgreSQL) shares the due rows out between workers;
SQLite has one writer at a time anyway. The label worker claims shipments, the refund
worker refunds."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from returns_api.core.db import UTCDateTime
from returns_api.core.driver import Row


def claim_statement(table: Table, due: ColumnElement[bool]) -> Any:
    """Claim up to `:limit` rows of `table` that are `due` and whose `next_attempt_at` is
    at or before `:now`, leasing them until `:lease`; returns their `id` and `return_id`."""
    rows = (
        select(table.c.id)
        .where(table.c.next_attempt_at <= bindparam("now", type_=UTCDateTime), due)
        .order_by(table.c.next_attempt_at)
        .limit(bindparam("limit"))
        .with_for_update(skip_locked=True)
    )
    return (
        update(table)
        .where(table.c.id.in_(rows))
        .values(next_attempt_at=bindparam("lease", type_=UTCDateTime))
        .returning(table.c.id, table.c.return_id)
    )


async def claim(
    session: AsyncSession, statement: Any, now: datetime, lease_until: datetime, limit: int
) -> list[Row]:
    result = await session.execute(statement, {"now": now, "lease": lease_until, "limit": limit})
    return [dict(row) for row in result.mappings()]
