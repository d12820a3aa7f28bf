"""A withdrawal statement's content and how it is shown: pure, no I/O.

The words follow the model withdrawal form (Directive 2011/83/EU, Annex I(B)); the record
as JSON is what the acknowledgement, the PDF and a dispute all read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from returns_api.withdrawals.schemas import StatementOut, WithdrawalOut, WithdrawnItem


def statement_text(
    consumer_name: str, order_number: str, items: Sequence[Mapping[str, Any]]
) -> str:
    goods = "; ".join(f"{item['quantity']} x {item['title']}" for item in items)
    return (
        f"I, {consumer_name}, hereby give notice that I withdraw from my contract of sale of "
        f"the following goods, order {order_number}: {goods}."
    )


def withdrawal_out(row: Mapping[str, Any]) -> WithdrawalOut:
    """A stored statement as the API shows it."""
    items = list(row["items"])
    confirmed = row["status"] == "confirmed"
    return WithdrawalOut(
        id=row["id"],
        status=row["status"],
        order_id=row["order_id"],
        locale=row["locale"],
        statement=StatementOut(
            text=statement_text(row["consumer_name"], row["order_number"], items),
            consumer_name=row["consumer_name"],
            email=row["email"],
            order_number=row["order_number"],
            whole_order=row["whole_order"],
            items=[WithdrawnItem.model_validate(item) for item in items],
            submitted_at=row["created_at"],
        ),
        withdrawal_deadline=row["withdrawal_deadline"],
        received_at=row["received_at"],
        return_id=row["return_id"],
        expires_at=None if confirmed else row["expires_at"],
        pdf_url=f"/v1/withdrawals/{row['id']}/pdf",
    )
