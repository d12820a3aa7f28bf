from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator

from returns_api.core.money import Currency, MinorUnits
from returns_api.orders.schemas import ExternalId

OptionName = Annotated[str, Field(min_length=1, max_length=64)]
OptionValue = Annotated[str, Field(min_length=1, max_length=200)]


class VariantPrice(BaseModel):
    """What one unit costs in one currency, in the shape of an order line's amounts."""

    model_config = ConfigDict(extra="forbid")

    currency: Currency
    unit_price: MinorUnits = Field(description="Price of one unit, tax excluded.")
    tax: MinorUnits = Field(default=0, description="Tax on one unit.")


class VariantUpsert(BaseModel):
    """The variant as the commerce platform knows it; sent again whenever it changes."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "sku": "TSHIRT-L-BLUE",
                    "product_id": "prod_tshirt",
                    "title": "T-shirt, blue, L",
                    "options": {"size": "L", "colour": "blue"},
                    "prices": [{"currency": "EUR", "unit_price": 2100, "tax": 400}],
                    "available_quantity": 12,
                    "active": True,
                }
            ]
        },
    )

    sku: str | None = Field(default=None, max_length=128)
    product_id: ExternalId = Field(description="Exchanges stay within a product by default.")
    title: str = Field(min_length=1, max_length=500)
    options: dict[OptionName, OptionValue] = Field(
        default_factory=dict,
        max_length=20,
        description="What tells this variant from its siblings: size, colour…",
    )
    prices: list[VariantPrice] = Field(
        min_length=1, max_length=50, description="One price per currency the shop sells in."
    )
    available_quantity: int = Field(
        strict=True, ge=0, le=1_000_000_000, description="Units in stock, as the platform counts."
    )
    active: StrictBool = Field(default=True, description="Inactive variants cannot be chosen.")

    @field_validator("prices")
    @classmethod
    def _one_price_per_currency(cls, prices: list[VariantPrice]) -> list[VariantPrice]:
        currencies = [price.currency for price in prices]
        if len(currencies) != len(set(currencies)):
            raise ValueError("prices must name each currency once")
        return prices


class VariantOut(BaseModel):
    id: str
    sku: str | None
    product_id: str
    title: str
    options: dict[str, str]
    prices: list[VariantPrice]
    available_quantity: int = Field(description="Units in stock, as the platform synced them.")
    reserved_quantity: int = Field(
        description="Units open exchanges hold (until their return ends). An exchange may take "
        "what is left: `available_quantity` - `reserved_quantity`."
    )
    active: bool
    created_at: datetime
    updated_at: datetime


class VariantPage(BaseModel):
    data: list[VariantOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null at end.")
