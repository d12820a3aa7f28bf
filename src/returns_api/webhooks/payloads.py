"""What subscribers receive in an event's `data`, as typed models.

The dispatcher sends the stored event (``events.envelope``) as it is; these models describe
that JSON for the OpenAPI document's ``webhooks`` section (``definitions`` wraps each in its
envelope), so consumers can generate types for the payloads they verify and parse. A test
checks real events against them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from returns_api.returns.schemas import ReturnOut
from returns_api.returns.status import ReturnStatus
from returns_api.withdrawals.schemas import WithdrawalOut


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


class RestockedLine(BaseModel):
    item_id: uuid.UUID
    line_item_id: str
    sku: str | None
    quantity: int = Field(description="Units accepted with disposition `restock`.")
    warehouse: str | None = Field(description="Where they were received, when it was said.")


class ItemsRestockedData(ReturnEventData):
    restocked: list[RestockedLine] = Field(
        description="What to add back to stock: the accepted units the inspection restocks."
    )


class PolicyVersionRef(BaseModel):
    version: int = Field(examples=[4])
    created_by: str = Field(examples=["back-office"])
    created_at: datetime


class PolicyUpdatedData(BaseModel):
    object: PolicyVersionRef = Field(
        description="The new version; read it with `GET /v1/policy/versions/{version}`."
    )


class DisabledEndpointRef(BaseModel):
    id: uuid.UUID
    reason: str = Field(
        description="Why it was disabled (a 410 Gone, or failing continuously).",
        examples=["the receiver answered 410 Gone"],
    )


class EndpointDisabledData(BaseModel):
    object: DisabledEndpointRef


class PingMessage(BaseModel):
    message: Literal["ping"]


class PingData(BaseModel):
    endpoint_id: uuid.UUID = Field(description="The endpoint the ping was sent to.")
    object: PingMessage


class WithdrawalReceivedData(BaseModel):
    object: WithdrawalOut = Field(
        description="The confirmed withdrawal as `GET /v1/withdrawals/{id}` shows it: the "
        "statement's content, `received_at`, the order's `locale` and the consumer's e-mail, "
        "everything the acknowledgement on a durable medium needs (its PDF: `pdf_url`)."
    )
