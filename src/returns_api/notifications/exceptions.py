from __future__ import annotations

from returns_api.core.errors import Conflict, NotFound, Unprocessable


class NotificationNotFound(NotFound):
    """No such notification."""

    slug = "notification-not-found"


class NotificationsOff(Conflict):
    """Customer e-mail is off (`RETURNS_NOTIFICATIONS_ENABLED`): nothing would send it."""

    slug = "notifications-disabled"


class TemplateRefused(Unprocessable):
    """The template failed to render: missing, malformed, or refused by the sandbox."""

    slug = "template-error"
