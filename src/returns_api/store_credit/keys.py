"""Whose store credit: the key that names a customer across orders.

Orders name their customer by the platform's id when it has one; a guest has only an e-mail
address, which is then the key (`email:` and the address, lower-cased and stripped), so all
of a guest's orders share one balance however the address was typed. The two kinds cannot
collide: a customer id has no `@` (orders refuse one) and an address always has one.
"""

from __future__ import annotations

import re
from typing import Final

EMAIL_PREFIX: Final = "email:"
# Orders take addresses of up to 320 characters; lower-casing can double one (U+0130).
MAX_ADDRESS_LOWERED: Final = 2 * 320
# The same forms orders accept (orders/schemas.py `ExternalId` and `Email`).
_CUSTOMER_ID = re.compile(r"[A-Za-z0-9._:\-]{1,64}")
_EMAIL = re.compile(r"[^@ \t\n\r\f\v]+@[^@ \t\n\r\f\v]+")


def customer_key(customer_id: str | None, email: str) -> str:
    """The key of an order's customer: its id, or `email:` and the normalised address."""
    if customer_id:
        return customer_id
    return EMAIL_PREFIX + email.strip().lower()


def key_from_path(text: str) -> str | None:
    """The customer key a path names, normalised as `customer_key` would; None for text
    that can name no customer (neither an id orders accept nor `email:` and an address)."""
    if text.startswith(EMAIL_PREFIX) and "@" in text:
        address = text[len(EMAIL_PREFIX) :].strip().lower()
        if _EMAIL.fullmatch(address) and len(address) <= MAX_ADDRESS_LOWERED:
            return EMAIL_PREFIX + address
        return None
    return text if _CUSTOMER_ID.fullmatch(text) else None
