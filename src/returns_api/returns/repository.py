"""Every query about returns. The hot ones (create, get, list, quote) are Core statements on
the tables, built once with bind parameters and run on the session's connection
(core.driver.fetch_all): no ORM compile or cache-key work per request (DESIGN §10)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Uuid,
    and_,
    any_,
    bindparam,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from returns_api.core.driver import Prepared, Row, fetch_all, fetch_one, run
from returns_api.notifications.outbox import queue_notifications
from returns_api.returns.filters import ReturnFilters
from returns_api.returns.page_query import page_parameters, page_statement
from returns_api.returns.refund_math import Taken
from returns_api.returns.tables import (
    ITEMS_OF_RETURN,
    REFUNDS_OF_RETURN,
    SHIPMENTS_OF_RETURN,
    TIMELINE_OF_RETURN,
    changes,
    items,
    live,
    payments,
    refunds,
    returns,
    shipments,
)
from returns_api.webhooks.events import write_events

__all__ = [
    "ReturnRepository",
    "changes",
    "items",
    "live",
    "payments",
    "refunds",
    "returns",
    "shipments",
]


@dataclass(frozen=True, slots=True)
class Held:
    """What the live returns of an order line hold of it: units, and the shares of the
    line's money their breakdowns take."""

    units: int
    taken: Taken


def held_of(row: Row) -> Held:
    """A row with `held` and the `*_taken` sums of `HELD_PER_LINE` (NULL when none)."""
    return Held(
        units=int(row["held"] or 0),
        taken=Taken(
            units=int(row["units_taken"] or 0),
            discount=int(row["discount_taken"] or 0),
            tax=int(row["tax_taken"] or 0),
        ),
    )


_BY_ID = select(returns).where(returns.c.id == bindparam("id"))
_GET = Prepared(_BY_ID)
_GET_FOR_UPDATE = Prepared(_BY_ID.with_for_update())
_ITEMS = Prepared(
    select(items)
    .where(items.c.return_id.in_(bindparam("ids", expanding=True)))
    .order_by(items.c.return_id, items.c.position),
    on_driver=select(items)
    .where(items.c.return_id == any_(bindparam("ids", type_=postgresql.ARRAY(Uuid))))
    .order_by(items.c.return_id, items.c.position),
)
_REFUNDS = Prepared(
    select(refunds).where(refunds.c.return_id == bindparam("id")).order_by(refunds.c.id)
)
_TIMELINE = Prepared(
    select(changes).where(changes.c.return_id == bindparam("id")).order_by(changes.c.id)
)
_SHIPMENTS = Prepared(
    select(shipments).where(shipments.c.return_id == bindparam("id")).order_by(shipments.c.position)
)
_WHOLE_SELECT = select(
    returns,
    ITEMS_OF_RETURN.column.label("_items"),
    REFUNDS_OF_RETURN.column.label("_refunds"),
    TIMELINE_OF_RETURN.column.label("_timeline"),
    SHIPMENTS_OF_RETURN.column.label("_shipments"),
).where(returns.c.id == bindparam("id"))
_WHOLE = Prepared(_WHOLE_SELECT)
_LOCK = Prepared(select(returns.c.id).where(returns.c.id == bindparam("id")).with_for_update())
# RMA numbers are short and random: a clash is rare but possible, and must not be a 500.
# ON CONFLICT DO NOTHING on that one constraint leaves the transaction usable (a raised
# unique violation would abort it on PostgreSQL) and reports the clash as rowcount 0.
_INSERT_RETURN = Prepared(
    sqlite.insert(returns).on_conflict_do_nothing(index_elements=[returns.c.rma_number]),
    on_driver=postgresql.insert(returns).on_conflict_do_nothing(
        index_elements=[returns.c.rma_number]
    ),
)
# PostgreSQL: the return, its items, its changes and its outbox events in one statement
# (three round trips fewer on the create path). Each row travels as one JSON parameter,
# which json_populate_record(set) turns into the table's own row type, so the statement
# lists no columns; the others are written only if the return was (same RMA rule as above).
# Foreign keys are checked at the end of the statement, when the return row exists. A key
# missing from a row dict would be NULL here, not the column's default: ReturnStore builds
# every row from the table's own columns.
_INSERT_WHOLE = Prepared(
    text(
        "WITH r AS (INSERT INTO returns SELECT * FROM json_populate_record(NULL::returns, :parent)"
        " ON CONFLICT (rma_number) DO NOTHING RETURNING id),"
        " i AS (INSERT INTO return_items SELECT p.* FROM"
        " json_populate_recordset(NULL::return_items, :items) AS p WHERE EXISTS (SELECT FROM r)),"
        " c AS (INSERT INTO return_changes SELECT p.* FROM"
        " json_populate_recordset(NULL::return_changes, :changes) AS p"
        " WHERE EXISTS (SELECT FROM r)),"
        " e AS (INSERT INTO events SELECT p.* FROM"
        " json_populate_recordset(NULL::events, :events) AS p WHERE EXISTS (SELECT FROM r)),"
        " s AS (INSERT INTO shipments SELECT p.* FROM"
        " json_populate_recordset(NULL::shipments, :shipments) AS p"
        " WHERE EXISTS (SELECT FROM r))"
        " SELECT id FROM r"
    ).bindparams(
        *(
            bindparam(name, type_=JSON)
            for name in ("parent", "items", "changes", "events", "shipments")
        )
    )
)
_INSERT_ITEMS = Prepared(insert(items))
_INSERT_CHANGE = Prepared(insert(changes))
_INSERT_SHIPMENT = Prepared(insert(shipments))
_INSERT_PAYMENT = Prepared(insert(payments))
_INSERT_REFUND = Prepared(insert(refunds))
# Per line of one order: the units its live returns hold, and what their breakdowns take of
# the line (`refund_math.Taken`). The one statement about held units: judging a return,
# showing an order and valuing an inspected return all read it.
HELD_PER_LINE = (
    select(
        items.c.line_item_id,
        func.sum(items.c.quantity).label("held"),
        func.sum(items.c.units_taken).label("units_taken"),
        func.sum(items.c.discount_taken).label("discount_taken"),
        func.sum(items.c.tax_taken).label("tax_taken"),
    )
    .select_from(items.join(returns, returns.c.id == items.c.return_id))
    .where(items.c.order_id == bindparam("order_id"), live(returns))
    .group_by(items.c.line_item_id)
)
_SHIPPING_TAKEN = Prepared(
    select(func.coalesce(func.sum(returns.c.shipping_refund_taken), 0).label("taken")).where(
        returns.c.order_id == bindparam("order_id"), live(returns)
    )
)
_HELD = Prepared(HELD_PER_LINE)
_REFUNDED_BY_METHOD = Prepared(
    select(refunds.c.method, func.sum(refunds.c.amount).label("amount"))
    .where(refunds.c.return_id == bindparam("id"))
    .group_by(refunds.c.method)
)


class ReturnRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def insert(
        self,
        values: Mapping[str, Any],
        item_rows: Sequence[Mapping[str, Any]],
        change_rows: Sequence[Mapping[str, Any]],
        events: Sequence[Mapping[str, Any]],
        shipment_rows: Sequence[Mapping[str, Any]] = (),
    ) -> bool:
        """Writes a new return, its items, its timeline and the events announcing it
        (`webhooks.events.event_row`); False, writing nothing, when another return already
        has this RMA number."""
        if self.session.get_bind().dialect.name == "postgresql":
            whole = {
                "parent": values,
                "items": list(item_rows),
                "changes": list(change_rows),
                "events": list(events),
                "shipments": list(shipment_rows),
            }
            if await run(self.session, _INSERT_WHOLE, [whole]) != 1:
                return False
            await queue_notifications(self.session, events)  # nothing when they are off
            return True
        if await run(self.session, _INSERT_RETURN, [values]) != 1:
            return False
        await run(self.session, _INSERT_ITEMS, list(item_rows))
        await run(self.session, _INSERT_CHANGE, list(change_rows))
        await write_events(self.session, events)
        await self.add_shipments(shipment_rows)
        return True

    async def get(self, return_id: uuid.UUID, *, lock: bool = False) -> Row | None:
        return await fetch_one(self.session, _GET_FOR_UPDATE if lock else _GET, {"id": return_id})

    async def whole(
        self, return_id: uuid.UUID, *, lock: bool = False
    ) -> tuple[Row, Sequence[Row], Sequence[Row], Sequence[Row], Sequence[Row]] | None:
        """The return with its items, refunds, timeline and shipments: one statement on
        PostgreSQL; `lock` holds the return's row until the transaction ends."""
        dialect = self.session.get_bind().dialect
        if dialect.name != "postgresql":
            row = await self.get(return_id, lock=lock)
            if row is None:
                return None
            # Refunds and shipments come after approval: none before (a failed refund gives
            # its amount back, so `refunded_amount` alone would not say there are none).
            approved = row["approved_at"] is not None
            return (
                row,
                await self.items([return_id]),
                await self.refunds(return_id) if approved else (),
                await self.timeline(return_id),
                await fetch_all(self.session, _SHIPMENTS, {"id": return_id}) if approved else (),
            )
        # The lock is taken by a statement of its own, first: under READ COMMITTED a statement
        # that waited for a row lock re-reads only the locked row, and its subqueries (the
        # items, refunds and timeline) would still show what was there before the wait.
        if lock and await fetch_one(self.session, _LOCK, {"id": return_id}) is None:
            return None
        found = await fetch_one(self.session, _WHOLE, {"id": return_id})
        if found is None:
            return None
        row = dict(found)
        return (
            row,
            ITEMS_OF_RETURN.rows(row.pop("_items"), dialect),
            REFUNDS_OF_RETURN.rows(row.pop("_refunds"), dialect),
            TIMELINE_OF_RETURN.rows(row.pop("_timeline"), dialect),
            SHIPMENTS_OF_RETURN.rows(row.pop("_shipments"), dialect),
        )

    async def items(self, return_ids: Sequence[uuid.UUID]) -> Sequence[Row]:
        return await fetch_all(self.session, _ITEMS, {"ids": list(return_ids)})

    async def refunds(self, return_id: uuid.UUID) -> Sequence[Row]:
        return await fetch_all(self.session, _REFUNDS, {"id": return_id})

    async def timeline(self, return_id: uuid.UUID) -> Sequence[Row]:
        return await fetch_all(self.session, _TIMELINE, {"id": return_id})

    async def update(
        self, return_id: uuid.UUID, expected_version: int, values: Mapping[str, Any]
    ) -> bool:
        """Compare-and-set on `version` (`values` carry the new one): False when someone
        else changed the return first."""
        statement = (
            update(returns)
            .where(returns.c.id == return_id, returns.c.version == expected_version)
            .values(**values)
        )
        return await run(self.session, statement) == 1

    async def update_item(self, item_id: uuid.UUID, values: Mapping[str, Any]) -> None:
        await run(self.session, update(items).where(items.c.id == item_id).values(**values))

    async def add_shipments(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            await run(self.session, _INSERT_SHIPMENT, list(rows))

    async def update_shipment(self, shipment_id: uuid.UUID, values: Mapping[str, Any]) -> None:
        statement = update(shipments).where(shipments.c.id == shipment_id).values(**values)
        await run(self.session, statement)

    async def add_changes(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            await run(self.session, _INSERT_CHANGE, list(rows))

    async def add_payments(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            await run(self.session, _INSERT_PAYMENT, list(rows))

    async def update_refund(self, refund_id: uuid.UUID, values: Mapping[str, Any]) -> None:
        await run(self.session, update(refunds).where(refunds.c.id == refund_id).values(**values))

    async def add_refunds(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            await run(self.session, _INSERT_REFUND, list(rows))

    async def add_events(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            await write_events(self.session, rows)

    async def refunded_by_method(self, return_id: uuid.UUID) -> dict[str, int]:
        rows = await fetch_all(self.session, _REFUNDED_BY_METHOD, {"id": return_id})
        return {row["method"]: int(row["amount"]) for row in rows}

    async def held(self, order_id: str) -> dict[str, Held]:
        """By line id, what the order's live returns hold of each line."""
        rows = await fetch_all(self.session, _HELD, {"order_id": order_id})
        return {row["line_item_id"]: held_of(row) for row in rows}

    async def shipping_taken(self, order_id: str) -> int:
        """The order's shipping that its live returns' breakdowns refund."""
        row = await fetch_one(self.session, _SHIPPING_TAKEN, {"order_id": order_id})
        return int(row["taken"]) if row is not None else 0

    async def customer_history(self, customer_id: str, since: datetime) -> tuple[int, int, int]:
        """(returns, value of those returns, units returned) of a customer since a moment.

        Cancelled returns do not count; rejected ones do (they are the serial-returner signal).
        """
        counted = and_(
            returns.c.customer_id == customer_id,
            returns.c.created_at >= since,
            returns.c.status != "cancelled",
        )
        totals = select(
            func.count(returns.c.id).label("n"),
            func.coalesce(func.sum(returns.c.refundable_amount), 0).label("value"),
        ).where(counted)
        units = (
            select(func.coalesce(func.sum(items.c.quantity), 0).label("units"))
            .select_from(items.join(returns, returns.c.id == items.c.return_id))
            .where(counted)
        )
        first = await fetch_one(self.session, totals)
        second = await fetch_one(self.session, units)
        assert first is not None
        assert second is not None
        return int(first["n"]), int(first["value"]), int(second["units"])

    async def page(
        self,
        filters: ReturnFilters,
        cursor: uuid.UUID | None,
        limit: int,
        *,
        with_breakdown: bool = False,
        oldest_first: bool = False,
    ) -> Sequence[Row]:
        """Newest first by id (UUIDv7, so by creation time), or oldest first; keyset-paginated,
        so a page is stable while new returns arrive. Lists never read the decision trace or
        the instructions (the largest JSON on a row); the breakdown only when asked."""
        params = page_parameters(filters, cursor)
        extra = "breakdown" if with_breakdown else None
        statement = page_statement(tuple(params), extra, oldest_first=oldest_first)
        params["limit"] = limit
        return await fetch_all(self.session, statement, params)

    async def page_with_items(
        self,
        filters: ReturnFilters,
        cursor: uuid.UUID | None,
        limit: int,
        *,
        oldest_first: bool = False,
    ) -> list[tuple[Row, Sequence[Row]]]:
        """A `page` with each return's items: one statement on PostgreSQL."""
        dialect = self.session.get_bind().dialect
        if dialect.name != "postgresql":
            rows = await self.page(filters, cursor, limit, oldest_first=oldest_first)
            by_return: dict[uuid.UUID, list[Row]] = {}
            for item in await self.items([row["id"] for row in rows]) if rows else ():
                by_return.setdefault(item["return_id"], []).append(item)
            return [(row, by_return.get(row["id"], [])) for row in rows]
        params = page_parameters(filters, cursor)
        statement = page_statement(tuple(params), "items", oldest_first=oldest_first)
        params["limit"] = limit
        page: list[tuple[Row, Sequence[Row]]] = []
        for found in await fetch_all(self.session, statement, params):
            row = dict(found)
            page.append((row, ITEMS_OF_RETURN.rows(row.pop("_items"), dialect)))
        return page
