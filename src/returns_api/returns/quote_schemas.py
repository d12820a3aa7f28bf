"""What a quote answers: per line whether and until when it can be returned, the fees, the
estimated refund and the decision the policy would take. Nothing is written."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from returns_api.policies.document import ExchangeTerms
from returns_api.policies.resolutions import Resolution
from returns_api.policies.return_methods import ReturnMethodKind, ShippingPayer
from returns_api.returns.parcel_schemas import ReturnAddressOut
from returns_api.returns.schemas import Decision, RefundBreakdownOut
from returns_api.statutory.terms import LegalBasis


class QuoteLine(BaseModel):
    line_item_id: str
    requested_quantity: int
    returnable_quantity: int
    return_deadline: datetime | None
    eligible: bool
    problems: list[str] = Field(
        description="Why the line cannot be returned as asked, in the quote's `locale` (the "
        "same reasons as `createReturn`'s `errors[].type`, said for a person)."
    )
    reason: str = Field(description="The reason code asked for, as sent.")
    reason_name: str | None = Field(
        description="The reason's name in the quote's language (its `labels` negotiated, else "
        "its `label`); null for a code the policy does not know."
    )
    allowed_resolutions: list[Resolution]
    return_methods: list[str]
    legal_basis: LegalBasis = Field(
        default="commercial_policy",
        description="`statutory_withdrawal` when the statutory right of withdrawal covers the "
        "line now (its `return_deadline` is then the later of the policy's and the right's).",
    )
    withdrawal_deadline: datetime | None = Field(
        default=None,
        description="Until when the statutory right covers the line; null when it does not, "
        "or when the goods are not marked delivered yet (the period has not started).",
    )


class FeesOut(BaseModel):
    restocking_fee_bps: int
    return_shipping_fee: int = Field(
        description="The return-shipping fee of the requested `return_method`: its own `fee` "
        "when the policy sets one, else the policy's `return_shipping_fee` (before the "
        "merchant-fault waiver; `estimated_refund` shows what is charged)."
    )
    store_credit_bonus_bps: int


class ReturnOption(BaseModel):
    """One of the policy's return methods, with what a return by it would be charged."""

    code: str
    label: str
    kind: ReturnMethodKind
    carrier: str | None
    paid_by: ShippingPayer
    fee: int = Field(
        description="The return-shipping fee this return would be charged by this method, "
        "minor units: the method's `fee`, else the policy's `return_shipping_fee`; 0 when "
        "any item is the merchant's fault. Never more than the items are worth."
    )


class QuoteOut(BaseModel):
    """What the storefront shows before the customer commits. Nothing is written."""

    order_id: str
    currency: str
    locale: str = Field(
        description="The language of the quote's texts (also `Content-Language`): one the "
        "service has texts in (`en`, `de`, `fr`, `nl`, `ru`), negotiated from `locale` (query, "
        "then body), `Accept-Language`, the order's `locale`, then `RETURNS_DEFAULT_LOCALE`.",
        examples=["de"],
    )
    eligible: bool
    legal_basis: LegalBasis = Field(
        default="commercial_policy",
        description="What the return would rest on: `statutory_withdrawal` when the statutory "
        "right covers every line, else `commercial_policy`.",
    )
    lines: list[QuoteLine]
    fees: FeesOut
    return_options: list[ReturnOption] = Field(
        description="Every return method this return may use, with its fee (the same codes "
        "as `lines[].return_methods`, which stays)."
    )
    return_address: ReturnAddressOut | None = Field(
        default=None,
        description="The warehouse the parcel goes to, chosen by the order's `country`; null "
        "when the policy names no warehouses.",
    )
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
