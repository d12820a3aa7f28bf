"""`ReturnStore`: the one mapper between the `Return` aggregate and its rows.

`load` reads a return whole (one statement on PostgreSQL), `add` writes a new one (one
statement on PostgreSQL, with its outbox event), `save` writes what a change did: the
return's changed columns under a compare-and-set on `version`, changed items, new timeline
entries, new refunds and the outbox rows. Every row is built from the table's own columns,
so a column the aggregate lacks fails at once instead of being written as NULL.

`rows_of` is that row building on its own, pure: bulk writers (demo data, benchmark seeds)
batch the rows of many aggregates instead of saving them one by one.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from returns_api.core.driver import Row
from returns_api.returns.domain import Return
from returns_api.returns.exceptions import ConcurrentChange
from returns_api.returns.filters import ReturnFilters
from returns_api.returns.parts import Change, Item, Refund, ReturnSummary
from returns_api.returns.repository import (
    ReturnRepository,
    changes,
    items,
    payments,
    refunds,
    returns,
    shipments,
)
from returns_api.returns.shipments import Shipment
from returns_api.returns.status import ReturnStatus


def row_of(table: Table, obj: object, **columns: Any) -> dict[str, Any]:
    """`obj` as a row of `table`: every column, read from the attribute of its name unless
    given in `columns`."""
    row = {}
    for column in table.c:
        name = column.name
        value = columns[name] if name in columns else getattr(obj, name)
        row[name] = value.value if isinstance(value, Enum) else value
    return row


@dataclass(frozen=True, slots=True)
class ReturnRows:
    """A return as rows of its tables, each list in the order the aggregate keeps it."""

    returns: dict[str, Any]
    items: list[dict[str, Any]]
    refunds: list[dict[str, Any]]
    changes: list[dict[str, Any]]
    shipments: list[dict[str, Any]]
    payments: list[dict[str, Any]]


def rows_of(ret: Return) -> ReturnRows:
    """The rows that hold `ret` (its pending events are not rows of it: they go to the
    outbox, or nowhere)."""
    return ReturnRows(
        returns=row_of(returns, ret),
        items=[row_of(items, item, return_id=ret.id) for item in ret.items],
        refunds=[row_of(refunds, refund, return_id=ret.id) for refund in ret.refunds],
        changes=[row_of(changes, change, return_id=ret.id) for change in ret.timeline],
        shipments=[row_of(shipments, s, return_id=ret.id) for s in ret.shipments],
        payments=[row_of(payments, p, return_id=ret.id) for p in ret.new_payments],
    )


_RETURN_FIELDS = tuple(column.name for column in returns.c)
_SUMMARY_FIELDS = tuple(
    name for name in ReturnSummary.__dataclass_fields__ if name not in ("status", "items")
)
_ITEM_FIELDS = tuple(column.name for column in items.c if column.name != "return_id")
_REFUND_FIELDS = tuple(column.name for column in refunds.c if column.name != "return_id")
_CHANGE_FIELDS = tuple(column.name for column in changes.c if column.name != "return_id")
_SHIPMENT_FIELDS = tuple(column.name for column in shipments.c if column.name != "return_id")


def item_of(row: Row) -> Item:
    return Item(**{name: row[name] for name in _ITEM_FIELDS})


def return_of(
    row: Row,
    item_rows: Iterable[Row],
    refund_rows: Iterable[Row],
    change_rows: Iterable[Row],
    shipment_rows: Iterable[Row] = (),
) -> Return:
    values = {name: row[name] for name in _RETURN_FIELDS}
    values["status"] = ReturnStatus(values["status"])
    return Return(
        **values,
        items=[item_of(r) for r in item_rows],
        refunds=[Refund(**{name: r[name] for name in _REFUND_FIELDS}) for r in refund_rows],
        timeline=[Change(**{name: r[name] for name in _CHANGE_FIELDS}) for r in change_rows],
        shipments=[Shipment(**{name: r[name] for name in _SHIPMENT_FIELDS}) for r in shipment_rows],
    )


@dataclass(frozen=True, slots=True)
class _Stored:
    """What is in the database for a loaded return: the baseline `save` writes against."""

    row: dict[str, Any]
    items: dict[uuid.UUID, dict[str, Any]]
    refunds: dict[uuid.UUID, dict[str, Any]]
    changes: int
    shipments: dict[uuid.UUID, dict[str, Any]]


class ReturnStore:
    """Loads and saves whole returns for one unit of work."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.rows = ReturnRepository(session)
        self._stored: dict[uuid.UUID, _Stored] = {}

    async def load(self, return_id: uuid.UUID, *, lock: bool = False) -> Return | None:
        """The return with its items, refunds, timeline and shipments; `lock` holds its row
        until the unit of work ends (PostgreSQL), so racing changes queue instead of
        clashing."""
        found = await self.rows.whole(return_id, lock=lock)
        if found is None:
            return None
        ret = return_of(*found)
        self._remember(ret)
        return ret

    async def add(self, ret: Return, events: Sequence[Mapping[str, Any]]) -> bool:
        """Write a new return with its items, timeline and the outbox rows announcing it;
        False, writing nothing, when its RMA number is taken."""
        rows = rows_of(ret)
        written = await self.rows.insert(
            rows.returns, rows.items, rows.changes, events, rows.shipments
        )
        if written:
            ret.pending_events.clear()
            self._remember(ret)
        return written

    async def save(self, ret: Return, events: Sequence[Mapping[str, Any]]) -> None:
        """Write what changed since `load`. The version is compared and set in the same
        statement: a change made meanwhile by someone else is a `ConcurrentChange`."""
        stored = self._stored[ret.id]
        rows = rows_of(ret)
        changed = {name: value for name, value in rows.returns.items() if stored.row[name] != value}
        if changed and not await self.rows.update(ret.id, stored.row["version"], changed):
            raise ConcurrentChange("The return was changed by another request; read it and retry.")
        for values in rows.items:
            before = stored.items[values["id"]]
            item_changes = {name: value for name, value in values.items() if before[name] != value}
            if item_changes:
                await self.rows.update_item(values["id"], item_changes)
        for values in rows.shipments:
            was = stored.shipments.get(values["id"])
            if was is None:
                await self.rows.add_shipments([values])
                continue
            shipment_changes = {k: v for k, v in values.items() if was[k] != v}
            if shipment_changes:
                await self.rows.update_shipment(values["id"], shipment_changes)
        new_refunds = []
        for values in rows.refunds:
            was = stored.refunds.get(values["id"])
            if was is None:
                new_refunds.append(values)
                continue
            refund_changes = {k: v for k, v in values.items() if was[k] != v}
            if refund_changes:  # settled: pending → succeeded | failed
                await self.rows.update_refund(values["id"], refund_changes)
        await self.rows.add_refunds(new_refunds)
        await self.rows.add_payments(rows.payments)
        ret.new_payments.clear()
        await self.rows.add_changes(rows.changes[stored.changes :])
        await self.rows.add_events(events)
        ret.pending_events.clear()
        self._remember(ret)

    async def page(
        self,
        filters: ReturnFilters,
        cursor: uuid.UUID | None,
        limit: int,
        *,
        oldest_first: bool = False,
    ) -> list[ReturnSummary]:
        """A page of returns as lists show them, newest first unless `oldest_first` (see the
        repository)."""
        found = await self.rows.page_with_items(filters, cursor, limit, oldest_first=oldest_first)
        return [
            ReturnSummary(
                **{name: row[name] for name in _SUMMARY_FIELDS},
                status=ReturnStatus(row["status"]),
                items=[item_of(item) for item in item_rows],
            )
            for row, item_rows in found
        ]

    def _remember(self, ret: Return) -> None:
        # Aggregates replace JSON values and never change them in place: the baseline may
        # share them, and a value changed in place would look unchanged.
        self._stored[ret.id] = _Stored(
            row=row_of(returns, ret),
            items={item.id: row_of(items, item, return_id=ret.id) for item in ret.items},
            refunds={r.id: row_of(refunds, r, return_id=ret.id) for r in ret.refunds},
            changes=len(ret.timeline),
            shipments={s.id: row_of(shipments, s, return_id=ret.id) for s in ret.shipments},
        )
