"""The notification log (list, resend) and the template preview: load, call, show."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from returns_api.auth.caller import Caller
from returns_api.core.clock import utcnow
from returns_api.core.cursors import decode_id_cursor, encode_id_cursor
from returns_api.core.errors import FieldError
from returns_api.notifications.catalogue import DUTY_EVENTS
from returns_api.notifications.composer import Composer
from returns_api.notifications.exceptions import (
    NotificationNotFound,
    NotificationsOff,
    TemplateRefused,
)
from returns_api.notifications.repository import NotificationRepository
from returns_api.notifications.schemas import (
    NotificationAttemptOut,
    NotificationOut,
    NotificationPage,
    PreviewIn,
    PreviewOut,
)
from returns_api.notifications.templates import TemplateFailure
from returns_api.returns import views
from returns_api.returns.exceptions import ReturnNotFound
from returns_api.returns.service import visible
from returns_api.returns.store import ReturnStore


async def list_notifications(
    session: AsyncSession,
    *,
    return_id: uuid.UUID | None,
    status: str | None,
    cursor: str | None,
    limit: int,
) -> NotificationPage:
    """Newest first, each with its attempts."""
    repo = NotificationRepository(session)
    rows = await repo.page(
        return_id=return_id,
        status=status,
        before=decode_id_cursor(cursor) if cursor else None,
        limit=limit + 1,
    )
    shown = rows[:limit]
    data = await _with_attempts(repo, shown)
    more = len(rows) > limit
    return NotificationPage(data=data, next_cursor=encode_id_cursor(data[-1].id) if more else None)


async def resend(
    session: AsyncSession,
    notification_id: uuid.UUID,
    *,
    enabled: bool,
    acknowledgements_enabled: bool,
) -> NotificationOut:
    """Due again now, with a fresh retry schedule and the same `Message-ID`: a client that
    got the first one shows one mail, one that did not gets it now. The acknowledgement of a
    withdrawal needs only SMTP (it is sent while customer e-mail is off)."""
    repo = NotificationRepository(session)
    found = await repo.get(notification_id)
    if found is None:
        raise NotificationNotFound(f"Notification {notification_id} does not exist.")
    duty = found["event_type"] in DUTY_EVENTS
    if not (acknowledgements_enabled if duty else enabled):
        raise NotificationsOff(
            "Customer e-mail is off (RETURNS_NOTIFICATIONS_ENABLED): nothing would send it."
        )
    now = utcnow()
    await repo.update(
        notification_id,
        {"status": "pending", "attempts": 0, "next_attempt_at": now, "updated_at": now},
    )
    row = await repo.get(notification_id)
    assert row is not None
    return (await _with_attempts(repo, [row]))[0]


async def preview(
    session: AsyncSession, caller: Caller, body: PreviewIn, composer: Composer
) -> PreviewOut:
    """The mail for the return as it is now; nothing is sent or written."""
    ret = await ReturnStore(session).load(body.return_id)
    if ret is None or not visible(caller, ret.order_id, ret.id):
        raise ReturnNotFound(f"Return {body.return_id} does not exist.")
    locale = body.locale or ret.locale
    shown = views.return_out(ret).model_dump(mode="json")
    try:
        mail = composer.compose(body.event_type, locale, shown)
    except TemplateFailure as exc:
        raise TemplateRefused(
            f"The template for {body.event_type} ({locale}) failed: {exc}",
            errors=[FieldError(location="body.event_type", message=str(exc)[:500])],
        ) from exc
    return PreviewOut(
        event_type=body.event_type,
        locale=locale,
        subject=mail.subject,
        text=mail.text,
        html=mail.html,
    )


async def _with_attempts(
    repo: NotificationRepository, rows: Sequence[Mapping[str, Any]]
) -> list[NotificationOut]:
    attempts: dict[uuid.UUID, list[NotificationAttemptOut]] = {}
    for attempt in await repo.attempts_of([row["id"] for row in rows]):
        attempts.setdefault(attempt["notification_id"], []).append(
            NotificationAttemptOut.model_validate(dict(attempt))
        )
    return [
        NotificationOut.model_validate({**row, "attempt_log": attempts.get(row["id"], [])})
        for row in rows
    ]
