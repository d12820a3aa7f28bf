"""Exchanges for catalog variants (issue 19 §3), through HTTP on SQLite and PostgreSQL.

An exchanged item names a variant; its price comes from the catalog in the order's currency,
never from the request. The quote and the return show the balance: the exchanged items'
credit against the new items' value. A same-product swap at the same list price is even,
whatever discount the order had.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from returns_api.returns.expiry import expire_overdue
from returns_api.returns.models import ReturnChange
from tests.conftest import bearer, new_api_key
from tests.factories import Api, line, order_body

# 2 shirts at 2000 with 400 off and 304 tax: one unit was paid 2000 - 200 + 152 = 1952.
PAID_FOR_ONE = 1952
SHIRT = line("li_1", quantity=2, unit_price=2000, discount=400, tax=304) | {
    "product_id": "prod_shirt"
}


def variant(product: str, unit_price: int, tax: int, **changes: Any) -> dict[str, Any]:
    return {
        "product_id": product,
        "title": f"{product} variant",
        "options": {"size": "L"},
        "prices": [{"currency": "EUR", "unit_price": unit_price, "tax": tax}],
        "available_quantity": 5,
        **changes,
    }


CATALOG = {
    "var_shirt_l": variant("prod_shirt", 2000, 380),
    "var_shirt_gold": variant("prod_shirt", 2600, 494),
    "var_shirt_sale": variant("prod_shirt", 1000, 190),
    "var_shoe": variant("prod_shoe", 3000, 570),
    "var_shirt_usd": variant("prod_shirt", 2000, 0)
    | {"prices": [{"currency": "USD", "unit_price": 2000, "tax": 0}]},
    "var_shirt_gone": variant("prod_shirt", 2000, 380, available_quantity=0),
    "var_shirt_off": variant("prod_shirt", 2000, 380, active=False),
}


@pytest.fixture
async def api(app: FastAPI, client: httpx.AsyncClient) -> Api:
    return await with_catalog(app, client)


async def with_catalog(app: FastAPI, client: httpx.AsyncClient) -> Api:
    """Staff, the catalog above, and order ord_x (X-1) with one line of two shirts."""
    staff = await Api.staff(app, client)
    platform = bearer(await new_api_key(app, "catalog:write", name="platform"))
    for variant_id, body in CATALOG.items():
        r = await client.put(f"/v1/variants/{variant_id}", json=body, headers=platform)
        assert r.status_code == 201, r.text
    await staff.put_order("ord_x", number="X-1", lines=[SHIRT])
    return staff


async def customer(api: Api) -> Api:
    r = await api.client.post(
        "/v1/portal/sessions", json={"order_number": "X-1", "email": "ada@example.com"}
    )
    assert r.status_code == 201, r.text
    return Api(api.client, r.json()["token"])


def exchange(variant_id: str | None, quantity: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "order_id": "ord_x",
        "items": [
            {
                "line_item_id": "li_1",
                "quantity": quantity,
                "reason": "size_fit",
                "resolution": "exchange",
                "exchange_variant_id": variant_id,
                **extra,
            }
        ],
    }


async def publish(app: FastAPI, api: Api, exchanges: dict[str, Any]) -> None:
    admin = bearer(await new_api_key(app, "policy:manage", name="policy"))
    r = await api.client.put("/v1/policy", json={"exchanges": exchanges}, headers=admin)
    assert r.status_code == 201, r.text


async def test_a_customer_swaps_sizes_evenly_despite_the_discount(api: Api) -> None:
    ada = await customer(api)
    quote = await ada.post("/v1/returns/quote", exchange("var_shirt_l"))
    assert quote.status_code == 200, quote.text
    balance = quote.json()["estimated_refund"]["exchange"]
    assert balance == {
        "credit": PAID_FOR_ONE,
        "bonus": 0,
        "new_value": PAID_FOR_ONE,
        "amount_due": 0,
        "refund_due": 0,
    }
    created = await ada.post("/v1/returns", exchange("var_shirt_l"))
    assert created.status_code == 201, created.text
    ret = created.json()
    assert ret["refund_breakdown"]["exchange"] == balance
    assert ret["items"][0]["exchange"] == {
        "variant_id": "var_shirt_l",
        "unit_price": 2000,
        "tax": 380,
        "like_for_like": True,
    }
    again = await api.get(f"/v1/returns/{ret['id']}")
    assert again.json()["items"][0]["exchange"] == ret["items"][0]["exchange"]


@pytest.mark.parametrize(
    ("variant_id", "amount_due", "refund_due"),
    [
        ("var_shirt_gold", 2600 + 494 - PAID_FOR_ONE, 0),
        ("var_shirt_sale", 0, PAID_FOR_ONE - 1000 - 190),
    ],
    ids=["dearer", "cheaper"],
)
async def test_another_price_leaves_a_balance_to_the_cent(
    api: Api, variant_id: str, amount_due: int, refund_due: int
) -> None:
    created = await api.post("/v1/returns", exchange(variant_id))
    assert created.status_code == 201, created.text
    balance = created.json()["refund_breakdown"]["exchange"]
    assert (balance["amount_due"], balance["refund_due"]) == (amount_due, refund_due)
    assert balance["credit"] - balance["new_value"] == refund_due - amount_due


async def test_a_price_sent_by_the_customer_is_refused(api: Api) -> None:
    ada = await customer(api)
    r = await ada.post("/v1/returns", exchange("var_shirt_gold", unit_price=1))
    assert r.status_code == 422, r.text
    assert "body.items.0.unit_price" in {e["location"] for e in r.json()["errors"]}
    assert (await api.get("/v1/returns", order_id="ord_x")).json()["data"] == []


async def test_another_product_only_when_the_policy_allows_it(app: FastAPI, api: Api) -> None:
    refused = await api.post("/v1/returns/quote", exchange("var_shoe"))
    assert refused.status_code == 200, refused.text
    assert not refused.json()["eligible"]
    created = await api.post("/v1/returns", exchange("var_shoe"))
    assert created.status_code == 422, created.text
    assert {e["type"] for e in created.json()["errors"]} == {"other_product"}

    await publish(app, api, {"any_product": True})
    allowed = await api.post("/v1/returns", exchange("var_shoe"))
    assert allowed.status_code == 201, allowed.text
    balance = allowed.json()["refund_breakdown"]["exchange"]
    assert (balance["new_value"], balance["amount_due"]) == (3570, 3570 - PAID_FOR_ONE)
    assert allowed.json()["items"][0]["exchange"]["like_for_like"] is False


async def test_the_exchange_bonus_joins_the_credit(app: FastAPI, api: Api) -> None:
    await publish(app, api, {"bonus_bps": 1000})
    created = await api.post("/v1/returns", exchange("var_shirt_l"))
    balance = created.json()["refund_breakdown"]["exchange"]
    assert balance["bonus"] == 195  # 10 % of 1952, half up
    assert (balance["credit"], balance["refund_due"]) == (PAID_FOR_ONE + 195, 195)


@pytest.mark.parametrize(
    ("variant_id", "error"),
    [
        ("var_nowhere", "unknown_variant"),
        ("var_shirt_off", "unknown_variant"),
        ("var_shirt_usd", "no_price"),
        ("var_shirt_gone", "out_of_stock"),
    ],
)
async def test_a_variant_that_cannot_be_had_is_a_422_naming_it(
    api: Api, variant_id: str, error: str
) -> None:
    r = await api.post("/v1/returns", exchange(variant_id))
    assert r.status_code == 422, r.text
    errors = {e["location"]: e["type"] for e in r.json()["errors"]}
    assert errors == {"body.items.0.exchange_variant_id": error}
    assert (await api.get("/v1/returns", order_id="ord_x")).json()["data"] == []


async def test_an_exchange_names_a_variant_and_only_an_exchange_does(api: Api) -> None:
    missing = await api.post("/v1/returns", exchange(None))
    assert missing.status_code == 422
    assert "body.items.0.exchange_variant_id" in {e["location"] for e in missing.json()["errors"]}
    body = exchange("var_shirt_l")
    body["items"][0]["resolution"] = "refund"
    stray = await api.post("/v1/returns", body)
    assert stray.status_code == 422
    assert "body.items.0.exchange_variant_id" in {e["location"] for e in stray.json()["errors"]}


async def test_after_inspection_the_balance_counts_the_accepted_units(api: Api) -> None:
    created = await api.post("/v1/returns", exchange("var_shirt_gold", quantity=2))
    ret = created.json()
    assert created.status_code == 201, created.text
    if ret["status"] == "pending_review":
        assert (await api.post(f"/v1/returns/{ret['id']}/approve", {})).status_code == 200
    rid = ret["id"]
    await api.post(f"/v1/returns/{rid}/tracking-events", {"status": "in_transit"})
    entry = {"item_id": ret["items"][0]["id"], "received_quantity": 2, "accepted_quantity": 1}
    received = await api.post(f"/v1/returns/{rid}/receive", {"items": [entry]})
    assert received.status_code == 200, received.text
    balance = received.json()["refund_breakdown"]["exchange"]
    assert balance["new_value"] == 2600 + 494
    assert balance["credit"] == received.json()["refund_breakdown"]["items"][0]["paid"]


# --- stock: what open exchanges reserve ---------------------------------------------------


async def reserved(api: Api, variant_id: str) -> int:
    r = await api.get(f"/v1/variants/{variant_id}")
    assert r.status_code == 200, r.text
    return int(r.json()["reserved_quantity"])


async def expire(app: FastAPI, return_id: str) -> None:
    """Move the return's approval a year back, then run the expiry sweep."""
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(
            update(ReturnChange)
            .where(
                ReturnChange.return_id == uuid.UUID(return_id),
                ReturnChange.to_status == "approved",
            )
            .values(created_at=datetime.now(UTC) - timedelta(days=365))
        )
    await expire_overdue(app.state.sessionmaker)


@pytest.mark.parametrize("ending", ["cancel", "reject", "expire"])
async def test_an_exchange_reserves_its_units_until_its_return_ends(
    app: FastAPI, api: Api, ending: str
) -> None:
    platform = bearer(await new_api_key(app, "catalog:write", name="stock"))
    last_two = variant("prod_shirt", 2000, 380, available_quantity=2)
    await api.client.put("/v1/variants/var_last", json=last_two, headers=platform)
    first = await api.post("/v1/returns", exchange("var_last", quantity=2))
    assert first.status_code == 201, first.text
    ret = first.json()
    assert await reserved(api, "var_last") == 2

    await api.put_order("ord_y", number="Y-1", lines=[SHIRT])
    other = exchange("var_last") | {"order_id": "ord_y"}
    refused = await api.post("/v1/returns", other)
    assert refused.status_code == 422, refused.text
    assert {e["type"] for e in refused.json()["errors"]} == {"out_of_stock"}

    if ending == "reject":
        if ret["status"] != "pending_review":
            pytest.skip("the default policy approved it")  # pragma: no cover
        ended = await api.post(f"/v1/returns/{ret['id']}/reject", {})
    elif ending == "cancel":
        ended = await api.post(f"/v1/returns/{ret['id']}/cancel", {})
    else:
        if ret["status"] == "pending_review":
            assert (await api.post(f"/v1/returns/{ret['id']}/approve", {})).status_code == 200
        await expire(app, ret["id"])
        ended = await api.get(f"/v1/returns/{ret['id']}")
        assert ended.json()["status"] == "expired"
    assert ended.status_code == 200, ended.text
    assert await reserved(api, "var_last") == 0
    assert (await api.post("/v1/returns", other)).status_code == 201


async def test_two_items_of_one_request_share_the_stock(app: FastAPI, api: Api) -> None:
    platform = bearer(await new_api_key(app, "catalog:write", name="two"))
    one_left = variant("prod_shirt", 2000, 380, available_quantity=1)
    await api.client.put("/v1/variants/var_one", json=one_left, headers=platform)
    pants = line("li_2", unit_price=2000) | {"product_id": "prod_shirt"}
    await api.put_order("ord_z", number="Z-1", lines=[SHIRT, pants])
    body = exchange("var_one") | {"order_id": "ord_z"}
    body["items"].append(body["items"][0] | {"line_item_id": "li_2"})
    r = await api.post("/v1/returns", body)
    assert r.status_code == 422, r.text
    errors = {e["location"]: e["type"] for e in r.json()["errors"]}
    assert errors == {"body.items.1.exchange_variant_id": "out_of_stock"}


async def test_racing_exchanges_for_the_last_unit_have_one_winner(app: FastAPI, api: Api) -> None:
    """50 orders, one exchange each, for a variant with one unit: one 201, 49 refusals
    (one after the other on PostgreSQL, by the variant's row lock), and never a 5xx."""
    platform = bearer(await new_api_key(app, "catalog:write", name="race"))
    last = variant("prod_shirt", 2000, 380, available_quantity=1)
    await api.client.put("/v1/variants/var_race", json=last, headers=platform)
    for n in range(50):
        await api.put_order(f"ord_r{n}", number=f"R-{n}", lines=[SHIRT])
    async with AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                    base_url="http://testserver",
                )
            )
            for _ in range(50)
        ]
        responses = await asyncio.gather(
            *(
                client.post(
                    "/v1/returns",
                    json=exchange("var_race") | {"order_id": f"ord_r{n}"},
                    headers=api.headers,
                )
                for n, client in enumerate(clients)
            )
        )
    codes = Counter(r.status_code for r in responses)
    assert codes == Counter({201: 1, 422: 49}), [r.text for r in responses if r.status_code >= 500]
    assert await reserved(api, "var_race") == 1


# --- the replacement order ------------------------------------------------------------------


async def events_of(app: FastAPI, api: Api, return_id: str) -> list[str]:
    manager = bearer(await new_api_key(app, "webhooks:manage", name="events"))
    r = await api.client.get(
        "/v1/events", params={"return_id": return_id, "limit": 100}, headers=manager
    )
    assert r.status_code == 200, r.text
    return [event["type"] for event in r.json()["data"]]


async def received(api: Api, body: dict[str, Any], accepted: int = 1) -> dict[str, Any]:
    """Create, approve, ship and receive an exchange; `accepted` units of its item."""
    created = await api.post("/v1/returns", body)
    assert created.status_code == 201, created.text
    ret = created.json()
    if ret["status"] == "pending_review":
        assert (await api.post(f"/v1/returns/{ret['id']}/approve", {})).status_code == 200
    rid = ret["id"]
    await api.post(f"/v1/returns/{rid}/tracking-events", {"status": "in_transit"})
    entry = {
        "item_id": ret["items"][0]["id"],
        "received_quantity": ret["items"][0]["quantity"],
        "accepted_quantity": accepted,
    }
    done = await api.post(f"/v1/returns/{rid}/receive", {"items": [entry]})
    assert done.status_code == 200, done.text
    return dict(done.json())


async def test_an_even_exchange_requests_the_replacement_then_records_its_shipping(
    app: FastAPI, api: Api
) -> None:
    address = {"lines": ["Hauptstraße 5"], "city": "Berlin", "country": "DE"}
    body = order_body(number="X-1", lines=[SHIRT]) | {"shipping_address": address}
    body["customer"]["name"] = "Ada Lovelace"
    assert (
        await api.client.put("/v1/orders/ord_x", json=body, headers=api.headers)
    ).status_code == 200

    ret = await received(api, exchange("var_shirt_l"))
    rid = ret["id"]
    fulfillment = ret["exchange_fulfillment"]
    shown_address = {**address, "postal_code": None, "region": None}  # as the order shows it
    assert fulfillment["ship_to"] == {"name": "Ada Lovelace", "address": shown_address}
    assert (fulfillment["order_id"], fulfillment["fulfilled_at"]) == (None, None)
    assert "return.exchange_order_requested" in await events_of(app, api, rid)
    assert await reserved(api, "var_shirt_l") == 1

    path = f"/v1/returns/{rid}/exchange/fulfillment"
    created = await api.post(path, {"order_id": "ord_2002"})
    assert created.status_code == 200, created.text
    assert created.json()["exchange_fulfillment"]["order_id"] == "ord_2002"
    assert await reserved(api, "var_shirt_l") == 0  # the platform's order holds it now

    assert (
        (await api.post(path, {"order_id": "ord_9"}))
        .json()["type"]
        .endswith("exchange-order-mismatch")
    )
    shipped_body = {"order_id": "ord_2002", "tracking_number": "1Z9", "carrier": "ups"}
    shipped = await api.post(path, shipped_body)
    assert shipped.status_code == 200, shipped.text
    shown = shipped.json()["exchange_fulfillment"]
    assert (shown["tracking_number"], shown["carrier"]) == ("1Z9", "ups")
    assert shown["fulfilled_at"] is not None
    again = await api.post(path, shipped_body)
    assert again.json()["version"] == shipped.json()["version"]  # nothing new: no change
    assert (await events_of(app, api, rid)).count("return.exchange_fulfilled") == 1


async def test_no_replacement_while_something_is_owed_or_nothing_was_accepted(
    app: FastAPI, api: Api
) -> None:
    owed = await received(api, exchange("var_shirt_gold"))
    assert owed["refund_breakdown"]["exchange"]["amount_due"] > 0
    assert owed["exchange_fulfillment"] is None
    none_accepted = await received(api, exchange("var_shirt_l"), accepted=0)
    assert none_accepted["exchange_fulfillment"] is None
    for ret in (owed, none_accepted):
        assert "return.exchange_order_requested" not in await events_of(app, api, ret["id"])
        r = await api.post(f"/v1/returns/{ret['id']}/exchange/fulfillment", {"order_id": "o1"})
        assert r.status_code == 409, r.text
        assert r.json()["type"] == "urn:returns-api:problem:exchange-not-requested"
