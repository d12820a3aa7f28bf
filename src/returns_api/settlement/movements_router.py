"""Money movements: a return's refunds and the payments made for it, in one report, for
one return and across returns (list and CSV export)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from returns_api.auth.caller import Caller
from returns_api.auth.dependencies import require
from returns_api.core.clock import utcnow
from returns_api.core.cursors import IdCursor
from returns_api.core.errors import Forbidden, Unauthorized, problems
from returns_api.core.routing import SessionDep, UnitOfWorkRoute
from returns_api.returns.exceptions import ReturnNotFound
from returns_api.returns.schemas import ReturnId
from returns_api.settlement import movements
from returns_api.settlement.movement_schemas import (
    MoneyMovementPage,
    MovementFilterQuery,
    ReturnMoneyOut,
)

router = APIRouter(tags=["Refunds"], route_class=UnitOfWorkRoute)
_AUTH = (Unauthorized, Forbidden)
# Finance and the platform, as for the refunds list: never a portal token.
_READERS = ("returns:manage", "refunds:write")


@router.get(
    "/v1/returns/{return_id}/money-movements",
    operation_id="getReturnMoneyMovements",
    response_model=ReturnMoneyOut,
    responses=problems(*_AUTH, ReturnNotFound),
)
async def return_money_movements(
    return_id: ReturnId, session: SessionDep, caller: Caller = require(*_READERS)
) -> ReturnMoneyOut:
    """Every money movement of one return, oldest first, with totals.

    Refunds to the customer (`out`, in whatever status) and the payments the customer made
    for it (`in`: what an exchange costs more, a hold charged). Needs `returns:manage` or
    `refunds:write`.
    """
    return await movements.of_return(session, return_id)


@router.get(
    "/v1/money-movements",
    operation_id="listMoneyMovements",
    response_model=MoneyMovementPage,
    responses=problems(*_AUTH, 422),
)
async def list_money_movements(
    session: SessionDep,
    query: Annotated[MovementFilterQuery, Query()],
    cursor: IdCursor = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    caller: Caller = require(*_READERS),
) -> MoneyMovementPage:
    """List money movements across returns, newest first, filtered; follow `next_cursor`.

    Refunds and the customers' payments in one list, so finance reconciles both against the
    payment provider. Needs `returns:manage` or `refunds:write`.
    """
    return await movements.page(session, query.model_dump(exclude_none=True), cursor, limit)


@router.get(
    "/v1/money-movements/export",
    operation_id="exportMoneyMovements",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "One row per movement; money in major units with its currency.",
            "content": {
                "text/csv": {"schema": {"type": "string"}, "example": ",".join(movements.COLUMNS)}
            },
        },
        **problems(*_AUTH, 422),
    },
)
async def export_money_movements(
    request: Request,
    query: Annotated[MovementFilterQuery, Query()],
    caller: Caller = require(*_READERS),
) -> StreamingResponse:
    """Download every money movement matching the list's filters as CSV, streamed.

    Pages are read one after the other, each in a session of its own. Needs
    `returns:manage` or `refunds:write`.
    """
    filename = f"money-movements-{utcnow():%Y%m%dT%H%M%SZ}.csv"
    return StreamingResponse(
        movements.export(request.app.state.sessionmaker, query.model_dump(exclude_none=True)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
