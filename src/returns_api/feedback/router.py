from __future__ import annotations

from fastapi import APIRouter

from returns_api.auth.caller import Caller
from returns_api.auth.dependencies import require
from returns_api.core.errors import Unauthorized, problems
from returns_api.core.http import IdempotencyKeyHeader
from returns_api.core.idempotency import KeyInFlight, KeyReused
from returns_api.core.routing import SessionDep, UnitOfWorkRoute
from returns_api.feedback import service
from returns_api.feedback.exceptions import FeedbackAlreadyGiven, FeedbackIsForCustomers
from returns_api.feedback.schemas import FeedbackIn, FeedbackOut
from returns_api.returns.exceptions import ReturnNotFound
from returns_api.returns.schemas import ReturnId

router = APIRouter(prefix="/v1/returns", tags=["Returns"], route_class=UnitOfWorkRoute)


@router.post(
    "/{return_id}/feedback",
    operation_id="leaveReturnFeedback",
    status_code=201,
    response_model=FeedbackOut,
    responses=problems(
        Unauthorized,
        FeedbackIsForCustomers,
        ReturnNotFound,
        FeedbackAlreadyGiven,
        KeyInFlight,
        KeyReused,
        422,
    ),
)
async def leave_return_feedback(
    return_id: ReturnId,
    body: FeedbackIn,
    session: SessionDep,
    idempotency_key: IdempotencyKeyHeader = None,
    caller: Caller = require("returns:write"),
) -> FeedbackOut:
    """Rate a return (1 to 5) with an optional comment: the customer, once, by portal token."""
    return await service.leave_feedback(session, caller, return_id, body)
