"""A refund as the API shows it, with where it is in its lifecycle (`refunding`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field
from typing_extensions import TypeAliasType

# Named aliases: each is one enum schema in the OpenAPI document (and in generated clients).
RefundStatus = TypeAliasType("RefundStatus", Literal["pending", "succeeded", "failed"])
RefundExecutor = TypeAliasType(
    "RefundExecutor", Literal["record", "platform", "stripe", "store_credit"]
)
RefundMethod = TypeAliasType(
    "RefundMethod", Literal["original_payment", "store_credit", "exchange"]
)


class RefundOut(BaseModel):
    id: uuid.UUID
    amount: int
    currency: str
    method: RefundMethod
    external_reference: str | None
    note: str | None
    status: RefundStatus = Field(
        default="succeeded",
        description="`pending`: being carried out (it counts against what is left); "
        "`succeeded`; `failed`: its amount is left to refund again.",
    )
    executor: RefundExecutor = Field(default="record", description="Who moves the money.")
    failure_reason: str | None = None
    settled_at: datetime | None = None
    created_by: str
    created_at: datetime
