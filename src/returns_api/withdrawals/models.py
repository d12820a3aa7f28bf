from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from returns_api.core.db import Base, UTCDateTime


class Withdrawal(Base):
    """A withdrawal statement: made `pending`, then `confirmed` once, and never changed after.

    The id is random (uuid4, not time-ordered) and the confirmation needs a token of its own,
    kept only as its SHA-256: an id seen in an access log or a webhook cannot confirm.
    """

    __tablename__ = "withdrawals"
    __table_args__ = (Index("ix_withdrawals_order_id", "order_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"))
    order_number: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # pending | confirmed
    confirm_token_hash: Mapped[str] = mapped_column(String(64))
    consumer_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    locale: Mapped[str] = mapped_column(String(35))
    whole_order: Mapped[bool] = mapped_column(Boolean)
    # [{line_item_id, sku, title, quantity, unsealed}]: what the consumer withdraws from.
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # Until when the right covered these items when the statement was made (None: the goods
    # were not marked delivered, so the period had not started).
    withdrawal_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set once, by the confirmation: the moment of receipt is the server's, never the client's.
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    return_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("returns.id"))
