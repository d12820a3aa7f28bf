from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from returns_api.core.db import Base, UTCDateTime


class Variant(Base):
    """A sellable variant as synced by the commerce platform; the id is the platform's own."""

    __tablename__ = "variants"
    # The variants of a product (the portal lists those of the products on an order).
    __table_args__ = (Index("ix_variants_product", "product_id", "id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    sku: Mapped[str | None] = mapped_column(String(128))
    product_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(500))
    # {"size": "M", "colour": "blue"}: shown, never queried inside.
    options: Mapped[dict[str, str]] = mapped_column(JSON)
    # {"EUR": {"unit_price": 2500, "tax": 475}}: one price per currency, read whole.
    prices: Mapped[dict[str, Any]] = mapped_column(JSON)
    available_quantity: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
