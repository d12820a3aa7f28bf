"""return items: what each one's breakdown takes of its line

A line's rounding residue went to the return that held "the last unit" by position among
the live returns; after a release, two returns could both be given it and the line was
paid back more than it cost. Each item now keeps what its return's current breakdown takes
of the line (`units_taken`, `discount_taken`, `tax_taken`), and new valuations of the line
are made against what its live returns have taken (DESIGN §5).

Existing items are backfilled from their return's stored breakdown (an item the breakdown
leaves out takes nothing), in the migration's transaction.

Revision ID: 3d9c41f0a7e2
Revises: 6428aa5923b2
Create Date: 2026-12-05 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3d9c41f0a7e2"
down_revision: str | None = "6428aa5923b2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = {"units_taken": "quantity", "discount_taken": "discount", "tax_taken": "tax"}

_BACKFILL_POSTGRESQL = """
UPDATE return_items SET
    units_taken = (line->>'quantity')::integer,
    discount_taken = (line->>'discount')::bigint,
    tax_taken = (line->>'tax')::bigint
FROM returns, json_array_elements(returns.refund_breakdown::json -> 'items') AS line
WHERE returns.id = return_items.return_id AND line->>'item_id' = return_items.id::text
"""
# SQLite keeps UUIDs as 32 hex digits; the breakdown names items in their dashed form.
_BACKFILL_SQLITE = "UPDATE return_items SET " + ", ".join(
    f"""{column} = coalesce((
        SELECT json_extract(line.value, '$.{field}')
        FROM returns, json_each(returns.refund_breakdown, '$.items') AS line
        WHERE returns.id = return_items.return_id
        AND replace(json_extract(line.value, '$.item_id'), '-', '') = return_items.id
    ), 0)"""
    for column, field in _COLUMNS.items()
)


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("return_items", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("units_taken", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("discount_taken", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("tax_taken", sa.BigInteger(), nullable=False, server_default="0")
        )
    op.execute(_BACKFILL_POSTGRESQL if postgresql else _BACKFILL_SQLITE)
    # Every writer names the columns (rows are built from the table): no default remains.
    with op.batch_alter_table("return_items", schema=None) as batch_op:
        for column in _COLUMNS:
            batch_op.alter_column(column, server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("return_items", schema=None) as batch_op:
        for column in reversed(_COLUMNS):
            batch_op.drop_column(column)
