"""Parcels of a return: another label, the label and drop-off code files, the packing slip;
and the carriers' tracking webhooks."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Header, Path, Request, Response
from pydantic import BeforeValidator

from returns_api.auth.caller import Caller
from returns_api.auth.dependencies import require
from returns_api.core.errors import InvalidWebhookSignature, problems
from returns_api.core.http import IdempotencyKeyHeader, IfMatchHeader, versioned
from returns_api.core.ids import not_found_unless_uuid
from returns_api.core.routing import SessionDep, UnitOfWorkRoute
from returns_api.returns.exceptions import (
    DocumentNotAvailable,
    NoLabelForMethod,
    ReturnNotFound,
    ShipmentNotFound,
)
from returns_api.returns.parcel_schemas import CarrierWebhookOut, ShipmentRequestIn
from returns_api.returns.router import _AUTH, CHANGE, _none_is_no_body, with_etag
from returns_api.returns.schemas import ReturnId, ReturnOut
from returns_api.shipping import service
from returns_api.shipping.carrier import Carrier, InvalidSignature
from returns_api.shipping.exceptions import UnknownCarrier

router = APIRouter(tags=["Shipping"], route_class=UnitOfWorkRoute)
# A shipment's id in a path: one that is no UUID is a shipment that does not exist.
ShipmentId = Annotated[
    uuid.UUID, not_found_unless_uuid(ShipmentNotFound, "Shipment {} does not exist.")
]
OptionalShipmentBody = Annotated[
    ShipmentRequestIn, BeforeValidator(_none_is_no_body), Body(default_factory=ShipmentRequestIn)
]
# A carrier's code in a path; one not configured here is a 404 `unknown-carrier`.
CarrierCode = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
_CARRIER_BODY = {
    "required": True,
    "description": "The carrier's event, as it sends it (EasyPost: an Event object).",
    "content": {
        "application/json": {
            "schema": {"type": "object", "additionalProperties": True},
            "example": {
                "object": "Event",
                "description": "tracker.updated",
                "result": {
                    "object": "Tracker",
                    "tracking_code": "9400100208303109478142",
                    "status": "in_transit",
                    "carrier": "USPS",
                    "tracking_details": [{"status": "in_transit", "message": "Accepted"}],
                },
            },
        }
    },
}
_PDF = {"schema": {"type": "string", "format": "binary"}, "example": "%PDF-1.3 …"}
_PNG = {"schema": {"type": "string", "format": "binary"}, "example": "\\x89PNG …"}
_SVG = {"schema": {"type": "string"}, "example": '<svg xmlns="http://www.w3.org/2000/svg" …'}
_READ = {**problems(*_AUTH, ReturnNotFound, ShipmentNotFound, DocumentNotAvailable)}


def _file(document: service.Document) -> Response:
    if document.location is not None:  # the carrier keeps the file
        return Response(status_code=303, headers={"Location": document.location})
    # A customer's documents: never kept by shared caches.
    headers = {"Cache-Control": "private, no-store"}
    return Response(document.content, media_type=document.media_type, headers=headers)


@router.post(
    "/v1/returns/{return_id}/shipments",
    operation_id="requestShipment",
    response_model=ReturnOut,
    status_code=202,
    responses={**problems(*CHANGE, NoLabelForMethod), **versioned(202)},
)
async def request_shipment(
    return_id: ReturnId,
    response: Response,
    session: SessionDep,
    body: OptionalShipmentBody,
    if_match: IfMatchHeader = None,
    idempotency_key: IdempotencyKeyHeader = None,
    caller: Caller = require("returns:manage"),
) -> ReturnOut:
    """Ask for a label for another parcel (or the first, where the method buys none at
    approval).

    Staff only (`returns:manage`): a carrier's label costs money, so a portal token cannot
    buy more; it gets the one bought at approval.

    The shipment is added `pending`; the worker buys its label and emits
    `return.label_created`. 409 `no-label-for-method` for a method without carrier labels.
    """
    result = await service.request_shipment(session, caller, return_id, body, if_match)
    return with_etag(response, result)


@router.get(
    "/v1/returns/{return_id}/shipments/{shipment_id}/label",
    operation_id="getShipmentLabel",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": _PDF}, "description": "The label."},
        303: {"description": "The carrier keeps the label file: its address."},
        **_READ,
    },
)
async def get_label(
    return_id: ReturnId,
    shipment_id: ShipmentId,
    session: SessionDep,
    caller: Caller = require("returns:read"),
) -> Response:
    """The parcel's label to print (a portal token: its own order's only)."""
    return _file(await service.label(session, caller, return_id, shipment_id))


@router.get(
    "/v1/returns/{return_id}/shipments/{shipment_id}/qr",
    operation_id="getShipmentQrCode",
    response_class=Response,
    responses={
        200: {
            "content": {"image/png": _PNG, "image/svg+xml": _SVG},
            "description": "The drop-off code.",
        },
        303: {"description": "The carrier keeps the image: its address."},
        **_READ,
    },
)
async def get_qr_code(
    return_id: ReturnId,
    shipment_id: ShipmentId,
    session: SessionDep,
    accept: Annotated[str | None, Header()] = None,
    caller: Caller = require("returns:read"),
) -> Response:
    """The code to show at a drop-off point: PNG, or SVG when `Accept` prefers
    `image/svg+xml`."""
    svg = accept is not None and "image/svg+xml" in accept and "image/png" not in accept
    return _file(await service.qr_code(session, caller, return_id, shipment_id, svg=svg))


@router.get(
    "/v1/returns/{return_id}/packing-slip",
    operation_id="getPackingSlip",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": _PDF}, "description": "The packing slip."},
        **problems(*_AUTH, ReturnNotFound, DocumentNotAvailable),
    },
)
async def get_packing_slip(
    return_id: ReturnId, session: SessionDep, caller: Caller = require("returns:read")
) -> Response:
    """The slip to put in the parcel: the RMA as text and barcode, the items and quantities."""
    return _file(await service.packing_slip(session, caller, return_id))


@router.post(
    "/v1/carriers/{carrier}/webhooks",
    operation_id="receiveCarrierWebhook",
    response_model=CarrierWebhookOut,
    responses=problems(UnknownCarrier, InvalidWebhookSignature, 413, 422),
    openapi_extra={"requestBody": _CARRIER_BODY},
)
async def receive_carrier_webhook(
    carrier: CarrierCode, request: Request, session: SessionDep
) -> CarrierWebhookOut:
    """Receive a carrier's tracking webhook, verified by the signature the carrier documents.

    EasyPost signs with `X-Hmac-Signature` (the webhook secret, RETURNS_EASYPOST_WEBHOOK_SECRET).
    No API key: the signature is the credential; a bad one is a 401 and nothing is read.

    Scans move the return (the first puts it in transit; `exception` is recorded with
    `return.tracking_exception`). Duplicated, out-of-order and late scans, and parcels we do
    not know, answer 200 and change nothing (`ignored`), so the carrier stops retrying.
    """
    carriers: dict[str, Carrier] = request.app.state.carriers
    found = carriers.get(carrier)
    if found is None or carrier == "builtin":  # the built-in carrier sends no webhooks
        raise UnknownCarrier(f"No carrier {carrier!r} sends webhooks here.")
    body = await request.body()
    try:
        return await service.carrier_webhook(session, found, body, request.headers)
    except InvalidSignature as exc:
        raise InvalidWebhookSignature(f"The {carrier} signature does not verify.") from exc
