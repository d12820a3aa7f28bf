"""returns: the payment of what an exchange costs more (paid so far, deadline)

Every return made before this revision has paid nothing and owes nothing.

Revision ID: a4d8e2f6c1b7
Revises: f3b7c9d2a614
Create Date: 2026-12-06 02:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a4d8e2f6c1b7"
down_revision: str | None = "f3b7c9d2a614"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("exchange_paid", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("exchange_payment_due_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_index("ix_returns_exchange_payment_due_at", ["exchange_payment_due_at"])
    # Every writer names the column (rows are built from the table): no default remains.
    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.alter_column("exchange_paid", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.drop_index("ix_returns_exchange_payment_due_at")
        batch_op.drop_column("exchange_payment_due_at")
        batch_op.drop_column("exchange_paid")
