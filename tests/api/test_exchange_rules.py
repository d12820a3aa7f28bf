"""Rules that set a return's exchange terms (issue 19 §7), through HTTP on both databases.

A rule's `exchange` grant sets, for the returns it decides, what the policy's `exchanges`
say: instant exchanges, the bonus, same product only, the deadlines. Exchange facts
(`exchange_new_value`, `exchange_same_product`, `instant_exchange`) let rules tell exchanges
apart. The quote shows the terms a return would get; the return keeps them to the end.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.api.test_exchange_payments import approved, receive
from tests.api.test_exchanges import PAID_FOR_ONE, exchange, with_catalog
from tests.conftest import bearer, new_api_key
from tests.factories import Api


@pytest.fixture
async def api(app: FastAPI, client: httpx.AsyncClient) -> Api:
    return await with_catalog(app, client)


async def publish(app: FastAPI, api: Api, policy: dict[str, Any]) -> httpx.Response:
    admin = bearer(await new_api_key(app, "policy:manage", name="rules"))
    return await api.client.put("/v1/policy", json=policy, headers=admin)


SMALL_SWAPS_GO_INSTANT = {
    "rules": [
        {
            "id": "small-instant",
            "name": "Small exchanges ship at once",
            "conditions": [
                {"fact": "instant_exchange", "op": "eq", "value": True},
                {"fact": "exchange_new_value", "op": "lte", "value": 2500},
            ],
            "action": "approve",
            "exchange": {"instant": True, "bonus_bps": 500, "hold_deadline_days": 2},
        }
    ],
}


async def test_a_rule_grants_instant_exchanges_and_a_bonus_to_what_it_matches(
    app: FastAPI, api: Api
) -> None:
    assert (await publish(app, api, SMALL_SWAPS_GO_INSTANT)).status_code == 201
    body = exchange("var_shirt_l") | {"instant_exchange": True}
    quote = await api.post("/v1/returns/quote", body)
    assert quote.status_code == 200, quote.text
    shown = quote.json()
    assert shown["eligible"] is True
    terms = shown["exchange_terms"]
    assert (terms["instant"], terms["bonus_bps"], terms["hold_deadline_days"]) == (True, 500, 2)
    bonus = (PAID_FOR_ONE * 500 + 5_000) // 10_000
    assert shown["estimated_refund"]["exchange"]["bonus"] == bonus

    created = await api.post("/v1/returns", body)
    assert created.status_code == 201, created.text
    ret = created.json()
    assert ret["status"] == "approved"
    assert ret["decision"]["matched_rule"]["id"] == "small-instant"
    assert ret["refund_breakdown"]["exchange"]["bonus"] == bonus
    due = datetime.fromisoformat(ret["exchange_hold"]["due_at"])
    assert due - datetime.fromisoformat(ret["created_at"]) == timedelta(days=2)
    # The terms stay the return's: after inspection the bonus is still there.
    received = await receive(api, ret)
    assert received["refund_breakdown"]["exchange"]["bonus"] == bonus
    assert received["amounts"]["refundable"] == bonus  # the bonus is owed back, once


async def test_what_no_rule_grants_is_refused(app: FastAPI, api: Api) -> None:
    assert (await publish(app, api, SMALL_SWAPS_GO_INSTANT)).status_code == 201
    dear = exchange("var_shirt_gold") | {"instant_exchange": True}  # 3094 > 2500
    quote = await api.post("/v1/returns/quote", dear)
    assert quote.status_code == 200, quote.text
    assert (quote.json()["eligible"], quote.json()["exchange_terms"]) == (False, None)
    created = await api.post("/v1/returns", dear)
    assert created.status_code == 422, created.text
    errors = {e["location"]: e["type"] for e in created.json()["errors"]}
    assert errors == {"body.instant_exchange": "instant_not_offered"}
    assert (await api.get("/v1/returns", order_id="ord_x")).json()["data"] == []
    plain = await api.post("/v1/returns", exchange("var_shirt_gold"))
    assert plain.status_code == 201, plain.text
    assert plain.json()["instant_exchange"] is False


@pytest.mark.parametrize(
    ("any_product", "same_product_only", "status"),
    [(True, True, 422), (False, False, 201)],
    ids=["rule-restricts", "rule-allows"],
)
async def test_a_rule_sets_same_product_only(
    app: FastAPI, api: Api, any_product: bool, same_product_only: bool, status: int
) -> None:
    policy = {
        "exchanges": {"any_product": any_product},
        "rules": [
            {
                "id": "shoes",
                "name": "Shirts for shoes",
                "conditions": [{"fact": "exchange_same_product", "op": "eq", "value": False}],
                "action": "review",
                "exchange": {"same_product_only": same_product_only},
            }
        ],
    }
    assert (await publish(app, api, policy)).status_code == 201
    r = await api.post("/v1/returns", exchange("var_shoe"))
    assert r.status_code == status, r.text
    if status == 422:
        errors = {e["location"]: e["type"] for e in r.json()["errors"]}
        assert errors == {"body.items.0.exchange_variant_id": "other_product"}


async def test_a_rule_sets_the_payment_deadline(app: FastAPI, api: Api) -> None:
    policy = {
        "rules": [
            {
                "id": "pay-fast",
                "name": "Dear exchanges are paid within two days",
                "conditions": [{"fact": "exchange_new_value", "op": "gt", "value": 3000}],
                "action": "approve",
                "exchange": {"payment_deadline_days": 2},
            }
        ]
    }
    assert (await publish(app, api, policy)).status_code == 201
    ret = await approved(api, exchange("var_shirt_gold"))
    due = datetime.fromisoformat(ret["exchange_payment"]["due_at"])
    assert due - datetime.fromisoformat(ret["created_at"]) == timedelta(days=2)


@pytest.mark.parametrize(
    ("bad", "location"),
    [
        ({"exchange": {"bonus_bps": 10_001}}, "exchange"),
        ({"exchange": {"instant": "yes"}}, "exchange"),
        ({"exchange": {"ship_free": True}}, "exchange"),
        ({"conditions": [{"fact": "exchange_new_value", "op": "gt", "value": "5"}]}, "conditions"),
    ],
)
async def test_exchange_grants_and_facts_are_checked(
    app: FastAPI, api: Api, bad: dict[str, Any], location: str
) -> None:
    base = {"id": "r1", "name": "bad", "conditions": [], "action": "review"}
    r = await publish(app, api, {"rules": [base | bad]})
    assert r.status_code == 422, r.text
    assert any(location in e["location"] for e in r.json()["errors"]), r.json()["errors"]
