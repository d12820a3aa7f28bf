from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Request, Response

from returns_api.auth.caller import Caller
from returns_api.auth.dependencies import require
from returns_api.core.errors import Forbidden, Unauthorized, problems
from returns_api.core.ids import not_found_unless_uuid
from returns_api.core.routing import SessionDep, UnitOfWorkRoute
from returns_api.core.settings import SettingsDep
from returns_api.withdrawals import service
from returns_api.withdrawals.exceptions import (
    WithdrawalLookupFailed,
    WithdrawalNotFound,
    WithdrawalNotPossible,
    WithdrawalThrottled,
)
from returns_api.withdrawals.pdf import statement_pdf
from returns_api.withdrawals.schemas import (
    ConfirmIn,
    PendingWithdrawalOut,
    WithdrawalOut,
    WithdrawalStatementIn,
)

router = APIRouter(prefix="/v1/withdrawals", tags=["Withdrawals"], route_class=UnitOfWorkRoute)

WithdrawalId = Annotated[
    uuid.UUID, not_found_unless_uuid(WithdrawalNotFound, "Withdrawal {} does not exist.")
]
_PDF = {"schema": {"type": "string", "format": "binary"}, "example": "%PDF-1.3 …"}


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post(
    "",
    operation_id="createWithdrawal",
    status_code=201,
    response_model=PendingWithdrawalOut,
    responses=problems(WithdrawalLookupFailed, WithdrawalNotPossible, WithdrawalThrottled, 422),
)
async def create_withdrawal(
    body: WithdrawalStatementIn, request: Request, session: SessionDep, settings: SettingsDep
) -> PendingWithdrawalOut:
    """Withdraw from contract here: make a withdrawal statement, answered with what to confirm.

    No API key and no scope: the consumer's name, the order number and the e-mail on the
    order, and optionally which items (the whole order by default). An unknown order and a
    wrong e-mail get the same 404; attempts are limited per client address and per order
    (429 with `Retry-After`). Nothing is withdrawn until `confirmWithdrawal` is called with
    the `confirm_token` answered here, before `expires_at`.
    """
    service.throttle(request.app.state.withdrawal_limiter, _client_ip(request), body.order_number)
    return await service.make_statement(
        session,
        body,
        transit_buffer_days=settings.return_transit_buffer_days,
        pending_seconds=settings.portal_token_ttl_seconds,
    )


@router.post(
    "/{withdrawal_id}/confirm",
    operation_id="confirmWithdrawal",
    response_model=WithdrawalOut,
    responses=problems(WithdrawalNotFound, WithdrawalNotPossible, WithdrawalThrottled, 422),
)
async def confirm_withdrawal(
    withdrawal_id: WithdrawalId,
    body: ConfirmIn,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
) -> WithdrawalOut:
    """Confirm withdrawal: record it as received now and create its return.

    No API key and no scope: the `confirm_token` of the statement authorises it. The moment
    of receipt is the server's. Confirming again answers the same withdrawal; a wrong token
    is answered as an unknown id (404). Emits `withdrawal.received` and `return.created`.
    """
    service.throttle(request.app.state.withdrawal_limiter, _client_ip(request), None)
    return await service.confirm(
        session, withdrawal_id, body, transit_buffer_days=settings.return_transit_buffer_days
    )


@router.get(
    "/{withdrawal_id}",
    operation_id="getWithdrawal",
    response_model=WithdrawalOut,
    responses=problems(Unauthorized, Forbidden, WithdrawalNotFound),
)
async def get_withdrawal(
    withdrawal_id: WithdrawalId, session: SessionDep, caller: Caller = require("returns:read")
) -> WithdrawalOut:
    """A withdrawal statement and its receipt, as JSON: the record for a dispute.

    Needs `returns:read` (a merchant key). Never changes once confirmed.
    """
    return await service.get_withdrawal(session, withdrawal_id)


@router.get(
    "/{withdrawal_id}/pdf",
    operation_id="getWithdrawalPdf",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": _PDF}, "description": "The statement as PDF."},
        **problems(Unauthorized, Forbidden, WithdrawalNotFound),
    },
)
async def get_withdrawal_pdf(
    withdrawal_id: WithdrawalId, session: SessionDep, caller: Caller = require("returns:read")
) -> Response:
    """A withdrawal statement and its receipt, as PDF: what the acknowledgement attaches.

    Needs `returns:read` (a merchant key).
    """
    withdrawal = await service.get_withdrawal(session, withdrawal_id)
    return Response(statement_pdf(withdrawal), media_type="application/pdf")
