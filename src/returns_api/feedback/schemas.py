from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Rating = Annotated[int, Field(strict=True, ge=1, le=5, description="1 (bad) to 5 (great).")]


class FeedbackIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"rating": 4, "comment": "Easy, but the refund took a week."}]
        },
    )

    rating: Rating
    comment: str | None = Field(default=None, max_length=2000)


class FeedbackOut(BaseModel):
    return_id: uuid.UUID
    rating: int
    comment: str | None
    created_at: datetime
