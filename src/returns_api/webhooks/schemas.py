from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool
from typing_extensions import TypeAliasType

from returns_api.core.timestamps import Timestamp
from returns_api.webhooks.definitions import EventType

DeliveryStatus = TypeAliasType(
    "DeliveryStatus", Literal["pending", "delivering", "succeeded", "failed"]
)
Subscription = Annotated[str, Field(min_length=1, max_length=64, examples=["return.approved"])]
Url = Annotated[str, Field(min_length=1, max_length=2048, examples=["https://erp.example/hooks"])]


# An event type, or `*` for every type (including ones added later).
EventSubscription = TypeAliasType("EventSubscription", EventType | Literal["*"])


def _everything() -> list[EventSubscription]:
    return ["*"]


class EndpointCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Url
    event_types: list[EventSubscription] = Field(default_factory=_everything, min_length=1)
    description: str | None = Field(default=None, max_length=500)
    enabled: StrictBool = True


class EndpointUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Url | None = None
    event_types: list[EventSubscription] | None = Field(default=None, min_length=1)
    description: str | None = Field(default=None, max_length=500)
    enabled: StrictBool | None = None


class EndpointOut(BaseModel):
    id: uuid.UUID
    url: str
    description: str | None
    event_types: list[EventSubscription]
    enabled: bool
    disabled_reason: str | None
    created_at: datetime
    updated_at: datetime


class EndpointCreated(EndpointOut):
    secret: str = Field(
        description="`whsec_…`: verify signatures with it. Shown once; rotate to get a new one."
    )


class EndpointPage(BaseModel):
    data: list[EndpointOut]
    next_cursor: str | None


class SecretRotated(BaseModel):
    secret: str
    previous_secret_expires_at: datetime = Field(
        description="Until then deliveries are signed with both the old and the new secret."
    )


class PingSent(BaseModel):
    event_id: uuid.UUID


class AttemptOut(BaseModel):
    attempted_at: datetime
    status_code: int | None
    latency_ms: int
    error: str | None


class DeliveryOut(BaseModel):
    id: uuid.UUID
    event_id: uuid.UUID
    event_type: EventType
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime
    attempt_log: list[AttemptOut]


class DeliveryPage(BaseModel):
    data: list[DeliveryOut]
    next_cursor: str | None


class ReplayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    created_after: Timestamp
    created_before: Timestamp | None = None
    event_types: list[Subscription] | None = None


class ReplayOut(BaseModel):
    scheduled: int = Field(description="Deliveries (re)scheduled to this endpoint.")


class EventOut(BaseModel):
    """The envelope subscribers receive: `data.object` is the resource as the API shows it."""

    id: uuid.UUID
    type: EventType
    created_at: datetime
    data: dict[str, Any]


class EventPage(BaseModel):
    data: list[EventOut]
    next_cursor: str | None
