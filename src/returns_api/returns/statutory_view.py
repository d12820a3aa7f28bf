"""A statutory withdrawal's deadlines as a return shows them (Directive 2011/83/EU,
Articles 13(1), 13(3) and 14(1)). Pure: reads the aggregate, no clock."""

from __future__ import annotations

from typing import Any

from returns_api.returns.domain import Return
from returns_api.statutory import eu

# A tracking event is the consumer's evidence of having sent the goods back (Article 13(3)).
_SENT: frozenset[str | None] = frozenset({"in_transit", "delivered", "exception"})


def withdrawal_terms(ret: Return) -> dict[str, Any] | None:
    if ret.legal_basis != "statutory_withdrawal" or ret.refund_due_by is None:
        return None
    back_or_sent = ret.keep_item or ret.received_at is not None or ret.tracking_status in _SENT
    refunded = ret.refundable_amount > 0 and ret.refunded_amount >= ret.refundable_amount
    return {
        "refund_due_by": ret.refund_due_by,
        "refund_hold": None if back_or_sent or refunded else "goods_not_back_nor_proof_of_sending",
        "refund_overdue_at": ret.refund_overdue_at,
        "send_back_by": send_back_by(ret),
        "send_back_overdue_at": ret.send_back_overdue_at,
    }


def send_back_by(ret: Return) -> Any:
    """The consumer sends the goods back within 14 days of withdrawing (Article 14(1))."""
    return eu.days_after(ret.created_at, eu.SEND_BACK_DAYS)
