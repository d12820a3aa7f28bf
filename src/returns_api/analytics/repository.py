"""Every analytics query. Aggregation happens in the database, with indexes; no return is
ever loaded into Python: each method answers a handful of aggregated rows.

Time facts are the milestones each return keeps on its row, written by the change that
makes them at the moment of its timeline entry or refund: born approved by the policy
(`auto_approved`), first approved (`approved_at`: at birth, or by a person), received
(`received_at`), first refunded (`first_refunded_at`). A period's are one range of
`ix_returns_created_at_status`, index-only.

The returns requested in a period are found by `created_at`; their items by the *id range*
of those returns (`ReturnIds`): ids are UUIDv7, ordered by creation time, so the range is a
narrow slice of the `return_id` index, read in one pass instead of one index probe per
return. The range is only a bound: every row read through it is still joined with the
period's returns, so the figures are exact whatever the ids.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    CompoundSelect,
    Row,
    Select,
    String,
    Subquery,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from returns_api.analytics.sql import (
    percentiles,
    prorated,
    seconds_between,
    uuid_max,
    uuid_min,
)
from returns_api.core.db import UTCDateTime
from returns_api.feedback.models import ReturnFeedback
from returns_api.orders.models import OrderLine
from returns_api.returns.models import Refund, Return, ReturnItem
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


@dataclass(frozen=True, slots=True)
class DurationRow:
    count: int
    median: int | None
    p90: int | None
    max: int | None


@dataclass(frozen=True, slots=True)
class Decided:
    decided: int
    auto_approved: int
    auto_approved_keep_item: int


@dataclass(frozen=True, slots=True)
class ProductQuery:
    window: Window
    group_by: str  # "sku" | "product"
    sort: str  # a column of the page query
    descending: bool
    after: tuple[int, str] | None  # keyset: (sort value, key) of the last row seen
    limit: int


def _requested_in(window: Window) -> list[ColumnElement[bool]]:
    conditions = [Return.created_at >= window.start, Return.created_at < window.end]
    if window.currency is not None:
        conditions.append(Return.currency == window.currency)
    return conditions


def _lines_placed_in(window: Window) -> list[ColumnElement[bool]]:
    """The lines of the orders placed in the window (their copy of the order's facts)."""
    conditions = [OrderLine.placed_at >= window.start, OrderLine.placed_at < window.end]
    if window.currency is not None:
        conditions.append(OrderLine.currency == window.currency)
    return conditions


def _items_of_orders_placed_in(window: Window) -> list[ColumnElement[bool]]:
    """The return items of the orders placed in the window (their copy of the order's facts)."""
    conditions = [
        ReturnItem.order_placed_at >= window.start,
        ReturnItem.order_placed_at < window.end,
    ]
    if window.currency is not None:
        conditions.append(ReturnItem.order_currency == window.currency)
    return conditions


def _of_returns(
    return_id: InstrumentedAttribute[uuid.UUID], ids: ReturnIds | None
) -> ColumnElement[bool]:
    """Rows of (a superset of) the returns of `ids`: a range of the `return_id` index."""
    return return_id.between(ids.first, ids.last) if ids is not None else false()


def _still_counts(return_id: InstrumentedAttribute[uuid.UUID]) -> ColumnElement[bool]:
    """The return of `return_id` still counts. Said as "is not released": an anti-join
    with the few released returns (index-only) instead of a join with all the others."""
    released = sorted(status.value for status in RELEASED)
    return ~select(Return.id).where(Return.id == return_id, Return.status.in_(released)).exists()


def _milestones(window: Window) -> Select[*tuple[Any, ...]]:
    """One row per return requested in the window: when it was requested, its status now,
    whether the policy approved it at once, when it was first approved, received and
    refunded — all kept on the return row (one index-only range scan of
    `ix_returns_created_at_status`)."""
    return select(
        Return.created_at.label("requested_at"),
        Return.status,
        Return.keep_item,
        Return.auto_approved,
        Return.approved_at,
        Return.received_at,
        Return.first_refunded_at.label("refunded_at"),
    ).where(*_requested_in(window))


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

    # --- the returns of a period ---------------------------------------------------------

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
            .where(*_requested_in(window))
            .group_by(Return.status)
        )
        rows = (await self.session.execute(stmt)).all()
        if not rows:
            return PeriodReturns({}, None)
        return PeriodReturns(
            {row.status: int(row.n) for row in rows},
            ReturnIds(min(row.first_id for row in rows), max(row.last_id for row in rows)),
        )

    # --- summary -----------------------------------------------------------------------

    async def milestone_figures(
        self, window: Window, now: datetime
    ) -> tuple[Decided, dict[str, DurationRow]]:
        """From the milestones, in one statement (read once):

        - how the window's returns were decided (decided, auto-approved, of which keep-item);
        - per measure, count and nearest-rank percentiles of whole seconds: request to
          approval, to receipt, to first refund, and the age of the review backlog now.
        """
        m = _milestones(window).cte("milestones")  # read by several parts: computed once
        backlog_filter = [Return.status == ReturnStatus.PENDING_REVIEW.value]
        if window.currency is not None:
            backlog_filter.append(Return.currency == window.currency)
        measures: CompoundSelect[*tuple[Any, ...]] = union_all(
            _measure("approval", seconds_between(m.c.approved_at, m.c.requested_at)).where(
                m.c.approved_at.is_not(None)
            ),
            _measure("receipt", seconds_between(m.c.received_at, m.c.requested_at)).where(
                m.c.received_at.is_not(None)
            ),
            _measure("refund", seconds_between(m.c.refunded_at, m.c.requested_at)).where(
                m.c.refunded_at.is_not(None)
            ),
            _measure(
                "backlog", seconds_between(literal(now, UTCDateTime), Return.created_at)
            ).where(*backlog_filter),
        )
        auto = m.c.auto_approved.is_(True)
        decided = or_(m.c.approved_at.is_not(None), m.c.status == "rejected")
        # The decision counts ride along as one more row, in one pass over the milestones:
        # ("decisions", decided, auto-approved, of which keep-item, NULL).
        decisions = select(
            literal("decisions", String),
            *(
                func.coalesce(func.sum(case((condition, 1), else_=0)), 0)
                for condition in (decided, auto, and_(auto, m.c.keep_item.is_(True)))
            ),
            null(),
        )
        stmt = union_all(percentiles(measures, await self._dialect()), decisions)
        durations: dict[str, DurationRow] = {}
        counts = Decided(0, 0, 0)
        for grp, n, p50, p90, p100 in (await self.session.execute(stmt)).all():
            if grp == "decisions":
                counts = Decided(int(n), int(p50), int(p90))
            else:
                durations[grp] = DurationRow(int(n), _int(p50), _int(p90), _int(p100))
        return counts, durations

    async def refunded(self, window: Window) -> Sequence[AnyRow]:
        """(currency, method, amount, refunds) of the refunds recorded in the window
        (index-only: `ix_refunds_created_at_totals`)."""
        stmt = (
            select(Refund.currency, Refund.method, func.sum(Refund.amount), func.count())
            .where(Refund.created_at >= window.start, Refund.created_at < window.end)
            .group_by(Refund.currency, Refund.method)
            .order_by(Refund.currency, Refund.method)
        )
        if window.currency is not None:
            stmt = stmt.where(Refund.currency == window.currency)
        return (await self.session.execute(stmt)).all()

    async def units_sold_and_returned(self, window: Window) -> tuple[int, int]:
        # The lines carry their order's placed_at: a range of `ix_order_lines_placed_at`.
        sold = select(func.coalesce(func.sum(OrderLine.quantity), 0)).where(
            *_lines_placed_in(window)
        )
        # The items carry their order's placed_at: a range of `ix_return_items_order_placed_at`.
        returned = select(func.coalesce(func.sum(ReturnItem.quantity), 0)).where(
            *_items_of_orders_placed_in(window), _still_counts(ReturnItem.return_id)
        )
        units_sold = (await self.session.execute(sold)).scalar_one()
        units_returned = (await self.session.execute(returned)).scalar_one()
        return int(units_sold), int(units_returned)

    async def ratings(self, window: Window) -> dict[int, int]:
        """How many of each rating was left in the window."""
        stmt = (
            select(ReturnFeedback.rating, func.count())
            .where(
                ReturnFeedback.created_at >= window.start, ReturnFeedback.created_at < window.end
            )
            .group_by(ReturnFeedback.rating)
        )
        if window.currency is not None:
            stmt = stmt.join(Return, Return.id == ReturnFeedback.return_id).where(
                Return.currency == window.currency
            )
        return {int(rating): int(n) for rating, n in (await self.session.execute(stmt)).all()}

    # --- reasons -----------------------------------------------------------------------

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
                _of_returns(ReturnItem.return_id, ids),
                *_requested_in(window),
                Return.status.in_(COUNTED_STATUSES),
            )
            .group_by(ReturnItem.reason, Return.currency)
        )
        rows: Sequence[AnyRow] = (await self.session.execute(stmt)).all()
        return rows

    # --- products ----------------------------------------------------------------------

    async def product_page(self, query: ProductQuery) -> Sequence[AnyRow]:
        """(key, product_id, units_sold, units_returned, return_rate_bps, sort_value) per key,
        sorted and keyset-paginated. Sold units come from the window's order lines (a range
        of `ix_order_lines_placed_at`, index-only), returned ones from the window's returns
        that count."""
        key = _product_key(query.group_by)
        sold = (
            select(
                key.label("key"),
                func.sum(OrderLine.quantity).label("units_sold"),
                func.max(OrderLine.product_id).label("product_id"),
            )
            .where(*_lines_placed_in(query.window))
            .group_by(key)
            .subquery("sold")
        )
        # Refund shares (a window function over each return) only when they are the sort.
        items = _returned_items(query.window, query.group_by, shares=query.sort == "refunded")
        returned = (
            select(
                items.c.key,
                func.sum(items.c.quantity).label("units_returned"),
                func.sum(items.c.refunded).label("refunded"),
            )
            .group_by(items.c.key)
            .subquery("returned")
        )
        units_returned = func.coalesce(returned.c.units_returned, 0)
        rate = units_returned * 10_000 // sold.c.units_sold
        sort_values: dict[str, ColumnElement[Any]] = {
            "units_sold": sold.c.units_sold,
            "units_returned": units_returned,
            "return_rate": rate,
            "refunded": func.coalesce(returned.c.refunded, 0),
        }
        sort_value = sort_values[query.sort]
        page = (
            select(
                sold.c.key,
                sold.c.product_id,
                sold.c.units_sold,
                units_returned.label("units_returned"),
                rate.label("return_rate_bps"),
                sort_value.label("sort_value"),
            )
            .outerjoin(returned, returned.c.key == sold.c.key)
            .order_by(sort_value.desc() if query.descending else sort_value, sold.c.key)
            .limit(query.limit)
        )
        if query.after is not None:
            value, last_key = query.after
            beyond = sort_value < value if query.descending else sort_value > value
            page = page.where(or_(beyond, and_(sort_value == value, sold.c.key > last_key)))
        return (await self.session.execute(page)).all()

    async def product_details(
        self, window: Window, group_by: str, keys: Sequence[str]
    ) -> Sequence[AnyRow]:
        """(key, currency, reason, units, refunded) for the keys of one page."""
        items = _returned_items(window, group_by, shares=True)
        stmt = (
            select(
                items.c.key,
                items.c.currency,
                items.c.reason,
                func.sum(items.c.quantity),
                func.sum(items.c.refunded),
            )
            # Outside the subquery: each return's shares are computed over all its items.
            .where(items.c.key.in_(keys))
            .group_by(items.c.key, items.c.currency, items.c.reason)
        )
        return (await self.session.execute(stmt)).all()


def _measure(name: str, seconds: ColumnElement[int]) -> Select[str, int]:
    return select(literal(name, String).label("grp"), seconds.label("value"))


def _product_key(group_by: str) -> ColumnElement[str]:
    """What a product row is about; lines without one are grouped under ''."""
    column = OrderLine.product_id if group_by == "product" else OrderLine.sku
    return func.coalesce(column, "")


def _returned_items(window: Window, group_by: str, *, shares: bool) -> Subquery:
    """Units of the window's orders in returns that count (key, quantity, reason, refunded);
    with `shares`, also the return's currency and each item's part of its return's refunds:
    refunded x item value / value of the return's items (floored).

    The value is unit price x the units the refund is based on (accepted ones once
    inspected, requested ones before); a return whose items are all worth nothing shares
    its refunds equally."""
    columns: list[ColumnElement[Any]] = [
        _product_key(group_by).label("key"),
        ReturnItem.quantity.label("quantity"),
        ReturnItem.reason.label("reason"),
    ]
    # The items carry their order's placed_at: no join with the orders.
    items = (
        select()
        .select_from(ReturnItem)
        .join(OrderLine, _line_of_item())
        .where(*_items_of_orders_placed_in(window))
    )
    if not shares:
        # Units only: no column of the return is needed, just whether it still counts.
        refunded = literal(0, BigInteger).label("refunded")
        items = items.where(_still_counts(ReturnItem.return_id))
        return items.add_columns(*columns, refunded).subquery("returned_items")
    inspected = ReturnItem.acceptance_status != "pending"
    units = case((inspected, ReturnItem.accepted_quantity), else_=ReturnItem.quantity)
    value = ReturnItem.unit_price * units
    # PostgreSQL sums bigints as numeric: cast back, so that the division is an integer
    # one there too and both databases floor every share the same way.
    return_value = cast(func.sum(value).over(partition_by=ReturnItem.return_id), BigInteger)
    return_items = cast(func.count().over(partition_by=ReturnItem.return_id), BigInteger)
    share = case(
        (return_value > 0, prorated(Return.refunded_amount, value, return_value)),
        else_=Return.refunded_amount // return_items,
    )
    return (
        items.add_columns(*columns, Return.currency.label("currency"), share.label("refunded"))
        .join(Return, Return.id == ReturnItem.return_id)
        .where(Return.status.in_(COUNTED_STATUSES))
        .subquery("returned_items")
    )


def _line_of_item() -> ColumnElement[bool]:
    return and_(OrderLine.order_id == ReturnItem.order_id, OrderLine.id == ReturnItem.line_item_id)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)
