"""refunds: the payment each is carried out against, and the refund worker's bookkeeping

Revision ID: 0af7d6f144fe
Revises: 1baef1371bbe
Create Date: 2026-12-06 05:24:04.326682
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0af7d6f144fe"
down_revision: str | None = "1baef1371bbe"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payment_reference", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_error", sa.Text(), nullable=True))
        batch_op.create_index("ix_refunds_next_attempt_at", ["next_attempt_at"], unique=False)
        batch_op.create_index("ix_refunds_payment_reference", ["payment_reference"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.drop_index("ix_refunds_payment_reference")
        batch_op.drop_index("ix_refunds_next_attempt_at")
        batch_op.drop_column("last_error")
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("attempts")
        batch_op.drop_column("payment_reference")
