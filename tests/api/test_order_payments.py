"""An order's payments at providers (issue 21 §2): kept with the order, shown to merchant
keys and never to the customer's portal token, and refused when they repeat or cannot be
money. Runs on SQLite and on PostgreSQL (tests/conftest.py)."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from tests.factories import Api, order_body

PAYMENTS = [
    {"provider": "stripe", "reference": "pi_first", "amount": 6000},
    {"provider": "stripe", "reference": "pi_second", "amount": 3454},
]


async def put(api: Api, payments: list[dict[str, Any]], number: str = "P-1") -> httpx.Response:
    body = {**order_body(number=number, email="ada@example.com"), "payments": payments}
    return await api.client.put("/v1/orders/ord_p", json=body, headers=api.headers)


async def test_payments_are_kept_and_shown_to_the_merchant_only(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    api = await Api.staff(app, client)
    saved = await put(api, PAYMENTS)
    assert saved.status_code == 201, saved.text
    assert saved.json()["payments"] == PAYMENTS
    assert (await api.get("/v1/orders/ord_p")).json()["payments"] == PAYMENTS

    session = await client.post(
        "/v1/portal/sessions", json={"order_number": "P-1", "email": "ada@example.com"}
    )
    token = {"Authorization": f"Bearer {session.json()['token']}"}
    mine = await client.get("/v1/orders/ord_p", headers=token)
    assert mine.status_code == 200
    assert mine.json()["payments"] == []

    # A re-sync replaces them, like every field.
    again = await put(api, PAYMENTS[:1])
    assert again.status_code == 200
    assert again.json()["payments"] == PAYMENTS[:1]


async def test_repeated_or_impossible_payments_are_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    api = await Api.staff(app, client)
    for payments, where in (
        ([PAYMENTS[0], PAYMENTS[0]], "body"),
        ([{**PAYMENTS[0], "amount": 1.5}], "body.payments.0.amount"),
        ([{**PAYMENTS[0], "provider": "Stripe!"}], "body.payments.0.provider"),
        ([{**PAYMENTS[0], "extra": 1}], "body.payments.0.extra"),
    ):
        refused = await put(api, payments)
        assert refused.status_code == 422, refused.text
        assert where in [e["location"] for e in refused.json()["errors"]], refused.text
    assert (await api.get("/v1/orders/ord_p")).status_code == 404  # nothing half-written
