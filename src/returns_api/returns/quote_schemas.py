"""What a quote answers: per line whether and until when it can be returned, the fees, the
estimated refund and the decision the policy would take. Nothing is written."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from returns_api.policies.document import ExchangeTerms
from returns_api.policies.resolutions import Resolution
from returns_api.returns.schemas import Decision, RefundBreakdownOut


class QuoteLine(BaseModel):
    line_item_id: str
    requested_quantity: int
    returnable_quantity: int
    return_deadline: datetime | None
    eligible: bool
    problems: list[str] = Field(description="Why the line cannot be returned as asked.")
    allowed_resolutions: list[Resolution]
    return_methods: list[str]


class FeesOut(BaseModel):
    restocking_fee_bps: int
    return_shipping_fee: int
    store_credit_bonus_bps: int


class QuoteOut(BaseModel):
    """What the storefront shows before the customer commits. Nothing is written."""

    order_id: str
    currency: str
    eligible: bool
    lines: list[QuoteLine]
    fees: FeesOut
    estimated_refund: RefundBreakdownOut | None
    decision: Decision | None = Field(
        description="What the policy would decide; null when the request is not eligible. "
        "`merchant` for an API key, `customer` for a portal token (as on a return)."
    )
    exchange_terms: ExchangeTerms | None = Field(
        default=None,
        description="The exchange terms this return would get: the policy's `exchanges` as "
        "the deciding rules set them (instant allowed, bonus, same product only, deadlines); "
        "null when the request is not eligible.",
    )
