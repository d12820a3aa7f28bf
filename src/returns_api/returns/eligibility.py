"""When and how much of an order line can be returned: pure rules, no I/O (DESIGN §4).

The window runs from delivery. An order not marked delivered counts as delivered a
transit buffer after fulfilment; an order that has not shipped cannot be returned at all.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from returns_api.policies.document import PolicyDocument


def effective_delivery(
    delivered_at: datetime | None, fulfilled_at: datetime | None, transit_buffer_days: int
) -> datetime | None:
    if delivered_at is not None:
        return delivered_at
    if fulfilled_at is not None:
        return fulfilled_at + timedelta(days=transit_buffer_days)
    return None


def return_deadline(
    delivery: datetime | None, category: str | None, policy: PolicyDocument
) -> datetime | None:
    if delivery is None:
        return None
    return delivery + timedelta(days=policy.window_for(category))


def days_since(moment: datetime | None, now: datetime) -> int:
    """Whole days elapsed (0 on the day itself, never negative)."""
    if moment is None:
        return 0
    return max(0, (now - moment).days)


def returnable_quantity(
    *,
    quantity: int,
    held: int,
    final_sale: bool,
    tags: list[str],
    deadline: datetime | None,
    policy: PolicyDocument,
    now: datetime,
) -> int:
    if final_sale or deadline is None or now > deadline:
        return 0
    if policy.non_returnable_tags and set(tags).intersection(policy.non_returnable_tags):
        return 0
    return max(0, quantity - held)
