"""Refunds carried out through Stripe, end to end through our HTTP API (issue 21 §2, §3): a
refund is spread over the order's payments, the worker sends each part with its amount,
payment intent, idempotency key and our id in the metadata; an answer lost after Stripe
accepted the refund is found by that id instead of being sent again; a signed webhook
settles it, a failure gives the amount back, and a bad signature changes nothing. Runs on
SQLite and on PostgreSQL (tests/conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from returns_api.core.jobs import JobConfig
from returns_api.core.settings import Settings
from returns_api.settlement.refund_worker import RefundWorker
from tests.api.test_webhook_reliability import kill, start_worker, wait_for
from tests.conftest import make_settings
from tests.factories import Api, line, order_body
from tests.settlement.conftest import STRIPE_API_KEY, STRIPE_WEBHOOK_SECRET
from tests.settlement.stripe_objects import sign_event
from tests.settlement.stripe_server import StripeServer

# One line of 3 units at 10.00; the customer paid with two payment intents.
LINES = [line("li_1", quantity=3, unit_price=1000)]
PAYMENTS = [
    {"provider": "stripe", "reference": "pi_first", "amount": 1500},
    {"provider": "stripe", "reference": "pi_second", "amount": 3000},
]
WEBHOOK = "/v1/payments/stripe/webhooks"


@pytest.fixture
def settings(database_url: str, stripe_server: StripeServer) -> Settings:
    return make_settings(
        database_url,
        refund_executor="stripe",
        stripe_api_key=STRIPE_API_KEY,
        stripe_webhook_secret=STRIPE_WEBHOOK_SECRET,
        stripe_api_base=stripe_server.url,
    )


@pytest.fixture
async def api(app: FastAPI, client: httpx.AsyncClient, stripe_server: StripeServer) -> Api:
    for payment in PAYMENTS:
        stripe_server.add_payment_intent(
            str(payment["reference"]), amount=int(payment["amount"]), currency="eur"
        )
    return await Api.staff(app, client)


def worker(app: FastAPI) -> RefundWorker:
    config = JobConfig(retry_base_seconds=0)
    return RefundWorker(app.state.sessionmaker, app.state.executors["stripe"], config)


def expect(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return dict(response.json())


async def received(api: Api) -> dict[str, Any]:
    body = {**order_body(number="S-1", lines=LINES), "payments": PAYMENTS}
    saved = await api.client.put("/v1/orders/ord_s", json=body, headers=api.headers)
    assert saved.status_code == 201, saved.text
    items = [{"line_item_id": "li_1", "quantity": 2, "reason": "size_fit"}]
    ret = expect(await api.create_return("ord_s", items), 201)
    path = f"/v1/returns/{ret['id']}"
    expect(await api.post(f"{path}/approve"))
    expect(await api.post(f"{path}/tracking-events", {"status": "in_transit"}))
    body = {"items": [{"line_item_id": "li_1", "received_quantity": 2}]}
    return expect(await api.post(f"{path}/receive", body))


async def test_a_refund_is_spread_over_the_payments_and_sent_by_the_worker(
    api: Api, app: FastAPI, stripe_server: StripeServer
) -> None:
    ret = await received(api)
    asked = expect(await api.post(f"/v1/returns/{ret['id']}/refunds", {}), 201)
    parts = [(r["amount"], r["status"], r["executor"]) for r in asked["refunds"]]
    assert parts == [(1500, "pending", "stripe"), (500, "pending", "stripe")]
    assert stripe_server.created == []  # never inside the request

    assert await worker(app).run_once() == 2
    sent = sorted(stripe_server.created, key=lambda r: r["amount"])
    assert [(r["payment_intent"], r["amount"]) for r in sent] == [
        ("pi_second", 500),
        ("pi_first", 1500),
    ]
    ours = {r["id"] for r in asked["refunds"]}
    assert {r["metadata"]["returns_refund_id"] for r in sent} == ours
    keys = [r.headers.get("idempotency-key") for r in stripe_server.requests if r.method == "POST"]
    assert sorted(keys) == sorted(f"{refund_id}:0" for refund_id in ours)

    # A card refund usually succeeds at once (the local Stripe's default): both settle.
    after = expect(await api.get(f"/v1/returns/{ret['id']}"))
    settled = {r["external_reference"]: r["status"] for r in after["refunds"]}
    assert settled == {r["id"]: "succeeded" for r in stripe_server.created}
    assert after["amounts"] == {"refundable": 2000, "refunded": 2000, "pending": 0, "remaining": 0}
    assert await worker(app).run_once() == 0


async def test_an_answer_lost_after_stripe_accepted_is_found_not_sent_again(
    api: Api, app: FastAPI, stripe_server: StripeServer
) -> None:
    ret = await received(api)
    expect(await api.post(f"/v1/returns/{ret['id']}/refunds", {"amount": 1000}), 201)
    stripe_server.lose_next_answer()  # Stripe creates it, we never hear
    await worker(app).run_once()
    pending = expect(await api.get(f"/v1/returns/{ret['id']}"))["refunds"][0]
    assert (pending["status"], len(stripe_server.created)) == ("pending", 1)
    await worker(app).run_once()  # looks it up by our id first
    assert len(stripe_server.created) == 1
    found = expect(await api.get(f"/v1/returns/{ret['id']}"))["refunds"][0]
    assert found["external_reference"] == stripe_server.created[0]["id"]


async def test_a_signed_webhook_settles_and_a_failure_gives_the_amount_back(
    api: Api, app: FastAPI, client: httpx.AsyncClient, stripe_server: StripeServer
) -> None:
    stripe_server.status_on_create = "pending"
    ret = await received(api)
    expect(await api.post(f"/v1/returns/{ret['id']}/refunds", {"amount": 1000}), 201)
    await worker(app).run_once()
    [sent] = stripe_server.created
    failed = stripe_server.settle(sent["id"], "failed", failure_reason="expired_or_canceled_card")
    event = {
        "id": "evt_1",
        "object": "event",
        "type": "refund.failed",
        "created": 1234567890,
        "livemode": False,
        "api_version": "2024-06-20",
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "data": {"object": failed},
    }
    payload = json.dumps(event).encode()

    bad = await client.post(WEBHOOK, content=payload, headers=sign_event(payload, "whsec_wrong"))
    assert bad.status_code == 401
    assert expect(await api.get(f"/v1/returns/{ret['id']}"))["refunds"][0]["status"] == "pending"

    signed = sign_event(payload, STRIPE_WEBHOOK_SECRET)
    assert expect(await client.post(WEBHOOK, content=payload, headers=signed)) == {
        "applied": 1,
        "ignored": 0,
    }
    after = expect(await api.get(f"/v1/returns/{ret['id']}"))
    assert after["refunds"][0]["status"] == "failed"
    assert after["refunds"][0]["failure_reason"] == "expired_or_canceled_card"
    assert after["amounts"]["remaining"] == 2000
    # The same delivery again changes nothing.
    again = await client.post(
        WEBHOOK, content=payload, headers=sign_event(payload, STRIPE_WEBHOOK_SECRET)
    )
    assert expect(again) == {"applied": 0, "ignored": 1}


async def test_killing_the_workers_between_sending_and_recording_neither_loses_nor_repeats(
    api: Api,
    app: FastAPI,
    backend: str,
    settings: Settings,
    stripe_server: StripeServer,
    tmp_path: Path,
) -> None:
    """Two `returns-api worker` processes on PostgreSQL: Stripe accepts the refund and the
    answer is held; both workers are SIGKILLed. Two new workers take the refund over when
    its lease ends, find it at Stripe by our id, and record it: one refund at Stripe."""
    if backend != "postgresql":
        pytest.skip("several worker processes need PostgreSQL (SKIP LOCKED, leases)")
    ret = await received(api)
    expect(await api.post(f"/v1/returns/{ret['id']}/refunds", {"amount": 1000}), 201)
    release = stripe_server.hold_next_answer()
    env = {
        "RETURNS_REFUND_EXECUTOR": "stripe",
        "RETURNS_STRIPE_API_KEY": STRIPE_API_KEY,
        "RETURNS_STRIPE_API_BASE": stripe_server.url,
        "RETURNS_REFUND_LEASE_SECONDS": "2",
        "RETURNS_REFUND_POLL_SECONDS": "0.05",
        "RETURNS_EXPIRY_SWEEP_SECONDS": "0",
    }

    async def accepted() -> bool:
        return len(stripe_server.created) == 1

    async def recorded() -> bool:
        shown = (await api.get(f"/v1/returns/{ret['id']}")).json()["refunds"][0]
        return bool(shown["status"] == "succeeded")

    first = [start_worker(settings, tmp_path / f"first{n}.log", **env) for n in range(2)]
    try:
        await wait_for(accepted, 30, "Stripe to accept the refund", *first)
    finally:
        for worker in first:
            kill(worker)  # SIGKILL: the one waiting for Stripe's answer dies with it
    release.set()
    assert not await recorded()
    second = [start_worker(settings, tmp_path / f"second{n}.log", **env) for n in range(2)]
    try:
        await wait_for(recorded, 30, "the refund to be recorded", *second)
    finally:
        for worker in second:
            kill(worker)
    assert len(stripe_server.created) == 1
    creates = [r for r in stripe_server.requests if r.method == "POST"]
    assert len(creates) == 1  # found by our id, never sent again
