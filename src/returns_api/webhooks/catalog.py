"""The OpenAPI ``webhooks`` section: one entry per event type, with its payload and headers.

These routes are never served; ``app.webhooks`` only puts them in the document, so that
consumers can generate types for what they receive.
"""

# No `from __future__ import annotations`: the receivers below are annotated with a model
# chosen at run time, which FastAPI must see as a class, not as a name to resolve.

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Body, Header, Response

from returns_api.webhooks.events import EVENT_TYPES
from returns_api.webhooks.payloads import WebhookPayload, payload_model

WHEN: dict[str, str] = {
    "return.created": "A return was requested. `data.object.status` says how the policy "
    "judged it at once: `pending_review`, `approved` or `rejected`.",
    "return.approved": "A person approved a return that was waiting for review; the customer "
    "can now send it back (`data.object.instructions`).",
    "return.rejected": "A person rejected a return that was waiting for review.",
    "return.cancelled": "The customer or the merchant cancelled a return before it shipped.",
    "return.in_transit": "The first carrier event: the parcel is on its way back.",
    "return.received": "The warehouse recorded what arrived; `data.object.amounts` now counts "
    "the accepted units.",
    "return.refunded": "A refund was recorded (one event per partial refund); see "
    "`data.object.refunds` and `data.object.amounts`.",
    "return.completed": "The return was closed.",
    "return.expired": "An approved return was not sent back in time and expired.",
    "policy.updated": "A new version of the return policy was published.",
    "webhook_endpoint.disabled": "An endpoint was disabled: it answered 410 Gone, or failed "
    "continuously for too long. Sent to the other endpoints subscribed to it.",
    "ping": "A test event, sent to one endpoint by `POST /v1/webhook-endpoints/{id}/test`.",
}

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


def _receiver(model: type[WebhookPayload]) -> Callable[..., Awaitable[Response]]:
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
    for event_type in EVENT_TYPES:
        model = payload_model(event_type)
        webhooks.add_api_route(
            event_type,
            _receiver(model),
            methods=["POST"],
            operation_id=_operation_id(event_type),
            summary=f"`{event_type}`",
            description=WHEN[event_type] + _DELIVERY,
            tags=["Webhooks"],
            response_class=Response,
            responses={
                200: {"description": "Any 2xx acknowledges the delivery."},
                410: {"description": "Gone: the endpoint is disabled at once."},
                429: {"description": "Retried after `Retry-After` seconds (also on 503)."},
                "default": {"description": "Anything else is retried later."},
            },
        )
