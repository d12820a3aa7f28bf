"""Every query of the outbox, the endpoints and the deliveries (Core statements)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, exists, func, insert, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from returns_api.core.clock import as_utc
from returns_api.core.db import table_of
from returns_api.core.driver import Prepared, Row, run
from returns_api.webhooks.models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint

# One process routes events at a time (PostgreSQL advisory lock), so that the deliveries
# of one return's events are created in event order whatever the number of dispatchers.
_ROUTING_LOCK_KEY = 0x52455455  # "RETU"
UNFINISHED = ("pending", "delivering")

# Once per delivery attempt: built once, run on the driver (core.driver.Prepared).
_deliveries = table_of(WebhookDelivery)
_INSERT_ATTEMPT = Prepared(insert(table_of(WebhookAttempt)))
# The columns set are the keys given (an outcome sets `delivered_at` or `next_attempt_at`).
_FINISH = Prepared(
    update(_deliveries).where(
        _deliveries.c.id == bindparam("b_id"), _deliveries.c.lease_owner == bindparam("b_owner")
    )
)


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def try_routing_lock(self) -> bool:
        if (await self.session.connection()).dialect.name != "postgresql":
            return True  # SQLite: writers are serialised already
        result = await self.session.execute(
            text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _ROUTING_LOCK_KEY}
        )
        return bool(result.scalar_one())

    async def unrouted_events(self, limit: int) -> Sequence[Row]:
        stmt = (
            select(Event.id, Event.type, Event.return_id, Event.data)
            .where(Event.routed.is_(False))
            .order_by(Event.id)
            .limit(limit)
        )
        return (await self.session.execute(stmt)).mappings().all()

    async def enabled_endpoints(self) -> Sequence[Row]:
        stmt = select(WebhookEndpoint.id, WebhookEndpoint.event_types).where(
            WebhookEndpoint.enabled.is_(True)
        )
        return (await self.session.execute(stmt)).mappings().all()

    async def add_deliveries(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            await self.session.execute(insert(WebhookDelivery), list(rows))

    async def mark_routed(self, event_ids: Sequence[uuid.UUID]) -> None:
        await self.session.execute(update(Event).where(Event.id.in_(event_ids)).values(routed=True))

    async def claim(
        self, owner: str, now: datetime, lease_until: datetime, limit: int
    ) -> list[uuid.UUID]:
        """Due deliveries that are first in line for their (endpoint, return), leased to
        `owner`. SKIP LOCKED lets dispatchers claim side by side without waiting or
        claiming one delivery twice; an expired lease (a dead dispatcher) is taken over."""
        earlier = aliased(WebhookDelivery)
        d = WebhookDelivery
        stmt = (
            select(d.id)
            .where(
                or_(
                    and_(d.status == "pending", d.next_attempt_at <= now),
                    and_(d.status == "delivering", d.lease_expires_at < now),
                ),
                ~exists().where(
                    earlier.endpoint_id == d.endpoint_id,
                    earlier.ordering_key == d.ordering_key,
                    earlier.event_id < d.event_id,
                    earlier.status.in_(UNFINISHED),
                ),
            )
            .order_by(d.next_attempt_at, d.event_id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=d)
        )
        ids = list((await self.session.execute(stmt)).scalars().all())
        if ids:
            await self.session.execute(
                update(d)
                .where(d.id.in_(ids))
                .values(status="delivering", lease_owner=owner, lease_expires_at=lease_until)
            )
        return ids

    async def claimed_work(self, ids: Sequence[uuid.UUID]) -> Sequence[Row]:
        stmt = (
            select(
                WebhookDelivery.id,
                WebhookDelivery.attempts,
                WebhookDelivery.endpoint_id,
                Event.id.label("event_id"),
                Event.type.label("event_type"),
                Event.created_at.label("event_created_at"),
                Event.data.label("event_data"),
                WebhookEndpoint.url,
                WebhookEndpoint.secret,
                WebhookEndpoint.previous_secret,
                WebhookEndpoint.previous_secret_expires_at,
                WebhookEndpoint.enabled,
                WebhookEndpoint.failing_since,
            )
            .join(Event, Event.id == WebhookDelivery.event_id)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(WebhookDelivery.id.in_(ids))
        )
        return (await self.session.execute(stmt)).mappings().all()

    async def extend_leases(
        self, owner: str, ids: Sequence[uuid.UUID], lease_until: datetime
    ) -> None:
        await self.session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id.in_(ids),
                WebhookDelivery.lease_owner == owner,
                WebhookDelivery.status == "delivering",
            )
            .values(lease_expires_at=lease_until)
        )

    async def release(self, owner: str, ids: Sequence[uuid.UUID]) -> None:
        await self.session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id.in_(ids),
                WebhookDelivery.lease_owner == owner,
                WebhookDelivery.status == "delivering",
            )
            .values(status="pending", lease_owner=None, lease_expires_at=None)
        )

    async def finish(self, delivery_id: uuid.UUID, owner: str, values: Mapping[str, Any]) -> None:
        """Only while `owner` still holds the lease: a dispatcher that stalled past its lease
        cannot overwrite what the one that took over recorded."""
        await run(self.session, _FINISH, {**values, "b_id": delivery_id, "b_owner": owner})

    async def finish_many(
        self, owner: str, finished: Sequence[tuple[uuid.UUID, Mapping[str, Any]]]
    ) -> None:
        """`finish` for several deliveries whose new values have the same columns."""
        await run(
            self.session,
            _FINISH,
            [{**values, "b_id": delivery_id, "b_owner": owner} for delivery_id, values in finished],
        )

    async def endpoint_failing(self, endpoint_id: uuid.UUID, now: datetime) -> datetime:
        """Start the failure clock unless it runs already; returns when it started."""
        result = await self.session.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id == endpoint_id)
            .values(failing_since=func.coalesce(WebhookEndpoint.failing_since, now))
            .returning(WebhookEndpoint.failing_since)
        )
        started = result.scalar_one_or_none()
        return as_utc(started) if started is not None else now

    async def endpoint_recovered(self, endpoint_id: uuid.UUID, now: datetime) -> None:
        await self.session.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id == endpoint_id)
            .values(failing_since=None, updated_at=now)
        )

    async def add_attempts(self, rows: Sequence[Mapping[str, Any]]) -> None:
        await run(self.session, _INSERT_ATTEMPT, list(rows))

    async def disable_endpoint(self, endpoint_id: uuid.UUID, reason: str, now: datetime) -> bool:
        """True only for the call that actually disabled it (one event, however many
        deliveries fail at once)."""
        result = await self.session.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.enabled.is_(True))
            .values(enabled=False, disabled_reason=reason, updated_at=now)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def oldest_pending(self) -> datetime | None:
        stmt = select(func.min(WebhookDelivery.created_at)).where(
            WebhookDelivery.status.in_(UNFINISHED)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()
