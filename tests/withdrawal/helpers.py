"""Shared by the withdrawal tests: an EU policy and orders relative to the test's clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from tests.conftest import new_api_key
from tests.factories import ALL_STAFF_SCOPES, Api, order_body

REJECT_ALL = {
    "id": "reject-all",
    "name": "Reject everything",
    "conditions": [{"fact": "item_value", "op": "gte", "value": 0}],
    "action": "reject",
}


async def merchant(app: FastAPI, client: httpx.AsyncClient) -> Api:
    key = await new_api_key(app, *ALL_STAFF_SCOPES, "policy:manage", name="merchant")
    return Api(client, key)


async def eu_policy(api: Api, **document: Any) -> None:
    statutory = {"profile": "EU", **document.pop("statutory", {})}
    body = {"window_days": 7, "statutory": statutory, **document}
    response = await api.client.put("/v1/policy", json=body, headers=api.headers)
    assert response.status_code == 201, response.text


async def put_order(api: Api, order_id: str = "ord_1", **fields: Any) -> dict[str, Any]:
    """An order; keyword arguments of `order_body`, or order fields (e.g. buyer_is_consumer)."""
    known = set(order_body.__kwdefaults__ or {})
    body = order_body(**{k: v for k, v in fields.items() if k in known})
    body.update({k: v for k, v in fields.items() if k not in known})
    response = await api.client.put(f"/v1/orders/{order_id}", json=body, headers=api.headers)
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


def statutory_deadline(delivered: datetime, days: int = 14) -> datetime:
    """Independently of the service: the end of the 14th day after delivery, moved past a
    weekend (Regulation 1182/71)."""
    day: date = delivered.astimezone(UTC).date() + timedelta(days=days)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, time.max, tzinfo=UTC)


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
