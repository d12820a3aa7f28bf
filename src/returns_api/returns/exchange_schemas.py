"""How a return shows its exchanges: the variant each exchanged item is swapped for, the
balance of credit against new value, and the replacement order."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from returns_api.orders.schemas import Address


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
