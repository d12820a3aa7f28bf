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


# The cursor of a list that can be read either way (`sort`): an oldest-first one is marked.
SortedIdCursor = Annotated[
    str | None,
    Query(
        pattern=r"^[A-Za-z0-9_-]{22}(?:\.a)?$",
        description="`next_cursor` of the previous page, with the same `sort`.",
    ),
]

# A cursor of a list read oldest first ends with this mark, so that it cannot continue a
# list read the other way (it would quietly give a wrong page).
ASCENDING_MARK = ".a"


def encode_id_cursor(last_id: uuid.UUID, *, ascending: bool = False) -> str:
    text = base64.urlsafe_b64encode(last_id.bytes).decode().rstrip("=")
    return text + ASCENDING_MARK if ascending else text


def decode_id_cursor(cursor: str, *, ascending: bool = False) -> uuid.UUID:
    if cursor.endswith(ASCENDING_MARK) != ascending:
        order = "oldest first (`sort=created_at`)" if not ascending else "newest first"
        raise Unprocessable(
            f"This cursor continues a list read {order}: send it with the `sort` it came from.",
            errors=[FieldError(location="query.cursor", message="cursor of another sort")],
        )
    text = cursor.removesuffix(ASCENDING_MARK)
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        return uuid.UUID(bytes=raw)
    except (ValueError, binascii.Error) as exc:
        raise Unprocessable(
            "The cursor is not one this API gave out.",
            errors=[FieldError(location="query.cursor", message="invalid cursor")],
        ) from exc
