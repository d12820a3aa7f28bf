"""refunds: a lifecycle (pending → succeeded | failed) and who carries each out; returns:
refunds_pending; the analytics index covers the status

Revision ID: 3277fae87a5a
Revises: 9d1c5116da7d
Create Date: 2026-12-06 04:57:46.524672
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3277fae87a5a"
down_revision: str | None = "9d1c5116da7d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status", sa.String(length=20), server_default="succeeded", nullable=False)
        )
        batch_op.add_column(
            sa.Column("executor", sa.String(length=20), server_default="record", nullable=False)
        )
        batch_op.add_column(sa.Column("failure_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_index(batch_op.f("ix_refunds_created_at_totals"))
        batch_op.create_index(
            "ix_refunds_created_at_totals",
            ["created_at", "currency", "method", "status", "amount"],
            unique=False,
        )
        batch_op.create_index("ix_refunds_status_id", ["status", "id"], unique=False)

    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("refunds_pending", sa.BigInteger(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.drop_column("refunds_pending")

    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.drop_index("ix_refunds_status_id")
        batch_op.drop_index("ix_refunds_created_at_totals")
        batch_op.create_index(
            batch_op.f("ix_refunds_created_at_totals"),
            ["created_at", "currency", "method", "amount"],
            unique=False,
        )
        batch_op.drop_column("settled_at")
        batch_op.drop_column("failure_reason")
        batch_op.drop_column("executor")
        batch_op.drop_column("status")
