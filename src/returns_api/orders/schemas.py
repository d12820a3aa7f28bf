from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationInfo,
    field_validator,
    model_validator,
)

from returns_api.core.locale import Locale
from returns_api.core.money import MAX_AMOUNT, Currency, MinorUnits
from returns_api.core.timestamps import Timestamp

ExternalId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:\-]+$")]
Email = Annotated[
    str,
    # Whitespace spelled out: `\s` means different sets in the server's regex engine (Unicode,
    # e.g. U+0085) and in JSON Schema's ECMAScript one, so clients would disagree with us.
    Field(
        min_length=3,
        max_length=320,
        pattern=r"^[^@ \t\n\r\f\v]+@[^@ \t\n\r\f\v]+$",
        examples=["a@b.com"],
    ),
]
Quantity = Annotated[int, Field(strict=True, ge=1, le=100_000)]


class Customer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: ExternalId | None = None
    email: Email
    name: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="As the customer gave it; a replacement order and a label are sent to it.",
        examples=["Ada Lovelace"],
    )


class Address(BaseModel):
    """A postal address, structured so that carriers and the platform need not parse it."""

    model_config = ConfigDict(extra="forbid")

    lines: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        min_length=1,
        max_length=3,
        description="Street, number, building: what precedes the city, one entry a line.",
        examples=[["Hauptstraße 5", "3. OG"]],
    )
    city: str = Field(min_length=1, max_length=100, examples=["Berlin"])
    postal_code: str | None = Field(default=None, min_length=1, max_length=20, examples=["10115"])
    region: str | None = Field(
        default=None, min_length=1, max_length=100, description="State, province or county."
    )
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2.", examples=["DE"])


class PaymentIn(BaseModel):
    """A payment of the order at a provider; refunds carried out by that provider's executor
    are allocated across the order's payments."""

    model_config = ConfigDict(extra="forbid")

    provider: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")] = Field(
        examples=["stripe"], description="The provider's code, as the executor names it."
    )
    reference: str = Field(
        min_length=1,
        max_length=255,
        examples=["pi_3QbX9a2eZvKYlo2C1x0y"],
        description="The payment's id at the provider (Stripe: the PaymentIntent).",
    )
    amount: MinorUnits = Field(description="What was paid, in the order's currency.")


class LineItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: ExternalId
    sku: str | None = Field(default=None, max_length=128)
    product_id: ExternalId | None = None
    variant_id: ExternalId | None = None
    title: str = Field(min_length=1, max_length=500)
    quantity: Quantity
    unit_price: MinorUnits = Field(
        description=f"Price of one unit; times `quantity` at most {MAX_AMOUNT:,} (an amount)."
    )
    discount: MinorUnits = Field(default=0, description="Total discount on the whole line.")
    tax: MinorUnits = Field(default=0, description="Total tax on the whole line.")
    tags: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default_factory=list, max_length=50
    )
    category: str | None = Field(default=None, max_length=128)
    final_sale: StrictBool = False

    @field_validator("unit_price")
    @classmethod
    def _line_value_is_an_amount(cls, unit_price: int, info: ValidationInfo) -> int:
        quantity = info.data.get("quantity")
        if quantity is not None and unit_price * quantity > MAX_AMOUNT:
            raise ValueError(f"unit_price x quantity must be at most {MAX_AMOUNT}")
        return unit_price

    @property
    def paid(self) -> int:
        """What the customer paid for the whole line."""
        return self.unit_price * self.quantity - self.discount + self.tax

    @model_validator(mode="after")
    def _discount_within_line_value(self) -> LineItemIn:
        if self.discount > self.unit_price * self.quantity:
            raise ValueError("discount is larger than unit_price x quantity")
        return self


class OrderUpsert(BaseModel):
    """The order as the commerce platform knows it; sent again whenever it changes."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "order_number": "1001",
                    "customer": {
                        "id": "cus_42",
                        "email": "ada@example.com",
                        "name": "Ada Lovelace",
                    },
                    "shipping_address": {
                        "lines": ["Hauptstraße 5"],
                        "city": "Berlin",
                        "postal_code": "10115",
                        "country": "DE",
                    },
                    "currency": "EUR",
                    "country": "DE",
                    "locale": "de-DE",
                    "placed_at": "2026-11-01T10:00:00Z",
                    "fulfilled_at": "2026-11-02T09:00:00Z",
                    "delivered_at": "2026-11-04T15:30:00Z",
                    "shipping_paid": 495,
                    "line_items": [
                        {
                            "id": "li_1",
                            "sku": "TSHIRT-M-BLUE",
                            "title": "T-shirt, blue, M",
                            "quantity": 2,
                            "unit_price": 2500,
                            "discount": 500,
                            "tax": 760,
                            "tags": ["apparel"],
                            "category": "shirts",
                        }
                    ],
                }
            ]
        },
    )

    order_number: str = Field(min_length=1, max_length=64)
    customer: Customer
    shipping_address: Address | None = Field(
        default=None,
        description="Where the order went. Shown to merchant keys and to this order's portal "
        "token only; replacement orders and labels use it.",
    )
    currency: Currency
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$", examples=["DE"])
    locale: Locale | None = Field(
        default=None,
        description="The customer's language, a BCP 47 tag (`de-DE`); the service's default "
        "(`RETURNS_DEFAULT_LOCALE`, `en` unless set) when left out. Its returns copy it.",
    )
    placed_at: Timestamp
    fulfilled_at: Timestamp | None = None
    delivered_at: Timestamp | None = None
    shipping_paid: MinorUnits = 0
    buyer_is_consumer: StrictBool = Field(
        default=True,
        description="The buyer acts as a consumer (not for a business): with the policy's "
        "`statutory.profile` `EU`, the statutory right of withdrawal covers the order.",
    )
    consumer_informed_of_withdrawal: StrictBool = Field(
        default=True,
        description="The consumer was told of the right of withdrawal before the contract; "
        "when not, the withdrawal period runs 12 months longer (Directive 2011/83/EU, "
        "Article 10).",
    )
    consumer_bears_return_cost_informed: StrictBool = Field(
        default=False,
        description="The consumer was told beforehand that they bear the direct cost of "
        "sending goods back after a withdrawal; only then may a withdrawal be charged the "
        "policy's return-shipping fee (Article 14(1)).",
    )
    payments: list[PaymentIn] = Field(
        default_factory=list,
        max_length=20,
        description="How the order was paid (several where it was split); refunds by a "
        "payment provider's executor are allocated across them. Merchant keys only.",
    )
    line_items: list[LineItemIn] = Field(
        min_length=1,
        max_length=500,
        description="The order's total (each line's `unit_price` x `quantity` - `discount` + "
        f"`tax`, plus `shipping_paid`) is at most {MAX_AMOUNT:,} minor units, as any amount.",
    )

    @field_validator("line_items")
    @classmethod
    def _total_is_an_amount(cls, lines: list[LineItemIn], info: ValidationInfo) -> list[LineItemIn]:
        total = info.data.get("shipping_paid", 0) + sum(line.paid for line in lines)
        if total > MAX_AMOUNT:
            raise ValueError(
                f"the order's total (lines and shipping_paid) must be at most {MAX_AMOUNT}"
            )
        return lines

    @model_validator(mode="after")
    def _line_ids_unique(self) -> OrderUpsert:
        ids = [line.id for line in self.line_items]
        if len(ids) != len(set(ids)):
            raise ValueError("line item ids must be unique within the order")
        references = [(p.provider, p.reference) for p in self.payments]
        if len(references) != len(set(references)):
            raise ValueError("payments must be distinct (provider and reference)")
        if sum(p.amount for p in self.payments) > MAX_AMOUNT:
            raise ValueError(f"the payments add up to more than {MAX_AMOUNT}")
        return self


class LineItemOut(BaseModel):
    id: str
    sku: str | None
    product_id: str | None
    variant_id: str | None
    title: str
    quantity: int
    unit_price: int
    discount: int
    tax: int
    tags: list[str]
    category: str | None
    final_sale: bool
    returned_quantity: int = Field(description="Units held by returns that are not closed out.")
    returnable_quantity: int = Field(description="Units that can still be returned now.")
    return_deadline: datetime | None = Field(
        description="Last moment a return can be requested; null when not yet shipped."
    )


class OrderOut(BaseModel):
    id: str
    order_number: str
    customer: Customer
    shipping_address: Address | None
    currency: str
    country: str | None
    locale: str = Field(description="The customer's language, a BCP 47 tag.", examples=["de-DE"])
    placed_at: datetime
    fulfilled_at: datetime | None
    delivered_at: datetime | None
    shipping_paid: int
    buyer_is_consumer: bool = True
    consumer_informed_of_withdrawal: bool = True
    consumer_bears_return_cost_informed: bool = False
    payments: list[PaymentIn] = Field(default_factory=list)
    line_items: list[LineItemOut]
    created_at: datetime
    updated_at: datetime
