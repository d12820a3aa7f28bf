from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response
from pydantic import BeforeValidator
from starlette.convertors import Convertor, register_url_convertor

from returns_api.auth.caller import Caller
from returns_api.auth.dependencies import require
from returns_api.core.cursors import SortedIdCursor
from returns_api.core.customer_language import language_headers, request_preferences
from returns_api.core.errors import Forbidden, Unauthorized, problems
from returns_api.core.http import (
    AcceptLanguageHeader,
    IdempotencyKeyHeader,
    IfMatchHeader,
    LocaleQuery,
    TextsLanguageHeader,
    etag,
    in_language,
    versioned,
)
from returns_api.core.idempotency import KeyInFlight, KeyReused
from returns_api.core.routing import SessionDep, UnitOfWorkRoute, reads_only
from returns_api.core.settings import SettingsDep
from returns_api.orders.exceptions import OrderNotFound
from returns_api.returns import service, transitions
from returns_api.returns.exceptions import (
    ConcurrentChange,
    ExchangePaymentOutstanding,
    IllegalTransition,
    InvalidInspection,
    NothingToRefund,
    NotReturnable,
    RefundPending,
    RefundTooLarge,
    ReturnNotFound,
    StaleVersion,
)
from returns_api.returns.filters import ReturnFilterQuery, ReturnSortQuery
from returns_api.returns.parcel_schemas import TrackingEventIn
from returns_api.returns.quote_schemas import QuoteOut
from returns_api.returns.schemas import (
    ApproveBody,
    NoteBody,
    ReceiveBody,
    RefundIn,
    ReturnId,
    ReturnOut,
    ReturnPage,
    ReturnRequest,
)
from returns_api.settlement import refunds


class _ReturnIdSegment(Convertor[str]):
    """A path segment read as a return id: any but the names of the collection's own
    resources, which stay theirs (`GET /v1/returns/quote` is a 405 for the quote, not a
    return that does not exist). Any other segment reaches the route, so its caller is
    authenticated before a segment that is no UUID is answered as an unknown return."""

    regex = r"(?!(?:quote|export)$)[^/]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("return_id", _ReturnIdSegment())
router = APIRouter(prefix="/v1/returns", tags=["Returns"], route_class=UnitOfWorkRoute)

_AUTH = (Unauthorized, Forbidden)
# What every change to a return can answer with (one `problems()` call per route, so that
# problems sharing a status are all listed).
CHANGE = (*_AUTH, ReturnNotFound, IllegalTransition, StaleVersion, KeyInFlight, KeyReused, 422)


def _none_is_no_body(value: Any) -> Any:
    return {} if value is None else value


# A body that may be left out (or sent as `null`, as the document once allowed): the model
# with its defaults. Documented as an optional `$ref`, not `anyOf: [ref, null]`: a client
# generated from a nullable body sends its "unset" marker as the JSON (openapi-python-client
# raised `TypeError: Object of type Unset is not JSON serializable`).
OptionalNoteBody = Annotated[
    NoteBody, BeforeValidator(_none_is_no_body), Body(default_factory=NoteBody)
]
OptionalApproveBody = Annotated[
    ApproveBody, BeforeValidator(_none_is_no_body), Body(default_factory=ApproveBody)
]


def with_etag(response: Response, result: ReturnOut) -> ReturnOut:
    response.headers["ETag"] = etag(result.version)
    return result


@router.post(
    "/quote",
    operation_id="quoteReturn",
    response_model=QuoteOut,
    responses={**problems(*_AUTH, OrderNotFound, 422), **in_language(200)},
)
@reads_only
async def quote_return(
    body: ReturnRequest,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    locale: LocaleQuery = None,
    accept_language: TextsLanguageHeader = None,
    idempotency_key: IdempotencyKeyHeader = None,
    caller: Caller = require("returns:read"),
) -> QuoteOut:
    """Price a candidate return and show what the policy would decide; writes nothing.

    The same body as `createReturn`. Per line: what can still be returned, until when, which
    resolutions and return methods are offered, and why not (`problems`); the estimated refund,
    to the cent, and the decision the policy would take: with its trace for an API key, the
    action and a message for a portal token (which never sees the merchant's rules).

    Its texts (`problems`, the decision's `message`, `reason_name`) are in the customer's
    language: `locale` (the query's, else the body's), else `Accept-Language`, else the
    order's `locale`, else `RETURNS_DEFAULT_LOCALE`; `locale` in the answer names it.
    """
    quote = await service.quote_return(
        session,
        caller,
        body,
        transit_buffer_days=settings.return_transit_buffer_days,
        preferred=request_preferences(request, body.locale, default=False),
        default_locale=settings.default_locale,
    )
    response.headers.update(language_headers(quote.locale))
    return quote


@router.post(
    "",
    operation_id="createReturn",
    status_code=201,
    response_model=ReturnOut,
    responses={
        **problems(*_AUTH, OrderNotFound, NotReturnable, KeyInFlight, KeyReused),
        **versioned(201, location=True),
    },
)
async def create_return(
    body: ReturnRequest,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKeyHeader = None,
    accept_language: AcceptLanguageHeader = None,
    caller: Caller = require("returns:write"),
) -> ReturnOut:
    """Request a return; it is judged by the policy at once and gets its RMA number.

    The return is born `pending_review`, `approved` (with instructions) or `rejected`, as the
    policy decides (`decision` shows an API key the rule and the facts, a portal token the
    action and a message). A hard term that refuses it — window, final sale, quantity, unknown
    reason or method — is a 422 `not-returnable` whose `errors[]` name each offending field.
    Its `locale` is the body's, else (portal token) the preferred one of `Accept-Language`,
    else the order's. Emits `return.created`.
    """
    result = await service.create_return(
        session,
        caller,
        body,
        transit_buffer_days=settings.return_transit_buffer_days,
        accept_language=accept_language,
    )
    response.headers["Location"] = f"/v1/returns/{result.id}"
    return with_etag(response, result)


@router.get(
    "",
    operation_id="listReturns",
    response_model=ReturnPage,
    responses=problems(*_AUTH, 422),
)
async def list_returns(
    session: SessionDep,
    query: Annotated[ReturnFilterQuery, Query()],
    cursor: SortedIdCursor = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    sort: ReturnSortQuery = "-created_at",
    caller: Caller = require("returns:read"),
) -> ReturnPage:
    """List returns, newest first (or oldest first by `sort`), filtered; follow
    `next_cursor` for more.

    Items and amounts are included; the decision, refunds and timeline are on `getReturn`.
    A portal token sees its own order's returns only. A warehouse scan finds a parcel's
    return with `rma_number` or `tracking_number` (exact, indexed).
    """
    filters, oldest_first = query.filters(), sort == "created_at"
    return await service.list_returns(
        session, caller, filters, cursor, limit, oldest_first=oldest_first
    )


@router.get(
    "/{return_id:return_id}",
    operation_id="getReturn",
    response_model=ReturnOut,
    responses={**problems(*_AUTH, ReturnNotFound), **versioned(200)},
)
async def get_return(
    return_id: ReturnId,
    response: Response,
    session: SessionDep,
    caller: Caller = require("returns:read"),
) -> ReturnOut:
    """Read one return with its items, decision, refunds and timeline (with its ETag)."""
    return with_etag(response, await service.get_return(session, caller, return_id))


@router.post(
    "/{return_id}/approve",
    operation_id="approveReturn",
    response_model=ReturnOut,
    responses={**problems(*CHANGE), **versioned(200)},
)
async def approve_return(
    return_id: ReturnId,
    response: Response,
    session: SessionDep,
    body: OptionalApproveBody,
    if_match: IfMatchHeader = None,
    idempotency_key: IdempotencyKeyHeader = None,
    caller: Caller = require("returns:manage"),
) -> ReturnOut:
    """Approve a return waiting for review; the customer gets the return instructions.

    `keep_item: true` approves a keep-the-item return: no parcel, it can be refunded and
    completed at once. Emits `return.approved`.
    """
    result = await transitions.approve(session, caller, return_id, body, if_match)
    return with_etag(response, result)


@router.post(
    "/{return_id}/reject",
    operation_id="rejectReturn",
    response_model=ReturnOut,
    responses={**problems(*CHANGE), **versioned(200)},
)
async def reject_return(
    return_id: ReturnId,
    response: Response,
    session: SessionDep,
    body: OptionalNoteBody,
    if_match: IfMatchHeader = None,
    idempotency_key: IdempotencyKeyHeader = None,
    caller: Caller = require("returns:manage"),
) -> ReturnOut:
    """Reject a return waiting for review, with a note for the customer."""
    result = await transitions.reject(session, caller, return_id, body, if_match)
    return with_etag(response, result)


@router.post(
    "/{return_id}/cancel",
    operation_id="cancelReturn",
    response_model=ReturnOut,
    responses={**problems(*CHANGE), **versioned(200)},
)
async def cancel_return(
    return_id: ReturnId,
    response: Response,
    session: SessionDep,
    body: OptionalNoteBody,
    if_match: IfMatchHeader = None,
    idempotency_key: IdempotencyKeyHeader = None,
    caller: Caller = require("returns:write", "returns:manage"),
) -> ReturnOut:
    """Cancel a return before it ships (the customer, or the merchant)."""
    result = await transitions.cancel(session, caller, return_id, body, if_match)
    return with_etag(response, result)


@router.post(
    "/{return_id}/tracking-events",
    operation_id="recordTrackingEvent",
    response_model=ReturnOut,
    responses={**problems(*CHANGE), **versioned(200)},
)
async def record_tracking_event(
    return_id: ReturnId,
    body: TrackingEventIn,
    response: Response,
    session: SessionDep,
    if_match: IfMatchHeader = None,
    idempotency_key: IdempotencyKeyHeader = None,
    caller: Caller = require("returns:manage"),
) -> ReturnOut:
    """Record a carrier event; the first one puts an approved return in transit."""
    result = await transitions.record_tracking(session, caller, return_id, body, if_match)
    return with_etag(response, result)


@router.post(
    "/{return_id}/receive",
    operation_id="receiveReturn",
    response_model=ReturnOut,
    responses={**problems(*CHANGE, InvalidInspection), **versioned(200)},
)
async def receive_return(
    return_id: ReturnId,
    body: ReceiveBody,
    response: Response,
    session: SessionDep,
    if_match: IfMatchHeader = None,
    idempotency_key: IdempotencyKeyHeader = None,
    caller: Caller = require("returns:manage"),
) -> ReturnOut:
    """Record what arrived: per item the quantity, condition, disposition and acceptance.

    Moves an `in_transit` return to `received`. Items not listed are recorded as missing; only
    accepted units are refunded (`amounts.refundable` is recomputed). Emits `return.received`.
    """
    result = await transitions.receive(session, caller, return_id, body, if_match)
    return with_etag(response, result)


@router.post(
    "/{return_id}/refunds",
    operation_id="refundReturn",
    status_code=201,
    response_model=ReturnOut,
    responses={
        **problems(*CHANGE, NothingToRefund, RefundTooLarge, ConcurrentChange),
        **versioned(201),
    },
)
async def refund_return(
    return_id: ReturnId,
    body: RefundIn,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    if_match: IfMatchHeader = None,
    idempotency_key: IdempotencyKeyHeader = None,
    caller: Caller = require("returns:manage"),
) -> ReturnOut:
    """Refund (by default all that is left); partial refunds add up.

    For a received return (or an approved keep-the-item one). Never more than what is left for
    its method (422 `refund-exceeds-refundable`); nothing left is a 409 `nothing-to-refund`.
    `external_reference` records the payment provider's id. Emits `return.refunded`; with
    `RETURNS_REFUND_EXECUTOR=platform` the refund is `pending` (`return.refund_requested`)
    until `POST /v1/refunds/{id}/confirm`. Store credit is carried out at once.
    """
    executor = settings.refund_executor
    result = await refunds.refund(session, caller, return_id, body, if_match, executor=executor)
    return with_etag(response, result)


@router.post(
    "/{return_id}/complete",
    operation_id="completeReturn",
    response_model=ReturnOut,
    responses={**problems(*CHANGE, ExchangePaymentOutstanding, RefundPending), **versioned(200)},
)
async def complete_return(
    return_id: ReturnId,
    response: Response,
    session: SessionDep,
    body: OptionalNoteBody,
    if_match: IfMatchHeader = None,
    idempotency_key: IdempotencyKeyHeader = None,
    caller: Caller = require("returns:manage"),
) -> ReturnOut:
    """Close a received (or keep-the-item) return.

    Not while an exchange's difference is owed (409 `exchange-payment-outstanding`).
    """
    result = await transitions.complete(session, caller, return_id, body, if_match)
    return with_etag(response, result)
