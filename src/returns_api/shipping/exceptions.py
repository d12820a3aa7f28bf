from returns_api.core.errors import NotFound, ReturnsError


class UnknownCarrier(NotFound):
    """No carrier of this name sends webhooks here (not configured, or the built-in one)."""

    slug = "unknown-carrier"


class InvalidWebhookSignature(ReturnsError):
    """The carrier's signature does not verify: nothing in the delivery was read."""

    status, slug, title = 401, "invalid-signature", "Unauthorized"
