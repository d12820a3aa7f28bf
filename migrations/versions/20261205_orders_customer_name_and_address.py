"""orders: the customer's name and the shipping address

Both optional: orders synced before have neither until the platform sends them again.
Exchanges (the replacement order) and return labels need them.

Revision ID: 5b2e8c41d7a9
Revises: 7534fd3bae73
Create Date: 2026-12-05 23:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5b2e8c41d7a9"
down_revision: str | None = "7534fd3bae73"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("customer_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("shipping_address", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("shipping_address")
        batch_op.drop_column("customer_name")
