from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse

from returns_api.auth.caller import Caller
from returns_api.auth.dependencies import require
from returns_api.core.clock import utcnow
from returns_api.core.errors import Forbidden, Unauthorized, problems
from returns_api.core.routing import UnitOfWorkRoute
from returns_api.core.timestamps import Timestamp
from returns_api.exports import service
from returns_api.exports.exceptions import NotAcceptable
from returns_api.returns.repository import ReturnFilters
from returns_api.returns.status import ReturnStatus

# Registered before the returns router: `/v1/returns/export` must not be taken for a
# return id by `GET /v1/returns/{return_id}`.
router = APIRouter(prefix="/v1/returns", tags=["Returns"], route_class=UnitOfWorkRoute)

_CSV_EXAMPLE = ",".join(service.COLUMNS) + "\r\n"


@router.get(
    "/export",
    operation_id="exportReturns",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "One row per return item; money in major units with its currency.",
            "content": {
                service.CSV_MEDIA_TYPE: {
                    "schema": {"type": "string"},
                    "example": _CSV_EXAMPLE,
                }
            },
        },
        **problems(Unauthorized, Forbidden, NotAcceptable, 422),
    },
)
async def export_returns(
    request: Request,
    status: ReturnStatus | None = None,
    order_id: Annotated[str | None, Query(max_length=64)] = None,
    customer_id: Annotated[str | None, Query(max_length=64)] = None,
    reason: Annotated[str | None, Query(max_length=64)] = None,
    created_after: Timestamp | None = None,
    created_before: Timestamp | None = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
    caller: Caller = require("returns:read"),
) -> StreamingResponse:
    """Download every return matching the list filters as CSV, streamed (Accept: text/csv)."""
    service.check_acceptable(accept)
    filters = ReturnFilters(
        status=status.value if status else None,
        order_id=order_id,
        customer_id=customer_id,
        reason=reason,
        created_after=created_after,
        created_before=created_before,
    )
    filename = f"returns-{utcnow():%Y%m%dT%H%M%SZ}.csv"
    return StreamingResponse(
        service.csv_stream(request.app.state.sessionmaker, service.scoped(caller, filters)),
        media_type=f"{service.CSV_MEDIA_TYPE}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
