"""Customer e-mail: the log, resends and previews.

Scope `returns:manage`: the log shows customers' addresses and what was said to them, and a
resend writes to a customer; that is the staff's work on returns (the console), not a
storefront's (`returns:read`/`returns:write`) nor an ERP's (`webhooks:manage`).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request

from returns_api.auth.caller import Caller
from returns_api.auth.dependencies import require
from returns_api.core.cursors import IdCursor
from returns_api.core.errors import Forbidden, Unauthorized, problems
from returns_api.core.http import IdempotencyKeyHeader
from returns_api.core.ids import not_found_unless_uuid
from returns_api.core.routing import SessionDep, UnitOfWorkRoute
from returns_api.core.settings import SettingsDep
from returns_api.notifications import service
from returns_api.notifications.composer import Composer
from returns_api.notifications.exceptions import (
    NotificationNotFound,
    NotificationsOff,
    TemplateRefused,
)
from returns_api.notifications.schemas import (
    NotificationOut,
    NotificationPage,
    NotificationStatus,
    PreviewIn,
    PreviewOut,
)
from returns_api.returns.exceptions import ReturnNotFound

router = APIRouter(prefix="/v1", tags=["Notifications"], route_class=UnitOfWorkRoute)
_AUTH = (Unauthorized, Forbidden)
Staff = Annotated[Caller, require("returns:manage")]
Limit = Annotated[int, Query(ge=1, le=100)]
NotificationId = Annotated[
    uuid.UUID, not_found_unless_uuid(NotificationNotFound, "Notification {} does not exist.")
]


@router.get(
    "/notifications",
    operation_id="listNotifications",
    response_model=NotificationPage,
    responses=problems(*_AUTH, 422),
)
async def list_notifications(
    session: SessionDep,
    caller: Staff,
    return_id: uuid.UUID | None = None,
    status: NotificationStatus | None = None,
    cursor: IdCursor = None,
    limit: Limit = 25,
) -> NotificationPage:
    """Customer e-mails, newest first, each with every attempt to send it."""
    return await service.list_notifications(
        session, return_id=return_id, status=status, cursor=cursor, limit=limit
    )


@router.post(
    "/notifications/{notification_id}/resend",
    operation_id="resendNotification",
    response_model=NotificationOut,
    responses=problems(*_AUTH, NotificationNotFound, NotificationsOff),
)
async def resend_notification(
    notification_id: NotificationId,
    session: SessionDep,
    settings: SettingsDep,
    caller: Staff,
    idempotency_key: IdempotencyKeyHeader = None,
) -> NotificationOut:
    """Send an e-mail again now, with the same Message-ID and a fresh retry schedule."""
    return await service.resend(
        session,
        notification_id,
        enabled=settings.notifications_enabled,
        acknowledgements_enabled=settings.mail_worker_runs,
    )


@router.post(
    "/notifications/preview",
    operation_id="previewNotification",
    response_model=PreviewOut,
    responses=problems(*_AUTH, ReturnNotFound, TemplateRefused, 422),
)
async def preview_notification(
    body: PreviewIn,
    request: Request,
    session: SessionDep,
    caller: Staff,
    idempotency_key: IdempotencyKeyHeader = None,  # accepted like every POST's; nothing runs twice
) -> PreviewOut:
    """Render the e-mail for a return, event type and locale, without sending it."""
    composer: Composer = request.app.state.composer
    return await service.preview(session, caller, body, composer)
