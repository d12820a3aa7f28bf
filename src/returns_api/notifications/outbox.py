"""Notifications written with the events they announce, in the same transaction.

The writer of the outbox (`webhooks.events`, and the create of a return on PostgreSQL) calls
`queue_notifications` with the event rows it writes: for each customer-facing event, one
notification to the order's customer, addressed in the same statement (INSERT … SELECT from
the order), so it exists if and only if the change committed. Nothing is written while
notifications are off (`RETURNS_NOTIFICATIONS_ENABLED`): turning them on does not mail the
past. The acknowledgement of a withdrawal (`notifications.acknowledgement`) is the
exception: a legal duty, queued whenever the service can send mail.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import String, Uuid, bindparam, insert, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from returns_api.core.db import (
    UTCDateTime,
    acknowledgements_enabled,
    notifications_enabled,
    table_of,
)
from returns_api.core.driver import run
from returns_api.core.ids import new_id
from returns_api.notifications.acknowledgement import acknowledgement_row, is_acknowledgement
from returns_api.notifications.catalogue import CUSTOMER_EVENTS
from returns_api.notifications.models import Notification
from returns_api.orders.models import Order

notifications = table_of(Notification)
_orders = table_of(Order)

_COLUMNS = (
    "id",
    "event_id",
    "event_type",
    "return_id",
    "locale",
    "status",
    "attempts",
    "next_attempt_at",
    "created_at",
    "updated_at",
    "recipient",
)
_QUEUE = insert(notifications).from_select(
    list(_COLUMNS),
    select(
        bindparam("n_id", type_=Uuid()),
        bindparam("n_event_id", type_=Uuid()),
        bindparam("n_event_type", type_=String()),
        bindparam("n_return_id", type_=Uuid()),
        bindparam("n_locale", type_=String()),
        literal_column("'pending'"),
        literal_column("0"),
        bindparam("n_now", type_=UTCDateTime),
        bindparam("n_now2", type_=UTCDateTime),
        bindparam("n_now3", type_=UTCDateTime),
        _orders.c.customer_email,
    ).where(_orders.c.id == bindparam("n_order_id"), _orders.c.customer_email != ""),
)


async def queue_notifications(session: AsyncSession, events: Sequence[Mapping[str, Any]]) -> None:
    """One pending notification per customer-facing event among `events` (outbox rows made
    by `webhooks.events.event_row`), when notifications are on; and the acknowledgement of
    each confirmed withdrawal, whenever mail can be sent."""
    if notifications_enabled(session):
        rows = [_row(event) for event in events if _for_the_customer(event)]
        if rows:
            await run(session, _QUEUE, rows)
    if acknowledgements_enabled(session):
        acknowledgements = [
            acknowledgement_row(event) for event in events if is_acknowledgement(event)
        ]
        if acknowledgements:
            await run(session, insert(notifications), acknowledgements)


def _for_the_customer(event: Mapping[str, Any]) -> bool:
    """A customer-facing event about a return that carries the return (its order names the
    recipient)."""
    if event["type"] not in CUSTOMER_EVENTS or event.get("return_id") is None:
        return False
    shown = event["data"].get("object")
    return isinstance(shown, dict) and isinstance(shown.get("order_id"), str)


def _row(event: Mapping[str, Any]) -> dict[str, Any]:
    shown = event["data"]["object"]
    now = event["created_at"]
    return {
        "n_id": new_id(),
        "n_event_id": event["id"],
        "n_event_type": event["type"],
        "n_return_id": event["return_id"],
        "n_locale": shown.get("locale") or "en",
        "n_now": now,
        "n_now2": now,
        "n_now3": now,
        "n_order_id": shown["order_id"],
    }
