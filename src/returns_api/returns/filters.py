"""What a list or an export of returns is narrowed to: the query parameters both take, and
the checked filters the repository reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from fastapi import Query
from pydantic import BaseModel, Field
from typing_extensions import TypeAliasType

from returns_api.core.http import FilterText
from returns_api.core.timestamps import Timestamp
from returns_api.returns.status import ReturnStatus

# The list's order, by creation time; a named alias: one enum schema in the OpenAPI document.
ReturnSort = TypeAliasType("ReturnSort", Literal["-created_at", "created_at"])
ReturnSortQuery = Annotated[
    ReturnSort,
    Query(
        description="`-created_at`: newest first (the default); `created_at`: oldest first (a "
        "review queue). A `cursor` continues the `sort` it came from (another `sort` is a 422)."
    ),
]


@dataclass(frozen=True, slots=True)
class ReturnFilters:
    """What a list or export of returns is narrowed to (already validated)."""

    status: str | None = None
    order_id: str | None = None
    customer_id: str | None = None
    reason: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    rma_number: str | None = None
    tracking_number: str | None = None


class ReturnFilterQuery(BaseModel):
    """The filters of `listReturns` and `exportReturns`: one schema, checked before either
    reads anything."""

    status: ReturnStatus | None = None
    order_id: FilterText | None = None
    customer_id: FilterText | None = None
    reason: FilterText | None = None
    created_after: Timestamp | None = None
    created_before: Timestamp | None = None
    rma_number: FilterText | None = Field(
        default=None, description="Exactly this RMA number (a scanner at the dock)."
    )
    tracking_number: FilterText | None = Field(
        default=None, description="Exactly this tracking number (the parcel's label)."
    )

    def filters(self) -> ReturnFilters:
        return ReturnFilters(
            status=self.status.value if self.status else None,
            order_id=self.order_id,
            customer_id=self.customer_id,
            reason=self.reason,
            created_after=self.created_after,
            created_before=self.created_before,
            rma_number=self.rma_number,
            tracking_number=self.tracking_number,
        )
