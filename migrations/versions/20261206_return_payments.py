"""return_payments: money paid in for a return (exchange differences, hold captures),
backfilled from the timeline entries that recorded them until now

Revision ID: 20261206_return_payments
Revises: 0af7d6f144fe
Create Date: 2026-12-06 07:33:39.442346
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261206_return_payments"
down_revision: str | None = "0af7d6f144fe"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "return_payments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("return_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=True),
        sa.Column("reference", sa.String(length=128), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["return_id"],
            ["returns.id"],
            name=op.f("fk_return_payments_return_id_returns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_payments")),
    )
    with op.batch_alter_table("return_payments", schema=None) as batch_op:
        batch_op.create_index("ix_return_payments_reference", ["reference"], unique=False)
        batch_op.create_index("ix_return_payments_return_id", ["return_id", "id"], unique=False)

    _backfill()


# The timeline entries that recorded payments before they had rows of their own.
_KINDS = {"exchange_paid": "exchange_difference", "exchange_hold_captured": "hold_capture"}


def _backfill() -> None:
    """One payment per recorded entry, keyed by the entry's id (so it sorts where it
    happened), in the return's currency; a hold released without a charge is none."""
    changes = sa.table(
        "return_changes",
        sa.column("id", sa.Uuid()),
        sa.column("return_id", sa.Uuid()),
        sa.column("kind", sa.String()),
        sa.column("data", sa.JSON()),
        sa.column("note", sa.Text()),
        sa.column("actor", sa.String()),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    returns = sa.table("returns", sa.column("id", sa.Uuid()), sa.column("currency", sa.String()))
    payments = sa.table(
        "return_payments",
        sa.column("id", sa.Uuid()),
        sa.column("return_id", sa.Uuid()),
        *(sa.column(name) for name in ("kind", "provider", "reference", "amount", "currency")),
        *(sa.column(name) for name in ("note", "actor")),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    bind = op.get_bind()
    found = bind.execute(
        sa.select(changes, returns.c.currency)
        .join(returns, returns.c.id == changes.c.return_id)
        .where(changes.c.kind.in_(list(_KINDS)))
    )
    rows = []
    for entry in found.mappings():
        data = entry["data"] or {}
        if not data.get("amount"):
            continue
        rows.append(
            {
                "id": entry["id"],
                "return_id": entry["return_id"],
                "kind": _KINDS[entry["kind"]],
                "provider": data.get("provider"),
                "reference": data.get("external_reference"),
                "amount": int(data["amount"]),
                "currency": entry["currency"],
                "note": entry["note"],
                "actor": entry["actor"],
                "created_at": entry["created_at"],
            }
        )
    if rows:
        bind.execute(sa.insert(payments), rows)


def downgrade() -> None:
    with op.batch_alter_table("return_payments", schema=None) as batch_op:
        batch_op.drop_index("ix_return_payments_return_id")
        batch_op.drop_index("ix_return_payments_reference")

    op.drop_table("return_payments")
