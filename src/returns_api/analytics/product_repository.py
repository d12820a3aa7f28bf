"""The queries of the product report: units sold and returned per SKU (or product), sorted
and keyset-paginated, and for the rows of one page their refunds and reasons."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Subquery,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
)

from returns_api.analytics.repository import (
    COUNTED_STATUSES,
    AnalyticsRepository,
    AnyRow,
    Window,
    items_of_orders_placed_in,
    lines_placed_in,
    still_counts,
)
from returns_api.analytics.sql import prorated
from returns_api.orders.models import OrderLine
from returns_api.returns.models import Return, ReturnItem


@dataclass(frozen=True, slots=True)
class ProductQuery:
    window: Window
    group_by: str  # "sku" | "product"
    sort: str  # a column of the page query
    descending: bool
    after: tuple[int, str] | None  # keyset: (sort value, key) of the last row seen
    limit: int


class ProductRepository(AnalyticsRepository):
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
            .where(*lines_placed_in(query.window))
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
        .where(*items_of_orders_placed_in(window))
    )
    if not shares:
        # Units only: no column of the return is needed, just whether it still counts.
        refunded = literal(0, BigInteger).label("refunded")
        items = items.where(still_counts(ReturnItem.return_id))
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
