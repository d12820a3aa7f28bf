"""How a return shows its exchanges (the variant each exchanged item is swapped for, the
balance of credit against new value, the payment of the difference, the replacement order)
and what the platform reports about them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypeAliasType

from returns_api.orders.schemas import Address, ExternalId

Note = Annotated[str, Field(max_length=2000)]
Provider = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")]


class ExchangeItemOut(BaseModel):
    """What an exchanged item is swapped for, priced when the return was made."""

    variant_id: str
    unit_price: int = Field(description="The catalog's price of one unit, tax excluded.")
    tax: int = Field(description="The catalog's tax on one unit.")
    like_for_like: bool = Field(
        description="Same product at the same list price as the returned line: the new units "
        "are valued at what was paid for the returned ones."
    )


class ExchangeBalanceOut(BaseModel):
    """The exchanged items' credit against the new items' value (`returns.exchange_math`)."""

    credit: int = Field(description="The `exchange` bucket of this breakdown plus the bonus.")
    bonus: int = Field(description="The policy's exchange bonus (part of `credit`).")
    new_value: int = Field(description="What the new items are worth.")
    amount_due: int = Field(description="What the customer owes: the new items cost more.")
    refund_due: int = Field(description="What the customer is owed: the credit is worth more.")


class ShipTo(BaseModel):
    name: str | None
    address: Address | None = Field(
        description="As on the order (`shipping_address`) when the replacement was requested."
    )


class ExchangeFulfillmentOut(BaseModel):
    """The replacement order of an exchange: requested of the platform, created, shipped."""

    requested_at: datetime
    ship_to: ShipTo | None
    order_id: str | None = Field(description="The platform's replacement order, once created.")
    tracking_number: str | None
    carrier: str | None
    fulfilled_at: datetime | None = Field(description="When the platform reported it shipped.")


class ExchangePaymentOut(BaseModel):
    """The difference an exchange costs more: asked for at approval, due by `due_at`."""

    amount_due: int = Field(description="What the exchange costs more (the balance).")
    paid: int = Field(description="What the platform reported collected.")
    outstanding: int = Field(description="What is still to be paid.")
    due_at: datetime | None = Field(
        description="Unpaid by then, the exchange falls back to the policy's "
        "`exchanges.fallback_resolution`; none once paid (or fallen back)."
    )


class ExchangeFulfillmentIn(BaseModel):
    """The platform created the replacement order, and later shipped it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"order_id": "ord_2002", "tracking_number": "1Z999AA10123456784", "carrier": "ups"}
            ]
        },
    )

    order_id: ExternalId = Field(description="The replacement order's id on the platform.")
    tracking_number: Annotated[str, Field(min_length=1, max_length=128)] | None = Field(
        default=None, description="Once it ships: `return.exchange_fulfilled` is emitted."
    )
    carrier: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    note: Note | None = None


class ExchangePaymentIn(BaseModel):
    """The platform collected (part of) what the exchange costs more."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"amount": 1142, "external_reference": "ch_3PxT2a"}]},
    )

    amount: Annotated[int, Field(strict=True, ge=1, le=10**12)] = Field(
        description="Minor units of the return's currency; at most what is outstanding."
    )
    external_reference: Annotated[str, Field(min_length=1, max_length=128)] = Field(
        description="The payment's id at the payment provider: sending it again is the same "
        "payment (nothing changes), with another amount a 409."
    )
    provider: Provider | None = Field(
        default=None,
        examples=["stripe"],
        description="The provider's code, as on the order's `payments`. With `stripe` and the "
        "Stripe refund executor, what is paid back of it is refunded against this payment.",
    )
    note: Note | None = None


HoldOutcome = TypeAliasType("HoldOutcome", Literal["captured", "released"])
HoldStatus = TypeAliasType(
    "HoldStatus",
    Literal["held", "capture_requested", "release_requested", "captured", "released"],
)


class ExchangeHoldOut(BaseModel):
    """An instant exchange's hold on the customer's card: the new items went out before the
    returned ones came back."""

    amount: int = Field(description="The value at risk: what the returned items' credit pays.")
    due_at: datetime = Field(description="When the parcel must be in transit.")
    status: HoldStatus = Field(
        description="`held` until the parcel is in; `capture_requested` when it is late or "
        "items are refused at inspection (`capture_amount`); `release_requested` when every "
        "unit is accepted; then `captured` or `released` as the platform reports."
    )
    capture_amount: int | None = Field(description="What to charge, once asked.")
    captured: int | None = Field(description="What the platform reported charged.")
    external_reference: str | None


class ExchangeHoldIn(BaseModel):
    """What the platform did with an instant exchange's hold."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"outcome": "captured", "amount": 1952, "external_reference": "pi_3Q"}]
        },
    )

    outcome: HoldOutcome
    amount: Annotated[int, Field(strict=True, ge=0, le=10**12)] | None = Field(
        default=None, description="`captured` only: what was charged (default: as asked)."
    )
    external_reference: Annotated[str, Field(min_length=1, max_length=128)] | None = None
    provider: Provider | None = Field(
        default=None, examples=["stripe"], description="`captured` only: who charged it."
    )
    note: Note | None = None
