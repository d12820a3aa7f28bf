"""The list query (`GET /v1/returns`): one statement per combination of filters, built once.

Lists never read the decision trace or the instructions (the largest JSON on a row). The
warehouse scan's `tracking_number` finds a return by any of its parcels' numbers, or by the
number a person recorded: a union of two index lookups, then the returns by primary key.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import fields
from typing import Any

from sqlalchemy import ColumnElement, Integer, Uuid, bindparam, exists, select, union

from returns_api.core.db import UTCDateTime
from returns_api.core.driver import Prepared
from returns_api.returns.filters import ReturnFilters
from returns_api.returns.tables import ITEMS_OF_RETURN, items, returns, shipments

_SUMMARY_COLUMNS = tuple(
    column
    for column in returns.c
    if column.name not in ("decision", "instructions", "refund_breakdown")
)

_scanned = returns.alias("scanned")
_BY_TRACKING_NUMBER = union(
    select(shipments.c.return_id).where(
        shipments.c.tracking_number == bindparam("tracking_number")
    ),
    select(_scanned.c.id).where(_scanned.c.tracking_number == bindparam("tracking_number")),
)

# What each list filter adds to the page query, with its value as a parameter.
_PAGE_CONDITIONS: dict[str, ColumnElement[bool]] = {
    "cursor": returns.c.id < bindparam("cursor", type_=Uuid),  # newest first: older ids
    "status": returns.c.status == bindparam("status"),
    "order_id": returns.c.order_id == bindparam("order_id"),
    "customer_id": returns.c.customer_id == bindparam("customer_id"),
    "created_after": returns.c.created_at >= bindparam("created_after", type_=UTCDateTime),
    "created_before": returns.c.created_at < bindparam("created_before", type_=UTCDateTime),
    "rma_number": returns.c.rma_number == bindparam("rma_number"),
    "tracking_number": returns.c.id.in_(_BY_TRACKING_NUMBER),
    "reason": exists().where(
        items.c.return_id == returns.c.id, items.c.reason == bindparam("reason")
    ),
}
# Oldest first, the page after the cursor holds the newer ids.
_AFTER_CURSOR = returns.c.id > bindparam("cursor", type_=Uuid)


@functools.cache
def page_statement(
    present: tuple[str, ...], extra: str | None, *, oldest_first: bool = False
) -> Prepared:
    """The page query for one combination of filters, built once (at most 3 x 2 x 2^9);
    `extra`: also the breakdown, or also the items (PostgreSQL: ``ARRAY(SELECT ROW(…))``).
    Ids are UUIDv7, so ordering by id is ordering by creation time; either way the primary
    key's index serves the order and the cursor."""
    columns: tuple[Any, ...] = _SUMMARY_COLUMNS
    if extra == "breakdown":
        columns += (returns.c.refund_breakdown,)
    elif extra == "items":
        columns += (ITEMS_OF_RETURN.column.label("_items"),)
    conditions = (
        _AFTER_CURSOR if oldest_first and name == "cursor" else _PAGE_CONDITIONS[name]
        for name in present
    )
    return Prepared(
        select(*columns)
        .where(*conditions)
        .order_by(returns.c.id.asc() if oldest_first else returns.c.id.desc())
        .limit(bindparam("limit", type_=Integer))
    )


def page_parameters(filters: ReturnFilters, cursor: uuid.UUID | None) -> dict[str, Any]:
    params = {f.name: getattr(filters, f.name) for f in fields(filters)}
    params = {name: value for name, value in params.items() if value is not None}
    if cursor is not None:
        params["cursor"] = cursor
    return params
