"""Identifiers: time-ordered UUIDv7 (sortable, index-friendly) and short human RMA numbers."""

from __future__ import annotations

import secrets
import uuid

import uuid_utils

# Crockford base32 without I, L, O, U: unambiguous when read over the phone.
_RMA_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_id() -> uuid.UUID:
    """A new UUIDv7: ordered by creation time, so b-tree inserts stay at the right edge."""
    return uuid.UUID(bytes=uuid_utils.uuid7().bytes)


def new_rma_number() -> str:
    """``R-`` and 8 random Crockford characters (~1.1e12 values); uniqueness is a DB constraint.

    40 random bits from one call, 5 bits per character (32 letters: no modulo bias).
    """
    bits = secrets.randbits(40)
    return "R-" + "".join(_RMA_ALPHABET[(bits >> shift) & 31] for shift in range(35, -1, -5))
