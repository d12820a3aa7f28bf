"""Refunds across returns: the platform's confirmation of a refund it carried out, and the
reconciliation list and export."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from returns_api.auth.caller import Caller
from returns_api.auth.dependencies import require
from returns_api.core.clock import utcnow
from returns_api.core.cursors import IdCursor
from returns_api.core.errors import Forbidden, Unauthorized, problems
from returns_api.core.http import IdempotencyKeyHeader
from returns_api.core.ids import not_found_unless_uuid
from returns_api.core.routing import SessionDep, UnitOfWorkRoute
from returns_api.returns.exceptions import RefundNotFound, RefundNotPending
from returns_api.settlement import service
from returns_api.settlement.schemas import (
    RefundConfirmIn,
    RefundFilterQuery,
    RefundPage,
    RefundRecordOut,
)

# A refund's id in a path: one that is no UUID is a refund that does not exist.
RefundId = Annotated[uuid.UUID, not_found_unless_uuid(RefundNotFound, "Refund {} does not exist.")]
router = APIRouter(prefix="/v1/refunds", tags=["Refunds"], route_class=UnitOfWorkRoute)
_AUTH = (Unauthorized, Forbidden)
# Finance and the platform: never a portal token (it holds neither scope).
_READERS = ("returns:manage", "refunds:write")


@router.get(
    "", operation_id="listRefunds", response_model=RefundPage, responses=problems(*_AUTH, 422)
)
async def list_refunds(
    session: SessionDep,
    query: Annotated[RefundFilterQuery, Query()],
    cursor: IdCursor = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    caller: Caller = require(*_READERS),
) -> RefundPage:
    """List refunds across returns, newest first, filtered; follow `next_cursor` for more.

    For reconciliation: what the service asked for (`pending`), what was carried out
    (`succeeded`) and what failed, to match against the payment provider. Needs
    `returns:manage` or `refunds:write`.
    """
    filters = query.model_dump(exclude_none=True)
    return await service.list_refunds(session, filters, cursor, limit)


@router.get(
    "/export",
    operation_id="exportRefunds",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "One row per refund; money in major units with its currency.",
            "content": {
                "text/csv": {"schema": {"type": "string"}, "example": ",".join(service.COLUMNS)}
            },
        },
        **problems(*_AUTH, 422),
    },
)
async def export_refunds(
    request: Request,
    query: Annotated[RefundFilterQuery, Query()],
    caller: Caller = require(*_READERS),
) -> StreamingResponse:
    """Download every refund matching the list's filters as CSV, streamed.

    Needs `returns:manage` or `refunds:write`. Pages are read one after the other, each in
    a session of its own, so an export of any size holds no transaction open.
    """
    filters = query.model_dump(exclude_none=True)
    filename = f"refunds-{utcnow():%Y%m%dT%H%M%SZ}.csv"
    return StreamingResponse(
        service.export(request.app.state.sessionmaker, filters),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.post(
    "/{refund_id}/confirm",
    operation_id="confirmRefund",
    response_model=RefundRecordOut,
    responses=problems(*_AUTH, RefundNotFound, RefundNotPending, 422),
)
async def confirm_refund(
    refund_id: RefundId,
    body: RefundConfirmIn,
    session: SessionDep,
    idempotency_key: IdempotencyKeyHeader = None,
    caller: Caller = require("refunds:write"),
) -> RefundRecordOut:
    """Report what became of a refund the platform was asked to carry out.

    With `RETURNS_REFUND_EXECUTOR=platform` a refund is `pending` and announced with
    `return.refund_requested`; the platform (scope `refunds:write`) moves the money and
    reports `succeeded` (with its reference: `return.refunded`) or `failed` (with a reason:
    `return.refund_failed`, and the amount is left to refund again). The same report again
    changes nothing; the other one is a 409 `refund-not-pending`.
    """
    return await service.confirm(session, caller, refund_id, body)
