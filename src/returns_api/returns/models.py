from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from returns_api.core.db import Base, UTCDateTime


class Return(Base):
    """A return (RMA). `version` is the optimistic-concurrency counter behind ETag/If-Match."""

    __tablename__ = "returns"
    __table_args__ = (
        Index("ix_returns_status_id", "status", "id"),
        Index("ix_returns_customer_id_id", "customer_id", "id"),
        Index("ix_returns_order_id_id", "order_id", "id"),
        Index("ix_returns_exchange_payment_due_at", "exchange_payment_due_at"),
        # The warehouse scan: a parcel's tracking number opens its return.
        Index("ix_returns_tracking_number", "tracking_number"),
        Index("ix_returns_exchange_hold_due", "exchange_hold_status", "exchange_hold_due_at"),
        # Covers the analytics aggregates over a period, milestones included (index-only:
        # the rows themselves are wide with JSON); leads with created_at, so it also serves
        # plain date ranges.
        Index(
            "ix_returns_created_at_status",
            "created_at",
            "status",
            "currency",
            "keep_item",
            "auto_approved",
            "approved_at",
            "received_at",
            "first_refunded_at",
            "id",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    rma_number: Mapped[str] = mapped_column(String(16), unique=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"))
    customer_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    # The customer's language for this return (BCP 47): the order's unless the customer chose
    # another. The server default gave returns made before there was a locale theirs.
    locale: Mapped[str] = mapped_column(String(35), server_default="en")
    return_method: Mapped[str] = mapped_column(String(32))
    keep_item: Mapped[bool] = mapped_column(Boolean)
    instructions: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    decision: Mapped[dict[str, Any]] = mapped_column(JSON)
    policy_version: Mapped[int] = mapped_column(Integer)
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    carrier: Mapped[str | None] = mapped_column(String(64))
    # The latest tracking event's kind: in_transit, delivered or exception.
    tracking_status: Mapped[str | None] = mapped_column(String(20))
    # The refund breakdown (refund_math) of the requested units, then of the accepted ones
    # once inspected: stored so that reading a return needs no recomputation.
    refund_breakdown: Mapped[dict[str, Any]] = mapped_column(JSON)
    refundable_amount: Mapped[int] = mapped_column(BigInteger)
    # Refunds pending and succeeded: what is no longer left to refund.
    refunded_amount: Mapped[int] = mapped_column(BigInteger)
    # Of which still pending (being carried out).
    refunds_pending: Mapped[int] = mapped_column(BigInteger, server_default="0")
    # The order's shipping this return's breakdown refunds: the order's other returns are
    # valued against it, so the shipping is refunded once (DESIGN §5).
    shipping_refund_taken: Mapped[int] = mapped_column(BigInteger)
    version: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(320))
    # The replacement order of an exchange: requested of the platform (with who and where to
    # ship it, copied from the order then), created by it, shipped.
    exchange_order_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    exchange_ship_to: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    exchange_order_id: Mapped[str | None] = mapped_column(String(64))
    exchange_tracking_number: Mapped[str | None] = mapped_column(String(128))
    exchange_carrier: Mapped[str | None] = mapped_column(String(64))
    exchange_fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The difference an exchange costs more: what the platform reported paid, and the
    # deadline while some is outstanding (the payment sweep reads it).
    exchange_paid: Mapped[int] = mapped_column(BigInteger)
    exchange_payment_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # An instant exchange ships before the parcel is back, against a hold on the customer's
    # card: its value at risk, the parcel's deadline, and what became of it (`instant`).
    instant_exchange: Mapped[bool] = mapped_column(Boolean)
    exchange_hold_amount: Mapped[int | None] = mapped_column(BigInteger)
    exchange_hold_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    exchange_hold_status: Mapped[str | None] = mapped_column(String(32))
    exchange_hold_capture_amount: Mapped[int | None] = mapped_column(BigInteger)
    exchange_hold_captured: Mapped[int | None] = mapped_column(BigInteger)
    exchange_hold_reference: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The milestones of the timeline and of the refunds, kept on the row by the change that
    # makes them (the same moment as its timeline entry or refund), so that analytics read
    # a period's returns alone: born approved by the policy; first approved (at birth, or
    # by a person); received; first refunded.
    auto_approved: Mapped[bool] = mapped_column(Boolean)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # statutory_withdrawal | commercial_policy (statutory/): what the customer's right rests
    # on. A statutory withdrawal is to be refunded by `refund_due_by` (the refund worker's
    # sweep flags it once overdue) and its goods sent back within 14 days (flagged, never
    # expired, when they are not).
    legal_basis: Mapped[str] = mapped_column(String(32), server_default="commercial_policy")
    refund_due_by: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    refund_overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    send_back_overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ReturnItem(Base):
    """One returned order line: a reception track and an acceptance track, kept apart."""

    __tablename__ = "return_items"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    return_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("returns.id", ondelete="CASCADE"), index=True
    )
    order_id: Mapped[str] = mapped_column(String(64))
    line_item_id: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer)
    # What was paid for the line when the return was made: later order re-syncs never
    # change the money of an existing return.
    sku: Mapped[str | None] = mapped_column(String(128))
    title: Mapped[str] = mapped_column(String(500))
    line_quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[int] = mapped_column(BigInteger)
    line_discount: Mapped[int] = mapped_column(BigInteger)
    line_tax: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(64), index=True)
    merchant_fault: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str | None] = mapped_column(Text)
    resolution: Mapped[str] = mapped_column(String(16))
    reception_status: Mapped[str] = mapped_column(String(20))
    received_quantity: Mapped[int] = mapped_column(Integer)
    acceptance_status: Mapped[str] = mapped_column(String(20))
    accepted_quantity: Mapped[int] = mapped_column(Integer)
    condition: Mapped[str | None] = mapped_column(String(16))
    disposition: Mapped[str | None] = mapped_column(String(16))
    # Diminished value found at inspection and taken off the refund, with why (statutory/).
    deduction: Mapped[int] = mapped_column(BigInteger, server_default="0")
    deduction_reason: Mapped[str | None] = mapped_column(Text)
    # Copies of the order's placed_at and currency (written with the item; an order sync
    # that changes them rewrites them), so that analytics select the returned units of a
    # period's orders without joining the orders.
    order_placed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    order_currency: Mapped[str] = mapped_column(String(3))
    # What the return's current breakdown takes of the line: units valued and their discount
    # and tax shares (DESIGN §5). Summed over the line's live returns, it is what a new
    # valuation of the line leaves room for.
    units_taken: Mapped[int] = mapped_column(Integer)
    discount_taken: Mapped[int] = mapped_column(BigInteger)
    tax_taken: Mapped[int] = mapped_column(BigInteger)
    # An exchange: the catalog variant the units are swapped for, priced when the return
    # was made (later catalog syncs never change the money of an existing return).
    exchange_variant_id: Mapped[str | None] = mapped_column(String(64))
    exchange_unit_price: Mapped[int | None] = mapped_column(BigInteger)
    exchange_tax: Mapped[int | None] = mapped_column(BigInteger)
    exchange_like_for_like: Mapped[bool | None] = mapped_column(Boolean)

    __table_args__ = (
        Index("ix_return_items_order_id_line_item_id", "order_id", "line_item_id"),
        # The units of a variant that open exchanges reserve (stock checks).
        Index("ix_return_items_exchange_variant", "exchange_variant_id", "return_id"),
        # Units returned of the orders placed in a period: a range of this index, no join.
        Index(
            "ix_return_items_order_placed_at",
            "order_placed_at",
            "order_currency",
            "return_id",
            "quantity",
        ),
    )


class ReturnChange(Base):
    """The timeline: every change to a return, who made it, when, from which status to which."""

    __tablename__ = "return_changes"
    __table_args__ = (
        # A return's timeline, and (index-only) when it was approved / received: analytics.
        Index("ix_return_changes_return_id_kind", "return_id", "kind", "to_status", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    return_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("returns.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(320))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Refund(Base):
    __tablename__ = "refunds"
    __table_args__ = (
        # A return's refunds; and (index-only) its first refund: analytics.
        Index("ix_refunds_return_id_created_at", "return_id", "created_at"),
        # Refund totals of a period (analytics, succeeded only), index-only.
        Index(
            "ix_refunds_created_at_totals", "created_at", "currency", "method", "status", "amount"
        ),
        # Reconciliation: the refunds in a status, newest first.
        Index("ix_refunds_status_id", "status", "id"),
        # The refund worker's claim: refunds to send, or to look up again.
        Index("ix_refunds_next_attempt_at", "next_attempt_at"),
        # What a payment has refunded already (allocation across an order's payments).
        Index("ix_refunds_payment_reference", "payment_reference"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    return_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("returns.id", ondelete="CASCADE"))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    method: Mapped[str] = mapped_column(String(20))
    external_reference: Mapped[str | None] = mapped_column(String(128))
    note: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # pending → succeeded | failed; rows from before the lifecycle were all carried out.
    status: Mapped[str] = mapped_column(String(20), server_default="succeeded")
    executor: Mapped[str] = mapped_column(String(20), server_default="record")
    failure_reason: Mapped[str | None] = mapped_column(Text)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    payment_reference: Mapped[str | None] = mapped_column(String(255))
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class ReturnPayment(Base):
    """Money the customer paid in for a return: what an exchange costs more, or what was
    charged of an instant exchange's hold. With the return's refunds (money out) it is
    every money movement of the return (`GET /v1/returns/{id}/money-movements`). Written
    once, in the change that records it, and never changed."""

    __tablename__ = "return_payments"
    __table_args__ = (
        Index("ix_return_payments_return_id", "return_id", "id"),
        # What a payment at a provider has refunded is keyed by its reference (allocation).
        Index("ix_return_payments_reference", "reference"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    return_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("returns.id", ondelete="CASCADE"))
    # exchange_difference | hold_capture
    kind: Mapped[str] = mapped_column(String(30))
    provider: Mapped[str | None] = mapped_column(String(32))
    reference: Mapped[str | None] = mapped_column(String(128))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    note: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
