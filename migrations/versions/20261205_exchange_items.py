"""return_items: the variant an exchanged item is swapped for, priced at the return's making

All four stay NULL for items that are not exchanged for a catalog variant (every item made
before this revision among them).

Revision ID: c7d2e9a1f5b4
Revises: 9e4f1a6c2b83
Create Date: 2026-12-05 23:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c7d2e9a1f5b4"
down_revision: str | None = "9e4f1a6c2b83"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("return_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("exchange_variant_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("exchange_unit_price", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("exchange_tax", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("exchange_like_for_like", sa.Boolean(), nullable=True))
        batch_op.create_index(
            "ix_return_items_exchange_variant", ["exchange_variant_id", "return_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("return_items", schema=None) as batch_op:
        batch_op.drop_index("ix_return_items_exchange_variant")
        batch_op.drop_column("exchange_like_for_like")
        batch_op.drop_column("exchange_tax")
        batch_op.drop_column("exchange_unit_price")
        batch_op.drop_column("exchange_variant_id")
