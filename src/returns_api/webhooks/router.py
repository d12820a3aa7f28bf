from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Response

from returns_api.auth.caller import Caller
from returns_api.auth.dependencies import require
from returns_api.core.errors import Forbidden, Unauthorized, problems
from returns_api.core.http import FilterText, IdempotencyKeyHeader
from returns_api.core.ids import not_found_unless_uuid
from returns_api.core.routing import SessionDep, UnitOfWorkRoute
from returns_api.core.settings import SettingsDep
from returns_api.core.timestamps import Timestamp
from returns_api.webhooks import service
from returns_api.webhooks.schemas import (
    DeliveryOut,
    DeliveryPage,
    DeliveryStatus,
    EndpointCreate,
    EndpointCreated,
    EndpointOut,
    EndpointPage,
    EndpointUpdate,
    EventOut,
    EventPage,
    PingSent,
    ReplayIn,
    ReplayOut,
    SecretRotated,
)

router = APIRouter(prefix="/v1", tags=["Webhooks"], route_class=UnitOfWorkRoute)
_AUTH = (Unauthorized, Forbidden)
Manager = Annotated[Caller, require("webhooks:manage")]
Limit = Annotated[int, Query(ge=1, le=100)]
# Ids in paths: one that is no UUID names nothing, like an unknown one (the same 404).
EndpointId = Annotated[
    uuid.UUID,
    not_found_unless_uuid(service.EndpointNotFound, "Webhook endpoint {} does not exist."),
]
DeliveryId = Annotated[
    uuid.UUID,
    not_found_unless_uuid(
        service.DeliveryNotFound, "Delivery {} does not exist for this endpoint."
    ),
]
EventId = Annotated[
    uuid.UUID, not_found_unless_uuid(service.EventNotFound, "Event {} does not exist.")
]


@router.post(
    "/webhook-endpoints",
    operation_id="createWebhookEndpoint",
    status_code=201,
    response_model=EndpointCreated,
    responses=problems(*_AUTH, service.UnsafeWebhookUrl, 422),
)
async def create_webhook_endpoint(
    body: EndpointCreate,
    session: SessionDep,
    settings: SettingsDep,
    caller: Manager,
    idempotency_key: IdempotencyKeyHeader = None,
) -> EndpointCreated:
    """Subscribe a URL to events; the signing secret is in this answer only."""
    return await service.create_endpoint(
        session, body, allow_private=settings.webhooks_allow_private_urls
    )


@router.get(
    "/webhook-endpoints",
    operation_id="listWebhookEndpoints",
    response_model=EndpointPage,
    responses=problems(*_AUTH),
)
async def list_webhook_endpoints(
    session: SessionDep, caller: Manager, cursor: uuid.UUID | None = None, limit: Limit = 25
) -> EndpointPage:
    """List webhook endpoints."""
    return await service.list_endpoints(session, cursor, limit)


@router.get(
    "/webhook-endpoints/{endpoint_id}",
    operation_id="getWebhookEndpoint",
    response_model=EndpointOut,
    responses=problems(*_AUTH, service.EndpointNotFound),
)
async def get_webhook_endpoint(
    endpoint_id: EndpointId, session: SessionDep, caller: Manager
) -> EndpointOut:
    """Read one webhook endpoint (never its secret)."""
    return await service.get_endpoint(session, endpoint_id)


@router.patch(
    "/webhook-endpoints/{endpoint_id}",
    operation_id="updateWebhookEndpoint",
    response_model=EndpointOut,
    responses=problems(*_AUTH, service.EndpointNotFound, service.UnsafeWebhookUrl, 422),
)
async def update_webhook_endpoint(
    endpoint_id: EndpointId,
    body: EndpointUpdate,
    session: SessionDep,
    settings: SettingsDep,
    caller: Manager,
) -> EndpointOut:
    """Change an endpoint's URL, events, description, or enable it again."""
    return await service.update_endpoint(
        session, endpoint_id, body, allow_private=settings.webhooks_allow_private_urls
    )


@router.delete(
    "/webhook-endpoints/{endpoint_id}",
    operation_id="deleteWebhookEndpoint",
    status_code=204,
    response_class=Response,
    responses=problems(*_AUTH, service.EndpointNotFound),
)
async def delete_webhook_endpoint(
    endpoint_id: EndpointId, session: SessionDep, caller: Manager
) -> Response:
    """Delete an endpoint and its pending deliveries."""
    await service.delete_endpoint(session, endpoint_id)
    return Response(status_code=204)


@router.post(
    "/webhook-endpoints/{endpoint_id}/rotate-secret",
    operation_id="rotateWebhookSecret",
    response_model=SecretRotated,
    responses=problems(*_AUTH, service.EndpointNotFound),
)
async def rotate_webhook_secret(
    endpoint_id: EndpointId,
    session: SessionDep,
    settings: SettingsDep,
    caller: Manager,
    idempotency_key: IdempotencyKeyHeader = None,
) -> SecretRotated:
    """New signing secret; the old one keeps signing too during a grace period."""
    grace = timedelta(hours=settings.webhooks_secret_rotation_grace_hours)
    return await service.rotate_secret(session, endpoint_id, grace)


@router.post(
    "/webhook-endpoints/{endpoint_id}/test",
    operation_id="sendWebhookPing",
    status_code=202,
    response_model=PingSent,
    responses=problems(*_AUTH, service.EndpointNotFound),
)
async def send_webhook_ping(
    endpoint_id: EndpointId,
    session: SessionDep,
    caller: Manager,
    idempotency_key: IdempotencyKeyHeader = None,
) -> PingSent:
    """Send a `ping` event to this endpoint only."""
    return PingSent(event_id=await service.send_ping(session, endpoint_id))


@router.get(
    "/webhook-endpoints/{endpoint_id}/deliveries",
    operation_id="listWebhookDeliveries",
    response_model=DeliveryPage,
    responses=problems(*_AUTH, service.EndpointNotFound),
)
async def list_webhook_deliveries(
    endpoint_id: EndpointId,
    session: SessionDep,
    caller: Manager,
    status: DeliveryStatus | None = None,
    cursor: uuid.UUID | None = None,
    limit: Limit = 25,
) -> DeliveryPage:
    """Deliveries to an endpoint, newest first, with every attempt."""
    return await service.list_deliveries(
        session, endpoint_id, status=status, cursor=cursor, limit=limit
    )


@router.post(
    "/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/retry",
    operation_id="retryWebhookDelivery",
    response_model=DeliveryOut,
    responses=problems(*_AUTH, service.EndpointNotFound, service.DeliveryNotFound),
)
async def retry_webhook_delivery(
    endpoint_id: EndpointId,
    delivery_id: DeliveryId,
    session: SessionDep,
    caller: Manager,
    idempotency_key: IdempotencyKeyHeader = None,
) -> DeliveryOut:
    """Redeliver now, with a fresh retry schedule."""
    return await service.retry_delivery(session, endpoint_id, delivery_id)


@router.post(
    "/webhook-endpoints/{endpoint_id}/replay",
    operation_id="replayWebhookEvents",
    response_model=ReplayOut,
    responses=problems(*_AUTH, service.EndpointNotFound, 422),
)
async def replay_webhook_events(
    endpoint_id: EndpointId,
    body: ReplayIn,
    session: SessionDep,
    caller: Manager,
    idempotency_key: IdempotencyKeyHeader = None,
) -> ReplayOut:
    """Send the events of a time range to this endpoint again."""
    return await service.replay(session, endpoint_id, body)


@router.get(
    "/events", operation_id="listEvents", response_model=EventPage, responses=problems(*_AUTH)
)
async def list_events(
    session: SessionDep,
    caller: Manager,
    type: Annotated[FilterText | None, Query()] = None,
    return_id: uuid.UUID | None = None,
    created_after: Timestamp | None = None,
    created_before: Timestamp | None = None,
    delivery_failed: bool | None = None,
    cursor: uuid.UUID | None = None,
    limit: Limit = 25,
) -> EventPage:
    """The event log, oldest first: what was (or will be) delivered to subscribers."""
    return await service.list_events(
        session,
        type_=type,
        return_id=return_id,
        created_after=created_after,
        created_before=created_before,
        delivery_failed=delivery_failed,
        cursor=cursor,
        limit=limit,
    )


@router.get(
    "/events/{event_id}",
    operation_id="getEvent",
    response_model=EventOut,
    responses=problems(*_AUTH, service.EventNotFound),
)
async def get_event(event_id: EventId, session: SessionDep, caller: Manager) -> EventOut:
    """Read one event, exactly as it is delivered."""
    return await service.get_event(session, event_id)
