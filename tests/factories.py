"""Small factories for API tests: keyword defaults, everything through the public HTTP API."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from tests.conftest import bearer, new_api_key

ALL_STAFF_SCOPES = ("orders:write", "returns:read", "returns:write", "returns:manage")
_numbers = itertools.count(1001)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def order_body(
    *,
    number: str | None = None,
    email: str = "ada@example.com",
    customer_id: str | None = "cus_42",
    currency: str = "EUR",
    delivered_days_ago: int | None = 3,
    fulfilled_days_ago: int | None = 5,
    shipping_paid: int = 495,
    lines: list[dict[str, Any]] | None = None,
    country: str | None = "DE",
) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "order_number": number or str(next(_numbers)),
        "customer": {"id": customer_id, "email": email},
        "currency": currency,
        "country": country,
        "placed_at": iso(now - timedelta(days=10)),
        "fulfilled_at": iso(now - timedelta(days=fulfilled_days_ago))
        if fulfilled_days_ago is not None
        else None,
        "delivered_at": iso(now - timedelta(days=delivered_days_ago))
        if delivered_days_ago is not None
        else None,
        "shipping_paid": shipping_paid,
        "line_items": lines
        if lines is not None
        else [
            line("li_1", quantity=2, unit_price=2500, discount=500, tax=760),
            line("li_2", quantity=1, unit_price=4999, tax=950),
        ],
    }


def line(
    line_id: str,
    *,
    quantity: int = 1,
    unit_price: int = 1000,
    discount: int = 0,
    tax: int = 0,
    final_sale: bool = False,
    tags: list[str] | None = None,
    category: str | None = None,
) -> dict[str, Any]:
    return {
        "id": line_id,
        "sku": f"SKU-{line_id}",
        "title": f"Item {line_id}",
        "quantity": quantity,
        "unit_price": unit_price,
        "discount": discount,
        "tax": tax,
        "final_sale": final_sale,
        "tags": tags or [],
        "category": category,
    }


class Api:
    """A test-side client holding a staff key, with one method per call the tests repeat."""

    def __init__(self, client: httpx.AsyncClient, key: str) -> None:
        self.client = client
        self.headers = bearer(key)

    @classmethod
    async def staff(cls, app: FastAPI, client: httpx.AsyncClient) -> Api:
        return cls(client, await new_api_key(app, *ALL_STAFF_SCOPES, name="back-office"))

    async def put_order(self, order_id: str = "ord_1", **kw: Any) -> dict[str, Any]:
        r = await self.client.put(
            f"/v1/orders/{order_id}", json=order_body(**kw), headers=self.headers
        )
        assert r.status_code in (200, 201), r.text
        return dict(r.json())

    async def create_return(
        self, order_id: str = "ord_1", items: list[dict[str, Any]] | None = None, **kw: Any
    ) -> httpx.Response:
        body = {
            "order_id": order_id,
            "items": items or [{"line_item_id": "li_1", "quantity": 1, "reason": "size_fit"}],
            **kw,
        }
        return await self.client.post("/v1/returns", json=body, headers=self.headers)

    async def post(self, path: str, body: Any = None, **headers: str) -> httpx.Response:
        return await self.client.post(path, json=body, headers={**self.headers, **headers})

    async def get(self, path: str, **params: Any) -> httpx.Response:
        return await self.client.get(path, params=params, headers=self.headers)
