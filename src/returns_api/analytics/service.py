"""Returns analytics: the figures are aggregated by the database (repository); this module
only shapes the handful of rows it gets back."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from returns_api.analytics.product_repository import ProductQuery, ProductRepository
from returns_api.analytics.repository import AnalyticsRepository, Window
from returns_api.analytics.schemas import (
    Amount,
    AnalyticsSummary,
    Decisions,
    Durations,
    FeedbackSummary,
    Period,
    ProductPage,
    ProductStats,
    ReasonReport,
    ReasonStats,
    ReasonTotals,
    ReasonUnits,
    RefundedAmount,
    ResolutionMix,
    ReturnCounts,
    ReturnRate,
    ReviewBacklog,
    Timings,
)
from returns_api.analytics.sql import basis_points
from returns_api.analytics.summary_repository import DurationRow, SummaryRepository
from returns_api.core.clock import utcnow
from returns_api.core.errors import FieldError, Unprocessable
from returns_api.policies.service import current_policy
from returns_api.returns.status import ReturnStatus

DEFAULT_PERIOD = timedelta(days=30)


class InvalidPeriod(Unprocessable):
    """`from` is not before `to`."""

    slug = "invalid-period"


class InvalidProductQuery(Unprocessable):
    """A cursor of another sort or grouping, or a sort by `refunded` without `currency`."""

    slug = "invalid-product-query"


def window_of(start: datetime | None, end: datetime | None, currency: str | None) -> Window:
    """The period asked for; by default the 30 days up to now."""
    end = end or utcnow()
    start = start or end - DEFAULT_PERIOD
    if start >= end:
        raise InvalidPeriod(
            "`from` must be before `to`.",
            errors=[FieldError(location="query.from", message="must be before `to`")],
        )
    return Window(start, end, currency)


def _period(window: Window) -> Period:
    return Period(start=window.start, end=window.end, currency=window.currency)


def _durations(row: DurationRow | None) -> Durations:
    if row is None:
        return Durations(count=0, median_seconds=None, p90_seconds=None, max_seconds=None)
    return Durations(
        count=row.count, median_seconds=row.median, p90_seconds=row.p90, max_seconds=row.max
    )


async def summary(session: AsyncSession, window: Window) -> AnalyticsSummary:
    repo = SummaryRepository(session)
    await repo.prepare_for_reporting()
    now = utcnow()
    requested = await repo.period_returns(window)
    by_status = requested.by_status
    decisions, durations = await repo.milestone_figures(window, now)
    backlog = durations.get("backlog")
    units_sold, units_returned = await repo.units_sold_and_returned(window)
    ratings = await repo.ratings(window)
    rated = sum(ratings.values())
    rating_sum = sum(rating * n for rating, n in ratings.items())
    return AnalyticsSummary(
        period=_period(window),
        refunds_overdue=await repo.refunds_overdue(window),
        returns=ReturnCounts(
            total=sum(by_status.values()),
            by_status={status: by_status.get(status.value, 0) for status in ReturnStatus},
        ),
        decisions=Decisions(
            decided=decisions.decided,
            auto_approved=decisions.auto_approved,
            auto_approved_keep_item=decisions.auto_approved_keep_item,
            auto_approval_rate_bps=basis_points(decisions.auto_approved, decisions.decided),
        ),
        timings=Timings(
            request_to_approval=_durations(durations.get("approval")),
            request_to_receipt=_durations(durations.get("receipt")),
            request_to_refund=_durations(durations.get("refund")),
        ),
        review_backlog=ReviewBacklog(
            count=backlog.count if backlog else 0,
            median_age_seconds=backlog.median if backlog else None,
            p90_age_seconds=backlog.p90 if backlog else None,
            oldest_age_seconds=backlog.max if backlog else None,
        ),
        refunded=[
            RefundedAmount(currency=currency, method=method, amount=int(amount), refunds=int(n))
            for currency, method, amount, n in await repo.refunded(window)
        ],
        resolutions=[
            ResolutionMix(
                currency=row.currency,
                returns=row.returns,
                exchange_returns=row.exchange_returns,
                exchange_share_bps=basis_points(row.exchange_returns, row.returns),
                value_by_resolution=row.value,
            )
            for row in await repo.resolutions(window, requested.ids)
        ],
        return_rate=ReturnRate(
            units_sold=units_sold,
            units_returned=units_returned,
            rate_bps=basis_points(units_returned, units_sold),
        ),
        feedback=FeedbackSummary(
            count=rated,
            # Exact integers from the database; the one division happens here, identically
            # for both databases (AVG would be a float on one and a numeric on the other).
            average_rating=round(rating_sum / rated, 2) if rated else None,
            by_rating={rating: ratings.get(rating, 0) for rating in range(1, 6)},
        ),
    )


def _amounts(by_currency: dict[str, int]) -> list[Amount]:
    return [Amount(currency=c, amount=by_currency[c]) for c in sorted(by_currency)]


async def reasons(session: AsyncSession, window: Window) -> ReasonReport:
    repo = AnalyticsRepository(session)
    await repo.prepare_for_reporting()
    _, policy = await current_policy(session)
    labels = {reason.code: reason.label for reason in policy.reasons}
    requested = await repo.period_returns(window)
    per_reason: dict[str, dict[str, Any]] = {}
    for reason, currency, returns, units, fault_units, value in await repo.reasons(
        window, requested.ids
    ):
        entry = per_reason.setdefault(reason, {"returns": 0, "units": 0, "fault": 0, "value": {}})
        entry["returns"] += int(returns)  # a return has one currency: no double count
        entry["units"] += int(units)
        entry["fault"] += int(fault_units)
        entry["value"][currency] = entry["value"].get(currency, 0) + int(value)
    total_units = sum(e["units"] for e in per_reason.values())
    total_fault = sum(e["fault"] for e in per_reason.values())
    total_value: dict[str, int] = {}
    for entry in per_reason.values():
        for currency, amount in entry["value"].items():
            total_value[currency] = total_value.get(currency, 0) + amount
    ordered = sorted(per_reason.items(), key=lambda kv: (-kv[1]["units"], kv[0]))
    return ReasonReport(
        period=_period(window),
        data=[
            ReasonStats(
                reason=reason,
                label=labels.get(reason),
                returns=e["returns"],
                units=e["units"],
                value=_amounts(e["value"]),
                share_bps=basis_points(e["units"], total_units),
                merchant_fault_share_bps=basis_points(e["fault"], e["units"]),
            )
            for reason, e in ordered
        ],
        totals=ReasonTotals(
            returns=requested.counted,
            units=total_units,
            value=_amounts(total_value),
            merchant_fault_share_bps=basis_points(total_fault, total_units),
        ),
    )


def encode_cursor(sort: str, group_by: str, value: int, key: str) -> str:
    raw = json.dumps([sort, group_by, value, key], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str, group_by: str) -> tuple[int, str]:
    """The keyset position; a cursor of another sort or grouping is refused."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_sort, cursor_group, value, key = json.loads(raw)
        if not (isinstance(value, int) and isinstance(key, str)):
            raise ValueError("bad cursor")
    except (ValueError, TypeError, binascii.Error) as exc:
        raise _bad_cursor("The cursor is not one this API gave out.") from exc
    if (cursor_sort, cursor_group) != (sort, group_by):
        raise _bad_cursor("The cursor belongs to another `sort` or `group_by`.")
    return value, key


def _bad_cursor(detail: str) -> InvalidProductQuery:
    return InvalidProductQuery(
        detail, errors=[FieldError(location="query.cursor", message="invalid cursor")]
    )


async def products(
    session: AsyncSession,
    window: Window,
    *,
    group_by: str,
    sort: str,
    cursor: str | None,
    limit: int,
) -> ProductPage:
    column = sort.removeprefix("-")
    if column == "refunded" and window.currency is None:
        # Refunds in different currencies cannot be added up, so they cannot be ranked.
        raise InvalidProductQuery(
            "Sorting by `refunded` needs a `currency`.",
            errors=[FieldError(location="query.currency", message="required for this sort")],
        )
    repo = ProductRepository(session)
    await repo.prepare_for_reporting()
    query = ProductQuery(
        window=window,
        group_by=group_by,
        sort=column,
        descending=sort.startswith("-"),
        after=decode_cursor(cursor, sort, group_by) if cursor else None,
        limit=limit + 1,
    )
    rows = await repo.product_page(query)
    page, more = rows[:limit], len(rows) > limit
    keys = [row.key for row in page]
    refunded: dict[str, dict[str, int]] = {}
    units_by_reason: dict[str, dict[str, int]] = {}
    for key, currency, reason, units, amount in (
        await repo.product_details(window, group_by, keys) if keys else []
    ):
        if amount:  # no entry for a currency in which nothing was refunded (yet)
            by_currency = refunded.setdefault(key, {})
            by_currency[currency] = by_currency.get(currency, 0) + int(amount)
        by_reason = units_by_reason.setdefault(key, {})
        by_reason[reason] = by_reason.get(reason, 0) + int(units)
    # The top 3 of at most a handful of per-reason sums the database added up.
    reasons = {
        key: [
            ReasonUnits(reason=reason, units=units)
            for reason, units in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        ]
        for key, counts in units_by_reason.items()
    }
    last = page[-1] if page else None
    return ProductPage(
        period=_period(window),
        data=[_product(row, group_by, refunded, reasons) for row in page],
        next_cursor=encode_cursor(sort, group_by, int(last.sort_value), last.key)
        if more and last is not None
        else None,
    )


def _product(
    row: Any,
    group_by: str,
    refunded: dict[str, dict[str, int]],
    reasons: dict[str, list[ReasonUnits]],
) -> ProductStats:
    key = row.key or None  # lines without a SKU (product) are grouped under ''
    return ProductStats(
        sku=key if group_by == "sku" else None,
        product_id=key if group_by == "product" else row.product_id,
        units_sold=int(row.units_sold),
        units_returned=int(row.units_returned),
        return_rate_bps=int(row.return_rate_bps),
        refunded=_amounts(refunded.get(row.key, {})),
        top_reasons=reasons.get(row.key, []),
    )
