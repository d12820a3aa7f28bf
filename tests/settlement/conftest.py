"""Fixtures for the payment executors: a local Stripe API that keeps idempotency keys, a
payment intent on it, and the executor and requests the tests use."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from returns_api.settlement.executor import Payment, RefundRequest
from returns_api.settlement.stripe_executor import StripeExecutor
from tests.settlement.stripe_server import StripeServer

STRIPE_API_KEY = "sk_test_fixture_server_key_0001"
STRIPE_WEBHOOK_SECRET = "whsec_fixture_endpoint_secret"


@pytest.fixture
def stripe_server() -> Iterator[StripeServer]:
    """A fresh server per test: no payment intents, refunds, keys or failures."""
    with StripeServer(api_key=STRIPE_API_KEY) as server:
        yield server


PAYMENT = Payment(
    provider="stripe", reference="pi_3PgaftB7WZ01zgkW0local", amount=5000, currency="EUR"
)


@pytest.fixture
def server(stripe_server: StripeServer) -> StripeServer:
    """The local Stripe with `PAYMENT` on it, 50.00 EUR."""
    stripe_server.add_payment_intent(PAYMENT.reference, amount=PAYMENT.amount, currency="eur")
    return stripe_server


def executor_for(server: StripeServer, *, api_key: str = STRIPE_API_KEY) -> StripeExecutor:
    return StripeExecutor(api_key, webhook_secret=STRIPE_WEBHOOK_SECRET, api_base=server.url)


def refund_request(amount: int = 2500, *, key: str = "attempt-1") -> RefundRequest:
    return RefundRequest(
        refund_id=uuid.UUID("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"),
        payment=PAYMENT,
        amount=amount,
        currency="EUR",
        idempotency_key=key,
        rma_number="RMA-2024-000042",
    )
