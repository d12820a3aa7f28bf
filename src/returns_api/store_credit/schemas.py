from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypeAliasType

from returns_api.core.money import MAX_AMOUNT, Currency

# A named alias: one enum schema in the OpenAPI document.
StoreCreditEntryKind = TypeAliasType("StoreCreditEntryKind", Literal["credit", "spend"])

SpendAmount = Annotated[int, Field(strict=True, ge=1, le=MAX_AMOUNT, examples=[2500])]
# The platform's reference of the checkout that spends: printable ASCII, no spaces.
SpendReference = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[!-~]+$")]


class SpendIn(BaseModel):
    """Spend some of a customer's store credit (the platform, at checkout)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"amount": 2500, "currency": "EUR", "external_reference": "checkout_8812"}]
        },
    )

    amount: SpendAmount = Field(description="Minor units of `currency` to take, at least 1.")
    currency: Currency
    external_reference: SpendReference = Field(
        description="The platform's id of this spend (its checkout or payment): sending it "
        "again is the same spend (200, nothing changes); with another amount or currency, a "
        "409 `store-credit-spend-mismatch`."
    )
    note: str | None = Field(default=None, max_length=2000)


class StoreCreditEntryOut(BaseModel):
    """One movement of the ledger."""

    id: uuid.UUID
    kind: StoreCreditEntryKind
    amount: int = Field(description="Minor units: positive for a credit, negative for a spend.")
    currency: str
    refund_id: uuid.UUID | None = Field(description="`credit`: the refund that paid it in.")
    external_reference: str | None = Field(description="`spend`: the platform's reference.")
    note: str | None
    actor: str = Field(description="Who made it: the API key's name, or the refund's actor.")
    created_at: datetime


class StoreCreditBalanceOut(BaseModel):
    currency: str
    balance: int = Field(description="Minor units the customer can spend; never negative.")
    updated_at: datetime


class StoreCreditOut(BaseModel):
    """A customer's store credit: balances per currency and a page of the ledger."""

    customer_id: str = Field(
        description="The customer key: the orders' customer id, or `email:` and the address."
    )
    balances: list[StoreCreditBalanceOut] = Field(
        description="One per currency the customer ever held, by currency code."
    )
    entries: list[StoreCreditEntryOut] = Field(description="The ledger, newest first.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page of `entries`; null at end."
    )


class SpendOut(BaseModel):
    """A spend and the balance it left."""

    spend: StoreCreditEntryOut
    balance: StoreCreditBalanceOut = Field(description="The balance in the spend's currency now.")
