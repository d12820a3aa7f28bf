"""Header parameters shared by many operations, declared once so OpenAPI documents them."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=255,
        description="Makes a retry safe: the same key and body replay the first answer "
        "(kept ≥ 24 h); the same key with another body is a 422; while the first request "
        "is still running, a 409.",
    ),
]
IfMatchHeader = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description="The ETag you last read; the change is refused with 412 if the "
        "resource has changed since.",
    ),
]
