"""Stripe as a payment executor: refunds created through the official SDK (`stripe` ≥ 12,
`StripeClient.v1`), found again by our id in their metadata, and read from Stripe's signed
`refund.*` webhooks.

Stripe keeps an idempotency key about 24 hours, so a refund whose answer was lost is found by
`returns_refund_id` in the payment intent's refunds (`find`), never by sending it again.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import structlog
from stripe import (
    APIConnectionError,
    AuthenticationError,
    IdempotencyError,
    PermissionError,
    RateLimitError,
    SignatureVerificationError,
    StripeClient,
    StripeError,
)
from stripe.params import RefundCreateParams, RefundListParams

from returns_api.settlement.executor import (
    ExecutorError,
    InvalidSignature,
    Payment,
    ProviderRefund,
    ProviderStatus,
    RefundRequest,
)

log = structlog.get_logger(__name__)

METADATA_REFUND_ID = "returns_refund_id"
METADATA_RMA_NUMBER = "rma_number"

# Stripe's Refund statuses. `requires_action` waits for the customer (refund instructions
# by email): not settled yet. A refund Stripe cancels is as good as failed: no money moved.
_STATUS: Mapping[str, ProviderStatus] = {
    "pending": "pending",
    "requires_action": "pending",
    "succeeded": "succeeded",
    "failed": "failed",
    "canceled": "failed",
}
# Events whose `data.object` is a Refund.
_REFUND_EVENTS = frozenset(
    {"refund.created", "refund.updated", "refund.failed", "charge.refund.updated"}
)
_SIGNATURE_HEADER = "stripe-signature"
_PAGE_SIZE = 100  # Stripe's largest page
# 409: another request with the same idempotency key is still running at Stripe.
_RETRYABLE_STATUSES = frozenset({409, 429})


class StripeExecutor:
    """The `PaymentExecutor` protocol over the Stripe API (synchronous, as the SDK is)."""

    code = "stripe"

    def __init__(
        self,
        api_key: str,
        *,
        webhook_secret: str | None,
        api_base: str | None = None,
        # Our refund worker retries (with a new key, after `find`): the SDK's own retries
        # would only hide the attempts from it.
        max_network_retries: int = 0,
    ) -> None:
        self._client = StripeClient(
            api_key,
            base_addresses={"api": api_base.rstrip("/")} if api_base else None,
            max_network_retries=max_network_retries,
        )
        self._api_key = api_key
        self._webhook_secret = webhook_secret or None

    def send(self, request: RefundRequest) -> ProviderRefund:
        """Refund part or all of the payment intent. Stripe takes the currency from the payment
        intent (its `currency` parameter is for customer-balance refunds), so a request in
        another currency than its payment is refused here rather than sent."""
        if request.currency.upper() != request.payment.currency.upper():
            raise ExecutorError(
                f"refund {request.refund_id} is in {request.currency}, its payment "
                f"{request.payment.reference} in {request.payment.currency}",
                retryable=False,
            )
        params: RefundCreateParams = {
            "payment_intent": request.payment.reference,
            "amount": request.amount,
            "metadata": {
                METADATA_REFUND_ID: str(request.refund_id),
                METADATA_RMA_NUMBER: request.rma_number,
            },
        }
        try:
            refund = self._client.v1.refunds.create(
                params=params, options={"idempotency_key": request.idempotency_key}
            )
        except StripeError as exc:
            raise self._executor_error(exc, f"refund {request.refund_id}") from exc
        return provider_refund(refund.to_dict())

    def find(self, refund_id: uuid.UUID, payment: Payment) -> ProviderRefund | None:
        """Page through the payment intent's refunds (newest first) for our id."""
        params: RefundListParams = {"payment_intent": payment.reference, "limit": _PAGE_SIZE}
        wanted = str(refund_id)
        while True:
            try:
                page = self._client.v1.refunds.list(params=params)
            except StripeError as exc:
                raise self._executor_error(exc, f"list the refunds of {payment.reference}") from exc
            for item in page.data:
                refund = item.to_dict()
                if (refund.get("metadata") or {}).get(METADATA_REFUND_ID) == wanted:
                    return provider_refund(refund)
            if not page.has_more or not page.data:
                return None
            params["starting_after"] = page.data[-1].id

    def updates(self, body: bytes, headers: Mapping[str, str]) -> list[ProviderRefund]:
        """The refund a signed `refund.*` (or `charge.refund.updated`) event carries.

        A body that is signed but not JSON gives none (logged) rather than an error: Stripe
        would only deliver the same bytes again, and disables an endpoint that keeps failing."""
        if self._webhook_secret is None:
            raise InvalidSignature(
                "no Stripe webhook secret is configured: unsigned deliveries are refused"
            )
        signature = next((v for k, v in headers.items() if k.lower() == _SIGNATURE_HEADER), None)
        if not signature:
            raise InvalidSignature("the delivery has no Stripe-Signature header")
        try:
            event = self._client.construct_event(body, signature, self._webhook_secret).to_dict()
        except SignatureVerificationError as exc:
            raise InvalidSignature(str(exc)) from exc
        except ValueError:  # signed, but not JSON (or not UTF-8)
            log.warning("stripe_webhook_unreadable", size=len(body))
            return []
        if event.get("type") not in _REFUND_EVENTS:
            return []
        refund = (event.get("data") or {}).get("object")
        if not isinstance(refund, Mapping) or refund.get("object") != "refund":
            log.warning("stripe_refund_event_without_refund", event_id=event.get("id"))
            return []
        return [provider_refund(refund)]

    def _executor_error(self, exc: StripeError, doing: str) -> ExecutorError:
        status = exc.http_status
        if isinstance(exc, IdempotencyError | AuthenticationError | PermissionError):
            retryable = False  # a key reused for other parameters, or our credentials
        elif isinstance(exc, APIConnectionError | RateLimitError):
            retryable = True  # timeouts and refused connections are APIConnectionErrors
        else:
            retryable = status is None or status >= 500 or status in _RETRYABLE_STATUSES
        message = f"Stripe: could not {doing}: {exc.user_message or type(exc).__name__}"
        details = [f"HTTP {status}"] if status is not None else []
        if exc.code:
            details.append(str(exc.code))
        if details:
            message += f" ({', '.join(details)})"
        if self._api_key:  # Stripe masks keys in its messages; make sure of it
            message = message.replace(self._api_key, "[redacted]")
        return ExecutorError(message, retryable=retryable)


def provider_refund(refund: Mapping[str, Any]) -> ProviderRefund:
    """A Stripe Refund (its JSON, or an SDK object's `to_dict()`) as a `ProviderRefund`. A status
    Stripe adds later counts as pending: the refund exists, so sending it again would be
    wrong, and its webhook or `find` settles it later."""
    raw_status = str(refund.get("status"))
    status = _STATUS.get(raw_status)
    if status is None:
        log.warning("stripe_unknown_refund_status", status=raw_status, refund=refund.get("id"))
        status = "pending"
    failure_reason = None
    if status == "failed":
        failure_reason = str(refund.get("failure_reason") or raw_status)
    return ProviderRefund(
        provider_reference=str(refund["id"]),
        status=status,
        amount=int(refund["amount"]),
        currency=str(refund["currency"]).upper(),  # Stripe's codes are lowercase, ours not
        refund_id=_our_refund_id(refund.get("metadata")),
        failure_reason=failure_reason,
    )


def _our_refund_id(metadata: object) -> uuid.UUID | None:
    if not isinstance(metadata, Mapping):
        return None
    try:
        return uuid.UUID(str(metadata[METADATA_REFUND_ID]))
    except (KeyError, ValueError):
        return None
