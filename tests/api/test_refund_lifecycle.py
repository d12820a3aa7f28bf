"""Refunds carried out by the platform (issue 21 §1, §2 `platform`, §4): a refund is pending
until the platform confirms it, counts against what is left from the start, gives its amount
back when it fails, and a return cannot complete while one is pending. The reconciliation
list and CSV export show every refund. Runs on SQLite and on PostgreSQL (tests/conftest.py)."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from returns_api.core.settings import Settings
from returns_api.webhooks.models import Event
from tests.conftest import bearer, make_settings, new_api_key
from tests.factories import Api, line

# One line of 3 units at 10.00: a received return of 2 is refundable 2000.
LINES = [line("li_1", quantity=3, unit_price=1000)]


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url, refund_executor="platform")


@pytest.fixture
async def api(app: FastAPI, client: httpx.AsyncClient) -> Api:
    return await Api.staff(app, client)


@pytest.fixture
async def platform(app: FastAPI) -> dict[str, str]:
    return bearer(await new_api_key(app, "refunds:write", name="platform"))


def expect(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return dict(response.json())


async def received(api: Api, order_id: str = "ord_r", resolution: str = "refund") -> dict[str, Any]:
    await api.put_order(order_id, lines=LINES)
    items = [
        {"line_item_id": "li_1", "quantity": 2, "reason": "size_fit", "resolution": resolution}
    ]
    ret = expect(await api.create_return(order_id, items), 201)
    path = f"/v1/returns/{ret['id']}"
    expect(await api.post(f"{path}/approve"))
    expect(await api.post(f"{path}/tracking-events", {"status": "in_transit"}))
    body = {"items": [{"line_item_id": "li_1", "received_quantity": 2}]}
    return expect(await api.post(f"{path}/receive", body))


def money(*, refunded: int, pending: int, remaining: int) -> dict[str, int]:
    return {"refundable": 2000, "refunded": refunded, "pending": pending, "remaining": remaining}


async def events(app: FastAPI, kind: str) -> list[dict[str, Any]]:
    async with app.state.sessionmaker() as session:
        found = await session.execute(select(Event.data).where(Event.type == kind))
        return list(found.scalars())


async def test_a_refund_is_pending_until_the_platform_confirms_it(
    api: Api, app: FastAPI, client: httpx.AsyncClient, platform: dict[str, str]
) -> None:
    ret = await received(api)
    path = f"/v1/returns/{ret['id']}"
    asked = expect(await api.post(f"{path}/refunds", {"amount": 1500}), 201)
    [refund] = asked["refunds"]
    assert (refund["status"], refund["executor"]) == ("pending", "platform")
    assert asked["amounts"] == {
        "refundable": 2000,
        "refunded": 0,
        "pending": 1500,
        "remaining": 500,
    }
    [requested] = await events(app, "return.refund_requested")
    assert requested["object"]["refunds"][0]["id"] == refund["id"]
    assert await events(app, "return.refunded") == []

    # It counts against what is left from the start: no second refund takes the same money.
    too_much = await api.post(f"{path}/refunds", {"amount": 600})
    assert too_much.status_code == 422, too_much.text
    # And the return waits for it.
    waiting = await api.post(f"{path}/complete")
    assert waiting.status_code == 409
    assert waiting.json()["type"].endswith("refund-pending")

    confirm = f"/v1/refunds/{refund['id']}/confirm"
    body = {"outcome": "succeeded", "external_reference": "re_123"}
    done = expect(await client.post(confirm, json=body, headers=platform))
    assert (done["status"], done["external_reference"]) == ("succeeded", "re_123")
    assert (done["return_id"], done["rma_number"]) == (ret["id"], ret["rma_number"])
    assert len(await events(app, "return.refunded")) == 1
    again = expect(await client.post(confirm, json=body, headers=platform))
    assert again == done  # a retry changes nothing
    assert len(await events(app, "return.refunded")) == 1
    other = await client.post(confirm, json={"outcome": "failed", "reason": "x"}, headers=platform)
    assert other.status_code == 409
    assert other.json()["type"].endswith("refund-not-pending")

    after = expect(await api.get(path))
    assert after["amounts"] == {
        "refundable": 2000,
        "refunded": 1500,
        "pending": 0,
        "remaining": 500,
    }
    expect(await api.post(f"{path}/refunds", {"amount": 500}), 201)
    [_, last] = expect(await api.get(path))["refunds"]
    body = {"outcome": "succeeded"}
    expect(await client.post(f"/v1/refunds/{last['id']}/confirm", json=body, headers=platform))
    assert expect(await api.post(f"{path}/complete"))["status"] == "completed"


async def test_a_failed_refund_gives_its_amount_back(
    api: Api, app: FastAPI, client: httpx.AsyncClient, platform: dict[str, str]
) -> None:
    ret = await received(api)
    path = f"/v1/returns/{ret['id']}"
    refund = expect(await api.post(f"{path}/refunds", {}), 201)["refunds"][0]
    assert refund["amount"] == 2000
    body = {"outcome": "failed", "reason": "card expired"}
    failed = expect(
        await client.post(f"/v1/refunds/{refund['id']}/confirm", json=body, headers=platform)
    )
    assert (failed["status"], failed["failure_reason"]) == ("failed", "card expired")
    after = expect(await api.get(path))
    assert after["amounts"] == money(refunded=0, pending=0, remaining=2000)
    assert after["timeline"][-1]["kind"] == "refund_failed"
    assert after["timeline"][-1]["data"]["reason"] == "card expired"
    assert len(await events(app, "return.refund_failed")) == 1
    # The money is left to refund again.
    again = expect(await api.post(f"{path}/refunds", {}), 201)
    assert [r["status"] for r in again["refunds"]] == ["failed", "pending"]


async def test_store_credit_is_carried_out_at_once(api: Api, app: FastAPI) -> None:
    ret = await received(api, resolution="store_credit")
    body = {"amount": 700, "method": "store_credit"}
    [refund] = expect(await api.post(f"/v1/returns/{ret['id']}/refunds", body), 201)["refunds"]
    assert (refund["status"], refund["executor"]) == ("succeeded", "store_credit")
    # Credited to the customer's ledger in the same transaction.
    reader = bearer(await new_api_key(app, "store_credit:read", name="checkout"))
    held = expect(await api.client.get("/v1/customers/cus_42/store-credit", headers=reader))
    assert [(b["currency"], b["balance"]) for b in held["balances"]] == [("EUR", 700)]


async def test_confirming_needs_its_scope_a_known_refund_and_a_reason_to_fail(
    api: Api, client: httpx.AsyncClient, platform: dict[str, str]
) -> None:
    ret = await received(api)
    refund = expect(await api.post(f"/v1/returns/{ret['id']}/refunds", {}), 201)["refunds"][0]
    confirm = f"/v1/refunds/{refund['id']}/confirm"
    staff = await client.post(confirm, json={"outcome": "succeeded"}, headers=api.headers)
    assert staff.status_code == 403  # the staff key has no refunds:write
    no_reason = await client.post(confirm, json={"outcome": "failed"}, headers=platform)
    assert no_reason.status_code == 422
    unknown = "00000000-0000-7000-8000-000000000000"
    missing = await client.post(
        f"/v1/refunds/{unknown}/confirm", json={"outcome": "succeeded"}, headers=platform
    )
    assert missing.status_code == 404
    assert missing.json()["type"].endswith("refund-not-found")
    assert expect(await api.get(f"/v1/returns/{ret['id']}"))["refunds"][0]["status"] == "pending"


async def test_finance_lists_and_exports_every_refund(
    api: Api, client: httpx.AsyncClient, platform: dict[str, str]
) -> None:
    first = await received(api, "ord_a")
    second = await received(api, "ord_b")
    one = expect(await api.post(f"/v1/returns/{first['id']}/refunds", {"amount": 300}), 201)
    expect(await api.post(f"/v1/returns/{second['id']}/refunds", {"amount": 400}), 201)
    body = {"outcome": "failed", "reason": "declined"}
    await client.post(f"/v1/refunds/{one['refunds'][0]['id']}/confirm", json=body, headers=platform)

    listed = expect(await client.get("/v1/refunds", headers=platform))["data"]
    assert [(r["rma_number"], r["amount"], r["status"]) for r in listed] == [
        (second["rma_number"], 400, "pending"),
        (first["rma_number"], 300, "failed"),
    ]
    failed = expect(await client.get("/v1/refunds", params={"status": "failed"}, headers=platform))
    assert [r["amount"] for r in failed["data"]] == [300]
    page = expect(await client.get("/v1/refunds", params={"limit": 1}, headers=platform))
    rest = await client.get("/v1/refunds", params={"cursor": page["next_cursor"]}, headers=platform)
    assert [r["amount"] for r in expect(rest)["data"]] == [300]

    exported = await client.get("/v1/refunds/export", headers=platform)
    assert exported.status_code == 200
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["rma_number"], r["amount"], r["status"], r["failure_reason"]) for r in rows] == [
        (second["rma_number"], "4.00", "pending", ""),
        (first["rma_number"], "3.00", "failed", "declined"),
    ]
    customer = await client.get("/v1/refunds", headers=bearer("pt_not-a-real-token"))
    assert customer.status_code == 401
