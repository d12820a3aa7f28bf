"""The summary's resolutions (issue 19 §7) through HTTP, on SQLite and on PostgreSQL: per
currency, what the period's returns are worth by resolution — the revenue exchanges keep
against what goes back as money or store credit — and the share of returns with an exchange.

Orders with discounts and tax, so that an item's value is what was paid for its units (unit
price, less their discount share, plus their tax share), not the list price.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import bearer, new_api_key
from tests.factories import ALL_STAFF_SCOPES, Api, line

# One shirt was paid 2000 - 800/4 + 608/4 = 1952; the mug 5000 + 950; a cap 700.
SHIRTS = line("li_1", quantity=4, unit_price=2000, discount=800, tax=608) | {
    "product_id": "prod_shirt"
}
MUG = line("li_2", quantity=1, unit_price=5000, tax=950) | {"product_id": "prod_mug"}
CAPS = line("li_3", quantity=3, unit_price=700) | {"product_id": "prod_cap"}
# In dollars: two shirts at 2000 with 200 tax each (2200 a unit), a hat at 1500 + 120.
USD_SHIRTS = line("li_1", quantity=2, unit_price=2000, tax=400) | {"product_id": "prod_shirt"}
HAT = line("li_2", quantity=1, unit_price=1500, tax=120) | {"product_id": "prod_hat"}


def shirt_variant(currency: str, tax: int) -> dict[str, Any]:
    """The same shirt in another size at the same list price: a like-for-like exchange."""
    return {
        "product_id": "prod_shirt",
        "title": "Shirt, L",
        "options": {"size": "L"},
        "prices": [{"currency": currency, "unit_price": 2000, "tax": tax}],
        "available_quantity": 10,
    }


def item(line_id: str, quantity: int, resolution: str = "refund") -> dict[str, Any]:
    entry = {"line_item_id": line_id, "quantity": quantity, "reason": "size_fit"}
    if resolution == "exchange":
        entry["exchange_variant_id"] = "var_shirt_l_eur"
    return entry | {"resolution": resolution}


@pytest.fixture
async def api(app: FastAPI, client: httpx.AsyncClient) -> Api:
    staff = Api(client, await new_api_key(app, *ALL_STAFF_SCOPES, "analytics:read"))
    platform = bearer(await new_api_key(app, "catalog:write", name="platform"))
    for variant_id, body in (
        ("var_shirt_l_eur", shirt_variant("EUR", 380)),
        ("var_shirt_l_usd", shirt_variant("USD", 200)),
    ):
        r = await client.put(f"/v1/variants/{variant_id}", json=body, headers=platform)
        assert r.status_code == 201, r.text
    await staff.put_order("ord_eur", number="EUR-1", lines=[SHIRTS, MUG, CAPS])
    await staff.put_order("ord_usd", number="USD-1", currency="USD", lines=[USD_SHIRTS, HAT])
    return staff


async def create(api: Api, order_id: str, *items: dict[str, Any]) -> dict[str, Any]:
    r = await api.create_return(order_id, list(items))
    assert r.status_code == 201, r.text
    return dict(r.json())


async def receive(api: Api, ret: dict[str, Any], accepted: int) -> None:
    """Approve (if it waits), ship and inspect a one-item return: `accepted` units of it."""
    rid = ret["id"]
    if ret["status"] == "pending_review":
        assert (await api.post(f"/v1/returns/{rid}/approve", {})).status_code == 200
    transit = await api.post(f"/v1/returns/{rid}/tracking-events", {"status": "in_transit"})
    assert transit.status_code == 200, transit.text
    entry = {
        "item_id": ret["items"][0]["id"],
        "received_quantity": ret["items"][0]["quantity"],
        "accepted_quantity": accepted,
    }
    done = await api.post(f"/v1/returns/{rid}/receive", {"items": [entry]})
    assert done.status_code == 200, done.text


async def summary(api: Api, **params: str) -> dict[str, Any]:
    r = await api.get("/v1/analytics/summary", **params)
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_the_summary_weighs_exchanges_against_refunds_and_store_credit(api: Api) -> None:
    # EUR: an exchange of two shirts that also refunds a cap, a refund of the mug, two caps
    # for store credit; an exchange of a shirt, cancelled.
    await create(api, "ord_eur", item("li_1", 2, "exchange"), item("li_3", 1))
    await create(api, "ord_eur", item("li_2", 1))
    await create(api, "ord_eur", item("li_3", 2, "store_credit"))
    cancelled = await create(api, "ord_eur", item("li_1", 1, "exchange"))
    assert (await api.post(f"/v1/returns/{cancelled['id']}/cancel", {})).status_code == 200
    # USD: two shirts to exchange of which one is accepted at inspection; the hat refunded.
    usd_exchange = item("li_1", 2, "exchange") | {"exchange_variant_id": "var_shirt_l_usd"}
    await receive(api, await create(api, "ord_usd", usd_exchange), accepted=1)
    await create(api, "ord_usd", item("li_2", 1))

    body = await summary(api)
    assert body["resolutions"] == [
        {
            "currency": "EUR",
            "returns": 3,  # not the cancelled exchange
            "exchange_returns": 1,
            "exchange_share_bps": 3333,
            "value_by_resolution": {
                "refund": 700 + 5950,
                "store_credit": 2 * 700,
                "exchange": 2 * 1952,
            },
        },
        {
            "currency": "USD",
            "returns": 2,
            "exchange_returns": 1,
            "exchange_share_bps": 5000,
            # The accepted shirt only: the other one goes back to the customer.
            "value_by_resolution": {"refund": 1620, "store_credit": 0, "exchange": 2200},
        },
    ]
    assert body["returns"]["total"] == 6

    dollars = await summary(api, currency="USD")
    assert dollars["resolutions"] == body["resolutions"][1:]


async def test_no_returns_no_resolutions(api: Api) -> None:
    assert (await summary(api))["resolutions"] == []
