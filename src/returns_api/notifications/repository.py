"""Every query of notifications: the worker's (claim, read, record) and the list's."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from returns_api.core.db import table_of
from returns_api.core.driver import Row, fetch_all, fetch_one, run
from returns_api.core.leases import claim, claim_statement
from returns_api.notifications.models import Notification, NotificationAttempt
from returns_api.webhooks.models import Event

notifications = table_of(Notification)
attempts = table_of(NotificationAttempt)
events = table_of(Event)

_CLAIM = claim_statement(notifications, notifications.c.status == "pending")
_WORK = (
    select(
        notifications.c.id,
        notifications.c.event_id,
        notifications.c.event_type,
        notifications.c.return_id,
        notifications.c.recipient,
        notifications.c.locale,
        notifications.c.status,
        notifications.c.attempts,
        notifications.c.message_id,
        events.c.data.label("event_data"),
    )
    .join(events, events.c.id == notifications.c.event_id)
    .where(notifications.c.id == bindparam("id"))
)


class NotificationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[Row]:
        """Up to `limit` pending notifications that are due, leased to the caller until
        `lease_until` (their `next_attempt_at`): (id, return_id) rows."""
        return await claim(self.session, _CLAIM, now, lease_until, limit)

    async def work(self, notification_id: uuid.UUID) -> Row | None:
        """The notification with its event's payload (the return as the event saw it)."""
        return await fetch_one(self.session, _WORK, {"id": notification_id})

    async def update(self, notification_id: uuid.UUID, values: Mapping[str, Any]) -> None:
        statement = (
            update(notifications).where(notifications.c.id == notification_id).values(**values)
        )
        await run(self.session, statement)

    async def add_attempt(self, row: Mapping[str, Any]) -> None:
        await run(self.session, insert(attempts), [dict(row)])

    async def get(self, notification_id: uuid.UUID) -> Row | None:
        stmt = select(notifications).where(notifications.c.id == notification_id)
        return await fetch_one(self.session, stmt)

    async def page(
        self,
        *,
        return_id: uuid.UUID | None,
        status: str | None,
        before: uuid.UUID | None,
        limit: int,
    ) -> Sequence[Row]:
        """Newest first, keyset-paginated by id."""
        stmt = select(notifications).order_by(notifications.c.id.desc()).limit(limit)
        if return_id is not None:
            stmt = stmt.where(notifications.c.return_id == return_id)
        if status is not None:
            stmt = stmt.where(notifications.c.status == status)
        if before is not None:
            stmt = stmt.where(notifications.c.id < before)
        return await fetch_all(self.session, stmt)

    async def attempts_of(self, ids: Sequence[uuid.UUID]) -> Sequence[Row]:
        """Every attempt of these notifications, oldest first."""
        if not ids:
            return []
        stmt = (
            select(attempts)
            .where(attempts.c.notification_id.in_(ids))
            .order_by(attempts.c.attempted_at, attempts.c.id)
        )
        return await fetch_all(self.session, stmt)
