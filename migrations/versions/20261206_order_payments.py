"""orders: their payments at providers (what refund executors allocate refunds across)

Revision ID: 1baef1371bbe
Revises: 20261206_store_credit
Create Date: 2026-12-06 05:21:35.946610
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "1baef1371bbe"
down_revision: str | None = "20261206_store_credit"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payments", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("payments")
