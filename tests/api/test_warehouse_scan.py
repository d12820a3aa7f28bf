"""The warehouse (issue 20 §5, §6): a scanner at the dock types an RMA or a tracking number
and the list finds that return, exactly; receiving restocked units announces them. Both
databases."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import bearer, new_api_key
from tests.factories import Api, line


@pytest.fixture
async def api(app: FastAPI, client: httpx.AsyncClient) -> Api:
    staff = await Api.staff(app, client)
    for n in (1, 2):
        await staff.put_order(f"ord_{n}", number=f"S-{n}", email=f"c{n}@example.com")
    return staff


async def two_returns(api: Api) -> list[dict[str, Any]]:
    made = []
    for n in (1, 2):
        r = await api.create_return(f"ord_{n}")
        assert r.status_code == 201, r.text
        ret = r.json()
        if ret["status"] == "pending_review":
            ret = (await api.post(f"/v1/returns/{ret['id']}/approve", {})).json()
        tracked = await api.post(
            f"/v1/returns/{ret['id']}/tracking-events",
            {"status": "in_transit", "tracking_number": f"1ZTRACK{n}", "carrier": "ups"},
        )
        assert tracked.status_code == 200, tracked.text
        made.append(tracked.json())
    return made


async def found(api: Api, **query: str) -> list[str]:
    r = await api.get("/v1/returns", **query)
    assert r.status_code == 200, r.text
    return [ret["id"] for ret in r.json()["data"]]


async def test_a_scan_finds_the_return_by_rma_or_tracking_number(api: Api) -> None:
    first, second = await two_returns(api)
    assert await found(api, rma_number=first["rma_number"]) == [first["id"]]
    assert await found(api, tracking_number="1ZTRACK2") == [second["id"]]
    assert await found(api, tracking_number="1ZTRACK") == []  # exact, not a prefix
    assert await found(api, rma_number=first["rma_number"].lower()) == []
    both = {"rma_number": first["rma_number"], "tracking_number": "1ZTRACK2"}
    assert await found(api, **both) == []  # filters combine


async def test_a_portal_token_scans_only_its_own_order(api: Api) -> None:
    first, second = await two_returns(api)
    session = await api.client.post(
        "/v1/portal/sessions", json={"order_number": "S-1", "email": "c1@example.com"}
    )
    customer = Api(api.client, session.json()["token"])
    assert await found(customer, rma_number=first["rma_number"]) == [first["id"]]
    assert await found(customer, rma_number=second["rma_number"]) == []
    assert await found(customer, tracking_number="1ZTRACK2") == []


async def test_a_scan_too_long_is_a_clear_422(api: Api) -> None:
    r = await api.get("/v1/returns", tracking_number="x" * 1000)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["location"] == "query.tracking_number"


async def events(app: FastAPI, api: Api, return_id: str) -> list[dict[str, Any]]:
    manager = bearer(await new_api_key(app, "webhooks:manage", name="events"))
    r = await api.client.get(
        "/v1/events", params={"return_id": return_id, "limit": 100}, headers=manager
    )
    assert r.status_code == 200, r.text
    return list(r.json()["data"])


async def test_restocked_units_are_announced_with_their_warehouse(app: FastAPI, api: Api) -> None:
    """Issue 20 §6: receiving with disposition `restock` emits `return.items_restocked` with
    the lines to add to stock; units refused or sent elsewhere are not in it."""
    lines = [line("li_1", quantity=3), line("li_2", quantity=1)]
    await api.put_order("ord_r", number="S-R", lines=lines)
    items = [
        {"line_item_id": "li_1", "quantity": 3, "reason": "size_fit"},
        {"line_item_id": "li_2", "quantity": 1, "reason": "size_fit"},
    ]
    ret = (await api.create_return("ord_r", items)).json()
    if ret["status"] == "pending_review":
        ret = (await api.post(f"/v1/returns/{ret['id']}/approve", {})).json()
    await api.post(f"/v1/returns/{ret['id']}/tracking-events", {"status": "in_transit"})
    first, second = ret["items"]
    inspection = {
        "warehouse": "WH-BER",
        "items": [
            {
                "item_id": first["id"],
                "received_quantity": 3,
                "accepted_quantity": 2,
                "disposition": "restock",
            },
            {"item_id": second["id"], "received_quantity": 1, "disposition": "dispose"},
        ],
    }
    received = await api.post(f"/v1/returns/{ret['id']}/receive", inspection)
    assert received.status_code == 200, received.text
    entry = received.json()["timeline"][-1]
    assert (entry["kind"], entry["data"]["restocked"][0]["quantity"]) == ("received", 2)
    (restock,) = [e for e in await events(app, api, ret["id"]) if e["type"].endswith("restocked")]
    assert restock["data"]["restocked"] == [
        {
            "item_id": first["id"],
            "line_item_id": "li_1",
            "sku": "SKU-li_1",
            "quantity": 2,
            "warehouse": "WH-BER",
        }
    ]
    assert restock["data"]["object"]["status"] == "received"


async def test_nothing_restocked_announces_nothing(app: FastAPI, api: Api) -> None:
    first, _ = await two_returns(api)
    entry = {"item_id": first["items"][0]["id"], "received_quantity": 1, "disposition": "dispose"}
    r = await api.post(f"/v1/returns/{first['id']}/receive", {"items": [entry]})
    assert r.status_code == 200, r.text
    types = [e["type"] for e in await events(app, api, first["id"])]
    assert "return.received" in types
    assert "return.items_restocked" not in types
