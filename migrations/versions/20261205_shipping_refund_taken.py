"""returns: the order's shipping each return's breakdown refunds

The order's other returns are valued against it, so that the merchant-fault shipping refund
is paid once per order. Backfilled from the stored breakdowns.

Revision ID: f3b7c9d2a614
Revises: e1a8f3c6b920
Create Date: 2026-12-06 00:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f3b7c9d2a614"
down_revision: str | None = "e1a8f3c6b920"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BACKFILL = {
    "postgresql": "UPDATE returns SET shipping_refund_taken = "
    "coalesce((refund_breakdown::json ->> 'shipping_refund')::bigint, 0)",
    "sqlite": "UPDATE returns SET shipping_refund_taken = "
    "coalesce(json_extract(refund_breakdown, '$.shipping_refund'), 0)",
}


def upgrade() -> None:
    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("shipping_refund_taken", sa.BigInteger(), nullable=False, server_default="0")
        )
    op.execute(_BACKFILL[op.get_bind().dialect.name])
    # Every writer names the column (rows are built from the table): no default remains.
    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.alter_column("shipping_refund_taken", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.drop_column("shipping_refund_taken")
