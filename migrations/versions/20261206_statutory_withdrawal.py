"""statutory withdrawal: orders say whether the buyer is a consumer and what they were told;
returns their legal basis and statutory deadlines; return items a deduction found at
inspection; withdrawals (the withdrawal function)

Orders synced before keep the defaults the API gives a field left out (a consumer, told of
the right, not told they bear the cost of sending back); returns made before rest on the
commercial policy.

Revision ID: 20261206_statutory_withdrawal
Revises: 20261206_return_payments
Create Date: 2026-12-06 18:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261206_statutory_withdrawal"
down_revision: str | None = "20261206_return_payments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("buyer_is_consumer", sa.Boolean(), server_default="1", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "consumer_informed_of_withdrawal",
                sa.Boolean(),
                server_default="1",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column(
                "consumer_bears_return_cost_informed",
                sa.Boolean(),
                server_default="0",
                nullable=False,
            )
        )
    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "legal_basis",
                sa.String(length=32),
                server_default="commercial_policy",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("refund_due_by", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("refund_overdue_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("send_back_overdue_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            batch_op.f("ix_returns_refund_due_by"), ["refund_due_by"], unique=False
        )

    with op.batch_alter_table("return_items", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("deduction", sa.BigInteger(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("deduction_reason", sa.Text(), nullable=True))
    op.create_table(
        "withdrawals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("order_number", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("confirm_token_hash", sa.String(length=64), nullable=False),
        sa.Column("consumer_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("locale", sa.String(length=35), nullable=False),
        sa.Column("whole_order", sa.Boolean(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("withdrawal_deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("return_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_withdrawals_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["return_id"], ["returns.id"], name=op.f("fk_withdrawals_return_id_returns")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_withdrawals")),
    )
    op.create_index(
        "ix_withdrawals_order_id", "withdrawals", ["order_id", "created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_withdrawals_order_id", table_name="withdrawals")
    op.drop_table("withdrawals")
    with op.batch_alter_table("return_items", schema=None) as batch_op:
        batch_op.drop_column("deduction_reason")
        batch_op.drop_column("deduction")
    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_returns_refund_due_by"))
        batch_op.drop_column("send_back_overdue_at")
        batch_op.drop_column("refund_overdue_at")
        batch_op.drop_column("refund_due_by")
        batch_op.drop_column("legal_basis")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("consumer_bears_return_cost_informed")
        batch_op.drop_column("consumer_informed_of_withdrawal")
        batch_op.drop_column("buyer_is_consumer")
