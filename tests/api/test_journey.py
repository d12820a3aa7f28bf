"""The whole return journey through HTTP, with money checked to the cent."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.factories import Api, line


async def test_full_journey_with_damaged_item_and_partial_refunds(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    api = await Api.staff(app, client)
    order = await api.put_order(
        "ord_j",
        lines=[
            line("li_1", quantity=3, unit_price=1000, discount=100, tax=190),
            line("li_2", quantity=1, unit_price=5000, tax=950),
        ],
        shipping_paid=500,
    )
    assert [ln["returnable_quantity"] for ln in order["line_items"]] == [3, 1]

    items = [
        {"line_item_id": "li_1", "quantity": 2, "reason": "size_fit"},
        {"line_item_id": "li_2", "quantity": 1, "reason": "damaged"},
    ]
    quote = await api.post("/v1/returns/quote", {"order_id": "ord_j", "items": items})
    assert quote.status_code == 200, quote.text
    q = quote.json()
    assert q["eligible"] is True
    # li_1: 2 of 3 units: merch 2000, discount 66 (floor 33 each), tax 126 -> 2060
    # li_2: 5000 + 950 = 5950
    assert q["estimated_refund"]["total"] == 2060 + 5950

    created = await api.create_return("ord_j", items)
    assert created.status_code == 201, created.text
    ret = created.json()
    assert ret["status"] == "pending_review"
    assert ret["rma_number"].startswith("R-")
    assert created.headers["etag"] == '"1"'
    assert ret["refund_breakdown"]["total"] == 8010
    rid = ret["id"]

    order = (await api.get("/v1/orders/ord_j")).json()
    assert [ln["returnable_quantity"] for ln in order["line_items"]] == [1, 0]

    approved = await api.post(f"/v1/returns/{rid}/approve", {"note": "ok"}, **{"If-Match": '"1"'})
    assert approved.status_code == 200, approved.text
    assert approved.json()["instructions"]["rma_number"] == ret["rma_number"]

    moving = await api.post(
        f"/v1/returns/{rid}/tracking-events",
        {"status": "in_transit", "tracking_number": "1Z999", "carrier": "UPS"},
    )
    assert moving.json()["status"] == "in_transit"

    received = await api.post(
        f"/v1/returns/{rid}/receive",
        {
            "items": [
                {
                    "line_item_id": "li_1",
                    "received_quantity": 2,
                    "condition": "as_new",
                    "disposition": "restock",
                },
                {
                    "line_item_id": "li_2",
                    "received_quantity": 1,
                    "accepted_quantity": 0,
                    "condition": "damaged",
                    "disposition": "dispose",
                },
            ]
        },
    )
    assert received.status_code == 200, received.text
    r = received.json()
    assert r["status"] == "received"
    assert r["amounts"] == {"refundable": 2060, "refunded": 0, "pending": 0, "remaining": 2060}

    first = await api.post(
        f"/v1/returns/{rid}/refunds", {"amount": 1000, "external_reference": "re_1"}
    )
    assert first.status_code == 201, first.text
    too_much = await api.post(f"/v1/returns/{rid}/refunds", {"amount": 1061})
    assert too_much.status_code == 422
    rest = await api.post(f"/v1/returns/{rid}/refunds", {})
    assert rest.status_code == 201
    assert rest.json()["amounts"] == {
        "refundable": 2060,
        "refunded": 2060,
        "pending": 0,
        "remaining": 0,
    }
    assert [x["amount"] for x in rest.json()["refunds"]] == [1000, 1060]

    done = await api.post(f"/v1/returns/{rid}/complete")
    assert done.status_code == 200, done.text
    final = (await api.get(f"/v1/returns/{rid}")).json()
    assert final["status"] == "completed"
    assert [(t["from_status"], t["to_status"]) for t in final["timeline"]] == [
        (None, "pending_review"),
        ("pending_review", "approved"),
        ("approved", "in_transit"),
        ("in_transit", "received"),
        ("received", "received"),
        ("received", "received"),
        ("received", "completed"),
    ]
    assert final["timeline"][0]["actor"] == "back-office"
