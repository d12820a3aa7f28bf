"""Refunds of a statutory withdrawal through HTTP (issue #25 §4; Directive 2011/83/EU,
Articles 13 and 14): everything paid, delivery included, no restocking fee; return shipping
only when the consumer was told beforehand; the partial delivery rule is the policy's."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from tests.factories import Api, line
from tests.withdrawal.helpers import eu_policy, merchant, put_order

# The factory's order: (2 x 2500 - 500 + 760) + (4999 + 950), and 495 for delivery.
EVERYTHING_PAID = 5260 + 5949 + 495
FEES = {"restocking_fee_bps": 1500, "return_shipping_fee": 700}


async def withdraw(
    client: httpx.AsyncClient, number: str, items: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "Ada", "order_number": number, "email": "ada@example.com"}
    if items is not None:
        body["items"] = items
    pending = await client.post("/v1/withdrawals", json=body)
    assert pending.status_code == 201, pending.text
    made = pending.json()
    confirmed = await client.post(
        f"/v1/withdrawals/{made['id']}/confirm", json={"confirm_token": made["confirm_token"]}
    )
    assert confirmed.status_code == 200, confirmed.text
    return dict(confirmed.json())


async def receive_and_refund(api: Api, return_id: str) -> dict[str, Any]:
    ret = (await api.get(f"/v1/returns/{return_id}")).json()
    approved = await api.post(f"/v1/returns/{return_id}/approve", {})
    assert approved.status_code == 200, approved.text
    assert approved.json()["withdrawal"]["refund_hold"] == "goods_not_back_nor_proof_of_sending"
    sent = await api.post(
        f"/v1/returns/{return_id}/tracking-events",
        {"status": "in_transit", "tracking_number": "1Z999", "carrier": "UPS"},
    )
    assert sent.status_code in (200, 201), sent.text
    assert sent.json()["withdrawal"]["refund_hold"] is None  # proof of sending lifts it
    received = await api.post(
        f"/v1/returns/{return_id}/receive",
        {
            "items": [
                {"item_id": item["id"], "received_quantity": item["quantity"]}
                for item in ret["items"]
            ]
        },
    )
    assert received.status_code == 200, received.text
    refunded = await api.post(f"/v1/returns/{return_id}/refunds", {})
    assert refunded.status_code == 201, refunded.text
    return dict(refunded.json())


async def test_whole_order_withdrawal_refunds_everything_paid_to_the_cent(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    api = await merchant(app, client)
    await eu_policy(api, **FEES)
    await put_order(api, number="R-1", delivered_days_ago=5)
    confirmed = await withdraw(client, "R-1")
    ret = (await api.get(f"/v1/returns/{confirmed['return_id']}")).json()
    estimate = ret["refund_breakdown"]
    assert estimate["total"] == EVERYTHING_PAID
    assert estimate["shipping_refund"] == 495
    assert estimate["return_shipping_fee"] == 0
    assert all(item["restocking_fee"] == 0 for item in estimate["items"])
    done = await receive_and_refund(api, confirmed["return_id"])
    assert done["amounts"]["refunded"] == EVERYTHING_PAID
    assert done["withdrawal"]["refund_hold"] is None


async def test_return_shipping_is_charged_only_when_the_order_says_the_consumer_was_told(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    api = await merchant(app, client)
    await eu_policy(api, **FEES)
    await put_order(api, "ord_told", number="R-2", consumer_bears_return_cost_informed=True)
    told = await withdraw(client, "R-2")
    ret = (await api.get(f"/v1/returns/{told['return_id']}")).json()
    assert ret["refund_breakdown"]["return_shipping_fee"] == 700
    assert ret["refund_breakdown"]["total"] == EVERYTHING_PAID - 700


async def test_policy_fees_still_apply_to_a_commercial_return(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    api = await merchant(app, client)
    await eu_policy(api, **FEES)
    await put_order(api, "ord_us", number="R-3", country="US", delivered_days_ago=2)
    created = await api.create_return(
        "ord_us",
        items=[
            {"line_item_id": "li_1", "quantity": 2, "reason": "size_fit"},
            {"line_item_id": "li_2", "quantity": 1, "reason": "size_fit"},
        ],
    )
    assert created.status_code == 201, created.text
    breakdown = created.json()["refund_breakdown"]
    assert created.json()["legal_basis"] == "commercial_policy"
    assert breakdown["shipping_refund"] == 0
    assert breakdown["return_shipping_fee"] == 700
    assert breakdown["total"] < EVERYTHING_PAID - 495


async def test_partial_withdrawal_follows_the_policys_delivery_rule(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    api = await merchant(app, client)
    await eu_policy(api)
    await put_order(api, "ord_a", number="P-1")
    first = await withdraw(client, "P-1", [{"line_item_id": "li_1"}])
    first_ret = (await api.get(f"/v1/returns/{first['return_id']}")).json()
    assert first_ret["refund_breakdown"]["shipping_refund"] == 0  # not_refunded, by default
    rest = await withdraw(client, "P-1")  # what is left: the rest of the order
    rest_ret = (await api.get(f"/v1/returns/{rest['return_id']}")).json()
    assert rest_ret["refund_breakdown"]["shipping_refund"] == 495
    total = first_ret["refund_breakdown"]["total"] + rest_ret["refund_breakdown"]["total"]
    assert total == EVERYTHING_PAID

    await eu_policy(api, statutory={"partial_withdrawal_delivery": "refunded"})
    await put_order(api, "ord_b", number="P-2", lines=[line("li_1", unit_price=1000), line("li_2")])
    partial = await withdraw(client, "P-2", [{"line_item_id": "li_1"}])
    partial_ret = (await api.get(f"/v1/returns/{partial['return_id']}")).json()
    assert partial_ret["refund_breakdown"]["shipping_refund"] == 495
    rest_b = await withdraw(client, "P-2")
    rest_b_ret = (await api.get(f"/v1/returns/{rest_b['return_id']}")).json()
    assert rest_b_ret["refund_breakdown"]["shipping_refund"] == 0  # refunded once


async def test_only_inspection_deducts_and_each_deduction_has_its_reason(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    api = await merchant(app, client)
    await eu_policy(api)
    await put_order(api, number="D-1")
    confirmed = await withdraw(client, "D-1")
    rid = confirmed["return_id"]
    ret = (await api.get(f"/v1/returns/{rid}")).json()
    assert (await api.post(f"/v1/returns/{rid}/approve", {})).status_code == 200
    await api.post(
        f"/v1/returns/{rid}/tracking-events",
        {"status": "in_transit", "tracking_number": "1Z1", "carrier": "UPS"},
    )
    mug = next(item for item in ret["items"] if item["line_item_id"] == "li_2")
    shirt = next(item for item in ret["items"] if item["line_item_id"] == "li_1")
    no_reason = await api.post(
        f"/v1/returns/{rid}/receive",
        {"items": [{"item_id": mug["id"], "received_quantity": 1, "deduction": 1000}]},
    )
    assert no_reason.status_code == 422
    assert "deduction_reason" in no_reason.text
    received = await api.post(
        f"/v1/returns/{rid}/receive",
        {
            "items": [
                {"item_id": shirt["id"], "received_quantity": 2},
                {
                    "item_id": mug["id"],
                    "received_quantity": 1,
                    "deduction": 1000,
                    "deduction_reason": "used beyond trying: coffee stains",
                },
            ]
        },
    )
    assert received.status_code == 200, received.text
    body = received.json()
    shown = {item["line_item_id"]: item for item in body["items"]}
    assert shown["li_2"]["deduction"] == 1000
    assert shown["li_2"]["deduction_reason"] == "used beyond trying: coffee stains"
    assert shown["li_1"]["deduction"] == 0
    assert body["refund_breakdown"]["total"] == EVERYTHING_PAID - 1000
    lines = {line["item_id"]: line for line in body["refund_breakdown"]["items"]}
    assert lines[mug["id"]]["deduction"] == 1000
