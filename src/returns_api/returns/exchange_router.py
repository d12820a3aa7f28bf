"""What the platform reports about a return's exchange: the payment of the difference, the
replacement order, and an instant exchange's hold. Routes of `/v1/returns`, like the
return's other changes."""

from __future__ import annotations

from fastapi import APIRouter, Response

from returns_api.auth.caller import Caller
from returns_api.auth.dependencies import require
from returns_api.core.errors import problems
from returns_api.core.http import IdempotencyKeyHeader, IfMatchHeader, versioned
from returns_api.core.routing import SessionDep, UnitOfWorkRoute
from returns_api.returns import transitions
from returns_api.returns.exceptions import (
    ExchangeAmountTooLarge,
    ExchangeNotRequested,
    ExchangeOrderMismatch,
    ExchangePaymentMismatch,
    HoldNotPending,
    NothingOwed,
)
from returns_api.returns.exchange_schemas import (
    ExchangeFulfillmentIn,
    ExchangeHoldIn,
    ExchangePaymentIn,
)
from returns_api.returns.router import CHANGE, with_etag
from returns_api.returns.schemas import (
    ReturnId,
    ReturnOut,
)

router = APIRouter(prefix="/v1/returns", tags=["Returns"], route_class=UnitOfWorkRoute)


@router.post(
    "/{return_id}/exchange/payments",
    operation_id="recordExchangePayment",
    response_model=ReturnOut,
    responses={
        **problems(*CHANGE, NothingOwed, ExchangePaymentMismatch, ExchangeAmountTooLarge),
        **versioned(200),
    },
)
async def record_exchange_payment(
    return_id: ReturnId,
    body: ExchangePaymentIn,
    response: Response,
    session: SessionDep,
    if_match: IfMatchHeader = None,
    idempotency_key: IdempotencyKeyHeader = None,
    caller: Caller = require("returns:manage"),
) -> ReturnOut:
    """Report a payment of what an exchange costs more, collected by the platform.

    After `return.exchange_payment_requested`: `exchange_payment` shows what is outstanding.
    The same `external_reference` again changes nothing (another amount is a 409
    `exchange-payment-mismatch`); more than is outstanding is a 422
    `exchange-amount-too-large` on `amount`; a return owing nothing, a 409
    `exchange-payment-not-due`. Paid in full, the replacement order is
    requested once the returned units are accepted (`return.exchange_order_requested`).
    """
    result = await transitions.record_exchange_payment(session, caller, return_id, body, if_match)
    return with_etag(response, result)


@router.post(
    "/{return_id}/exchange/fulfillment",
    operation_id="recordExchangeFulfillment",
    response_model=ReturnOut,
    responses={
        **problems(*CHANGE, ExchangeNotRequested, ExchangeOrderMismatch),
        **versioned(200),
    },
)
async def record_exchange_fulfillment(
    return_id: ReturnId,
    body: ExchangeFulfillmentIn,
    response: Response,
    session: SessionDep,
    if_match: IfMatchHeader = None,
    idempotency_key: IdempotencyKeyHeader = None,
    caller: Caller = require("returns:manage"),
) -> ReturnOut:
    """Report the replacement order of an exchange: created, then shipped.

    After `return.exchange_order_requested`: send the platform's `order_id` once the order
    exists (the variants' reservation ends), and again with `tracking_number` once it ships
    (emits `return.exchange_fulfilled`, once). Sending what is recorded changes nothing;
    another `order_id` is a 409 `exchange-order-mismatch`, and a return with no replacement
    requested a 409 `exchange-not-requested`.
    """
    result = await transitions.record_exchange_fulfillment(
        session, caller, return_id, body, if_match
    )
    return with_etag(response, result)


@router.post(
    "/{return_id}/exchange/hold",
    operation_id="reportExchangeHold",
    response_model=ReturnOut,
    responses={**problems(*CHANGE, HoldNotPending, ExchangeAmountTooLarge), **versioned(200)},
)
async def report_exchange_hold(
    return_id: ReturnId,
    body: ExchangeHoldIn,
    response: Response,
    session: SessionDep,
    if_match: IfMatchHeader = None,
    idempotency_key: IdempotencyKeyHeader = None,
    caller: Caller = require("returns:manage"),
) -> ReturnOut:
    """Report what the platform did with an instant exchange's hold: captured or released.

    After `return.exchange_hold_capture_requested` (`captured`, by default the amount asked,
    or `released`) or `return.exchange_hold_release_requested` (`released`). The outcome
    already recorded again changes nothing; anything else is a 409 `exchange-hold-not-pending`.
    What was captured and is no longer at risk (the units were accepted after all) is
    refunded through the `exchange` method.
    """
    result = await transitions.report_exchange_hold(session, caller, return_id, body, if_match)
    return with_etag(response, result)
