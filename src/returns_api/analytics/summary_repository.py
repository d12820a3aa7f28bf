"""The queries of the summary report: how the period's returns were decided and how long
each step took, what was refunded, how the returns are resolved (refund, store credit,
exchange), the return rate and the ratings.

Time facts are the milestones each return keeps on its row, written by the change that
makes them at the moment of its timeline entry or refund: born approved by the policy
(`auto_approved`), first approved (`approved_at`: at birth, or by a person), received
(`received_at`), first refunded (`first_refunded_at`). A period's are one range of
`ix_returns_created_at_status`, index-only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    String,
    and_,
    case,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)

from returns_api.analytics.repository import (
    COUNTED_STATUSES,
    AnalyticsRepository,
    AnyRow,
    ReturnIds,
    Window,
    items_of_orders_placed_in,
    lines_placed_in,
    of_returns,
    requested_in,
    still_counts,
)
from returns_api.analytics.sql import percentiles, seconds_between
from returns_api.core.db import UTCDateTime
from returns_api.feedback.models import ReturnFeedback
from returns_api.orders.models import OrderLine
from returns_api.policies.resolutions import RESOLUTIONS, Resolution
from returns_api.returns.models import Refund, Return, ReturnItem
from returns_api.returns.status import ReturnStatus


@dataclass(frozen=True, slots=True)
class DurationRow:
    count: int
    median: int | None
    p90: int | None
    max: int | None


@dataclass(frozen=True, slots=True)
class ResolutionRow:
    currency: str
    returns: int
    exchange_returns: int
    value: dict[Resolution, int]


@dataclass(frozen=True, slots=True)
class Decided:
    decided: int
    auto_approved: int
    auto_approved_keep_item: int


class SummaryRepository(AnalyticsRepository):
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
            .where(Refund.status == "succeeded")  # money that moved, not asked or failed
            .group_by(Refund.currency, Refund.method)
            .order_by(Refund.currency, Refund.method)
        )
        if window.currency is not None:
            stmt = stmt.where(Refund.currency == window.currency)
        return (await self.session.execute(stmt)).all()

    async def resolutions(self, window: Window, ids: ReturnIds | None) -> list[ResolutionRow]:
        """Per currency, the returns requested in the window that still count, those with an
        item to exchange, and their items' value per resolution, in one statement. The items
        are read through the id range of the window's returns, as for the reasons report.

        An item is worth what the return's breakdown takes of its line, before fees: the units
        it values (accepted ones once inspected) at the unit price, less their discount share,
        plus their tax share — the same figure whatever the resolution, so the three add up.
        """
        value = (
            ReturnItem.units_taken * ReturnItem.unit_price
            - ReturnItem.discount_taken
            + ReturnItem.tax_taken
        )
        exchanged = ReturnItem.resolution == "exchange"
        stmt = (
            select(
                Return.currency,
                func.count(Return.id.distinct()),
                func.count(case((exchanged, Return.id)).distinct()),
                *(
                    func.coalesce(
                        func.sum(case((ReturnItem.resolution == resolution, value), else_=0)), 0
                    )
                    for resolution in RESOLUTIONS
                ),
            )
            .select_from(ReturnItem)
            .join(Return, Return.id == ReturnItem.return_id)
            .where(
                of_returns(ReturnItem.return_id, ids),
                *requested_in(window),
                Return.status.in_(COUNTED_STATUSES),
            )
            .group_by(Return.currency)
            .order_by(Return.currency)
        )
        return [
            ResolutionRow(
                currency=currency,
                returns=int(returns),
                exchange_returns=int(exchange_returns),
                # PostgreSQL sums bigints as numeric: back to int, exactly.
                value={r: int(amount) for r, amount in zip(RESOLUTIONS, amounts, strict=True)},
            )
            for currency, returns, exchange_returns, *amounts in (
                await self.session.execute(stmt)
            ).all()
        ]

    async def units_sold_and_returned(self, window: Window) -> tuple[int, int]:
        # The lines carry their order's placed_at: a range of `ix_order_lines_placed_at`.
        sold = select(func.coalesce(func.sum(OrderLine.quantity), 0)).where(
            *lines_placed_in(window)
        )
        # The items carry their order's placed_at: a range of `ix_return_items_order_placed_at`.
        returned = select(func.coalesce(func.sum(ReturnItem.quantity), 0)).where(
            *items_of_orders_placed_in(window), still_counts(ReturnItem.return_id)
        )
        units_sold = (await self.session.execute(sold)).scalar_one()
        units_returned = (await self.session.execute(returned)).scalar_one()
        return int(units_sold), int(units_returned)

    async def refunds_overdue(self, window: Window) -> int:
        """Statutory withdrawals flagged as not refunded in time and still owed something,
        now (a backlog, as the review backlog: not limited to the period)."""
        stmt = select(func.count()).where(
            Return.refund_overdue_at.is_not(None),
            Return.refunded_amount < Return.refundable_amount,
        )
        if window.currency is not None:
            stmt = stmt.where(Return.currency == window.currency)
        return int((await self.session.execute(stmt)).scalar_one())

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
    ).where(*requested_in(window))


def _measure(name: str, seconds: ColumnElement[int]) -> Select[str, int]:
    return select(literal(name, String).label("grp"), seconds.label("value"))


def _int(value: Any) -> int | None:
    return None if value is None else int(value)
