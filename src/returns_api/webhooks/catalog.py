"""The OpenAPI ``webhooks`` section: one entry per event type, with its payload and headers.

These routes are never served; ``app.webhooks`` only puts them in the document, so that
consumers can generate types for what they receive.
"""

# No `from __future__ import annotations`: the receivers below are annotated with a model
# chosen at run time, which FastAPI must see as a class, not as a name to resolve.

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Body, Header, Response
from pydantic import BaseModel

from returns_api.webhooks.definitions import EVENTS, payload_model

_DELIVERY = """

Delivered at least once, following [Standard Webhooks](https://www.standardwebhooks.com/):
verify `webhook-signature` on the raw body with your endpoint's `whsec_` secret, and
deduplicate on `webhook-id`. Answer any 2xx within 10 seconds; anything else (redirects too)
is retried for about 3 days, honouring `Retry-After` on 429 and 503; 410 Gone disables the
endpoint at once."""

WebhookId = Annotated[
    str,
    Header(
        alias="webhook-id",
        description="The event id (the payload's `id`): the same on every retry; "
        "deduplicate on it.",
    ),
]
WebhookTimestamp = Annotated[
    str,
    Header(
        alias="webhook-timestamp",
        pattern=r"^[0-9]+$",
        description="Unix seconds when this attempt was signed; refuse old ones (replays).",
        examples=["1763991000"],
    ),
]
WebhookSignature = Annotated[
    str,
    Header(
        alias="webhook-signature",
        description="`v1,<base64 HMAC-SHA256 of id.timestamp.body>`, space-separated when "
        "two secrets sign (during a secret rotation): any one valid signature suffices.",
        examples=["v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="],
    ),
]


def _operation_id(event_type: str) -> str:
    words = event_type.replace(".", "_").split("_")
    return "on" + "".join(word.capitalize() for word in words)


def _receiver(model: type[BaseModel]) -> Callable[..., Awaitable[Response]]:
    async def receive(
        payload: Annotated[model, Body()],  # type: ignore[valid-type]
        webhook_id: WebhookId,
        webhook_timestamp: WebhookTimestamp,
        webhook_signature: WebhookSignature,
    ) -> Response:
        raise NotImplementedError  # documentation only: subscribers implement this

    return receive


def register_webhooks(webhooks: APIRouter) -> None:
    """One `POST` per event type on ``app.webhooks`` (OpenAPI 3.1 `webhooks`)."""
    for event_type, event in EVENTS.items():
        model = payload_model(event_type)
        webhooks.add_api_route(
            event_type,
            _receiver(model),
            methods=["POST"],
            operation_id=_operation_id(event_type),
            summary=f"`{event_type}`",
            description=event.when + _DELIVERY,
            tags=["Webhooks"],
            response_class=Response,
            responses={
                200: {"description": "Any 2xx acknowledges the delivery."},
                410: {"description": "Gone: the endpoint is disabled at once."},
                429: {"description": "Retried after `Retry-After` seconds (also on 503)."},
                "default": {"description": "Anything else is retried later."},
            },
        )
