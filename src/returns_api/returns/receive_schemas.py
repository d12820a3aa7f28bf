"""What the warehouse sends when it opens a parcel (`POST /v1/returns/{id}/receive`)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator
from typing_extensions import TypeAliasType

from returns_api.orders.schemas import ExternalId

ConditionGrade = TypeAliasType(
    "ConditionGrade", Literal["as_new", "opened", "used", "damaged", "defective"]
)
Disposition = TypeAliasType(
    "Disposition", Literal["restock", "refurbish", "liquidate", "donate", "dispose"]
)
Code = Annotated[str, Field(min_length=1, max_length=64, examples=["size_fit"])]
Note = Annotated[str, Field(max_length=2000)]


class _Body(BaseModel):
    # Unknown fields are refused, as on every request body.
    model_config = ConfigDict(extra="forbid")


class ReceivedItemIn(_Body):
    """One inspected item. Name it by `item_id` (the return item) or by `line_item_id`."""

    item_id: uuid.UUID | None = None
    line_item_id: ExternalId | None = None
    received_quantity: Annotated[int, Field(strict=True, ge=0, le=100_000)]
    accepted_quantity: Annotated[int, Field(strict=True, ge=0, le=100_000)] | None = Field(
        default=None, description="Units accepted for refund; defaults to those received."
    )
    condition: ConditionGrade | None = None
    disposition: Disposition | None = None
    wrong_item: StrictBool = Field(default=False, description="Something else came back.")
    deduction: Annotated[int, Field(strict=True, ge=0, le=10**12)] = Field(
        default=0,
        description="Taken off the item's refund for diminished value from handling beyond "
        "what was needed to check the goods (Directive 2011/83/EU, Article 14(2)); minor "
        "units, never more than the item's refund; needs `deduction_reason`.",
    )
    deduction_reason: Note | None = Field(
        default=None, description="Why the deduction: what the inspection found."
    )

    @model_validator(mode="after")
    def _named_once(self) -> ReceivedItemIn:
        if (self.item_id is None) == (self.line_item_id is None):
            raise ValueError("give exactly one of item_id or line_item_id")
        if self.deduction and not (self.deduction_reason or "").strip():
            raise ValueError("a deduction needs its reason (deduction_reason)")
        if self.accepted_quantity is not None and self.accepted_quantity > self.received_quantity:
            raise ValueError("accepted_quantity cannot exceed received_quantity")
        return self


class ReceiveBody(_Body):
    items: list[ReceivedItemIn] = Field(min_length=1, max_length=100)
    warehouse: Code | None = Field(default=None, description="Where it was received.")
    note: Note | None = None
