"""The one interface a payment provider's refund executor has: send a refund against one
payment, find one sent before (by our id in the provider's metadata), and read the
provider's webhook.

Executors are synchronous, as the providers' SDKs are used here: the refund worker runs them
off the event loop. They know nothing of our database: what they need comes in a
`RefundRequest`, what they learnt goes back as a `ProviderRefund`.

Crash safety rests on `find`: a refund whose outcome is unknown (the worker died between
sending it and recording the answer) is looked up at the provider by our refund id before it
is sent again. Idempotency keys alone are not enough: Stripe keeps them about 24 hours.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

from returns_api.core.errors import InvalidSignature as InvalidSignature  # re-exported

ProviderStatus = Literal["pending", "succeeded", "failed"]


@dataclass(frozen=True, slots=True)
class Payment:
    """A payment of an order at a provider: `reference` is its id there (Stripe: the
    PaymentIntent, `pi_…`)."""

    provider: str
    reference: str
    amount: int  # minor units
    currency: str


@dataclass(frozen=True, slots=True)
class RefundRequest:
    """One refund of ours against one payment."""

    refund_id: uuid.UUID  # ours; sent in the provider's metadata (`returns_refund_id`)
    payment: Payment
    amount: int  # minor units, at most what is left of the payment
    currency: str
    idempotency_key: str  # one per attempt
    rma_number: str  # sent in the metadata too, for people reading the provider's dashboard


@dataclass(frozen=True, slots=True)
class ProviderRefund:
    """A refund as the provider knows it."""

    provider_reference: str  # Stripe: `re_…`
    status: ProviderStatus
    amount: int
    currency: str
    refund_id: uuid.UUID | None  # ours, read back from the metadata (None: not one of ours)
    failure_reason: str | None = None


class ExecutorError(Exception):
    """The provider refused or failed. `retryable`: worth another attempt (timeouts, 5xx,
    rate limits); not: the request itself is wrong (already refunded, amount too large)."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class PaymentExecutor(Protocol):
    code: str  # the name in `/v1/payments/{code}/webhooks`

    def send(self, request: RefundRequest) -> ProviderRefund:
        """Create the refund at the provider, with `request.idempotency_key` (may raise
        `ExecutorError`)."""
        ...

    def find(self, refund_id: uuid.UUID, payment: Payment) -> ProviderRefund | None:
        """The refund of `payment` that carries our `refund_id` in its metadata, if the
        provider has one (may raise `ExecutorError`)."""
        ...

    def updates(self, body: bytes, headers: Mapping[str, str]) -> list[ProviderRefund]:
        """The refunds a verified webhook delivery reports on (raises `InvalidSignature`);
        events that are not about refunds give none."""
        ...
