"""What an exchange pays back goes to what the customer paid for it at Stripe (issue 21 §5):
the difference of an exchange, reported with `provider: stripe`, is a payment record of the
return, and the refund of it is sent against its payment intent, not the order's."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from returns_api.core.settings import Settings
from tests.api.test_exchange_payments import approved
from tests.api.test_exchanges import SHIRT, exchange, with_catalog
from tests.conftest import make_settings
from tests.factories import Api, order_body
from tests.settlement.conftest import STRIPE_API_KEY, STRIPE_WEBHOOK_SECRET
from tests.settlement.stripe_server import StripeServer
from tests.settlement.test_stripe_refunds import expect, worker


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
    staff = await with_catalog(app, client)
    payments = [{"provider": "stripe", "reference": "pi_order", "amount": 3904}]
    body = {**order_body(number="X-1", lines=[SHIRT]), "payments": payments}
    expect(await client.put("/v1/orders/ord_x", json=body, headers=staff.headers))
    stripe_server.add_payment_intent("pi_order", amount=3904, currency="eur")
    stripe_server.add_payment_intent("pi_diff", amount=400, currency="eur")
    return staff


async def test_an_exchange_payment_is_refunded_against_its_own_payment_intent(
    api: Api, app: FastAPI, stripe_server: StripeServer
) -> None:
    ret = await approved(api, exchange("var_shirt_gold"))
    path = f"/v1/returns/{ret['id']}"
    paid = {"amount": 400, "external_reference": "pi_diff", "provider": "stripe"}
    expect(await api.post(f"{path}/exchange/payments", paid))
    expect(await api.post(f"{path}/cancel"))
    asked = expect(await api.post(f"{path}/refunds", {}), 201)
    assert [(r["method"], r["amount"], r["status"]) for r in asked["refunds"]] == [
        ("exchange", 400, "pending")
    ]

    assert await worker(app).run_once() == 1
    assert [(r["payment_intent"], r["amount"]) for r in stripe_server.created] == [("pi_diff", 400)]
    report = expect(await api.get(f"{path}/money-movements"))
    assert [(m["direction"], m["reference"], m["payment_reference"]) for m in report["data"]] == [
        ("in", "pi_diff", None),
        ("out", report["data"][1]["reference"], "pi_diff"),
    ]
