"""The catalog (issue 19 §1), through HTTP on both databases: the platform syncs variants
with `catalog:write`; a merchant reads them all; a portal token reads only the active
variants it could exchange for (of its order's products, or of any product when the policy
says so), and gets a 404 for the others."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import bearer, new_api_key
from tests.factories import Api, line, order_body


def variant(product: str, **changes: Any) -> dict[str, Any]:
    return {
        "sku": f"SKU-{product}",
        "product_id": product,
        "title": f"{product}, L",
        "options": {"size": "L", "colour": "blue"},
        "prices": [
            {"currency": "EUR", "unit_price": 2100, "tax": 400},
            {"currency": "USD", "unit_price": 2300, "tax": 0},
        ],
        "available_quantity": 12,
        "active": True,
        **changes,
    }


class Catalog:
    def __init__(self, client: httpx.AsyncClient, headers: dict[str, str]) -> None:
        self.client, self.headers = client, headers

    async def put(self, variant_id: str, body: dict[str, Any]) -> httpx.Response:
        return await self.client.put(f"/v1/variants/{variant_id}", json=body, headers=self.headers)


@pytest.fixture
async def catalog(app: FastAPI, client: httpx.AsyncClient) -> Catalog:
    return Catalog(client, bearer(await new_api_key(app, "catalog:write", name="platform")))


@pytest.fixture
async def api(app: FastAPI, client: httpx.AsyncClient) -> Api:
    return await Api.staff(app, client)


def ids(page: httpx.Response) -> list[str]:
    assert page.status_code == 200, page.text
    return [v["id"] for v in page.json()["data"]]


async def test_a_variant_is_created_then_replaced_and_read_back(catalog: Catalog) -> None:
    created = await catalog.put("var_1", variant("prod_t"))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["prices"] == variant("prod_t")["prices"]
    assert (body["available_quantity"], body["options"]) == (12, {"size": "L", "colour": "blue"})

    replaced = await catalog.put("var_1", variant("prod_t", available_quantity=0, active=False))
    assert replaced.status_code == 200, replaced.text
    read = await catalog.client.get("/v1/variants/var_1", headers=catalog.headers)
    assert read.json() == replaced.json()
    assert (read.json()["available_quantity"], read.json()["active"]) == (0, False)
    assert read.json()["created_at"] == body["created_at"]


@pytest.mark.parametrize(
    ("changes", "location"),
    [
        (
            {
                "prices": [
                    {"currency": "EUR", "unit_price": 1},
                    {"currency": "EUR", "unit_price": 2},
                ]
            },
            "body.prices",
        ),
        ({"prices": [{"currency": "EUR", "unit_price": 10.5}]}, "body.prices.0.unit_price"),
        ({"prices": [{"currency": "EUR", "unit_price": -1}]}, "body.prices.0.unit_price"),
        ({"prices": [{"currency": "XXQ", "unit_price": 1}]}, "body.prices.0.currency"),
        ({"prices": []}, "body.prices"),
        ({"available_quantity": "5"}, "body.available_quantity"),
        ({"available_quantity": -1}, "body.available_quantity"),
        ({"active": "yes"}, "body.active"),
        ({"product_id": ""}, "body.product_id"),
        ({"price": 1}, "body.price"),
    ],
)
async def test_bad_variants_are_422_naming_the_field_and_write_nothing(
    catalog: Catalog, changes: dict[str, Any], location: str
) -> None:
    r = await catalog.put("var_bad", variant("prod_t", **changes))
    assert r.status_code == 422, r.text
    assert location in {e["location"] for e in r.json()["errors"]}, r.json()
    missing = await catalog.client.get("/v1/variants/var_bad", headers=catalog.headers)
    assert missing.status_code == 404


async def test_only_catalog_write_may_sync_variants(catalog: Catalog, api: Api) -> None:
    refused = await api.client.put("/v1/variants/var_1", json=variant("p"), headers=api.headers)
    assert refused.status_code == 403, refused.text
    assert (await catalog.put("var_1", variant("p"))).status_code == 201
    # whoever reads returns (a storefront's key) may read the catalog
    assert (await api.get("/v1/variants/var_1")).status_code == 200


async def test_a_merchant_lists_by_product_and_state_a_page_at_a_time(catalog: Catalog) -> None:
    for n in range(5):
        await catalog.put(f"var_a{n}", variant("prod_a", active=n != 4))
    await catalog.put("var_b0", variant("prod_b"))

    def get(**params: Any) -> Any:
        return catalog.client.get("/v1/variants", params=params, headers=catalog.headers)

    assert ids(await get(product_id="prod_b")) == ["var_b0"]
    assert ids(await get(product_id="prod_a", active="false")) == ["var_a4"]
    first = await get(product_id=["prod_a", "prod_b"], limit=4)
    assert ids(first) == ["var_a0", "var_a1", "var_a2", "var_a3"]
    rest = await get(product_id=["prod_a", "prod_b"], limit=4, cursor=first.json()["next_cursor"])
    assert ids(rest) == ["var_a4", "var_b0"]
    assert rest.json()["next_cursor"] is None


async def portal_headers(api: Api, number: str) -> dict[str, str]:
    r = await api.client.post(
        "/v1/portal/sessions", json={"order_number": number, "email": "ada@example.com"}
    )
    assert r.status_code == 201, r.text
    return bearer(r.json()["token"])


async def test_a_customer_sees_only_what_it_could_exchange_for(catalog: Catalog, api: Api) -> None:
    shirt = line("li_1") | {"product_id": "prod_shirt"}
    await api.client.put(
        "/v1/orders/ord_1", json=order_body(number="V-1", lines=[shirt]), headers=api.headers
    )
    await catalog.put("var_shirt_m", variant("prod_shirt"))
    await catalog.put("var_shirt_xl", variant("prod_shirt", active=False))
    await catalog.put("var_shoe", variant("prod_shoe"))
    customer = await portal_headers(api, "V-1")

    page = await api.client.get("/v1/variants", headers=customer)
    assert ids(page) == ["var_shirt_m"]
    # asking for another product, or for inactive ones, changes nothing
    asked = await api.client.get(
        "/v1/variants", params={"product_id": "prod_shoe", "active": "false"}, headers=customer
    )
    assert ids(asked) == []
    for hidden in ("var_shirt_xl", "var_shoe", "var_nowhere"):
        r = await api.client.get(f"/v1/variants/{hidden}", headers=customer)
        assert r.status_code == 404, (hidden, r.text)
        assert r.json()["type"] == "urn:returns-api:problem:variant-not-found"
    assert (await api.client.get("/v1/variants/var_shirt_m", headers=customer)).status_code == 200
    refused = await api.client.put("/v1/variants/var_x", json=variant("p"), headers=customer)
    assert refused.status_code == 403


async def test_when_the_policy_allows_any_product_a_customer_sees_every_active_variant(
    app: FastAPI, catalog: Catalog, api: Api
) -> None:
    admin = bearer(await new_api_key(app, "policy:manage", name="policy"))
    published = await api.client.put(
        "/v1/policy", json={"exchanges": {"any_product": True}}, headers=admin
    )
    assert published.status_code == 201, published.text
    shirt = line("li_1") | {"product_id": "prod_shirt"}
    await api.client.put(
        "/v1/orders/ord_1", json=order_body(number="V-2", lines=[shirt]), headers=api.headers
    )
    await catalog.put("var_shoe", variant("prod_shoe"))
    await catalog.put("var_old", variant("prod_shoe", active=False))
    customer = await portal_headers(api, "V-2")
    assert ids(await api.client.get("/v1/variants", headers=customer)) == ["var_shoe"]
    assert (await api.client.get("/v1/variants/var_old", headers=customer)).status_code == 404
