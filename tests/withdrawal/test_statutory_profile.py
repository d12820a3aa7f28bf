"""The statutory profile through HTTP (issue #25 §1): which orders the right covers, the
window it gives, the Article 16 exceptions and rules that may not reject it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from tests.factories import Api, line
from tests.withdrawal.helpers import (
    REJECT_ALL,
    eu_policy,
    merchant,
    parse,
    put_order,
    statutory_deadline,
)

ITEM = {"line_item_id": "li_1", "quantity": 1, "reason": "changed_mind"}


async def quote(api: Api, order_id: str = "ord_1", **item: Any) -> dict[str, Any]:
    body = {"order_id": order_id, "items": [{**ITEM, **item}]}
    response = await api.post("/v1/returns/quote", body)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_eu_consumer_gets_statutory_withdrawal_past_a_shorter_policy(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    api = await merchant(app, client)
    await eu_policy(api, rules=[REJECT_ALL])
    order = await put_order(api, delivered_days_ago=10)
    delivered = parse(order["delivered_at"])
    quoted = await quote(api)
    assert quoted["eligible"] is True
    assert quoted["legal_basis"] == "statutory_withdrawal"
    assert parse(quoted["lines"][0]["withdrawal_deadline"]) == statutory_deadline(delivered)
    assert parse(quoted["lines"][0]["return_deadline"]) == statutory_deadline(delivered)
    # The rule rejects everything; a statutory withdrawal goes to a person instead.
    assert quoted["decision"]["action"] == "review"
    assert quoted["decision"]["statutory_override"]["from_action"] == "reject"
    assert any("statutory_override" in entry for entry in quoted["decision"]["trace"])
    created = await api.create_return(items=[ITEM])
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["status"] == "pending_review"
    assert body["legal_basis"] == "statutory_withdrawal"
    assert body["decision"]["legal_basis"] == "statutory_withdrawal"
    created_at = parse(body["created_at"])
    assert parse(body["withdrawal"]["refund_due_by"]) == statutory_deadline(created_at)
    assert body["withdrawal"]["refund_hold"] == "goods_not_back_nor_proof_of_sending"


async def test_business_and_non_eu_orders_get_the_policy_alone(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    api = await merchant(app, client)
    await eu_policy(api, rules=[REJECT_ALL])
    await put_order(api, "ord_b2b", delivered_days_ago=10, buyer_is_consumer=False)
    await put_order(api, "ord_us", delivered_days_ago=10, country="US")
    await put_order(api, "ord_nocountry", delivered_days_ago=10, country=None)
    for order_id in ("ord_b2b", "ord_us", "ord_nocountry"):
        quoted = await quote(api, order_id)
        assert quoted["eligible"] is False, order_id
        assert quoted["legal_basis"] == "commercial_policy"
        assert quoted["lines"][0]["withdrawal_deadline"] is None
    await put_order(api, "ord_b2b_fresh", delivered_days_ago=2, buyer_is_consumer=False)
    fresh = await quote(api, "ord_b2b_fresh")
    assert fresh["legal_basis"] == "commercial_policy"
    assert fresh["decision"]["action"] == "reject"  # the rule decides a business order


async def test_profile_is_off_by_default(app: FastAPI, client: httpx.AsyncClient) -> None:
    api = await merchant(app, client)
    response = await api.client.put("/v1/policy", json={"window_days": 7}, headers=api.headers)
    assert response.status_code == 201
    await put_order(api, delivered_days_ago=10)
    quoted = await quote(api)
    assert quoted["eligible"] is False
    assert quoted["legal_basis"] == "commercial_policy"


async def test_not_informed_of_the_right_extends_the_period_by_twelve_months(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    api = await merchant(app, client)
    await eu_policy(api)
    order = await put_order(api, delivered_days_ago=200, consumer_informed_of_withdrawal=False)
    quoted = await quote(api)
    assert quoted["legal_basis"] == "statutory_withdrawal"
    deadline = parse(quoted["lines"][0]["withdrawal_deadline"])
    initial = statutory_deadline(parse(order["delivered_at"]))
    assert timedelta(days=365) <= deadline - initial <= timedelta(days=369)
    informed = await put_order(api, "ord_2", delivered_days_ago=200)
    assert (await quote(api, "ord_2"))["eligible"] is False
    assert informed["consumer_informed_of_withdrawal"] is True


async def test_article_16_exception_is_refused_naming_the_article(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    api = await merchant(app, client)
    await eu_policy(
        api,
        non_returnable_tags=["food", "cosmetics"],
        statutory={"exception_tags": {"food": "perishable", "cosmetics": "sealed_hygiene"}},
    )
    await put_order(
        api,
        delivered_days_ago=3,
        lines=[
            line("li_1", unit_price=800, tags=["food"]),
            line("li_2", unit_price=1500, tags=["cosmetics"]),
            line("li_3", unit_price=2000, final_sale=True),
        ],
    )
    food = await quote(api)
    assert food["eligible"] is False
    assert "Article 16(d)" in food["lines"][0]["problems"][0]
    refused = await api.create_return(items=[ITEM])
    assert refused.status_code == 422
    assert "Article 16(d)" in refused.text
    # Sealed hygiene goods: excluded only when the request says they were unsealed.
    sealed = await quote(api, line_item_id="li_2")
    assert sealed["eligible"] is True
    assert sealed["legal_basis"] == "statutory_withdrawal"
    opened = await quote(api, line_item_id="li_2", unsealed=True)
    assert opened["eligible"] is False
    assert "Article 16(e)" in opened["lines"][0]["problems"][0]
    # A final sale does not cut the statutory right short.
    final = await quote(api, line_item_id="li_3")
    assert final["eligible"] is True
    assert final["legal_basis"] == "statutory_withdrawal"


async def test_statutory_right_of_a_commercial_refusal_is_shown_on_the_order_days(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """The withdrawal reason is known to an EU policy (no reason needed, Article 9(1))."""
    api = await merchant(app, client)
    await eu_policy(api)
    await put_order(api, delivered_days_ago=1)
    quoted = await quote(api, reason="withdrawal")
    assert quoted["eligible"] is True, quoted
    before = datetime.now(UTC)
    assert parse(quoted["lines"][0]["return_deadline"]) > before
