from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationInfo,
    field_validator,
)
from typing_extensions import TypeAliasType

from returns_api.core.ids import not_found_unless_uuid
from returns_api.core.locale import Locale
from returns_api.orders.schemas import ExternalId, Quantity
from returns_api.policies.resolutions import Resolution
from returns_api.policies.rules import Action
from returns_api.returns.exceptions import ReturnNotFound
from returns_api.returns.exchange_schemas import (
    ExchangeBalanceOut,
    ExchangeFulfillmentOut,
    ExchangeHoldOut,
    ExchangeItemOut,
    ExchangePaymentOut,
)
from returns_api.returns.parcel_schemas import Instructions, ShipmentOut, TrackingStatus
from returns_api.returns.receive_schemas import ConditionGrade as ConditionGrade
from returns_api.returns.receive_schemas import Disposition as Disposition
from returns_api.returns.receive_schemas import ReceiveBody as ReceiveBody
from returns_api.returns.receive_schemas import ReceivedItemIn as ReceivedItemIn
from returns_api.returns.refund_math import ItemBreakdown
from returns_api.returns.refund_schemas import RefundMethod, RefundOut
from returns_api.returns.status import ReturnStatus
from returns_api.returns.statutory_schemas import StatutoryOverride, WithdrawalTermsOut
from returns_api.statutory.terms import LegalBasis

# Named aliases: each is one enum schema in the OpenAPI document (and in generated clients).
ReceptionStatus = TypeAliasType(
    "ReceptionStatus",
    Literal["awaiting", "in_transit", "received", "partially_received", "missing", "wrong_item"],
)
AcceptanceStatus = TypeAliasType(
    "AcceptanceStatus", Literal["pending", "accepted", "rejected", "needs_review"]
)
RefundBasis = TypeAliasType("RefundBasis", Literal["requested", "accepted"])
Code = Annotated[str, Field(min_length=1, max_length=64, examples=["size_fit"])]
# A return's id in a path: one that is no UUID is a return that does not exist.
ReturnId = Annotated[uuid.UUID, not_found_unless_uuid(ReturnNotFound, "Return {} does not exist.")]
Note = Annotated[str, Field(max_length=2000)]

METHOD_OF_RESOLUTION: dict[str, RefundMethod] = {
    "refund": "original_payment",
    "store_credit": "store_credit",
    "exchange": "exchange",
}


class _Body(BaseModel):
    # Unknown fields are refused: a customer cannot slip in `status` or `refund_amount`.
    model_config = ConfigDict(extra="forbid")


class ReturnItemIn(_Body):
    line_item_id: ExternalId
    quantity: Quantity
    reason: Code
    comment: Note | None = None
    resolution: Resolution = "refund"
    unsealed: StrictBool | None = Field(
        default=None,
        description="The goods were unsealed after delivery. Asked, never assumed: sealed "
        "hygiene goods and sealed recordings or software fall under an exception to the "
        "statutory right of withdrawal only once unsealed (Directive 2011/83/EU, Article "
        "16(e) and (i)).",
    )
    exchange_variant_id: ExternalId | None = Field(
        default=None,
        validate_default=True,
        description="With resolution `exchange` (and only then): the catalog variant the "
        "units are exchanged for, as many units. Its price comes from the catalog, in the "
        "order's currency; a variant of another product only when the policy's "
        "`exchanges.any_product` allows it.",
    )

    @field_validator("exchange_variant_id")
    @classmethod
    def _a_variant_with_exchanges_only(
        cls, variant_id: str | None, info: ValidationInfo
    ) -> str | None:
        resolution = info.data.get("resolution")
        if resolution == "exchange" and variant_id is None:
            raise ValueError("an exchange names the variant it is exchanged for")
        if resolution not in (None, "exchange") and variant_id is not None:
            raise ValueError("only an item resolved as `exchange` names a variant")
        return variant_id


class ReturnRequest(_Body):
    """A candidate return: what `POST /v1/returns` creates and `/quote` prices."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "order_id": "ord_1001",
                    "items": [
                        {
                            "line_item_id": "li_1",
                            "quantity": 1,
                            "reason": "size_fit",
                            "resolution": "refund",
                        }
                    ],
                    "return_method": "mail",
                }
            ]
        },
    )

    order_id: ExternalId
    items: list[ReturnItemIn] = Field(min_length=1, max_length=100)
    return_method: Code = "mail"
    locale: Locale | None = Field(
        default=None,
        description="The customer's language for this return, a BCP 47 tag (`fr-FR`), when "
        "it is not the order's. Left out, a portal token's `Accept-Language` decides (its "
        "preferred well-formed tag), and otherwise the order's `locale`.",
    )
    instant_exchange: StrictBool = Field(
        default=False,
        description="Ship the exchanged items' replacements at approval, before the old ones "
        "are back, against a hold on the customer's card (policy `exchanges.instant`).",
    )


class NoteBody(_Body):
    """An optional note on a status change; the whole body may be left out."""

    note: Note | None = None


class ApproveBody(_Body):
    """How to approve; the whole body may be left out (a plain approval)."""

    note: Note | None = None
    keep_item: StrictBool = Field(
        default=False, description="Refund without the parcel (items not worth shipping)."
    )
    label_url: Annotated[str, Field(max_length=2000, pattern=r"^https?://")] | None = Field(
        default=None, description="A prepaid return label for the customer."
    )


class RefundIn(_Body):
    amount: Annotated[int, Field(strict=True, ge=1, le=10**12)] | None = Field(
        default=None, description="Minor units; defaults to what is left to refund."
    )
    method: RefundMethod | None = Field(
        default=None, description="Defaults to the method of the return's items."
    )
    external_reference: Annotated[str, Field(min_length=1, max_length=128)] | None = None
    note: Note | None = None


class Reception(BaseModel):
    status: ReceptionStatus
    received_quantity: int


class Acceptance(BaseModel):
    status: AcceptanceStatus
    accepted_quantity: int


class ReturnItemOut(BaseModel):
    id: uuid.UUID
    line_item_id: str
    sku: str | None
    title: str
    quantity: int
    unit_price: int
    reason: str
    reason_is_merchant_fault: bool
    comment: str | None
    resolution: Resolution
    reception: Reception
    acceptance: Acceptance
    condition: ConditionGrade | None
    disposition: Disposition | None
    deduction: int = Field(default=0, description="Taken off at inspection, with its reason.")
    deduction_reason: str | None = None
    exchange: ExchangeItemOut | None = Field(
        default=None, description="The variant the item is exchanged for (`exchange` only)."
    )


# The domain's breakdown line under its API name: a field added to ItemBreakdown shows up
# here (and in the OpenAPI document) by itself. No docstring: it would become a description.
class ItemRefundLine(ItemBreakdown):
    __slots__ = ()


class RefundBreakdownOut(BaseModel):
    """DESIGN §5, line by line. `basis` says whether it counts requested or accepted units."""

    basis: RefundBasis
    currency: str
    items: list[ItemRefundLine]
    subtotal: int
    return_shipping_fee: int
    shipping_refund: int
    total: int
    by_method: dict[RefundMethod, int]
    exchange: ExchangeBalanceOut | None = Field(
        default=None, description="When items are exchanged for catalog variants: the balance."
    )


class MatchedRule(BaseModel):
    id: str
    name: str


class DecisionOut(BaseModel):
    """The policy's decision as the merchant sees it: the rule that decided, the trace of
    every rule checked and the facts they were checked on (`audience: merchant`)."""

    audience: Literal["merchant"]
    action: Action
    message: str = Field(description="What the customer is told (their decision's message).")
    policy_version: int
    matched_rule: MatchedRule | None
    deciding_item: str | None
    trace: list[dict[str, Any]] = Field(
        description="Per item, every rule checked in order: matched (`held`: each condition "
        "with the expected and the actual value), or the first condition that failed "
        "(`failed`, likewise)."
    )
    facts: dict[str, Any] = Field(description="The facts the decision was taken on.")
    legal_basis: LegalBasis = Field(
        default="commercial_policy",
        description="`statutory_withdrawal` when the statutory right of withdrawal covers every "
        "item (docs/withdrawal.md), else `commercial_policy`.",
    )
    statutory_override: StatutoryOverride | None = Field(
        default=None,
        description="Set when a rule would have rejected a statutory withdrawal: it went to "
        "review instead, and why.",
    )


class CustomerDecision(BaseModel):
    """The policy's decision as a customer (a portal token) sees it: the action and a message
    to show, never the merchant's rules, thresholds or the facts they were checked on
    (`audience: customer`)."""

    audience: Literal["customer"]
    action: Action
    message: str = Field(description="What to tell the customer, in plain words.")


# Who sees what is decided by the credential: an API key gets `DecisionOut`, a portal token
# `CustomerDecision`. One field whose two shapes share `audience`, `action` and `message`, so
# a client reads those without narrowing and narrows on `audience` for the trace.
Decision = Annotated[DecisionOut | CustomerDecision, Field(discriminator="audience")]


class TimelineEntry(BaseModel):
    at: datetime
    actor: str
    kind: str
    from_status: ReturnStatus | None
    to_status: ReturnStatus | None
    note: str | None
    data: dict[str, Any] | None


class Money(BaseModel):
    refundable: int = Field(
        description="What is paid back: the refund breakdown's total, except that an exchange "
        "for catalog variants pays back only its `refund_due` (and what was paid for it and is "
        "no longer owed)."
    )
    refunded: int = Field(description="Sum of the refunds carried out (succeeded).")
    pending: int = Field(default=0, description="Sum of the refunds being carried out.")
    remaining: int = Field(description="What can still be refunded.")


class ReturnOut(BaseModel):
    id: uuid.UUID
    rma_number: str
    order_id: str
    customer_id: str | None
    status: ReturnStatus
    currency: str
    locale: str = Field(
        description="The customer's language for this return (BCP 47): the order's, unless "
        "the customer chose another when requesting it. Whatever speaks to the customer about "
        "the return speaks it.",
        examples=["de-DE"],
    )
    return_method: str
    keep_item: bool
    instructions: Instructions | None
    tracking_number: str | None = Field(
        default=None, description="The latest parcel's tracking number (label or scan)."
    )
    carrier: str | None = Field(default=None, description="The carrier of the latest parcel.")
    tracking_status: TrackingStatus | None = Field(
        default=None, description="The latest tracking event's kind."
    )
    shipments: list[ShipmentOut] = Field(
        default_factory=list, description="Its parcels, each with its label, oldest first."
    )
    items: list[ReturnItemOut]
    decision: Decision = Field(
        description="What the policy decided when the return was requested: `merchant` for an "
        "API key (with the rule, trace and facts), `customer` for a portal token (the action "
        "and a message only)."
    )
    refund_breakdown: RefundBreakdownOut
    exchange_fulfillment: ExchangeFulfillmentOut | None = Field(
        default=None,
        description="The replacement order, once requested: when the exchanged units are "
        "accepted and nothing is owed for them.",
    )
    instant_exchange: bool = Field(
        default=False, description="Its replacements ship at approval (`exchange_hold`)."
    )
    exchange_hold: ExchangeHoldOut | None = Field(default=None, description="Once placed.")
    exchange_payment: ExchangePaymentOut | None = Field(
        default=None,
        description="When the exchange costs more than the returned items' credit: what is "
        "owed, paid, and by when.",
    )
    legal_basis: LegalBasis = Field(
        default="commercial_policy",
        description="What the customer's right rests on: the statutory right of withdrawal or "
        "the commercial policy (docs/withdrawal.md).",
    )
    withdrawal: WithdrawalTermsOut | None = Field(
        default=None,
        description="A statutory withdrawal's deadlines: when the refund is due, why it may "
        "be held, and whether it or the goods are overdue. Null under the commercial policy.",
    )
    amounts: Money
    refunds: list[RefundOut]
    timeline: list[TimelineEntry]
    version: int
    created_by: str
    created_at: datetime
    updated_at: datetime


class ReturnSummary(BaseModel):
    id: uuid.UUID
    rma_number: str
    order_id: str
    customer_id: str | None
    status: ReturnStatus
    currency: str
    keep_item: bool
    items: list[ReturnItemOut]
    amounts: Money
    version: int
    created_at: datetime
    updated_at: datetime


class ReturnPage(BaseModel):
    data: list[ReturnSummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null at end.")
