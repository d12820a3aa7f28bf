"""Through the public API: an order in a locale, a return walked through its steps, and the
mails that arrived."""

from __future__ import annotations

import re
from email.message import EmailMessage
from typing import Any

import httpx
from fastapi import FastAPI

from returns_api.core.jobs import JobConfig
from returns_api.shipping.labels import LabelWorker
from tests.api.test_policy import policy_api, put_policy
from tests.factories import Api, line, order_body

METHODS: list[dict[str, Any]] = [
    {"code": "label", "label": "Prepaid label", "kind": "prepaid_label", "carrier": "dhl"},
    {"code": "own", "label": "Send it your way", "kind": "customer_ships"},
]
POLICY: dict[str, Any] = {"return_methods": METHODS, "default_action": "review"}
LINES = [line("li_a", unit_price=2000, quantity=2), line("li_b", unit_price=1000)]
EMAIL = "anna@example.com"
TOKEN = re.compile(r"/portal/returns/([0-9a-f-]{36})#token=(rl_[A-Za-z0-9_.\-]+)")


def expect(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return dict(response.json())


async def merchant(app: FastAPI, client: httpx.AsyncClient) -> Api:
    api = await policy_api(app, client)
    assert (await put_policy(api, **POLICY)).status_code == 201
    return api


async def put_order(
    api: Api, order_id: str, *, locale: str = "de-DE", currency: str = "EUR"
) -> None:
    body = {
        **order_body(number=f"N-{order_id}", email=EMAIL, lines=LINES, currency=currency),
        "locale": locale,
    }
    expect(await api.client.put(f"/v1/orders/{order_id}", json=body, headers=api.headers), 201)


async def new_return(
    api: Api, order_id: str = "ord_m", *, method: str = "label", **order: str
) -> dict[str, Any]:
    await put_order(api, order_id, **order)
    items = [{"line_item_id": "li_a", "quantity": 2, "reason": "size_fit"}]
    return expect(await api.create_return(order_id, items, return_method=method), 201)


def label_worker(app: FastAPI) -> LabelWorker:
    return LabelWorker(app.state.sessionmaker, app.state.carriers["builtin"], JobConfig())


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def return_link(message: EmailMessage) -> tuple[str, str]:
    """(return id, token) of the mail's link to the return's page."""
    found = TOKEN.search(text_of(message))
    assert found is not None, text_of(message)
    return found.group(1), found.group(2)


async def notifications(api: Api, **params: Any) -> list[dict[str, Any]]:
    return list(expect(await api.get("/v1/notifications", **params))["data"])
