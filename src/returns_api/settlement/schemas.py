"""Refunds as finance reads them (reconciliation), and a platform's answer for one."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from typing_extensions import TypeAliasType

from returns_api.core.timestamps import Timestamp
from returns_api.returns.refund_schemas import (
    RefundExecutor,
    RefundMethod,
    RefundOut,
    RefundStatus,
)

RefundOutcome = TypeAliasType("RefundOutcome", Literal["succeeded", "failed"])


class RefundConfirmIn(BaseModel):
    """What the platform did with a refund it was asked to carry out."""

    model_config = ConfigDict(extra="forbid")

    outcome: RefundOutcome
    external_reference: Annotated[str, Field(min_length=1, max_length=128)] | None = Field(
        default=None, description="The payment provider's id of the refund."
    )
    reason: Annotated[str, Field(min_length=1, max_length=2000)] | None = Field(
        default=None, description="Why it failed (required with `failed`)."
    )

    @model_validator(mode="after")
    def _failure_says_why(self) -> RefundConfirmIn:
        if self.outcome == "failed" and self.reason is None:
            raise ValueError("a failed refund needs a reason")
        return self


class RefundRecordOut(RefundOut):
    """A refund with the return it belongs to."""

    return_id: uuid.UUID
    rma_number: str


class RefundPage(BaseModel):
    data: list[RefundRecordOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null at end.")


class RefundFilterQuery(BaseModel):
    """The reconciliation list's filters (all optional, combined with AND)."""

    status: RefundStatus | None = None
    method: RefundMethod | None = None
    executor: RefundExecutor | None = None
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] | None = None
    created_after: Timestamp | None = Field(default=None, description="Inclusive.")
    created_before: Timestamp | None = Field(default=None, description="Exclusive.")
