from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from returns_api.orders.schemas import Email


class PortalSessionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"order_number": "1001", "email": "ada@example.com"}]},
    )

    order_number: str = Field(min_length=1, max_length=64)
    email: Email


class PortalSessionOut(BaseModel):
    token: str = Field(description="Send as `Authorization: Bearer pt_…`; valid for one order.")
    token_type: str = "Bearer"
    expires_at: datetime
    order_id: str
