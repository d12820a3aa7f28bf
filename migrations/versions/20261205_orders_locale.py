"""orders: the customer's language (`locale`, a BCP 47 tag)

Orders synced from now on carry the `locale` the platform sends, or the service's default
(`RETURNS_DEFAULT_LOCALE`). Orders synced before have none to go by: the column's server
default gives them `en` (the setting's own default), in the same statement that adds it,
and stays, so that rows written by hand (demo data, benchmarks) still get one.

Revision ID: 063405949f8f
Revises: 3d9c41f0a7e2
Create Date: 2026-12-05 18:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "063405949f8f"
down_revision: str | None = "3d9c41f0a7e2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("locale", sa.String(length=35), server_default="en", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("locale")
