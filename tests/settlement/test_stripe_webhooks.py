"""Which Stripe webhook deliveries the executor believes, and the refunds they report."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from returns_api.settlement.executor import InvalidSignature, ProviderRefund
from returns_api.settlement.stripe_executor import StripeExecutor
from tests.settlement.conftest import (
    STRIPE_API_KEY,
    STRIPE_WEBHOOK_SECRET,
    executor_for,
    refund_request,
)
from tests.settlement.stripe_objects import event_body, sign_event
from tests.settlement.stripe_server import StripeServer


def webhook_for(server: StripeServer, status: str, reason: str | None = None) -> bytes:
    created = server.created[0]["id"]
    return event_body("refund.updated", server.settle(created, status, reason))


def test_a_signed_refund_update_reports_the_refund(server: StripeServer) -> None:
    executor = executor_for(server)
    request = refund_request()
    sent = executor.send(request)
    body = webhook_for(server, "succeeded")

    (update,) = executor.updates(body, sign_event(body, STRIPE_WEBHOOK_SECRET))

    assert update == ProviderRefund(
        provider_reference=sent.provider_reference,
        status="succeeded",
        amount=2500,
        currency="EUR",
        refund_id=request.refund_id,
    )


@pytest.mark.parametrize(
    ("stripe_status", "reason", "status", "failure_reason"),
    [
        ("failed", "expired_or_canceled_card", "failed", "expired_or_canceled_card"),
        ("canceled", "merchant_request", "failed", "merchant_request"),
        ("canceled", None, "failed", "canceled"),
        ("requires_action", None, "pending", None),
        ("pending", None, "pending", None),
    ],
)
def test_refund_statuses_as_ours(
    server: StripeServer,
    stripe_status: str,
    reason: str | None,
    status: str,
    failure_reason: str | None,
) -> None:
    executor = executor_for(server)
    executor.send(refund_request())
    body = webhook_for(server, stripe_status, reason)
    headers = {"stripe-signature": sign_event(body, STRIPE_WEBHOOK_SECRET)["Stripe-Signature"]}

    (update,) = executor.updates(body, headers)

    assert (update.status, update.failure_reason) == (status, failure_reason)


def test_charge_refund_updated_carries_a_refund_too(server: StripeServer) -> None:
    executor = executor_for(server)
    executor.send(refund_request())
    body = event_body("charge.refund.updated", server.created[0])

    (update,) = executor.updates(body, sign_event(body, STRIPE_WEBHOOK_SECRET))

    assert update.refund_id == refund_request().refund_id


def test_a_refund_not_made_by_us_has_no_id_of_ours(server: StripeServer) -> None:
    refund = {**_a_refund(server), "metadata": {}}
    body = event_body("refund.created", refund)

    (update,) = executor_for(server).updates(body, sign_event(body, STRIPE_WEBHOOK_SECRET))

    assert update.refund_id is None


def _a_refund(server: StripeServer) -> dict[str, object]:
    executor_for(server).send(refund_request())
    return dict(server.created[0])


def test_other_events_give_nothing(server: StripeServer) -> None:
    body = event_body("charge.succeeded", {"id": "ch_1", "object": "charge"})

    assert executor_for(server).updates(body, sign_event(body, STRIPE_WEBHOOK_SECRET)) == []


@pytest.mark.parametrize(
    "sign",
    [
        pytest.param(lambda body: {}, id="no header"),
        pytest.param(lambda body: {"Stripe-Signature": ""}, id="empty header"),
        pytest.param(lambda body: sign_event(body, "whsec_someone_else"), id="another secret"),
        pytest.param(
            lambda body: sign_event(body + b" ", STRIPE_WEBHOOK_SECRET), id="other bytes signed"
        ),
        pytest.param(
            lambda body: sign_event(body, STRIPE_WEBHOOK_SECRET, timestamp=1234567890),
            id="signed long ago",
        ),
        pytest.param(lambda body: {"Stripe-Signature": "garbage"}, id="unreadable header"),
    ],
)
def test_deliveries_that_do_not_verify_are_refused(
    server: StripeServer, sign: Callable[[bytes], dict[str, str]]
) -> None:
    body = event_body("refund.updated", _a_refund(server))

    with pytest.raises(InvalidSignature):
        executor_for(server).updates(body, sign(body))


def test_without_a_secret_every_delivery_is_refused(server: StripeServer) -> None:
    body = event_body("refund.updated", _a_refund(server))
    executor = StripeExecutor(STRIPE_API_KEY, webhook_secret=None, api_base=server.url)

    with pytest.raises(InvalidSignature):
        executor.updates(body, sign_event(body, STRIPE_WEBHOOK_SECRET))


def test_a_signed_body_that_is_not_json_gives_nothing(server: StripeServer) -> None:
    body = b"\xff not json"

    assert executor_for(server).updates(body, sign_event(body, STRIPE_WEBHOOK_SECRET)) == []
