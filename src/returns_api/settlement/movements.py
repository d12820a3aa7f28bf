"""Every money movement of a return (DESIGN §6): refunds out and the customer's payments in,
for one return with its totals, listed across returns, and exported as CSV."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from returns_api.core.cursors import decode_id_cursor, encode_id_cursor
from returns_api.core.driver import Row
from returns_api.core.messages import Message
from returns_api.exports.service import csv_text, encode_csv, major_units
from returns_api.returns.exceptions import ReturnNotFound
from returns_api.returns.repository import ReturnRepository
from returns_api.settlement.movement_schemas import (
    MoneyMovementPage,
    ReturnMoneyOut,
)
from returns_api.settlement.movements_repository import MovementRepository

PAGE_SIZE = 500
COLUMNS = (
    "id",
    "return_id",
    "rma_number",
    "created_at",
    "settled_at",
    "direction",
    "kind",
    "status",
    "method",
    "executor",
    "provider",
    "amount",
    "currency",
    "reference",
    "payment_reference",
    "failure_reason",
)
PageReader = Callable[[AsyncSession, uuid.UUID | None, int], Awaitable[Sequence[Row]]]


async def of_return(session: AsyncSession, return_id: uuid.UUID) -> ReturnMoneyOut:
    """Oldest first; the totals count payments in, succeeded and pending refunds out."""
    found = await ReturnRepository(session).get(return_id)
    if found is None:
        raise ReturnNotFound(Message("return.not_found", return_id=return_id))
    rows = await MovementRepository(session).of_return(return_id)
    paid_in = sum(row["amount"] for row in rows if row["direction"] == "in")
    out = [row for row in rows if row["direction"] == "out"]
    return ReturnMoneyOut.model_validate(
        {
            "return_id": return_id,
            "rma_number": found["rma_number"],
            "currency": found["currency"],
            "totals": {
                "paid_in": paid_in,
                "refunded": sum(r["amount"] for r in out if r["status"] == "succeeded"),
                "refund_pending": sum(r["amount"] for r in out if r["status"] == "pending"),
            },
            "data": rows,
        }
    )


async def page(
    session: AsyncSession, filters: Mapping[str, Any], cursor: str | None, limit: int
) -> MoneyMovementPage:
    after = decode_id_cursor(cursor) if cursor else None
    rows = await MovementRepository(session).page(filters, after, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return MoneyMovementPage.model_validate(
        {"data": rows, "next_cursor": encode_id_cursor(rows[-1]["id"]) if more and rows else None}
    )


def _line(row: Mapping[str, Any]) -> list[str]:
    settled = row["settled_at"]
    return [
        str(row["id"]),
        str(row["return_id"]),
        row["rma_number"],
        row["created_at"].isoformat(),
        settled.isoformat() if settled is not None else "",
        row["direction"],
        row["kind"],
        row["status"],
        row["method"] or "",
        row["executor"] or "",
        csv_text(row["provider"]),
        major_units(row["amount"], row["currency"]),
        row["currency"],
        csv_text(row["reference"]),
        csv_text(row["payment_reference"]),
        csv_text(row["failure_reason"]),
    ]


def export(
    sessionmaker: async_sessionmaker[AsyncSession], filters: Mapping[str, Any]
) -> AsyncIterator[bytes]:
    async def read(session: AsyncSession, cursor: uuid.UUID | None, limit: int) -> Sequence[Row]:
        return await MovementRepository(session).page(filters, cursor, limit)

    return stream_csv(sessionmaker, COLUMNS, read, _line)


async def stream_csv(
    sessionmaker: async_sessionmaker[AsyncSession],
    header: Sequence[str],
    read: PageReader,
    line: Callable[[Mapping[str, Any]], list[str]],
) -> AsyncIterator[bytes]:
    """The header, then one chunk per page (newest first by id), each page read in a
    session of its own, so an export of any size holds no transaction open."""
    yield encode_csv([header])
    cursor: uuid.UUID | None = None
    while True:
        async with sessionmaker() as session:
            rows = await read(session, cursor, PAGE_SIZE)
        if rows:
            yield encode_csv([line(row) for row in rows])
        if len(rows) < PAGE_SIZE:
            return
        cursor = rows[-1]["id"]
