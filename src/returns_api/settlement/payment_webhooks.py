"""A payment provider's webhook about refunds (Stripe: `refund.created`, `refund.updated`,
`refund.failed`, `charge.refund.updated`): verified by its signature, then applied to our
refund it names in its metadata."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel

from returns_api.core.clock import utcnow
from returns_api.core.errors import InvalidWebhookSignature, NotFound, problems
from returns_api.core.ids import new_id
from returns_api.core.routing import SessionDep, UnitOfWorkRoute
from returns_api.returns.parts import Act
from returns_api.settlement.executor import InvalidSignature, PaymentExecutor
from returns_api.settlement.refund_worker import apply_provider_refund
from returns_api.settlement.repository import RefundRepository

router = APIRouter(tags=["Refunds"], route_class=UnitOfWorkRoute)
Provider = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{0,31}$")]


class UnknownProvider(NotFound):
    """No payment provider of this name is configured here."""

    slug = "unknown-payment-provider"


class PaymentWebhookOut(BaseModel):
    """Refunds updated, and reports ignored (not ours, already settled, or no news)."""

    applied: int
    ignored: int


_BODY = {
    "required": True,
    "description": "The provider's event, as it sends it (Stripe: an Event object).",
    "content": {
        "application/json": {
            "schema": {"type": "object", "additionalProperties": True},
            "example": {
                "object": "event",
                "type": "refund.updated",
                "data": {"object": {"object": "refund", "id": "re_1", "status": "succeeded"}},
            },
        }
    },
}


@router.post(
    "/v1/payments/{provider}/webhooks",
    operation_id="receivePaymentWebhook",
    response_model=PaymentWebhookOut,
    responses=problems(UnknownProvider, InvalidWebhookSignature, 413, 422),
    openapi_extra={"requestBody": _BODY},
)
async def receive_payment_webhook(
    provider: Provider, request: Request, session: SessionDep
) -> PaymentWebhookOut:
    """Receive a payment provider's refund webhook, verified by the signature it documents.

    Stripe signs with `Stripe-Signature` (the endpoint secret, RETURNS_STRIPE_WEBHOOK_SECRET).
    No API key: the signature is the credential; a bad one is a 401 and nothing is read.
    `succeeded` settles the refund (`return.refunded`); `failed` and `canceled` fail it
    (`return.refund_failed`, the amount is left to refund again); `pending` and
    `requires_action` keep it pending. Reports of refunds that are not ours, or already
    settled, answer 200 and change nothing.
    """
    executors: dict[str, PaymentExecutor] = request.app.state.executors
    executor = executors.get(provider)
    if executor is None:
        raise UnknownProvider(f"No payment provider {provider!r} is configured here.")
    try:
        updates = executor.updates(await request.body(), request.headers)
    except InvalidSignature as exc:
        raise InvalidWebhookSignature(f"The {provider} signature does not verify.") from exc
    recheck = request.app.state.settings.refund_recheck_seconds
    applied = ignored = 0
    refunds = RefundRepository(session)
    for update in updates:
        return_id = await refunds.return_of(update.refund_id) if update.refund_id else None
        act = Act(actor=f"payments:{provider}", at=utcnow(), new_id=new_id)
        if (
            return_id is not None
            and update.refund_id is not None
            and (
                await apply_provider_refund(
                    session, return_id, update.refund_id, update, act, recheck
                )
            )
        ):
            applied += 1
        else:
            ignored += 1
    return PaymentWebhookOut(applied=applied, ignored=ignored)
