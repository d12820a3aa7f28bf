from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse

from returns_api.auth.caller import Caller
from returns_api.auth.dependencies import require
from returns_api.core.clock import utcnow
from returns_api.core.errors import Forbidden, Unauthorized, problems
from returns_api.core.routing import SessionDep, UnitOfWorkRoute
from returns_api.exports import service
from returns_api.exports.exceptions import NotAcceptable
from returns_api.returns.filters import ReturnFilterQuery

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
    session: SessionDep,
    query: Annotated[ReturnFilterQuery, Query()],
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
    caller: Caller = require("returns:read"),
) -> StreamingResponse:
    """Download every return matching the list filters as CSV, streamed (Accept: text/csv).

    The filters are the list's own, checked before anything is sent. Should the export fail
    once it has begun, the connection is dropped before the end of the (chunked) body: an
    HTTP client reports the truncation, so a partial file is never taken for the whole.
    """
    service.check_acceptable(accept)
    filters = service.scoped(caller, query.filters())
    first = await service.first_page(session, filters)
    filename = f"returns-{utcnow():%Y%m%dT%H%M%SZ}.csv"
    return StreamingResponse(
        service.csv_stream(request.app.state.sessionmaker, filters, first),
        media_type=f"{service.CSV_MEDIA_TYPE}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
