"""The built-in carrier, the default: no carrier account, no network, nothing bought. It
draws the label itself, for parcels the merchant has carried under its own arrangements.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from returns_api.shipping.carrier import InvalidSignature, Label, LabelRequest, TrackingScan
from returns_api.shipping.documents import label_pdf


class BuiltInCarrier:
    """A `Carrier` that buys nothing: the label is ours, so voiding it costs nothing and no
    tracking webhook will ever come."""

    code = "builtin"

    def create_return_shipment(self, request: LabelRequest) -> Label:
        """The label of the shipment. Everything in it follows from the request, so a retry
        of the same shipment gets the same tracking number."""
        tracking_number = tracking_number_for(request.shipment_id)
        return Label(
            carrier=request.carrier or self.code,
            tracking_number=tracking_number,
            label_pdf=label_pdf(
                request, tracking_number=tracking_number, qr_payload=request.rma_number
            ),
            qr_payload=request.rma_number,
        )

    def void(self, label: Label) -> None:
        """Nothing to give back: nothing was bought."""

    def tracking_scans(self, body: bytes, headers: Mapping[str, str]) -> list[TrackingScan]:
        """Refused: the built-in carrier has no webhook, so any delivery claiming to be one is
        not genuine."""
        raise InvalidSignature("the built-in carrier sends no webhooks")


def tracking_number_for(shipment_id: uuid.UUID) -> str:
    """The letters RT and the shipment id in hex: unique as the id is, the same on a retry.

    All of the id, not a prefix: ids are UUIDv7 made by a counter within a millisecond, so the
    ids of shipments created in the same millisecond share their first 16 hex digits."""
    return "RT" + shipment_id.hex.upper()
