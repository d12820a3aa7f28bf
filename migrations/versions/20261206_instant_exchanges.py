"""returns: instant exchanges and their hold (value at risk, deadline, outcome)

Every return made before this revision is not an instant exchange and has no hold.

Revision ID: b7e3c9a1d5f2
Revises: a4d8e2f6c1b7
Create Date: 2026-12-06 03:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b7e3c9a1d5f2"
down_revision: str | None = "a4d8e2f6c1b7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_HOLD = (
    ("exchange_hold_amount", sa.BigInteger()),
    ("exchange_hold_due_at", sa.DateTime(timezone=True)),
    ("exchange_hold_status", sa.String(length=32)),
    ("exchange_hold_capture_amount", sa.BigInteger()),
    ("exchange_hold_captured", sa.BigInteger()),
    ("exchange_hold_reference", sa.String(length=128)),
)


def upgrade() -> None:
    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("instant_exchange", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        for name, type_ in _HOLD:
            batch_op.add_column(sa.Column(name, type_, nullable=True))
        batch_op.create_index(
            "ix_returns_exchange_hold_due", ["exchange_hold_status", "exchange_hold_due_at"]
        )
    # Every writer names the column (rows are built from the table): no default remains.
    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.alter_column("instant_exchange", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.drop_index("ix_returns_exchange_hold_due")
        for name, _ in reversed(_HOLD):
            batch_op.drop_column(name)
        batch_op.drop_column("instant_exchange")
