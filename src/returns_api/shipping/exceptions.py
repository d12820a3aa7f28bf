from returns_api.core.errors import NotFound


class UnknownCarrier(NotFound):
    """No carrier of this name sends webhooks here (not configured, or the built-in one)."""

    slug = "unknown-carrier"
