"""returns: an index on the tracking number (the warehouse scan finds a return by it)

Revision ID: c2f9a7d4e1b8
Revises: b7e3c9a1d5f2
Create Date: 2026-12-06 03:10:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c2f9a7d4e1b8"
down_revision: str | None = "b7e3c9a1d5f2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_returns_tracking_number", "returns", ["tracking_number"])


def downgrade() -> None:
    op.drop_index("ix_returns_tracking_number", table_name="returns")
