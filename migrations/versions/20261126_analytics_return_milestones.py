"""analytics: milestones on the return row, the order's placed_at on return items

The summary joined every return of the period with an aggregate of its timeline and of its
refunds (when was it approved, received, first refunded; did the policy approve it at
birth), and the units returned of a period's orders were a join of every return item with
the orders. Both now read one covering index:

- `returns` keeps `auto_approved`, `approved_at`, `received_at` and `first_refunded_at`,
  written by the change that makes each milestone; `ix_returns_created_at_status` covers
  them.
- `return_items` keeps its order's `placed_at` and `currency` (`order_placed_at`,
  `order_currency`), written with the item and rewritten by an order sync that changes
  them; `ix_return_items_order_placed_at` covers the period's returned units.

Existing rows are backfilled from the timeline, the refunds and the orders, by the same
rules the reports used to apply (see `analytics.repository`). On a large database the
backfill rewrites every return and return item once, in the migration's transaction.

Revision ID: 6428aa5923b2
Revises: ba2e1ea952c0
Create Date: 2026-11-26 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6428aa5923b2"
down_revision: str | None = "ba2e1ea952c0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The milestones of each return, as the reports read them from the timeline and refunds:
# born approved = its "created" entry went to approved; approved = the first entry that
# took it to approved (at birth or by a person); received = its "received" entry.
_MILESTONES_POSTGRESQL = """
UPDATE returns SET
    auto_approved = coalesce(changes.auto_approved, false),
    approved_at = changes.approved_at,
    received_at = changes.received_at,
    first_refunded_at = first_refund.refunded_at
FROM returns AS r
LEFT JOIN (
    SELECT
        return_id,
        bool_or(kind = 'created' AND to_status = 'approved') AS auto_approved,
        min(created_at) FILTER (
            WHERE kind IN ('created', 'approved') AND to_status = 'approved'
        ) AS approved_at,
        min(created_at) FILTER (WHERE kind = 'received') AS received_at
    FROM return_changes
    WHERE kind IN ('created', 'approved', 'received')
    GROUP BY return_id
) AS changes ON changes.return_id = r.id
LEFT JOIN (
    SELECT return_id, min(created_at) AS refunded_at FROM refunds GROUP BY return_id
) AS first_refund ON first_refund.return_id = r.id
WHERE r.id = returns.id
"""
_MILESTONES_SQLITE = """
UPDATE returns SET
    auto_approved = EXISTS (
        SELECT 1 FROM return_changes AS c
        WHERE c.return_id = returns.id AND c.kind = 'created' AND c.to_status = 'approved'
    ),
    approved_at = (
        SELECT min(c.created_at) FROM return_changes AS c
        WHERE c.return_id = returns.id AND c.kind IN ('created', 'approved')
        AND c.to_status = 'approved'
    ),
    received_at = (
        SELECT min(c.created_at) FROM return_changes AS c
        WHERE c.return_id = returns.id AND c.kind = 'received'
    ),
    first_refunded_at = (
        SELECT min(f.created_at) FROM refunds AS f WHERE f.return_id = returns.id
    )
"""
_ORDER_FACTS_POSTGRESQL = """
UPDATE return_items SET order_placed_at = orders.placed_at, order_currency = orders.currency
FROM orders WHERE orders.id = return_items.order_id
"""
_ORDER_FACTS_SQLITE = """
UPDATE return_items SET
    order_placed_at = (SELECT placed_at FROM orders WHERE orders.id = return_items.order_id),
    order_currency = (SELECT currency FROM orders WHERE orders.id = return_items.order_id)
"""


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.drop_index("ix_returns_created_at_status")
        batch_op.add_column(sa.Column("auto_approved", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("received_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("first_refunded_at", sa.DateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("return_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("order_placed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("order_currency", sa.String(length=3), nullable=True))

    op.execute(_MILESTONES_POSTGRESQL if postgresql else _MILESTONES_SQLITE)
    op.execute(_ORDER_FACTS_POSTGRESQL if postgresql else _ORDER_FACTS_SQLITE)

    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.alter_column("auto_approved", existing_type=sa.Boolean(), nullable=False)
        batch_op.create_index(
            "ix_returns_created_at_status",
            [
                "created_at",
                "status",
                "currency",
                "keep_item",
                "auto_approved",
                "approved_at",
                "received_at",
                "first_refunded_at",
                "id",
            ],
            unique=False,
        )
    with op.batch_alter_table("return_items", schema=None) as batch_op:
        batch_op.alter_column(
            "order_placed_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )
        batch_op.alter_column("order_currency", existing_type=sa.String(length=3), nullable=False)
        batch_op.create_index(
            "ix_return_items_order_placed_at",
            ["order_placed_at", "order_currency", "return_id", "quantity"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("return_items", schema=None) as batch_op:
        batch_op.drop_index("ix_return_items_order_placed_at")
        batch_op.drop_column("order_currency")
        batch_op.drop_column("order_placed_at")

    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.drop_index("ix_returns_created_at_status")
        batch_op.drop_column("first_refunded_at")
        batch_op.drop_column("received_at")
        batch_op.drop_column("approved_at")
        batch_op.drop_column("auto_approved")
        batch_op.create_index(
            "ix_returns_created_at_status",
            ["created_at", "status", "currency", "keep_item", "id"],
            unique=False,
        )
