"""The one interface every carrier adapter has: buy a return label, void it, and read the
carrier's tracking webhook.

Adapters are synchronous, as the carriers' SDKs are: the label worker runs them off the event
loop (`asyncio.to_thread`). They know nothing of our database: what they need comes in a
`LabelRequest`, what they learnt goes back in a `Label` or `TrackingScan`s.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from returns_api.core.errors import InvalidSignature as InvalidSignature  # re-exported

# `in_transit` and `delivered` as a person records them; `exception`: failed pickup,
# returned to sender, damaged, lost.
ScanStatus = Literal["in_transit", "delivered", "exception"]


@dataclass(frozen=True, slots=True)
class Party:
    """A name at a postal address (`Address` of the order schemas, as a dict; None when the
    order or the policy has none: the built-in label does without, carriers refuse)."""

    name: str
    address: Mapping[str, Any] | None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class LabelLine:
    sku: str | None
    title: str
    quantity: int


@dataclass(frozen=True, slots=True)
class LabelRequest:
    """What a carrier needs to carry one parcel of a return back to the warehouse."""

    shipment_id: uuid.UUID
    rma_number: str
    order_number: str | None
    kind: Literal["prepaid_label", "drop_off_qr"]
    carrier: str | None  # the return method's carrier code, e.g. "usps"
    service: str | None  # a carrier service, when the method names one
    sender: Party  # the customer
    recipient: Party | None  # the warehouse; None when the policy names none
    lines: Sequence[LabelLine] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class Label:
    """A bought label. The label is either its PDF (`label_pdf`) or the carrier's address of
    it (`label_url`); the drop-off code is a payload we draw (`qr_payload`) or the carrier's
    image of it (`qr_url`)."""

    carrier: str
    tracking_number: str
    carrier_shipment_id: str | None = None
    label_pdf: bytes | None = None
    label_url: str | None = None
    qr_payload: str | None = None
    qr_url: str | None = None


@dataclass(frozen=True, slots=True)
class TrackingScan:
    """One carrier scan, as our tracking event."""

    tracking_number: str
    status: ScanStatus
    occurred_at: datetime  # timezone-aware
    description: str | None = None
    carrier: str | None = None


class CarrierError(Exception):
    """The carrier refused or failed. `retryable`: worth another attempt later (timeouts,
    5xx, rate limits); not: the request itself is wrong (bad address, unknown service)."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class Carrier(Protocol):
    """A carrier adapter."""

    code: str  # the name in `/v1/carriers/{carrier}/webhooks`

    def create_return_shipment(self, request: LabelRequest) -> Label:
        """Buy the label (may raise `CarrierError`)."""
        ...

    def void(self, label: Label) -> None:
        """Give the label back, unused (may raise `CarrierError`)."""
        ...

    def tracking_scans(self, body: bytes, headers: Mapping[str, str]) -> list[TrackingScan]:
        """The scans a verified webhook delivery holds (raises `InvalidSignature`); events
        that are not tracking updates give no scans."""
        ...
