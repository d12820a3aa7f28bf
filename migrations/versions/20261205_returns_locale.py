"""returns: the customer's language for each return (`locale`, a BCP 47 tag)

A return takes its order's `locale` when it is made, unless the customer chooses another.
Returns made before have none: the column's server default gives them `en` in the
statement that adds it (and stays, for rows written by hand: demo data, benchmarks); then
those whose order has another locale (synced between this migration and the orders' one)
take their order's. That update reads every return once and writes only those rows.

Revision ID: 7534fd3bae73
Revises: 063405949f8f
Create Date: 2026-12-05 18:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7534fd3bae73"
down_revision: str | None = "063405949f8f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ORDER_LOCALE = "(SELECT orders.locale FROM orders WHERE orders.id = returns.order_id)"


def upgrade() -> None:
    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("locale", sa.String(length=35), server_default="en", nullable=False)
        )
    op.execute(f"UPDATE returns SET locale = {_ORDER_LOCALE} WHERE locale <> {_ORDER_LOCALE}")


def downgrade() -> None:
    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.drop_column("locale")
