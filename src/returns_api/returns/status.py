"""The return status machine (DESIGN §3): the transition table is data, in this one place.

``requested`` is never stored: a new return is judged in the transaction that creates it
and is born ``pending_review``, ``approved`` or ``rejected``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class ReturnStatus(StrEnum):
    PENDING_REVIEW = "pending_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    IN_TRANSIT = "in_transit"
    RECEIVED = "received"
    COMPLETED = "completed"
    EXPIRED = "expired"


S = ReturnStatus

BIRTH_STATUSES: Final = frozenset({S.PENDING_REVIEW, S.APPROVED, S.REJECTED})

TRANSITIONS: Final[frozenset[tuple[ReturnStatus, ReturnStatus]]] = frozenset(
    {
        (S.PENDING_REVIEW, S.APPROVED),
        (S.PENDING_REVIEW, S.REJECTED),
        (S.PENDING_REVIEW, S.CANCELLED),
        (S.APPROVED, S.IN_TRANSIT),
        (S.APPROVED, S.CANCELLED),
        (S.APPROVED, S.EXPIRED),
        (S.APPROVED, S.COMPLETED),  # keep-the-item / returnless: nothing to ship
        (S.IN_TRANSIT, S.RECEIVED),
        (S.RECEIVED, S.COMPLETED),
    }
)

TERMINAL: Final = frozenset({S.REJECTED, S.CANCELLED, S.EXPIRED, S.COMPLETED})

# Returns in these states no longer hold units of the order: the units can be returned again.
RELEASED: Final = frozenset({S.REJECTED, S.CANCELLED, S.EXPIRED})


def can_transition(current: ReturnStatus, target: ReturnStatus) -> bool:
    return (current, target) in TRANSITIONS
