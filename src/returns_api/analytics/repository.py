"""What the analytics queries share: the period of a report, the returns requested in it,
the conditions that select them, and the settings of a report's transaction. Aggregation
happens in the database, with indexes; no return is ever loaded into Python: each method
answers a handful of aggregated rows.

The returns requested in a period are found by `created_at`; their items by the *id range*
of those returns (`ReturnIds`): ids are UUIDv7, ordered by creation time, so the range is a
narrow slice of the `return_id` index, read in one pass instead of one index probe per
return. The range is only a bound: every row read through it is still joined with the
period's returns, so the figures are exact whatever the ids.

Each report's own queries live in a module of their own: `summary_repository` and
`product_repository`. The reasons report reads only the period's returns and their items,
so its one query is here.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, case, false, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from returns_api.analytics.sql import uuid_max, uuid_min
from returns_api.orders.models import OrderLine
from returns_api.returns.models import Return, ReturnItem
from returns_api.returns.status import RELEASED, ReturnStatus

AnyRow = Row[*tuple[Any, ...]]
# A return "counts" (holds units, is part of why things come back) until it is rejected,
# cancelled or expired — the same rule as for returnable quantities.
COUNTED_STATUSES = sorted(s.value for s in ReturnStatus if s not in RELEASED)


@dataclass(frozen=True, slots=True)
class Window:
    """`start` included, `end` excluded; `currency` None means every currency."""

    start: datetime
    end: datetime
    currency: str | None = None


@dataclass(frozen=True, slots=True)
class ReturnIds:
    """The smallest and the largest id of the returns requested in a window."""

    first: uuid.UUID
    last: uuid.UUID


@dataclass(frozen=True, slots=True)
class PeriodReturns:
    """The returns requested in a window: how many per status now, and their id range
    (None when there are none)."""

    by_status: dict[str, int]
    ids: ReturnIds | None

    @property
    def counted(self) -> int:
        return sum(self.by_status.get(status, 0) for status in COUNTED_STATUSES)


def requested_in(window: Window) -> list[ColumnElement[bool]]:
    conditions = [Return.created_at >= window.start, Return.created_at < window.end]
    if window.currency is not None:
        conditions.append(Return.currency == window.currency)
    return conditions


def lines_placed_in(window: Window) -> list[ColumnElement[bool]]:
    """The lines of the orders placed in the window (their copy of the order's facts)."""
    conditions = [OrderLine.placed_at >= window.start, OrderLine.placed_at < window.end]
    if window.currency is not None:
        conditions.append(OrderLine.currency == window.currency)
    return conditions


def items_of_orders_placed_in(window: Window) -> list[ColumnElement[bool]]:
    """The return items of the orders placed in the window (their copy of the order's facts)."""
    conditions = [
        ReturnItem.order_placed_at >= window.start,
        ReturnItem.order_placed_at < window.end,
    ]
    if window.currency is not None:
        conditions.append(ReturnItem.order_currency == window.currency)
    return conditions


def of_returns(
    return_id: InstrumentedAttribute[uuid.UUID], ids: ReturnIds | None
) -> ColumnElement[bool]:
    """Rows of (a superset of) the returns of `ids`: a range of the `return_id` index."""
    return return_id.between(ids.first, ids.last) if ids is not None else false()


def still_counts(return_id: InstrumentedAttribute[uuid.UUID]) -> ColumnElement[bool]:
    """The return of `return_id` still counts. Said as "is not released": an anti-join
    with the few released returns (index-only) instead of a join with all the others."""
    released = sorted(status.value for status in RELEASED)
    return ~select(Return.id).where(Return.id == return_id, Return.status.in_(released)).exists()


# PostgreSQL settings for the transaction of one report (SET LOCAL: gone at its end).
# - Custom plans: the statements are prepared (asyncpg) and after five runs PostgreSQL may
#   switch to a generic plan that ignores the period; for range aggregates that plan was
#   4x slower in the benchmark.
# - work_mem: the percentile sorts of a long period stay in memory instead of on disk.
# - No JIT: compiling costs more than these few-hundred-millisecond queries gain from it.
REPORTING_SETTINGS = (
    "SET LOCAL plan_cache_mode = force_custom_plan",
    "SET LOCAL work_mem = '64MB'",
    "SET LOCAL jit = off",
)


class AnalyticsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _dialect(self) -> str:
        return (await self.session.connection()).dialect.name

    async def prepare_for_reporting(self) -> None:
        connection = await self.session.connection()
        if connection.dialect.name != "postgresql":
            return
        for statement in REPORTING_SETTINGS:
            await connection.exec_driver_sql(statement)

    async def period_returns(self, window: Window) -> PeriodReturns:
        """Per status, the returns requested in the window, with the smallest and the
        largest id of each: one index-only range scan (`ix_returns_created_at_status`)."""
        stmt = (
            select(
                Return.status,
                func.count().label("n"),
                uuid_min(Return.id).label("first_id"),
                uuid_max(Return.id).label("last_id"),
            )
            .where(*requested_in(window))
            .group_by(Return.status)
        )
        rows = (await self.session.execute(stmt)).all()
        if not rows:
            return PeriodReturns({}, None)
        return PeriodReturns(
            {row.status: int(row.n) for row in rows},
            ReturnIds(min(row.first_id for row in rows), max(row.last_id for row in rows)),
        )

    async def reasons(self, window: Window, ids: ReturnIds | None) -> Sequence[AnyRow]:
        """(reason, currency, returns, units, merchant-fault units, value) per reason and
        currency, for returns requested in the window that still count. Their items are
        read through the id range of the window's returns."""
        stmt = (
            select(
                ReturnItem.reason,
                Return.currency,
                func.count(ReturnItem.return_id.distinct()),
                func.sum(ReturnItem.quantity),
                func.sum(case((ReturnItem.merchant_fault.is_(True), ReturnItem.quantity), else_=0)),
                func.sum(ReturnItem.quantity * ReturnItem.unit_price),
            )
            .join(Return, Return.id == ReturnItem.return_id)
            .where(
                of_returns(ReturnItem.return_id, ids),
                *requested_in(window),
                Return.status.in_(COUNTED_STATUSES),
            )
            .group_by(ReturnItem.reason, Return.currency)
        )
        rows: Sequence[AnyRow] = (await self.session.execute(stmt)).all()
        return rows
