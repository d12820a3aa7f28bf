"""A return's shipments (its parcels) and their stored labels."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from returns_api.core.db import Base, UTCDateTime


class Shipment(Base):
    """One parcel of a return: its label's state, the carrier's numbers, and the label
    worker's bookkeeping (`attempts`, `next_attempt_at`, the lease)."""

    __tablename__ = "shipments"
    __table_args__ = (
        Index("ix_shipments_return_id", "return_id", "position"),
        # The warehouse scan and the carriers' webhooks find a parcel by its number.
        Index("ix_shipments_tracking_number", "tracking_number"),
        # The label worker's claim: labels to buy, and bought labels to give back.
        Index("ix_shipments_due", "next_attempt_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    return_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("returns.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))
    carrier: Mapped[str | None] = mapped_column(String(64))
    label_state: Mapped[str] = mapped_column(String(20))
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    carrier_shipment_id: Mapped[str | None] = mapped_column(String(128))
    label_url: Mapped[str | None] = mapped_column(String(2000))
    qr_payload: Mapped[str | None] = mapped_column(String(2000))
    qr_url: Mapped[str | None] = mapped_column(String(2000))
    has_label_pdf: Mapped[bool] = mapped_column(Boolean, default=False)
    # The warehouse the parcel goes to, as it was when the shipment was asked for.
    destination: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    tracking_status: Mapped[str | None] = mapped_column(String(20))
    last_scan_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    # A bought label we voided, which the carrier has yet to be told of (a refund of it).
    carrier_void_due: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    label_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ShipmentLabel(Base):
    """A label's PDF, when the carrier gave us the file (the built-in one does). Apart from
    the shipment, so loading a return never reads it."""

    __tablename__ = "shipment_labels"

    shipment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("shipments.id", ondelete="CASCADE"), primary_key=True
    )
    content: Mapped[bytes] = mapped_column(LargeBinary)
