"""analytics: order lines carry their order's placed_at and currency

Units sold in a period were a join of every order line with the orders placed in it (a
hash join reading the whole order_lines table). With the order's placed_at and currency
copied onto its lines (written with the lines, which an order sync always replaces), the
period is a range of one covering index.

Also: refunds indexed for the analytics reads (first refund per return, totals per
period) without visiting the table.

Revision ID: ba2e1ea952c0
Revises: b0e6878263f6
Create Date: 2026-11-25 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ba2e1ea952c0"
down_revision: str | None = "b0e6878263f6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("placed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("currency", sa.String(length=3), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "UPDATE order_lines SET placed_at = orders.placed_at, currency = orders.currency "
            "FROM orders WHERE orders.id = order_lines.order_id"
        )
    else:
        op.execute(
            "UPDATE order_lines SET "
            "placed_at = (SELECT placed_at FROM orders WHERE orders.id = order_lines.order_id), "
            "currency = (SELECT currency FROM orders WHERE orders.id = order_lines.order_id)"
        )
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.alter_column("placed_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.alter_column("currency", existing_type=sa.String(length=3), nullable=False)
        batch_op.create_index(
            "ix_order_lines_placed_at",
            ["placed_at", "currency", "sku", "product_id", "quantity"],
            unique=False,
        )

    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refunds_return_id"))
        batch_op.drop_index(batch_op.f("ix_refunds_created_at"))
        batch_op.create_index(
            "ix_refunds_return_id_created_at", ["return_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_refunds_created_at_totals",
            ["created_at", "currency", "method", "amount"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.drop_index("ix_refunds_created_at_totals")
        batch_op.drop_index("ix_refunds_return_id_created_at")
        batch_op.create_index(batch_op.f("ix_refunds_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_refunds_return_id"), ["return_id"], unique=False)

    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_order_lines_placed_at")
        batch_op.drop_column("currency")
        batch_op.drop_column("placed_at")
