"""How a return travels back, as the API shows it: the instructions the customer gets, the
parcels (shipments) with their labels, and tracking events."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypeAliasType

from returns_api.core.timestamps import Timestamp
from returns_api.orders.schemas import Address
from returns_api.policies.return_methods import ReturnMethodKind

# Named aliases: each is one enum schema in the OpenAPI document (and in generated clients).
TrackingStatus = TypeAliasType("TrackingStatus", Literal["in_transit", "delivered", "exception"])
LabelState = TypeAliasType("LabelState", Literal["pending", "created", "failed", "voided"])
_Text = Annotated[str, Field(min_length=1, max_length=64)]


class TrackingEventIn(BaseModel):
    """A tracking event a person records. `exception`: failed pickup, returned to sender,
    damaged or lost; it changes no status."""

    model_config = ConfigDict(extra="forbid")

    status: TrackingStatus
    tracking_number: _Text | None = None
    carrier: _Text | None = None
    occurred_at: Timestamp | None = None
    note: Annotated[str, Field(max_length=2000)] | None = None


class ShipmentRequestIn(BaseModel):
    """Another parcel; the whole body may be left out."""

    model_config = ConfigDict(extra="forbid")

    note: Annotated[str, Field(max_length=2000)] | None = None


class ReturnAddressOut(BaseModel):
    """Where the parcel goes: the policy's warehouse for the order's shipping country."""

    code: str
    name: str
    address: Address


class Instructions(BaseModel):
    method: str
    label: str
    text: str
    rma_number: str
    label_url: str | None = None
    keep_item: bool = False
    return_address: ReturnAddressOut | None = Field(
        default=None, description="Where to send the parcel (the policy's warehouse)."
    )


class ShipmentLinks(BaseModel):
    label: str | None = Field(
        description="The label (`application/pdf`), once bought; a 303 to `label_file` when "
        "the carrier keeps the file."
    )
    label_file: str | None = Field(
        description="The carrier's own address of the label file, when the carrier keeps it "
        "(EasyPost does); null when this service holds the PDF (then only `label` serves it). "
        "Shown to whoever may read the return, as `label`'s redirect is. A page under a "
        "strict `connect-src` cannot fetch across that redirect: it links here instead."
    )
    qr_code: str | None = Field(
        description="The drop-off code (`image/png`, or `image/svg+xml` by `Accept`), when "
        "the carrier gives one; a 303 to `qr_code_file` when the carrier keeps the image."
    )
    qr_code_file: str | None = Field(
        default=None,
        description="The carrier's own address of the drop-off code's image, when the carrier "
        "keeps it; null when this service draws the code (then only `qr_code` serves it).",
    )


class ShipmentOut(BaseModel):
    """One parcel of a return, with its label."""

    id: uuid.UUID
    method: str
    kind: ReturnMethodKind
    carrier: str | None
    tracking_number: str | None
    label_state: LabelState = Field(
        description="`pending`: being bought (`attempts`, `last_error` show retries); "
        "`created`; `failed`: given up on; `voided`: the return was called off."
    )
    tracking_status: TrackingStatus | None = Field(
        description="The latest carrier scan of this parcel."
    )
    attempts: int = Field(description="Failed attempts to buy (or give back) the label.")
    last_error: str | None = Field(description="What the carrier said last time it failed.")
    next_attempt_at: datetime | None = Field(description="When the worker tries again.")
    links: ShipmentLinks
    created_at: datetime
    label_created_at: datetime | None
    voided_at: datetime | None


class CarrierWebhookOut(BaseModel):
    """What a carrier's webhook delivery did: scans applied, and scans ignored (unknown
    parcel, duplicate, out of order, or after the return left transit)."""

    applied: int
    ignored: int
