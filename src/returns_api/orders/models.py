from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from returns_api.core.db import Base, UTCDateTime


class Order(Base):
    """An order as synced by the commerce platform; the id is the platform's own."""

    __tablename__ = "orders"
    # Orders placed in a period (analytics: units sold), index-only.
    __table_args__ = (Index("ix_orders_placed_at", "placed_at", "currency", "id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    order_number: Mapped[str] = mapped_column(String(64), unique=True)
    customer_id: Mapped[str | None] = mapped_column(String(64), index=True)
    customer_email: Mapped[str] = mapped_column(String(320))
    customer_name: Mapped[str | None] = mapped_column(String(200))
    # Structured (`orders.schemas.Address`); read whole, never queried inside.
    shipping_address: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # [{provider, reference, amount}]: what refund executors allocate refunds across.
    payments: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    currency: Mapped[str] = mapped_column(String(3))
    country: Mapped[str | None] = mapped_column(String(2))
    # The customer's language (BCP 47). The server default gave orders synced before there
    # was a locale theirs; the service always writes one (`RETURNS_DEFAULT_LOCALE`).
    locale: Mapped[str] = mapped_column(String(35), server_default="en")
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    shipping_paid: Mapped[int] = mapped_column(BigInteger)
    # The statutory right of withdrawal (statutory/): whether the buyer is a consumer, was
    # told of the right (else the period runs 12 months longer), and was told they bear the
    # direct cost of sending goods back (else they do not).
    buyer_is_consumer: Mapped[bool] = mapped_column(Boolean, server_default="1")
    consumer_informed_of_withdrawal: Mapped[bool] = mapped_column(Boolean, server_default="1")
    consumer_bears_return_cost_informed: Mapped[bool] = mapped_column(Boolean, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OrderLine(Base):
    __tablename__ = "order_lines"
    __table_args__ = (
        # A returned item's SKU / product without reading the line (index-only).
        Index("ix_order_lines_analytics", "order_id", "id", "sku", "product_id", "quantity"),
        # Units sold per SKU / product in a period: a range of this index, no join.
        Index("ix_order_lines_placed_at", "placed_at", "currency", "sku", "product_id", "quantity"),
    )

    order_id: Mapped[str] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str | None] = mapped_column(String(128), index=True)
    product_id: Mapped[str | None] = mapped_column(String(64))
    variant_id: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[int] = mapped_column(BigInteger)
    discount: Mapped[int] = mapped_column(BigInteger)
    tax: Mapped[int] = mapped_column(BigInteger)
    tags: Mapped[list[str]] = mapped_column(JSON)
    category: Mapped[str | None] = mapped_column(String(128))
    final_sale: Mapped[bool] = mapped_column(Boolean)
    # Copies of the order's, written with the lines (an order sync replaces them all), so
    # that analytics select a period's lines without joining the orders.
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    currency: Mapped[str] = mapped_column(String(3))
