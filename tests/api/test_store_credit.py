"""Store credit through the API (issue 21 §2): refunds credit it, the platform spends it.

Credits come in the way the refund code brings them: `credit()` inside a transaction. The
races run through the ASGI app with `asyncio.gather`: on PostgreSQL each request has its own
pooled connection and transaction, settled by the guarded UPDATE of the balance row; on
SQLite `BEGIN IMMEDIATE` queues the writers.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI

from returns_api.store_credit.keys import customer_key
from returns_api.store_credit.service import credit
from tests.api.test_foundation import assert_problem
from tests.conftest import bearer, new_api_key
from tests.factories import Api

CUSTOMER = "cus_42"
INSUFFICIENT = "urn:returns-api:problem:insufficient-store-credit"
MISMATCH = "urn:returns-api:problem:store-credit-spend-mismatch"


@pytest.fixture
async def platform(app: FastAPI, client: httpx.AsyncClient) -> Api:
    """The commerce platform's key: it spends (and so reads) store credit."""
    api = Api(client, await new_api_key(app, "store_credit:write", name="shop-platform"))
    # The first request marks the key used (a write on its row): done here, so that racing
    # spends queue for the balance row, not for the key's.
    assert (await api.get(ledger_path(CUSTOMER))).status_code == 200
    return api


def ledger_path(key: str) -> str:
    return f"/v1/customers/{quote(key, safe='')}/store-credit"


def spends_path(key: str) -> str:
    return ledger_path(key) + "/spends"


async def give_credit(
    app: FastAPI,
    amount: int,
    *,
    key: str = CUSTOMER,
    currency: str = "EUR",
    refund_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """Credit as the refund code does: `credit()` in a transaction of its own."""
    refund_id = refund_id or uuid.uuid4()
    async with app.state.sessionmaker() as session, session.begin():
        await credit(
            session,
            customer_key=key,
            currency=currency,
            amount=amount,
            refund_id=refund_id,
            actor="back-office",
            note="refund to store credit",
        )
    return refund_id


async def spend(
    api: Api, amount: int, reference: str, *, key: str = CUSTOMER, currency: str = "EUR"
) -> httpx.Response:
    body = {"amount": amount, "currency": currency, "external_reference": reference}
    return await api.post(spends_path(key), body)


async def balances(api: Api, key: str = CUSTOMER) -> dict[str, int]:
    response = await api.get(ledger_path(key))
    assert response.status_code == 200, response.text
    return {b["currency"]: b["balance"] for b in response.json()["balances"]}


async def ledger(api: Api, key: str = CUSTOMER) -> list[dict[str, Any]]:
    response = await api.get(ledger_path(key), limit=100)
    assert response.status_code == 200, response.text
    return list(response.json()["entries"])


async def test_a_credit_shows_in_the_balance_and_the_ledger(app: FastAPI, platform: Api) -> None:
    refund_id = await give_credit(app, 4500)

    read = await platform.get(ledger_path(CUSTOMER))
    assert read.status_code == 200, read.text
    body = read.json()
    assert body["customer_id"] == CUSTOMER
    assert [(b["currency"], b["balance"]) for b in body["balances"]] == [("EUR", 4500)]
    [entry] = body["entries"]
    assert entry["kind"] == "credit"
    assert entry["amount"] == 4500
    assert entry["refund_id"] == str(refund_id)
    assert entry["actor"] == "back-office"
    assert body["next_cursor"] is None


async def test_a_customer_without_credit_has_no_balances(platform: Api) -> None:
    read = await platform.get(ledger_path("cus_nobody"))
    assert read.status_code == 200, read.text
    assert read.json() == {
        "customer_id": "cus_nobody",
        "balances": [],
        "entries": [],
        "next_cursor": None,
    }


async def test_a_spend_takes_from_the_balance(app: FastAPI, platform: Api) -> None:
    await give_credit(app, 4500)
    await give_credit(app, 900, currency="USD")

    spent = await spend(platform, 2500, "checkout_1")

    assert spent.status_code == 201, spent.text
    body = spent.json()
    assert body["spend"]["kind"] == "spend"
    assert body["spend"]["amount"] == -2500
    assert body["spend"]["external_reference"] == "checkout_1"
    assert body["spend"]["actor"] == "shop-platform"
    assert body["balance"]["currency"] == "EUR"
    assert body["balance"]["balance"] == 2000
    assert await balances(platform) == {"EUR": 2000, "USD": 900}
    entries = await ledger(platform)
    assert [e["amount"] for e in entries] == [-2500, 900, 4500]  # newest first
    assert entries[0]["id"] == body["spend"]["id"]


async def test_the_same_external_reference_is_the_same_spend(app: FastAPI, platform: Api) -> None:
    await give_credit(app, 4500)
    first = await spend(platform, 2500, "checkout_1")
    assert first.status_code == 201, first.text

    again = await spend(platform, 2500, "checkout_1")

    assert again.status_code == 200, again.text
    assert again.json()["spend"] == first.json()["spend"]
    assert again.json()["balance"]["balance"] == 2000
    assert await balances(platform) == {"EUR": 2000}
    assert len(await ledger(platform)) == 2


async def test_the_same_reference_with_other_values_is_a_mismatch(
    app: FastAPI, platform: Api
) -> None:
    await give_credit(app, 4500)
    await give_credit(app, 4500, currency="USD")
    assert (await spend(platform, 2500, "checkout_1")).status_code == 201

    for amount, currency in ((2400, "EUR"), (2500, "USD")):
        refused = await spend(platform, amount, "checkout_1", currency=currency)
        problem = assert_problem(refused, 409)
        assert problem["type"] == MISMATCH
        assert "checkout_1" in str(problem["detail"])

    assert await balances(platform) == {"EUR": 2000, "USD": 4500}


async def test_a_spend_above_the_balance_is_refused_and_writes_nothing(
    app: FastAPI, platform: Api
) -> None:
    await give_credit(app, 1000)
    assert (await spend(platform, 400, "checkout_1")).status_code == 201

    refused = await spend(platform, 601, "checkout_2")

    problem = assert_problem(refused, 409)
    assert problem["type"] == INSUFFICIENT
    assert problem["balance"] == 600
    assert "600" in str(problem["detail"])
    assert await balances(platform) == {"EUR": 600}
    assert [e["external_reference"] for e in await ledger(platform)] == ["checkout_1", None]
    # Nothing was kept of the refused spend: its reference is free for a smaller one.
    assert (await spend(platform, 600, "checkout_2")).status_code == 201
    assert await balances(platform) == {"EUR": 0}


async def test_a_customer_without_credit_cannot_spend(platform: Api) -> None:
    refused = await spend(platform, 1, "checkout_1", key="cus_nobody")
    problem = assert_problem(refused, 409)
    assert problem["type"] == INSUFFICIENT
    assert problem["balance"] == 0
    assert await ledger(platform, "cus_nobody") == []


async def test_a_refund_credits_once(app: FastAPI, platform: Api) -> None:
    refund_id = await give_credit(app, 1500)
    await give_credit(app, 1500, refund_id=refund_id)
    await give_credit(app, 9999, refund_id=refund_id)  # a retry never credits again

    assert await balances(platform) == {"EUR": 1500}
    assert len(await ledger(platform)) == 1


async def test_racing_credits_of_one_refund_credit_once_and_of_many_all_count(
    app: FastAPI, platform: Api
) -> None:
    refund_id = uuid.uuid4()
    await asyncio.gather(*(give_credit(app, 700, refund_id=refund_id) for _ in range(10)))
    # Racing first credits of a currency: the balance row is made once.
    await asyncio.gather(*(give_credit(app, 10, currency="GBP") for _ in range(10)))

    assert await balances(platform) == {"EUR": 700, "GBP": 100}
    assert len(await ledger(platform)) == 11


async def test_fifty_concurrent_spends_never_overdraw_a_balance(
    app: FastAPI, platform: Api
) -> None:
    await give_credit(app, 1000)

    responses = await asyncio.gather(*(spend(platform, 30, f"race_{i}") for i in range(50)))

    counted = Counter(r.status_code for r in responses)
    assert set(counted) <= {201, 409}, [r.text for r in responses if r.status_code >= 500][:3]
    refused = [r.json() for r in responses if r.status_code == 409]
    assert all(p["type"] == INSUFFICIENT for p in refused), refused[:3]
    spent = sum(-r.json()["spend"]["amount"] for r in responses if r.status_code == 201)
    assert spent <= 1000
    assert await balances(platform) == {"EUR": 1000 - spent}
    assert counted[201] == 33  # 1000 // 30: every spend that fitted was taken
    entries = await ledger(platform)
    assert sum(e["amount"] for e in entries) == 1000 - spent == 10


async def test_racing_spends_with_one_reference_spend_once(app: FastAPI, platform: Api) -> None:
    await give_credit(app, 1000)

    responses = await asyncio.gather(*(spend(platform, 300, "checkout_1") for _ in range(10)))

    assert Counter(r.status_code for r in responses) == {201: 1, 200: 9}
    assert len({r.json()["spend"]["id"] for r in responses}) == 1
    assert await balances(platform) == {"EUR": 700}


async def test_a_guest_is_known_by_the_normalised_address(app: FastAPI, platform: Api) -> None:
    key = customer_key(None, "  Ada.Lovelace@Example.COM ")
    assert key == "email:ada.lovelace@example.com"
    assert customer_key("cus_42", "ada@example.com") == "cus_42"
    await give_credit(app, 800, key=key)

    # Any spelling of the address names the same customer.
    read = await platform.get(ledger_path("email:Ada.Lovelace@example.com"))
    assert read.status_code == 200, read.text
    assert read.json()["customer_id"] == key
    assert read.json()["balances"][0]["balance"] == 800
    spent = await spend(platform, 300, "checkout_1", key="email:ADA.LOVELACE@EXAMPLE.COM")
    assert spent.status_code == 201, spent.text
    assert await balances(platform, key) == {"EUR": 500}


async def test_an_address_with_a_slash_is_one_path_segment(app: FastAPI, platform: Api) -> None:
    key = customer_key(None, "a/b@example.com")
    await give_credit(app, 100, key=key)
    assert await balances(platform, key) == {"EUR": 100}
    assert (await spend(platform, 100, "checkout_1", key=key)).status_code == 201


@pytest.mark.parametrize(
    "key", ["not valid", "email:no one@example.com", "x" * 65, "ada@example.com"]
)
async def test_a_key_that_names_no_customer_is_404(platform: Api, key: str) -> None:
    for response in (
        await platform.get(ledger_path(key)),
        await spend(platform, 1, "checkout_1", key=key),
    ):
        problem = assert_problem(response, 404)
        assert problem["type"] == "urn:returns-api:problem:customer-not-found"


@pytest.mark.parametrize(
    "body",
    [
        {"amount": 0, "currency": "EUR", "external_reference": "c"},
        {"amount": "30", "currency": "EUR", "external_reference": "c"},
        {"amount": 12.5, "currency": "EUR", "external_reference": "c"},
        {"amount": 30, "currency": "eur", "external_reference": "c"},
        {"amount": 30, "currency": "XXY", "external_reference": "c"},
        {"amount": 30, "currency": "EUR", "external_reference": ""},
        {"amount": 30, "currency": "EUR"},
        {"amount": 30, "currency": "EUR", "external_reference": "c", "balance": 99},
    ],
)
async def test_a_malformed_spend_is_422(app: FastAPI, platform: Api, body: dict[str, Any]) -> None:
    await give_credit(app, 1000)
    assert_problem(await platform.post(spends_path(CUSTOMER), body), 422)
    assert await balances(platform) == {"EUR": 1000}


async def test_a_retried_spend_with_its_idempotency_key_is_replayed(
    app: FastAPI, platform: Api
) -> None:
    await give_credit(app, 1000)
    body = {"amount": 250, "currency": "EUR", "external_reference": "checkout_1"}
    first = await platform.post(spends_path(CUSTOMER), body, **{"Idempotency-Key": "k-1"})
    again = await platform.post(spends_path(CUSTOMER), body, **{"Idempotency-Key": "k-1"})

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert await balances(platform) == {"EUR": 750}


async def test_the_ledger_pages_newest_first(app: FastAPI, platform: Api) -> None:
    for amount in range(1, 6):
        await give_credit(app, amount)
    seen: list[int] = []
    cursor = None
    for _ in range(3):
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = await platform.get(ledger_path(CUSTOMER), **params)
        assert page.status_code == 200, page.text
        seen += [e["amount"] for e in page.json()["entries"]]
        cursor = page.json()["next_cursor"]
    assert seen == [5, 4, 3, 2, 1]
    assert cursor is None
    assert_problem(await platform.get(ledger_path(CUSTOMER), cursor="A" * 21 + "*"), 422)


async def test_store_credit_needs_its_scopes(
    app: FastAPI, client: httpx.AsyncClient, platform: Api
) -> None:
    await give_credit(app, 1000)
    body = {"amount": 10, "currency": "EUR", "external_reference": "checkout_1"}
    staff = bearer(
        await new_api_key(app, "returns:manage", "returns:write", "orders:write", name="staff")
    )
    reader = bearer(await new_api_key(app, "store_credit:read", name="console"))

    for headers in (staff,):
        problem = assert_problem(await client.get(ledger_path(CUSTOMER), headers=headers), 403)
        assert "store_credit:read" in str(problem["detail"])
    for headers in (staff, reader):
        refused = await client.post(spends_path(CUSTOMER), json=body, headers=headers)
        assert "store_credit:write" in str(assert_problem(refused, 403)["detail"])
    assert (await client.get(ledger_path(CUSTOMER), headers=reader)).status_code == 200
    assert_problem(await client.get(ledger_path(CUSTOMER)), 401)
    assert await balances(platform) == {"EUR": 1000}
