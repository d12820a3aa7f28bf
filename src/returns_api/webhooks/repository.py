"""Every query of the webhooks package: the dispatcher's (`OutboxRepository`, Core
statements: they run for every event) and the management API's (`WebhookRepository`,
ORM: not hot paths)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
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
# On every change (webhooks.events writes the outbox through it).
_INSERT_EVENT = Prepared(insert(table_of(Event)))
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

    async def add_events(self, rows: Sequence[Mapping[str, Any]]) -> None:
        await run(self.session, _INSERT_EVENT, list(rows))

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


class WebhookRepository:
    """Endpoints, the event log, deliveries and their attempts, as the management API reads
    and changes them. Pages are keyset-paginated by id; a caller asks for one row more than
    it shows, to know whether there is a next page."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def endpoint(self, endpoint_id: uuid.UUID) -> WebhookEndpoint | None:
        return await self.session.get(WebhookEndpoint, endpoint_id)

    def add_endpoint(self, endpoint: WebhookEndpoint) -> None:
        self.session.add(endpoint)

    async def delete_endpoint(self, endpoint: WebhookEndpoint) -> None:
        await self.session.delete(endpoint)

    async def endpoints(self, after: uuid.UUID | None, limit: int) -> list[WebhookEndpoint]:
        stmt = select(WebhookEndpoint).order_by(WebhookEndpoint.id).limit(limit)
        if after is not None:
            stmt = stmt.where(WebhookEndpoint.id > after)
        return list((await self.session.execute(stmt)).scalars().all())

    async def event(self, event_id: uuid.UUID) -> Event | None:
        return await self.session.get(Event, event_id)

    async def events(
        self,
        *,
        type_: str | None,
        return_id: uuid.UUID | None,
        created_after: datetime | None,
        created_before: datetime | None,
        delivery_failed: bool | None,
        after: uuid.UUID | None,
        limit: int,
    ) -> list[Event]:
        """Oldest first (delivery order)."""
        stmt = select(Event).order_by(Event.id).limit(limit)
        if after is not None:
            stmt = stmt.where(Event.id > after)
        if type_ is not None:
            stmt = stmt.where(Event.type == type_)
        if return_id is not None:
            stmt = stmt.where(Event.return_id == return_id)
        if created_after is not None:
            stmt = stmt.where(Event.created_at >= created_after)
        if created_before is not None:
            stmt = stmt.where(Event.created_at < created_before)
        if delivery_failed is not None:
            failed = exists().where(
                and_(WebhookDelivery.event_id == Event.id, WebhookDelivery.status == "failed")
            )
            stmt = stmt.where(failed if delivery_failed else ~failed)
        return list((await self.session.execute(stmt)).scalars().all())

    async def deliveries(
        self,
        endpoint_id: uuid.UUID,
        *,
        status: str | None,
        before: uuid.UUID | None,
        limit: int,
    ) -> list[tuple[WebhookDelivery, str]]:
        """Newest first, each with the type of its event."""
        stmt = (
            select(WebhookDelivery, Event.type)
            .join(Event, Event.id == WebhookDelivery.event_id)
            .where(WebhookDelivery.endpoint_id == endpoint_id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        )
        if status is not None:
            stmt = stmt.where(WebhookDelivery.status == status)
        if before is not None:
            stmt = stmt.where(WebhookDelivery.id < before)
        return [(delivery, event_type) for delivery, event_type in await self.session.execute(stmt)]

    async def attempts(self, delivery_ids: Sequence[uuid.UUID]) -> Sequence[WebhookAttempt]:
        """Every attempt of these deliveries, oldest first."""
        stmt = (
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id.in_(delivery_ids))
            .order_by(WebhookAttempt.id)
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def delivery(self, delivery_id: uuid.UUID) -> WebhookDelivery | None:
        return await self.session.get(WebhookDelivery, delivery_id)

    async def events_to_replay(
        self,
        created_after: datetime,
        created_before: datetime | None,
        event_types: Sequence[str] | None,
    ) -> Sequence[Row]:
        """(id, type, return_id, data) of the events of a time range, pings left out; of
        `event_types` only, when some are given."""
        stmt = select(Event.id, Event.type, Event.return_id, Event.data).where(
            Event.created_at >= created_after, Event.type != "ping"
        )
        if created_before is not None:
            stmt = stmt.where(Event.created_at < created_before)
        if event_types:
            stmt = stmt.where(Event.type.in_(event_types))
        return (await self.session.execute(stmt)).mappings().all()

    async def events_with_delivery(
        self, endpoint_id: uuid.UUID, event_ids: Sequence[uuid.UUID]
    ) -> set[uuid.UUID]:
        """Those of `event_ids` that have a delivery to the endpoint already."""
        stmt = select(WebhookDelivery.event_id).where(
            WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.event_id.in_(event_ids)
        )
        return set((await self.session.execute(stmt)).scalars())

    async def reschedule(
        self, endpoint_id: uuid.UUID, event_ids: Collection[uuid.UUID], now: datetime
    ) -> None:
        """Their deliveries to the endpoint are due now, with a fresh retry schedule; one
        being sent is left alone (its outcome will be recorded)."""
        await self.session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.endpoint_id == endpoint_id,
                WebhookDelivery.event_id.in_(event_ids),
                WebhookDelivery.status != "delivering",
            )
            .values(status="pending", attempts=0, next_attempt_at=now, updated_at=now)
        )
