"""The withdrawal function's requests and answers (Directive 2011/83/EU, Article 11a)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool
from typing_extensions import TypeAliasType

from returns_api.orders.schemas import Email, ExternalId, Quantity

WithdrawalStatus = TypeAliasType("WithdrawalStatus", Literal["pending", "confirmed"])


class WithdrawalItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    line_item_id: ExternalId
    quantity: Quantity | None = Field(
        default=None, description="Units withdrawn from; all that are left when omitted."
    )
    unsealed: StrictBool | None = Field(
        default=None,
        description="The goods were unsealed after delivery (Article 16(e) and (i)); asked, "
        "never assumed.",
    )


class WithdrawalStatementIn(BaseModel):
    """What the withdrawal function asks for: the consumer's name, the contract (order number)
    and an electronic contact (e-mail), and, optionally, which items."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"name": "Ada Lovelace", "order_number": "1001", "email": "ada@example.com"}
            ]
        },
    )

    name: str = Field(min_length=1, max_length=200, examples=["Ada Lovelace"])
    order_number: str = Field(min_length=1, max_length=64)
    email: Email
    items: list[WithdrawalItemIn] | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="The items withdrawn from; the whole order when omitted.",
    )


class ConfirmIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"confirm_token": "wc_3q2-Xb0n4Yv5cW1rT8uPzA9k"}]},
    )

    confirm_token: str = Field(
        min_length=1,
        max_length=100,
        description="The `confirm_token` the statement was answered with.",
    )


class WithdrawnItem(BaseModel):
    line_item_id: str
    sku: str | None
    title: str
    quantity: int
    unsealed: bool | None


class StatementOut(BaseModel):
    """The withdrawal statement as the consumer made it: the content the acknowledgement
    repeats (Article 11a(3))."""

    text: str = Field(description="The statement in words, as on the model withdrawal form.")
    consumer_name: str
    email: str
    order_number: str
    whole_order: bool
    items: list[WithdrawnItem]
    submitted_at: datetime = Field(description="When the statement was made (step one).")


class WithdrawalOut(BaseModel):
    """A withdrawal statement and, once confirmed, its receipt."""

    id: uuid.UUID
    status: WithdrawalStatus
    order_id: str
    locale: str = Field(description="The order's language (BCP 47): the acknowledgement's.")
    statement: StatementOut
    withdrawal_deadline: datetime | None = Field(
        description="Until when the right covers these items (null: the goods are not marked "
        "delivered yet, the period has not started)."
    )
    received_at: datetime | None = Field(
        description="When the confirmation was received, by the server's clock: the date and "
        "time the acknowledgement states. Null while pending."
    )
    return_id: uuid.UUID | None = Field(
        description="The return the confirmation created (`legal_basis` `statutory_withdrawal`)."
    )
    expires_at: datetime | None = Field(
        description="A pending statement must be confirmed by then; null once confirmed."
    )
    pdf_url: str = Field(
        description="The statement and its receipt as a PDF (merchant keys, `returns:read`): "
        "what the acknowledgement attaches."
    )


class PendingWithdrawalOut(WithdrawalOut):
    """A statement to confirm: show its summary and a "Confirm withdrawal" button that sends
    `confirm_token` to `POST /v1/withdrawals/{id}/confirm`."""

    confirm_token: str = Field(
        description="Send it to confirm; shown once, here. Keep it out of URLs and logs."
    )
