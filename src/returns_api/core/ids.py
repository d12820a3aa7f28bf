"""Identifiers: time-ordered UUIDv7 (sortable, index-friendly), short human RMA numbers, and
ids in paths."""

from __future__ import annotations

import secrets
import uuid
from typing import cast

import uuid_utils
from pydantic import ValidationError, ValidatorFunctionWrapHandler, WrapValidator

from returns_api.core.errors import ReturnsError

# Crockford base32 without I, L, O, U: unambiguous when read over the phone.
_RMA_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# How much of a malformed id a problem's detail repeats.
_SHOWN_ID = 64


def new_id() -> uuid.UUID:
    """A new UUIDv7: ordered by creation time, so b-tree inserts stay at the right edge."""
    return uuid.UUID(bytes=uuid_utils.uuid7().bytes)


def new_rma_number() -> str:
    """``R-`` and 8 random Crockford characters (~1.1e12 values); uniqueness is a DB constraint.

    40 random bits from one call, 5 bits per character (32 letters: no modulo bias).
    """
    bits = secrets.randbits(40)
    return "R-" + "".join(_RMA_ALPHABET[(bits >> shift) & 31] for shift in range(35, -1, -5))


def not_found_unless_uuid(not_found: type[ReturnsError], detail: str) -> WrapValidator:
    """For an id in a path: text that is no UUID names nothing, so it is answered exactly
    like a UUID that names nothing, with the resource's own 404 (`not_found`, its `detail`
    formatted with the text) rather than a 422 about the id's syntax.

    Raised from inside validation, which lets it through (pydantic turns only ValueError
    and AssertionError into validation errors). FastAPI checks path parameters after the
    route's dependencies, so the caller has been authenticated and its scopes checked.
    """

    def parse(value: object, handler: ValidatorFunctionWrapHandler) -> uuid.UUID:
        try:
            return cast(uuid.UUID, handler(value))
        except ValidationError:
            text = str(value)
            shown = text if len(text) <= _SHOWN_ID else text[: _SHOWN_ID - 1] + "…"
            raise not_found(detail.format(shown)) from None

    return WrapValidator(parse)
