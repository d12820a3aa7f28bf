"""Who and where an order went (issue 19 §2): the customer's name and a structured shipping
address, through HTTP on both databases; seen by merchant keys and that order's portal
token only."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.factories import Api, order_body

ADDRESS = {
    "lines": ["Hauptstraße 5", "3. OG"],
    "city": "Berlin",
    "postal_code": "10115",
    "region": "Berlin",
    "country": "DE",
}


@pytest.fixture
async def api(app: FastAPI, client: httpx.AsyncClient) -> Api:
    return await Api.staff(app, client)


def with_who_and_where(number: str, email: str, **extra: Any) -> dict[str, Any]:
    body = order_body(number=number, email=email)
    body["customer"]["name"] = "Ada Lovelace"
    return {**body, "shipping_address": ADDRESS, **extra}


async def portal_token(client: httpx.AsyncClient, number: str, email: str) -> dict[str, str]:
    r = await client.post("/v1/portal/sessions", json={"order_number": number, "email": email})
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


async def test_the_name_and_address_are_kept_and_shown_to_the_merchant(api: Api) -> None:
    r = await api.client.put(
        "/v1/orders/ord_w", json=with_who_and_where("W-1", "ada@example.com"), headers=api.headers
    )
    assert r.status_code == 201, r.text
    for answer in (r.json(), (await api.get("/v1/orders/ord_w")).json()):
        assert answer["customer"]["name"] == "Ada Lovelace"
        assert answer["shipping_address"] == ADDRESS


async def test_only_that_orders_portal_token_sees_them(api: Api) -> None:
    await api.client.put(
        "/v1/orders/ord_a", json=with_who_and_where("W-2", "a@example.com"), headers=api.headers
    )
    await api.client.put(
        "/v1/orders/ord_b", json=with_who_and_where("W-3", "b@example.com"), headers=api.headers
    )
    own = await portal_token(api.client, "W-2", "a@example.com")
    mine = await api.client.get("/v1/orders/ord_a", headers=own)
    assert mine.status_code == 200, mine.text
    assert mine.json()["shipping_address"] == ADDRESS
    theirs = await api.client.get("/v1/orders/ord_b", headers=own)
    assert theirs.status_code == 404
    assert "Berlin" not in theirs.text
    assert "Ada" not in theirs.text


async def test_both_are_optional_and_a_re_sync_without_them_clears_them(api: Api) -> None:
    body = with_who_and_where("W-4", "c@example.com")
    await api.client.put("/v1/orders/ord_c", json=body, headers=api.headers)
    plain = order_body(number="W-4", email="c@example.com")
    r = await api.client.put("/v1/orders/ord_c", json=plain, headers=api.headers)
    assert r.status_code == 200, r.text
    assert (r.json()["customer"]["name"], r.json()["shipping_address"]) == (None, None)


@pytest.mark.parametrize(
    ("change", "location"),
    [
        ({"country": "de"}, "body.shipping_address.country"),
        ({"lines": []}, "body.shipping_address.lines"),
        ({"lines": ["a", "b", "c", "d"]}, "body.shipping_address.lines"),
        ({"city": ""}, "body.shipping_address.city"),
        ({"planet": "Mars"}, "body.shipping_address.planet"),
    ],
)
async def test_a_bad_address_is_a_422_naming_the_field_and_writes_nothing(
    api: Api, change: dict[str, Any], location: str
) -> None:
    body = with_who_and_where("W-5", "d@example.com", shipping_address={**ADDRESS, **change})
    r = await api.client.put("/v1/orders/ord_d", json=body, headers=api.headers)
    assert r.status_code == 422, r.text
    assert location in {error["location"] for error in r.json()["errors"]}
    assert (await api.get("/v1/orders/ord_d")).status_code == 404


async def test_a_name_too_long_is_refused(api: Api) -> None:
    body = with_who_and_where("W-6", "e@example.com")
    body["customer"]["name"] = "x" * 201
    r = await api.client.put("/v1/orders/ord_e", json=body, headers=api.headers)
    assert r.status_code == 422
    assert "body.customer.name" in {error["location"] for error in r.json()["errors"]}
