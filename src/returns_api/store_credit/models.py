from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from returns_api.core.db import Base, UTCDateTime
from returns_api.store_credit.keys import EMAIL_PREFIX, MAX_ADDRESS_LOWERED

# A customer id is at most 64 characters; `email:` and a lower-cased address can be longer.
CUSTOMER_KEY_LENGTH = len(EMAIL_PREFIX) + MAX_ADDRESS_LOWERED


class StoreCreditEntry(Base):
    """One movement of a customer's store credit: a credit (positive) or a spend (negative).

    The ledger is append-only. `refund_id` has no foreign key on purpose: the customer's money
    outlives whatever happens to a return's rows, and the refund code credits inside its own
    transaction, before or after flushing the refund. NULLs are distinct in both databases'
    unique constraints, so the two uniques bind only entries that carry the value.
    """

    __tablename__ = "store_credit_entries"
    __table_args__ = (
        CheckConstraint("kind IN ('credit', 'spend')", name="kind"),
        CheckConstraint(
            "(kind = 'credit' AND amount > 0) OR (kind = 'spend' AND amount < 0)",
            name="amount_sign",
        ),
        # A refund credits once.
        UniqueConstraint("refund_id"),
        # The platform's spend reference makes a spend idempotent, per customer.
        UniqueConstraint("customer_key", "external_reference"),
        # A customer's ledger, newest first (ids are time-ordered).
        Index("ix_store_credit_entries_customer_key_id", "customer_key", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    customer_key: Mapped[str] = mapped_column(String(CUSTOMER_KEY_LENGTH))
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(10))
    refund_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    external_reference: Mapped[str | None] = mapped_column(String(128))
    note: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StoreCreditBalance(Base):
    """What a customer holds in one currency: the sum of the ledger, kept as one row.

    Every change is one guarded UPDATE of this row, so concurrent spends queue on its lock
    (SQLite: on the database's write lock) and none can take the balance below zero.
    """

    __tablename__ = "store_credit_balances"
    __table_args__ = (
        PrimaryKeyConstraint("customer_key", "currency"),
        CheckConstraint("balance >= 0", name="balance_not_negative"),
    )

    customer_key: Mapped[str] = mapped_column(String(CUSTOMER_KEY_LENGTH))
    currency: Mapped[str] = mapped_column(String(3))
    balance: Mapped[int] = mapped_column(BigInteger)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
