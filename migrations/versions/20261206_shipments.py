"""shipments: a return's parcels and their labels; returns.tracking_status (`exception` beside
in_transit and delivered)

Revision ID: 9d1c5116da7d
Revises: c2f9a7d4e1b8
Create Date: 2026-12-06 04:19:54.628270
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9d1c5116da7d"
down_revision: str | None = "c2f9a7d4e1b8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "shipments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("return_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("carrier", sa.String(length=64), nullable=True),
        sa.Column("label_state", sa.String(length=20), nullable=False),
        sa.Column("tracking_number", sa.String(length=64), nullable=True),
        sa.Column("carrier_shipment_id", sa.String(length=128), nullable=True),
        sa.Column("label_url", sa.String(length=2000), nullable=True),
        sa.Column("qr_payload", sa.String(length=2000), nullable=True),
        sa.Column("qr_url", sa.String(length=2000), nullable=True),
        sa.Column("has_label_pdf", sa.Boolean(), nullable=False),
        sa.Column("destination", sa.JSON(), nullable=True),
        sa.Column("tracking_status", sa.String(length=20), nullable=True),
        sa.Column("last_scan_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("carrier_void_due", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("label_created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["return_id"],
            ["returns.id"],
            name=op.f("fk_shipments_return_id_returns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipments")),
    )
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.create_index("ix_shipments_due", ["next_attempt_at"], unique=False)
        batch_op.create_index("ix_shipments_return_id", ["return_id", "position"], unique=False)
        batch_op.create_index("ix_shipments_tracking_number", ["tracking_number"], unique=False)

    op.create_table(
        "shipment_labels",
        sa.Column("shipment_id", sa.Uuid(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["shipment_id"],
            ["shipments.id"],
            name=op.f("fk_shipment_labels_shipment_id_shipments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("shipment_id", name=op.f("pk_shipment_labels")),
    )
    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tracking_status", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.drop_column("tracking_status")

    op.drop_table("shipment_labels")
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.drop_index("ix_shipments_tracking_number")
        batch_op.drop_index("ix_shipments_return_id")
        batch_op.drop_index("ix_shipments_due")

    op.drop_table("shipments")
