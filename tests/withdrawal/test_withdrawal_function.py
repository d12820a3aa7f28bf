"""The withdrawal function through HTTP, without a key (issue #25 §2; Directive 2011/83/EU,
Article 11a): statement, summary, confirmation, one withdrawal however often confirmed."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import func, select

from returns_api.app import create_app
from returns_api.core.settings import Settings
from returns_api.returns.models import Return
from returns_api.withdrawals.models import Withdrawal
from tests.conftest import make_settings, new_api_key
from tests.factories import Api
from tests.withdrawal.helpers import REJECT_ALL, eu_policy, merchant, parse, put_order

STATEMENT = {"name": "Ada Lovelace", "order_number": "W-1", "email": "ada@example.com"}


async def statement(client: httpx.AsyncClient, **fields: Any) -> httpx.Response:
    return await client.post("/v1/withdrawals", json={**STATEMENT, **fields})


async def confirm(client: httpx.AsyncClient, pending: dict[str, Any]) -> httpx.Response:
    return await client.post(
        f"/v1/withdrawals/{pending['id']}/confirm",
        json={"confirm_token": pending["confirm_token"]},
    )


async def events(app: FastAPI, client: httpx.AsyncClient, type_: str) -> list[dict[str, Any]]:
    key = await new_api_key(app, "webhooks:manage", name="events")
    listed = await client.get(
        "/v1/events", params={"type": type_}, headers={"Authorization": f"Bearer {key}"}
    )
    assert listed.status_code == 200, listed.text
    return list(listed.json()["data"])


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Room for 20 racers from one test address; `test_statements_are_rate_limited` checks
    the limit with an app of its own."""
    return make_settings(database_url, portal_rate_limit_per_minute=100)


@pytest.fixture
async def shop(app: FastAPI, client: httpx.AsyncClient) -> Api:
    api = await merchant(app, client)
    await eu_policy(api, rules=[REJECT_ALL])
    await put_order(api, number="W-1", delivered_days_ago=10, locale="de-DE")
    return api


async def test_statement_then_confirmation_records_one_statutory_withdrawal(
    app: FastAPI, client: httpx.AsyncClient, shop: Api
) -> None:
    made = await statement(client)
    assert made.status_code == 201, made.text
    pending = made.json()
    assert pending["status"] == "pending"
    assert pending["received_at"] is None
    assert pending["statement"]["whole_order"] is True
    assert {i["line_item_id"]: i["quantity"] for i in pending["statement"]["items"]} == {
        "li_1": 2,
        "li_2": 1,
    }
    assert "withdraw from my contract" in pending["statement"]["text"]
    assert pending["confirm_token"].startswith("wc_")
    async with app.state.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Return)) == 0

    before = datetime.now(UTC)
    confirmed = await confirm(client, pending)
    after = datetime.now(UTC)
    assert confirmed.status_code == 200, confirmed.text
    body = confirmed.json()
    assert body["status"] == "confirmed"
    assert before <= parse(body["received_at"]) <= after  # the server's clock
    assert "confirm_token" not in body
    ret = await shop.get(f"/v1/returns/{body['return_id']}")
    assert ret.status_code == 200
    shown = ret.json()
    assert shown["legal_basis"] == "statutory_withdrawal"
    assert shown["status"] == "pending_review"  # the rule would reject: a person decides
    assert shown["locale"] == "de-DE"

    again = await confirm(client, pending)
    assert again.status_code == 200
    assert again.json() == body
    received = await events(app, client, "withdrawal.received")
    assert len(received) == 1
    data = received[0]["data"]["object"]
    assert data["statement"]["email"] == "ada@example.com"
    assert data["received_at"] == body["received_at"]
    assert data["locale"] == "de-DE"
    assert data["pdf_url"] == f"/v1/withdrawals/{body['id']}/pdf"

    exported = await shop.get(f"/v1/withdrawals/{body['id']}")
    assert exported.json() == body
    pdf = await shop.client.get(body["pdf_url"], headers=shop.headers)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert (await client.get(body["pdf_url"])).status_code == 401


async def test_wrong_email_and_unknown_order_get_the_same_answer(
    client: httpx.AsyncClient, shop: Api
) -> None:
    wrong = await statement(client, email="eve@example.com")
    unknown = await statement(client, order_number="NOPE-1")
    assert wrong.status_code == unknown.status_code == 404
    strip = ("instance", "request_id")
    assert {k: v for k, v in wrong.json().items() if k not in strip} == {
        k: v for k, v in unknown.json().items() if k not in strip
    }


async def test_wrong_token_or_unknown_id_confirms_nothing(
    app: FastAPI, client: httpx.AsyncClient, shop: Api
) -> None:
    pending = (await statement(client)).json()
    forged = await confirm(client, {**pending, "confirm_token": "wc_guess"})
    unknown = await confirm(client, {**pending, "id": str(uuid.uuid4())})
    not_an_id = await confirm(client, {**pending, "id": "not-an-id"})
    assert forged.status_code == unknown.status_code == not_an_id.status_code == 404
    assert forged.json()["type"] == unknown.json()["type"]
    async with app.state.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Return)) == 0


async def test_business_order_has_no_withdrawal_function(
    client: httpx.AsyncClient, shop: Api
) -> None:
    await put_order(shop, "ord_b2b", number="B-1", buyer_is_consumer=False)
    refused = await statement(client, order_number="B-1")
    assert refused.status_code == 422
    assert refused.json()["type"].endswith("withdrawal-not-possible")


async def test_some_items_only_and_an_excluded_item_is_refused(
    client: httpx.AsyncClient, shop: Api
) -> None:
    made = await statement(client, items=[{"line_item_id": "li_1", "quantity": 1}])
    assert made.status_code == 201, made.text
    assert made.json()["statement"]["whole_order"] is False
    bad = await statement(client, items=[{"line_item_id": "li_9"}])
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["location"] == "body.items.0.line_item_id"
    mass = await statement(client, status="confirmed")
    assert mass.status_code == 422


async def test_statements_are_rate_limited(database_url: str, app: FastAPI) -> None:
    limited = make_settings(database_url, portal_rate_limit_per_minute=3)
    application = create_app(limited)
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            answers = [await statement(c, order_number="NOPE-2") for _ in range(4)]
    assert [a.status_code for a in answers] == [404, 404, 404, 429]
    assert int(answers[-1].headers["Retry-After"]) >= 1


async def test_twenty_concurrent_confirmations_are_one_withdrawal(
    app: FastAPI, client: httpx.AsyncClient, shop: Api
) -> None:
    pending = (await statement(client)).json()
    async with AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                    base_url="http://testserver",
                )
            )
            for _ in range(20)
        ]
        answers = await asyncio.gather(*(confirm(c, pending) for c in clients))
    assert Counter(a.status_code for a in answers) == {200: 20}, [a.text for a in answers]
    assert len({a.json()["received_at"] for a in answers}) == 1
    async with app.state.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Return)) == 1
        assert (await session.get(Withdrawal, uuid.UUID(pending["id"]))) is not None
    assert len(await events(app, client, "withdrawal.received")) == 1
    assert len(await events(app, client, "return.created")) == 1
