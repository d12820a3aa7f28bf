"""returns: the replacement order of an exchange (requested, created, shipped)

All NULL until a return's exchanged units are accepted (every return made before this
revision among them).

Revision ID: e1a8f3c6b920
Revises: c7d2e9a1f5b4
Create Date: 2026-12-05 23:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e1a8f3c6b920"
down_revision: str | None = "c7d2e9a1f5b4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = (
    ("exchange_order_requested_at", sa.DateTime(timezone=True)),
    ("exchange_ship_to", sa.JSON()),
    ("exchange_order_id", sa.String(length=64)),
    ("exchange_tracking_number", sa.String(length=128)),
    ("exchange_carrier", sa.String(length=64)),
    ("exchange_fulfilled_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    with op.batch_alter_table("returns", schema=None) as batch_op:
        for name, type_ in _COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("returns", schema=None) as batch_op:
        for name, _ in reversed(_COLUMNS):
            batch_op.drop_column(name)
