"""Writing events to the outbox, in the caller's transaction (DESIGN §6).

An event exists if and only if the change it describes committed: it is one more INSERT in
the same transaction. Delivery happens later, by the dispatcher.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from returns_api.core.clock import rfc3339, utcnow
from returns_api.core.ids import new_id
from returns_api.notifications.outbox import queue_notifications
from returns_api.webhooks.definitions import EVENTS, EventType
from returns_api.webhooks.repository import OutboxRepository


async def record_event(
    session: AsyncSession,
    type_: EventType,
    data: dict[str, Any],
    *,
    return_id: uuid.UUID | None = None,
    sequence: int | None = None,
) -> uuid.UUID:
    row = event_row(type_, data, return_id=return_id, sequence=sequence)
    await write_events(session, [row])
    event_id: uuid.UUID = row["id"]
    return event_id


async def write_events(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    """Inserts outbox rows made by `event_row`, in the session's transaction, with the
    customer e-mails they call for."""
    await OutboxRepository(session).add_events(rows)
    await queue_notifications(session, rows)


def event_row(
    type_: EventType,
    data: dict[str, Any],
    *,
    return_id: uuid.UUID | None = None,
    sequence: int | None = None,
) -> dict[str, Any]:
    """The outbox row of an event, for a writer that inserts it itself in the same
    transaction (the create of a return writes it in the same statement as the return)."""
    if type_ not in EVENTS:
        raise ValueError(f"unknown event type {type_!r}: define it in webhooks.definitions")
    if sequence is not None:
        data = {**data, "sequence": sequence}
    return {
        "id": new_id(),
        "type": type_,
        "return_id": return_id,
        "sequence": sequence,
        "data": data,
        "routed": False,
        "created_at": utcnow(),
    }


def envelope(
    event_id: uuid.UUID, type_: str, created_at: datetime, data: dict[str, Any]
) -> dict[str, Any]:
    """The payload subscribers receive and `GET /v1/events/{id}` shows."""
    return {
        "id": str(event_id),
        "type": type_,
        "created_at": rfc3339(created_at),
        "data": data,
    }
