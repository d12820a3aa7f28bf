"""Every event type, defined once: its name, when it happens and what its `data` holds.

The outbox writer's `EventType`, the OpenAPI enum, the webhook catalog (one documented
`POST` per type) and the envelope models subscribers generate types from are all derived
from `EVENTS`. A new event type is one entry here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, Literal

from pydantic import BaseModel, Field, create_model
from typing_extensions import TypeAliasType

from returns_api.webhooks.payloads import (
    EndpointDisabledData,
    ItemsRestockedData,
    PingData,
    PolicyUpdatedData,
    ReturnEventData,
    WithdrawalReceivedData,
)


@dataclass(frozen=True, slots=True)
class Envelope:
    """The shape a group of event types is delivered in: the envelope's schema name, its
    description and the model of its `data`."""

    name: str
    summary: str
    data: type[BaseModel]


@dataclass(frozen=True, slots=True)
class EventDefinition:
    envelope: Envelope
    when: str  # the webhook catalog's description of the event


RETURN = Envelope(
    "ReturnEvent",
    "A return was created or changed status, or a refund was recorded.",
    ReturnEventData,
)
ITEMS_RESTOCKED = Envelope(
    "ItemsRestockedEvent",
    "An inspection put returned units back on the shelf: add them to stock.",
    ItemsRestockedData,
)
POLICY_UPDATED = Envelope(
    "PolicyUpdatedEvent", "A new version of the return policy was published.", PolicyUpdatedData
)
ENDPOINT_DISABLED = Envelope(
    "EndpointDisabledEvent",
    'A webhook endpoint was disabled; `PATCH` it with `{"enabled": true}` to resume.',
    EndpointDisabledData,
)
WITHDRAWAL_RECEIVED = Envelope(
    "WithdrawalReceivedEvent",
    "A consumer confirmed a withdrawal through the withdrawal function.",
    WithdrawalReceivedData,
)
PING = Envelope(
    "PingEvent",
    "A test event, sent by `POST /v1/webhook-endpoints/{id}/test` to one endpoint only.",
    PingData,
)

EVENTS: Final[dict[str, EventDefinition]] = {
    "return.created": EventDefinition(
        RETURN,
        "A return was requested. `data.object.status` says how the policy judged it at once: "
        "`pending_review`, `approved` or `rejected`.",
    ),
    "return.approved": EventDefinition(
        RETURN,
        "A person approved a return that was waiting for review; the customer can now send "
        "it back (`data.object.instructions`).",
    ),
    "return.rejected": EventDefinition(
        RETURN, "A person rejected a return that was waiting for review."
    ),
    "return.cancelled": EventDefinition(
        RETURN, "The customer or the merchant cancelled a return before it shipped."
    ),
    "return.in_transit": EventDefinition(
        RETURN, "The first carrier event: the parcel is on its way back."
    ),
    "return.received": EventDefinition(
        RETURN,
        "The warehouse recorded what arrived; `data.object.amounts` now counts the accepted units.",
    ),
    "return.refunded": EventDefinition(
        RETURN,
        "A refund was recorded (one event per partial refund); see `data.object.refunds` and "
        "`data.object.amounts`.",
    ),
    "return.completed": EventDefinition(RETURN, "The return was closed."),
    "return.exchange_payment_requested": EventDefinition(
        RETURN,
        "Collect what the exchange costs more: `data.object.exchange_payment.outstanding` by "
        "`due_at`, then report it with `POST /v1/returns/{id}/exchange/payments`. Unpaid by "
        "then, the exchange falls back to the policy's `exchanges.fallback_resolution`.",
    ),
    "return.exchange_payment_expired": EventDefinition(
        RETURN,
        "The exchange was not paid by its deadline: its items now have the policy's fallback "
        "resolution (`data.object.items[].resolution`), are valued again, and their variants "
        "are no longer reserved. Whatever was paid is refunded through the `exchange` method.",
    ),
    "return.exchange_order_requested": EventDefinition(
        RETURN,
        "Create the replacement order: the exchanged units were accepted and what they cost "
        "more, if anything, is paid. `data.object.items[].exchange` names the variants and "
        "their prices, `data.object.exchange_fulfillment.ship_to` the customer and the "
        "address to ship to, and `data.object.refund_breakdown.exchange` the balance. Report "
        "the order with `POST /v1/returns/{id}/exchange/fulfillment`.",
    ),
    "return.exchange_fulfilled": EventDefinition(
        RETURN,
        "The platform reported the replacement order shipped "
        "(`data.object.exchange_fulfillment.tracking_number`).",
    ),
    "return.exchange_hold_capture_requested": EventDefinition(
        RETURN,
        "Charge an instant exchange's hold: its parcel was not in transit by "
        "`data.object.exchange_hold.due_at`, or returned units were refused at inspection. "
        "Charge `exchange_hold.capture_amount`, then report it with "
        "`POST /v1/returns/{id}/exchange/hold`. Sent once.",
    ),
    "return.exchange_hold_release_requested": EventDefinition(
        RETURN,
        "Let go of an instant exchange's hold: every returned unit was accepted. Report it "
        "with `POST /v1/returns/{id}/exchange/hold` (`released`).",
    ),
    "return.items_restocked": EventDefinition(
        ITEMS_RESTOCKED,
        "The warehouse received the parcel and restocks accepted units "
        "(`disposition: restock`): `data.restocked` lists the lines (sku, quantity, "
        "warehouse) to add to stock. Sent with `return.received`, for the same change.",
    ),
    "return.refund_requested": EventDefinition(
        RETURN,
        "A refund is to be carried out (`RETURNS_REFUND_EXECUTOR=platform`): move the money, "
        "then report it with `POST /v1/refunds/{id}/confirm`. The refund is `pending` in "
        "`object.refunds`.",
    ),
    "return.refund_failed": EventDefinition(
        RETURN,
        "A refund failed: its amount is left to refund again (`object.amounts.remaining`).",
    ),
    "return.label_created": EventDefinition(
        RETURN,
        "A parcel's label was bought (by the worker, after approval or "
        "`POST /v1/returns/{id}/shipments`): `object.tracking_number` and `object.shipments` "
        "carry its tracking number and links to the label and drop-off code.",
    ),
    "return.label_failed": EventDefinition(
        RETURN,
        "The carrier refused a label, or failed until the worker gave up: the shipment's "
        "`last_error` says why. Ask for another with `POST /v1/returns/{id}/shipments`.",
    ),
    "return.tracking_exception": EventDefinition(
        RETURN,
        "The carrier reported a problem with the parcel (failed pickup, returned to sender, "
        "damaged, lost): `object.tracking_status` is `exception`. The status does not change.",
    ),
    "return.refund_overdue": EventDefinition(
        RETURN,
        "A statutory withdrawal was not refunded by `data.object.withdrawal.refund_due_by` "
        "(14 days from the withdrawal, Directive 2011/83/EU, Article 13(1)), and nothing holds "
        "the refund any longer (the goods are back or on their way). Sent once.",
    ),
    "return.expired": EventDefinition(
        RETURN, "An approved return was not sent back in time and expired."
    ),
    "withdrawal.received": EventDefinition(
        WITHDRAWAL_RECEIVED,
        "A consumer confirmed a withdrawal (Directive 2011/83/EU, Article 11a). With SMTP "
        "configured the service e-mails the acknowledgement itself; otherwise acknowledge it "
        "on a durable medium without undue delay, with `data.object.statement`, "
        "`received_at` and the PDF at `pdf_url`, in `locale`, to `statement.email`. Its return "
        "(`return_id`, legal basis `statutory_withdrawal`) has its own `return.created`.",
    ),
    "policy.updated": EventDefinition(
        POLICY_UPDATED, "A new version of the return policy was published."
    ),
    "webhook_endpoint.disabled": EventDefinition(
        ENDPOINT_DISABLED,
        "An endpoint was disabled: it answered 410 Gone, or failed continuously for too "
        "long. Sent to the other endpoints subscribed to it.",
    ),
    "ping": EventDefinition(
        PING, "A test event, sent to one endpoint by `POST /v1/webhook-endpoints/{id}/test`."
    ),
}
EVENT_TYPES: Final[tuple[str, ...]] = tuple(EVENTS)

if TYPE_CHECKING:
    # Spelt out by `EVENTS` at run time; the outbox writer checks every type it is given.
    EventType = str
else:
    # A named alias: one enum schema in the OpenAPI document.
    EventType = TypeAliasType("EventType", Literal[EVENT_TYPES])


def _envelope_model(envelope: Envelope) -> type[BaseModel]:
    types = tuple(name for name, event in EVENTS.items() if event.envelope is envelope)
    type_: Any = Literal[types]
    if len(types) > 1:  # a named enum of its own in the document
        type_ = TypeAliasType(f"{envelope.name}Type", type_)  # type: ignore[misc]
    model: type[BaseModel] = create_model(
        envelope.name,
        __doc__=envelope.summary,
        id=(
            uuid.UUID,
            Field(
                description="The event's id, also sent as the `webhook-id` header. The same "
                "on every retry and replay: deduplicate on it."
            ),
        ),
        type=(type_, ...),
        created_at=(datetime, Field(description="When the change happened (UTC).")),
        data=(envelope.data, ...),
    )
    return model


_ENVELOPES: Final[dict[Envelope, type[BaseModel]]] = {
    envelope: _envelope_model(envelope)
    for envelope in dict.fromkeys(event.envelope for event in EVENTS.values())
}


def payload_model(event_type: str) -> type[BaseModel]:
    """The model of the envelope sent for `event_type`."""
    return _ENVELOPES[EVENTS[event_type].envelope]
