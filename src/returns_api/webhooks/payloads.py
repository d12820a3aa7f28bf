"""What subscribers receive: the event envelope of each event type, as typed models.

The dispatcher sends the stored event (``events.envelope``) as it is; these models describe
that JSON for the OpenAPI document's ``webhooks`` section, so consumers can generate types
for the payloads they verify and parse. A test checks real events against them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field
from typing_extensions import TypeAliasType

from returns_api.returns.schemas import ReturnOut
from returns_api.returns.status import ReturnStatus

ReturnEventType = TypeAliasType(
    "ReturnEventType",
    Literal[
        "return.created",
        "return.approved",
        "return.rejected",
        "return.cancelled",
        "return.in_transit",
        "return.received",
        "return.refunded",
        "return.completed",
        "return.expired",
    ],
)

_EVENT_ID = Field(
    description="The event's id, also sent as the `webhook-id` header. The same on every "
    "retry and replay: deduplicate on it."
)
_CREATED_AT = Field(description="When the change happened (UTC).")


class ReturnEventData(BaseModel):
    object: ReturnOut = Field(
        description="The return exactly as `GET /v1/returns/{id}` shows it to an API key: its "
        "`decision` is always the merchant's (`audience: merchant`), with the trace and facts."
    )
    previous_status: ReturnStatus | None = Field(
        description="The status it came from; null for `return.created`."
    )
    sequence: int = Field(
        description="Per return, only grows (it is the return's version). Delivery order "
        "across returns is not guaranteed: ignore an event whose sequence is lower than one "
        "you already processed for that return.",
        examples=[2],
    )


class ReturnEvent(BaseModel):
    """A return was created or changed status, or a refund was recorded."""

    id: uuid.UUID = _EVENT_ID
    type: ReturnEventType
    created_at: datetime = _CREATED_AT
    data: ReturnEventData


class PolicyVersionRef(BaseModel):
    version: int = Field(examples=[4])
    created_by: str = Field(examples=["back-office"])
    created_at: datetime


class PolicyUpdatedData(BaseModel):
    object: PolicyVersionRef = Field(
        description="The new version; read it with `GET /v1/policy/versions/{version}`."
    )


class PolicyUpdatedEvent(BaseModel):
    """A new version of the return policy was published."""

    id: uuid.UUID = _EVENT_ID
    type: Literal["policy.updated"]
    created_at: datetime = _CREATED_AT
    data: PolicyUpdatedData


class DisabledEndpointRef(BaseModel):
    id: uuid.UUID
    reason: str = Field(
        description="Why it was disabled (a 410 Gone, or failing continuously).",
        examples=["the receiver answered 410 Gone"],
    )


class EndpointDisabledData(BaseModel):
    object: DisabledEndpointRef


class EndpointDisabledEvent(BaseModel):
    """A webhook endpoint was disabled; `PATCH` it with `{"enabled": true}` to resume."""

    id: uuid.UUID = _EVENT_ID
    type: Literal["webhook_endpoint.disabled"]
    created_at: datetime = _CREATED_AT
    data: EndpointDisabledData


class PingMessage(BaseModel):
    message: Literal["ping"]


class PingData(BaseModel):
    endpoint_id: uuid.UUID = Field(description="The endpoint the ping was sent to.")
    object: PingMessage


class PingEvent(BaseModel):
    """A test event, sent by `POST /v1/webhook-endpoints/{id}/test` to one endpoint only."""

    id: uuid.UUID = _EVENT_ID
    type: Literal["ping"]
    created_at: datetime = _CREATED_AT
    data: PingData


WebhookPayload = ReturnEvent | PolicyUpdatedEvent | EndpointDisabledEvent | PingEvent


def payload_model(event_type: str) -> type[WebhookPayload]:
    """The model of the envelope sent for `event_type`."""
    if event_type.startswith("return."):
        return ReturnEvent
    models: dict[str, type[WebhookPayload]] = {
        "policy.updated": PolicyUpdatedEvent,
        "webhook_endpoint.disabled": EndpointDisabledEvent,
        "ping": PingEvent,
    }
    return models[event_type]
