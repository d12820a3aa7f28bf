"""Webhook endpoints, their deliveries, and the event log (queries: `WebhookRepository`)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from returns_api.core.clock import utcnow
from returns_api.core.errors import FieldError, NotFound, Unprocessable
from returns_api.core.ids import new_id
from returns_api.webhooks import signing, ssrf
from returns_api.webhooks.dispatcher import delivery_row, subscribed
from returns_api.webhooks.events import envelope, record_event
from returns_api.webhooks.models import Event, WebhookDelivery, WebhookEndpoint
from returns_api.webhooks.repository import OutboxRepository, WebhookRepository
from returns_api.webhooks.schemas import (
    AttemptOut,
    DeliveryOut,
    DeliveryPage,
    EndpointCreate,
    EndpointCreated,
    EndpointOut,
    EndpointPage,
    EndpointUpdate,
    EventOut,
    EventPage,
    ReplayIn,
    ReplayOut,
    SecretRotated,
)


class EndpointNotFound(NotFound):
    """No such webhook endpoint."""

    slug = "webhook-endpoint-not-found"


class EventNotFound(NotFound):
    """No such event."""

    slug = "event-not-found"


class DeliveryNotFound(NotFound):
    """No such delivery to this endpoint."""

    slug = "delivery-not-found"


class UnsafeWebhookUrl(Unprocessable):
    """The URL is not `https`, or resolves to a private, loopback or unresolvable address."""

    slug = "unsafe-webhook-url"


async def check_url(url: str, *, allow_private: bool) -> None:
    """Registration-time SSRF check (it is repeated at every delivery)."""
    try:
        await ssrf.resolve_public(url, allow_private=allow_private)
    except ssrf.UnsafeURL as exc:
        raise UnsafeWebhookUrl(
            f"This URL cannot receive webhooks: {exc}",
            errors=[FieldError(location="body.url", message=str(exc))],
        ) from exc


def _endpoint_out(endpoint: WebhookEndpoint) -> EndpointOut:
    return EndpointOut(
        id=endpoint.id,
        url=endpoint.url,
        description=endpoint.description,
        event_types=list(endpoint.event_types),
        enabled=endpoint.enabled,
        disabled_reason=endpoint.disabled_reason,
        created_at=endpoint.created_at,
        updated_at=endpoint.updated_at,
    )


async def create_endpoint(
    session: AsyncSession, body: EndpointCreate, *, allow_private: bool
) -> EndpointCreated:
    await check_url(body.url, allow_private=allow_private)
    now = utcnow()
    endpoint = WebhookEndpoint(
        id=new_id(),
        url=body.url,
        description=body.description,
        event_types=sorted(set(body.event_types)),
        enabled=body.enabled,
        disabled_reason=None,
        secret=signing.generate_secret(),
        previous_secret=None,
        previous_secret_expires_at=None,
        failing_since=None,
        created_at=now,
        updated_at=now,
    )
    WebhookRepository(session).add_endpoint(endpoint)
    await session.flush()
    return EndpointCreated(**_endpoint_out(endpoint).model_dump(), secret=endpoint.secret)


async def _get(session: AsyncSession, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    endpoint = await WebhookRepository(session).endpoint(endpoint_id)
    if endpoint is None:
        raise EndpointNotFound(f"Webhook endpoint {endpoint_id} does not exist.")
    return endpoint


async def get_endpoint(session: AsyncSession, endpoint_id: uuid.UUID) -> EndpointOut:
    return _endpoint_out(await _get(session, endpoint_id))


async def list_endpoints(
    session: AsyncSession, cursor: uuid.UUID | None, limit: int
) -> EndpointPage:
    rows = await WebhookRepository(session).endpoints(cursor, limit + 1)
    page, more = rows[:limit], len(rows) > limit
    return EndpointPage(
        data=[_endpoint_out(e) for e in page], next_cursor=str(page[-1].id) if more else None
    )


async def update_endpoint(
    session: AsyncSession, endpoint_id: uuid.UUID, body: EndpointUpdate, *, allow_private: bool
) -> EndpointOut:
    endpoint = await _get(session, endpoint_id)
    if body.url is not None:
        await check_url(body.url, allow_private=allow_private)
        endpoint.url = body.url
    if body.event_types is not None:
        endpoint.event_types = sorted(set(body.event_types))
    if "description" in body.model_fields_set:
        endpoint.description = body.description
    if body.enabled is not None:
        endpoint.enabled = body.enabled
        if body.enabled:  # re-enabled by the merchant: start the failure clock afresh
            endpoint.disabled_reason = None
            endpoint.failing_since = None
    endpoint.updated_at = utcnow()
    await session.flush()
    return _endpoint_out(endpoint)


async def delete_endpoint(session: AsyncSession, endpoint_id: uuid.UUID) -> None:
    endpoint = await _get(session, endpoint_id)
    await WebhookRepository(session).delete_endpoint(endpoint)
    await session.flush()


async def rotate_secret(
    session: AsyncSession, endpoint_id: uuid.UUID, grace: timedelta
) -> SecretRotated:
    endpoint = await _get(session, endpoint_id)
    now = utcnow()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = now + grace
    endpoint.secret = signing.generate_secret()
    endpoint.updated_at = now
    await session.flush()
    return SecretRotated(
        secret=endpoint.secret, previous_secret_expires_at=endpoint.previous_secret_expires_at
    )


async def send_ping(session: AsyncSession, endpoint_id: uuid.UUID) -> uuid.UUID:
    endpoint = await _get(session, endpoint_id)
    return await record_event(
        session, "ping", {"endpoint_id": str(endpoint.id), "object": {"message": "ping"}}
    )


def _event_out(event: Event) -> EventOut:
    return EventOut.model_validate(envelope(event.id, event.type, event.created_at, event.data))


async def get_event(session: AsyncSession, event_id: uuid.UUID) -> EventOut:
    event = await WebhookRepository(session).event(event_id)
    if event is None:
        raise EventNotFound(f"Event {event_id} does not exist.")
    return _event_out(event)


async def list_events(
    session: AsyncSession,
    *,
    type_: str | None,
    return_id: uuid.UUID | None,
    created_after: datetime | None,
    created_before: datetime | None,
    delivery_failed: bool | None,
    cursor: uuid.UUID | None,
    limit: int,
) -> EventPage:
    """Oldest first (delivery order), keyset-paginated by id."""
    rows = await WebhookRepository(session).events(
        type_=type_,
        return_id=return_id,
        created_after=created_after,
        created_before=created_before,
        delivery_failed=delivery_failed,
        after=cursor,
        limit=limit + 1,
    )
    page, more = rows[:limit], len(rows) > limit
    return EventPage(
        data=[_event_out(e) for e in page], next_cursor=str(page[-1].id) if more else None
    )


async def list_deliveries(
    session: AsyncSession,
    endpoint_id: uuid.UUID,
    *,
    status: str | None,
    cursor: uuid.UUID | None,
    limit: int,
) -> DeliveryPage:
    await _get(session, endpoint_id)
    repo = WebhookRepository(session)
    rows = await repo.deliveries(endpoint_id, status=status, before=cursor, limit=limit + 1)
    page, more = rows[:limit], len(rows) > limit
    attempts: dict[uuid.UUID, list[AttemptOut]] = {}
    if page:
        for attempt in await repo.attempts([d.id for d, _ in page]):
            attempts.setdefault(attempt.delivery_id, []).append(
                AttemptOut(
                    attempted_at=attempt.attempted_at,
                    status_code=attempt.status_code,
                    latency_ms=attempt.latency_ms,
                    error=attempt.error,
                )
            )
    return DeliveryPage(
        data=[_delivery_out(d, event_type, attempts.get(d.id, [])) for d, event_type in page],
        next_cursor=str(page[-1][0].id) if more else None,
    )


def _delivery_out(
    delivery: WebhookDelivery, event_type: str, attempts: list[AttemptOut]
) -> DeliveryOut:
    return DeliveryOut(
        id=delivery.id,
        event_id=delivery.event_id,
        event_type=event_type,
        status=delivery.status,  # type: ignore[arg-type]
        attempts=delivery.attempts,
        next_attempt_at=delivery.next_attempt_at if delivery.status == "pending" else None,
        last_status_code=delivery.last_status_code,
        last_error=delivery.last_error,
        delivered_at=delivery.delivered_at,
        created_at=delivery.created_at,
        attempt_log=attempts,
    )


async def retry_delivery(
    session: AsyncSession, endpoint_id: uuid.UUID, delivery_id: uuid.UUID
) -> DeliveryOut:
    """Redeliver by hand: a fresh retry schedule, due now (same webhook-id)."""
    await _get(session, endpoint_id)  # an unknown endpoint is named as such, as documented
    repo = WebhookRepository(session)
    delivery = await repo.delivery(delivery_id)
    if delivery is None or delivery.endpoint_id != endpoint_id:
        raise DeliveryNotFound(f"Delivery {delivery_id} does not exist for this endpoint.")
    event = await repo.event(delivery.event_id)
    assert event is not None
    if delivery.status != "delivering":
        delivery.status = "pending"
        delivery.attempts = 0
        delivery.next_attempt_at = utcnow()
        delivery.updated_at = utcnow()
        await session.flush()
    return _delivery_out(delivery, event.type, [])


async def replay(session: AsyncSession, endpoint_id: uuid.UUID, body: ReplayIn) -> ReplayOut:
    """Send a time range of events to an endpoint again (or for the first time)."""
    endpoint = await _get(session, endpoint_id)
    repo = WebhookRepository(session)
    subscriber = {"id": endpoint.id, "event_types": endpoint.event_types}
    events = [
        e
        for e in await repo.events_to_replay(
            body.created_after, body.created_before, body.event_types
        )
        if subscribed(subscriber, e)
    ]
    if not events:
        return ReplayOut(scheduled=0)
    now = utcnow()
    existing = await repo.events_with_delivery(endpoint_id, [e["id"] for e in events])
    await repo.reschedule(endpoint_id, existing, now)
    # New deliveries are the rows the dispatcher's routing writes, written the same way.
    await OutboxRepository(session).add_deliveries(
        [delivery_row(e, endpoint_id, now) for e in events if e["id"] not in existing]
    )
    return ReplayOut(scheduled=len(events))
