"""What the shipping routes do: ask for another parcel's label, hand out a return's documents
(label, drop-off code, packing slip) to whoever may see the return, and apply a carrier's
tracking webhook to the returns its parcels belong to."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from returns_api.auth.caller import Caller
from returns_api.core.clock import utcnow
from returns_api.core.ids import new_id
from returns_api.core.messages import Message
from returns_api.orders.repository import OrderRepository
from returns_api.policies.service import policy_version
from returns_api.returns.domain import Return
from returns_api.returns.exceptions import DocumentNotAvailable, ReturnNotFound
from returns_api.returns.parcel_schemas import CarrierWebhookOut, ShipmentRequestIn
from returns_api.returns.parts import Act
from returns_api.returns.return_options import shipment_plan
from returns_api.returns.schemas import ReturnOut
from returns_api.returns.service import save_and_show, visible
from returns_api.returns.shipments import Scan
from returns_api.returns.store import ReturnStore
from returns_api.returns.transitions import change_return
from returns_api.shipping import documents
from returns_api.shipping.carrier import Carrier, LabelLine, Party
from returns_api.shipping.repository import ShipmentRepository

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Document:
    """A document to send: its bytes, or the carrier's address of it (a redirect)."""

    media_type: str
    content: bytes | None = None
    location: str | None = None


async def request_shipment(
    session: AsyncSession,
    caller: Caller,
    return_id: uuid.UUID,
    body: ShipmentRequestIn,
    if_match: str | None,
) -> ReturnOut:
    async def change(ret: Return, act: Act) -> None:
        policy = (await policy_version(session, ret.policy_version)).for_decision(ret.decision)
        order = await OrderRepository(session).get(ret.order_id)
        assert order is not None  # returns reference their order
        plan = shipment_plan(policy, ret.return_method, order["country"])
        ret.request_shipment(act, plan, note=body.note)

    return await change_return(session, caller, return_id, if_match, change)


async def _readable(session: AsyncSession, caller: Caller, return_id: uuid.UUID) -> Return:
    ret = await ReturnStore(session).load(return_id)
    if ret is None or not visible(caller, ret.order_id, ret.id):
        raise ReturnNotFound(Message("return.not_found", return_id=return_id))
    return ret


async def label(
    session: AsyncSession, caller: Caller, return_id: uuid.UUID, shipment_id: uuid.UUID
) -> Document:
    shipment = (await _readable(session, caller, return_id)).shipment(shipment_id)
    if shipment.label_state != "created":
        raise DocumentNotAvailable(f"The label is not available: it is {shipment.label_state}.")
    if shipment.has_label_pdf:
        content = await ShipmentRepository(session).label(shipment_id)
        if content is not None:
            return Document("application/pdf", content=content)
    if shipment.label_url is not None:
        return Document("application/pdf", location=shipment.label_url)
    raise DocumentNotAvailable("The carrier gave no label file for this parcel.")


async def qr_code(
    session: AsyncSession,
    caller: Caller,
    return_id: uuid.UUID,
    shipment_id: uuid.UUID,
    *,
    svg: bool,
) -> Document:
    shipment = (await _readable(session, caller, return_id)).shipment(shipment_id)
    if shipment.label_state == "created" and shipment.qr_payload is not None:
        if svg:
            return Document("image/svg+xml", content=documents.qr_svg(shipment.qr_payload))
        return Document("image/png", content=documents.qr_png(shipment.qr_payload))
    if shipment.label_state == "created" and shipment.qr_url is not None:
        return Document("image/png", location=shipment.qr_url)
    raise DocumentNotAvailable("This parcel has no drop-off code.")


async def packing_slip(session: AsyncSession, caller: Caller, return_id: uuid.UUID) -> Document:
    """The slip to put in the box: the RMA (text and barcode) and the items. Drawn on
    request, from the return as it is."""
    ret = await _readable(session, caller, return_id)
    if ret.approved_at is None or ret.keep_item or not ret.holds_units:
        raise DocumentNotAvailable(
            "A packing slip is for an approved return that sends a parcel back (and was not "
            "called off)."
        )
    order = await OrderRepository(session).get(ret.order_id)
    assert order is not None  # returns reference their order
    destination = next((s.destination for s in reversed(ret.shipments) if s.destination), None)
    slip = documents.PackingSlip(
        rma_number=ret.rma_number,
        order_number=order["order_number"],
        customer_name=order["customer_name"],
        created=ret.created_at,
        return_address=Party(destination["name"], destination["address"]) if destination else None,
        lines=[LabelLine(item.sku, item.title, item.quantity) for item in ret.items],
    )
    # Tens of milliseconds of CPU (fonts): off the event loop, like the carriers' SDKs.
    content = await asyncio.to_thread(documents.packing_slip_pdf, slip)
    return Document("application/pdf", content=content)


async def carrier_webhook(
    session: AsyncSession, carrier: Carrier, body: bytes, headers: Mapping[str, str]
) -> CarrierWebhookOut:
    """Apply each scan to the parcel with its tracking number. Unknown parcels, duplicates,
    out-of-order and late scans are counted as ignored and change nothing: carriers retry
    on anything but 2xx, and a retry must not be refused for what the first one did."""
    scans = carrier.tracking_scans(body, headers)  # InvalidSignature: refused, nothing read
    applied = ignored = 0
    store = ReturnStore(session)
    shipments = ShipmentRepository(session)
    for scan in scans:
        found = await shipments.by_tracking_number(scan.tracking_number)
        if not found:
            ignored += 1
            log.info("carrier_scan_unknown_parcel", carrier=carrier.code)
            continue
        for row in found:
            ret = await store.load(row["return_id"], lock=True)
            assert ret is not None  # shipments are deleted with their return
            act = Act(actor=f"carrier:{carrier.code}", at=utcnow(), new_id=new_id)
            ours = Scan(
                status=scan.status,
                occurred_at=scan.occurred_at,
                tracking_number=scan.tracking_number,
                carrier=scan.carrier,
                description=scan.description,
            )
            if ret.record_scan(act, row["id"], ours):
                await save_and_show(store, ret)
                applied += 1
            else:
                ignored += 1
    return CarrierWebhookOut(applied=applied, ignored=ignored)
