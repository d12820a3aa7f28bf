"""How a return shows the statutory right of withdrawal it rests on (statutory/)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field
from typing_extensions import TypeAliasType

from returns_api.policies.rules import Action


class StatutoryOverride(BaseModel):
    from_action: Action
    to_action: Action
    reason: str


RefundHold = TypeAliasType("RefundHold", Literal["goods_not_back_nor_proof_of_sending"])


class WithdrawalTermsOut(BaseModel):
    """The statutory deadlines of a withdrawal (Directive 2011/83/EU, Articles 13 and 14)."""

    refund_due_by: datetime = Field(
        description="Every payment is to be refunded by then: 14 days from the withdrawal."
    )
    refund_hold: RefundHold | None = Field(
        description="Why the refund may wait (Article 13(3)): until the goods are back or the "
        "consumer shows they were sent, whichever is first; a tracking event or the receipt "
        "lifts it. Null when nothing holds it."
    )
    refund_overdue_at: datetime | None = Field(
        description="When it was found unrefunded past `refund_due_by` (`return.refund_overdue`)."
    )
    send_back_by: datetime = Field(
        description="The consumer sends the goods back by then: 14 days from the withdrawal."
    )
    send_back_overdue_at: datetime | None = Field(
        description="When the goods were found not sent back in time; flagged for the "
        "merchant, never expired."
    )
