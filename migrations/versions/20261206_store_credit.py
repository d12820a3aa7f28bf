"""store credit: a ledger per customer and currency (store_credit_entries) and the balance
row that serialises concurrent spends (store_credit_balances)

Revision ID: 20261206_store_credit
Revises: 9d1c5116da7d
Create Date: 2026-12-06 04:57:35.021612
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261206_store_credit"
down_revision: str | None = "3277fae87a5a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "store_credit_balances",
        sa.Column("customer_key", sa.String(length=646), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "balance >= 0", name=op.f("ck_store_credit_balances_balance_not_negative")
        ),
        sa.PrimaryKeyConstraint("customer_key", "currency", name=op.f("pk_store_credit_balances")),
    )
    op.create_table(
        "store_credit_entries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_key", sa.String(length=646), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("refund_id", sa.Uuid(), nullable=True),
        sa.Column("external_reference", sa.String(length=128), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(kind = 'credit' AND amount > 0) OR (kind = 'spend' AND amount < 0)",
            name=op.f("ck_store_credit_entries_amount_sign"),
        ),
        sa.CheckConstraint(
            "kind IN ('credit', 'spend')", name=op.f("ck_store_credit_entries_kind")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_store_credit_entries")),
        sa.UniqueConstraint(
            "customer_key",
            "external_reference",
            name=op.f("uq_store_credit_entries_customer_key_external_reference"),
        ),
        sa.UniqueConstraint("refund_id", name=op.f("uq_store_credit_entries_refund_id")),
    )
    with op.batch_alter_table("store_credit_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_store_credit_entries_customer_key_id", ["customer_key", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("store_credit_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_store_credit_entries_customer_key_id")

    op.drop_table("store_credit_entries")
    op.drop_table("store_credit_balances")
