"""Opaque list cursors over time-ordered ids: the base64url form of the last id on a page.

Every list keyed by UUIDv7 gives them out: returns, refunds, store-credit entries.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Annotated

from fastapi import Query

from returns_api.core.errors import FieldError, Unprocessable

IdCursor = Annotated[
    str | None,
    Query(pattern=r"^[A-Za-z0-9_-]{22}$", description="`next_cursor` of the previous page."),
]


def encode_id_cursor(last_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(last_id.bytes).decode().rstrip("=")


def decode_id_cursor(cursor: str) -> uuid.UUID:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return uuid.UUID(bytes=raw)
    except (ValueError, binascii.Error) as exc:
        raise Unprocessable(
            "The cursor is not one this API gave out.",
            errors=[FieldError(location="query.cursor", message="invalid cursor")],
        ) from exc
