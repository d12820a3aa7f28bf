"""The Stripe executor against a local Stripe API: what it sends, how it reads Stripe's errors,
and how it finds a refund whose answer was lost."""

from __future__ import annotations

import dataclasses
import socket
import uuid

import pytest

from returns_api.settlement.executor import (
    ExecutorError,
    ProviderRefund,
)
from returns_api.settlement.stripe_executor import StripeExecutor
from tests.settlement.conftest import PAYMENT, STRIPE_API_KEY, executor_for, refund_request
from tests.settlement.stripe_server import StripeServer


def test_send_creates_the_refund_with_our_id_and_the_attempts_key(server: StripeServer) -> None:
    request = refund_request()

    refund = executor_for(server).send(request)

    (sent,) = [r for r in server.requests if r.method == "POST"]
    assert sent.path == "/v1/refunds"
    assert sent.headers["authorization"] == f"Bearer {STRIPE_API_KEY}"
    assert sent.headers["idempotency-key"] == "attempt-1"
    assert sent.params == {
        "payment_intent": PAYMENT.reference,
        "amount": "2500",
        "metadata[returns_refund_id]": str(request.refund_id),
        "metadata[rma_number]": "RMA-2024-000042",
    }
    (created,) = server.created
    assert (created["currency"], created["payment_intent"]) == ("eur", PAYMENT.reference)
    assert refund == ProviderRefund(
        provider_reference=created["id"],
        status="succeeded",
        amount=2500,
        currency="EUR",
        refund_id=request.refund_id,
    )


def test_a_refund_in_another_currency_than_its_payment_is_not_sent(server: StripeServer) -> None:
    with pytest.raises(ExecutorError) as raised:
        executor_for(server).send(dataclasses.replace(refund_request(), currency="USD"))

    assert not raised.value.retryable
    assert server.requests == []


def test_a_replayed_key_answers_the_first_refund_and_creates_one(server: StripeServer) -> None:
    executor = executor_for(server)

    first = executor.send(refund_request())
    again = executor.send(refund_request())

    assert again == first
    assert len(server.created) == 1


def test_the_same_key_for_another_amount_is_refused_for_good(server: StripeServer) -> None:
    executor = executor_for(server)
    executor.send(refund_request(2500))

    with pytest.raises(ExecutorError, match="idempotent") as raised:
        executor.send(refund_request(1000))

    assert not raised.value.retryable
    assert len(server.created) == 1


@pytest.mark.parametrize("status", [500, 503, 429])
def test_server_errors_and_rate_limits_are_worth_a_retry(server: StripeServer, status: int) -> None:
    server.fail_next(1, status)

    with pytest.raises(ExecutorError, match=f"HTTP {status}") as raised:
        executor_for(server).send(refund_request())

    assert raised.value.retryable
    assert server.created == []
    assert executor_for(server).send(refund_request()).status == "succeeded"  # not kept


def test_a_refused_connection_is_worth_a_retry() -> None:
    with socket.socket() as probe:  # a port nothing listens on any more
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    executor = StripeExecutor(
        STRIPE_API_KEY, webhook_secret=None, api_base=f"http://127.0.0.1:{port}"
    )

    with pytest.raises(ExecutorError) as raised:
        executor.send(refund_request())

    assert raised.value.retryable


def test_a_wrong_key_is_not_worth_a_retry_and_not_shown(server: StripeServer) -> None:
    wrong_key = "sk_test_not_the_servers_key_9876"

    with pytest.raises(ExecutorError, match="HTTP 401") as raised:
        executor_for(server, api_key=wrong_key).send(refund_request())

    assert not raised.value.retryable
    assert wrong_key not in str(raised.value)
    assert STRIPE_API_KEY not in str(raised.value)


@pytest.mark.parametrize(
    ("amount", "code"), [(5001, "amount_too_large"), (5000, "charge_already_refunded")]
)
def test_refunds_stripe_refuses_are_not_worth_a_retry(
    server: StripeServer, amount: int, code: str
) -> None:
    executor = executor_for(server)
    if code == "charge_already_refunded":
        executor.send(refund_request(5000, key="the-whole-payment"))

    with pytest.raises(ExecutorError, match=code) as raised:
        executor.send(refund_request(amount, key="another-attempt"))

    assert not raised.value.retryable


def test_find_gets_back_a_refund_whose_answer_was_lost(server: StripeServer) -> None:
    executor = executor_for(server)
    request = refund_request()
    server.lose_next_answer()

    with pytest.raises(ExecutorError, match="HTTP 500"):
        executor.send(request)

    (created,) = server.created
    found = executor.find(request.refund_id, PAYMENT)
    assert found is not None
    assert (found.provider_reference, found.refund_id, found.amount) == (
        created["id"],
        request.refund_id,
        2500,
    )


def test_find_follows_the_pages_to_an_older_refund() -> None:
    with StripeServer(api_key=STRIPE_API_KEY, page_size_cap=3) as server:
        server.add_payment_intent(PAYMENT.reference, amount=100_000, currency="eur")
        executor = executor_for(server)
        ours = refund_request(100)
        executor.send(ours)
        for n in range(7):  # newer refunds of the same payment, listed before ours
            other = refund_request(100, key=f"other-{n}")
            executor.send(dataclasses.replace(other, refund_id=uuid.uuid4()))

        found = executor.find(ours.refund_id, PAYMENT)

        assert found is not None
        assert found.refund_id == ours.refund_id
        lists = [r for r in server.requests if r.method == "GET"]
        assert len(lists) == 3
        assert "starting_after" not in lists[0].params
        assert lists[2].params["starting_after"] == server.created[2]["id"]


def test_find_of_a_refund_stripe_never_made_is_none(server: StripeServer) -> None:
    executor = executor_for(server)
    executor.send(refund_request())

    assert executor.find(uuid.uuid4(), PAYMENT) is None
