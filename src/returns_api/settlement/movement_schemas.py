"""Money movements as finance reads them: a return's refunds and the payments made for it,
in one list."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field
from typing_extensions import TypeAliasType

from returns_api.core.timestamps import Timestamp
from returns_api.returns.refund_schemas import RefundExecutor, RefundMethod, RefundStatus

MovementDirection = TypeAliasType("MovementDirection", Literal["in", "out"])
MovementKind = TypeAliasType(
    "MovementKind", Literal["refund", "exchange_difference", "hold_capture"]
)


class MoneyMovementOut(BaseModel):
    """One movement of money for a return: a refund to the customer (`out`), or a payment
    the customer made (`in`: what an exchange costs more, or what was charged of an
    instant exchange's hold)."""

    id: uuid.UUID = Field(description="The refund's id (`out`) or the payment's (`in`).")
    return_id: uuid.UUID
    rma_number: str
    direction: MovementDirection
    kind: MovementKind
    status: RefundStatus = Field(
        description="A refund's lifecycle; a payment is reported once made: `succeeded`."
    )
    amount: int = Field(description="Minor units of `currency`; always positive.")
    currency: str
    method: RefundMethod | None = Field(description="Refunds: how it is paid back.")
    executor: RefundExecutor | None = Field(description="Refunds: who moves the money.")
    provider: str | None = Field(description="Payments: where the platform collected it.")
    reference: str | None = Field(description="The id at the payment provider or platform.")
    payment_reference: str | None = Field(
        description="Refunds carried out by a provider: the payment they go back to."
    )
    failure_reason: str | None
    created_at: datetime
    settled_at: datetime | None = Field(description="When it succeeded or failed.")


class MoneyTotals(BaseModel):
    paid_in: int = Field(description="What the customer paid for the return.")
    refunded: int = Field(description="What succeeded refunds paid back.")
    refund_pending: int = Field(description="What pending refunds are paying back.")


class ReturnMoneyOut(BaseModel):
    """Every money movement of one return, oldest first, with its totals."""

    return_id: uuid.UUID
    rma_number: str
    currency: str
    totals: MoneyTotals
    data: list[MoneyMovementOut]


class MoneyMovementPage(BaseModel):
    data: list[MoneyMovementOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null at end.")


class MovementFilterQuery(BaseModel):
    """The money movements list's filters (all optional, combined with AND)."""

    return_id: uuid.UUID | None = None
    direction: MovementDirection | None = None
    kind: MovementKind | None = None
    status: RefundStatus | None = None
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] | None = None
    created_after: Timestamp | None = Field(default=None, description="Inclusive.")
    created_before: Timestamp | None = Field(default=None, description="Exclusive.")
