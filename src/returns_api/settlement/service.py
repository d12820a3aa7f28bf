"""Refunds across returns: a platform's answer for one it was asked to carry out, and the
reconciliation list and CSV export finance matches against the payment provider."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from returns_api.auth.caller import Caller
from returns_api.core.cursors import decode_id_cursor, encode_id_cursor
from returns_api.core.driver import Row
from returns_api.exports.service import csv_text, major_units
from returns_api.returns.exceptions import RefundNotFound
from returns_api.returns.parts import Act
from returns_api.returns.service import save_and_show
from returns_api.returns.store import ReturnStore
from returns_api.returns.transitions import act_of
from returns_api.settlement.movements import stream_csv
from returns_api.settlement.repository import RefundRepository
from returns_api.settlement.schemas import RefundConfirmIn, RefundPage, RefundRecordOut

REFUND_FIELDS = (
    "id",
    "amount",
    "currency",
    "method",
    "external_reference",
    "note",
    "status",
    "executor",
    "failure_reason",
    "settled_at",
    "actor",
    "created_at",
)
COLUMNS = (
    "refund_id",
    "return_id",
    "rma_number",
    "created_at",
    "settled_at",
    "status",
    "executor",
    "method",
    "amount",
    "currency",
    "external_reference",
    "failure_reason",
)


async def confirm(
    session: AsyncSession, caller: Caller, refund_id: uuid.UUID, body: RefundConfirmIn
) -> RefundRecordOut:
    """Settle a pending refund as the platform reports it; the same report again changes
    nothing (a retry), the other one is a 409."""
    return_id = await RefundRepository(session).return_of(refund_id)
    store = ReturnStore(session)
    ret = await store.load(return_id, lock=True) if return_id is not None else None
    if ret is None:
        raise RefundNotFound(f"Refund {refund_id} does not exist.")
    act: Act = act_of(caller)
    changed = ret.settle_refund(
        act,
        refund_id,
        succeeded=body.outcome == "succeeded",
        external_reference=body.external_reference,
        reason=body.reason,
    )
    if changed:
        await save_and_show(store, ret)
    refund = ret.refund_of(refund_id)
    row = {name: getattr(refund, name) for name in REFUND_FIELDS}
    return RefundRecordOut.model_validate(
        _record({**row, "return_id": ret.id, "rma_number": ret.rma_number})
    )


def _record(row: Mapping[str, Any]) -> dict[str, Any]:
    return {**row, "created_by": row["actor"]}


async def list_refunds(
    session: AsyncSession, filters: Mapping[str, Any], cursor: str | None, limit: int
) -> RefundPage:
    after = decode_id_cursor(cursor) if cursor else None
    rows = await RefundRepository(session).page(filters, after, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return RefundPage.model_validate(
        {
            "data": [_record(row) for row in rows],
            "next_cursor": encode_id_cursor(rows[-1]["id"]) if more and rows else None,
        }
    )


def _line(row: Mapping[str, Any]) -> list[str]:
    settled = row["settled_at"]
    return [
        str(row["id"]),
        str(row["return_id"]),
        row["rma_number"],
        row["created_at"].isoformat(),
        settled.isoformat() if settled is not None else "",
        row["status"],
        row["executor"],
        row["method"],
        major_units(row["amount"], row["currency"]),
        row["currency"],
        csv_text(row["external_reference"]),
        csv_text(row["failure_reason"]),
    ]


def export(
    sessionmaker: async_sessionmaker[AsyncSession], filters: Mapping[str, Any]
) -> AsyncIterator[bytes]:
    """Money in major units with its currency, like the returns export."""

    async def read(session: AsyncSession, cursor: uuid.UUID | None, limit: int) -> Sequence[Row]:
        return await RefundRepository(session).page(filters, cursor, limit)

    return stream_csv(sessionmaker, COLUMNS, read, _line)
