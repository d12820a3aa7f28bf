"""How a refund carried out by a payment provider is spread over the order's payments: in
the order they were made, each taking at most what is left of it (what the order's other
refunds against it have not taken). Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from returns_api.core.errors import Conflict
from returns_api.settlement.executor import Payment


class NotEnoughPaid(Conflict):
    """The order's payments at the provider have less left than the refund asks."""

    slug = "refund-exceeds-payments"


def allocate(
    amount: int, payments: Sequence[Payment], refunded: Mapping[str, int]
) -> list[tuple[Payment, int]]:
    """(payment, part) pairs adding up to `amount`; `refunded` is what each payment (by
    reference) has refunded already, pending refunds included."""
    parts: list[tuple[Payment, int]] = []
    left = amount
    for payment in payments:
        room = payment.amount - refunded.get(payment.reference, 0)
        if left == 0:
            break
        if room <= 0:
            continue
        take = min(room, left)
        parts.append((payment, take))
        left -= take
    if left:
        raise NotEnoughPaid(
            f"The order's payments have {amount - left} left to refund; {amount} was asked."
        )
    return parts
