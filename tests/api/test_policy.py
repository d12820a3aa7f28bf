"""The auto-accept policy through HTTP: versions, public terms, decisions, dry runs, backtests."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from returns_api.returns.models import Return, ReturnChange, ReturnItem
from tests.conftest import bearer, new_api_key
from tests.factories import ALL_STAFF_SCOPES, Api, line

RULES: list[dict[str, Any]] = [
    {
        "id": "serial-returner",
        "name": "Frequent returners go to a person",
        "conditions": [{"fact": "customer_returns_count", "op": "gte", "value": 3}],
        "action": "review",
    },
    {
        "id": "defects-keep-item",
        "name": "Cheap defective items: keep them",
        "conditions": [
            {"fact": "reason", "op": "eq", "value": "defective"},
            {"fact": "item_unit_price", "op": "lte", "value": 1500},
        ],
        "action": "approve_keep_item",
    },
    {
        "id": "low-value",
        "name": "Low-value returns are approved",
        "conditions": [{"fact": "item_value", "op": "lt", "value": 3000}],
        "action": "approve",
    },
    {
        "id": "fraud-country",
        "name": "Blocked country",
        "conditions": [{"fact": "order_country", "op": "in", "value": ["XX"]}],
        "action": "reject",
    },
]


async def policy_api(app: FastAPI, client: httpx.AsyncClient) -> Api:
    key = await new_api_key(app, *ALL_STAFF_SCOPES, "policy:manage", name="merchant")
    return Api(client, key)


async def put_policy(api: Api, **document: Any) -> httpx.Response:
    return await api.client.put("/v1/policy", json=document, headers=api.headers)


async def test_fresh_install_has_public_default_policy(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/policy")
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == 1
    assert body["window_days"] == 30
    assert "rules" not in body
    reasons = {r["code"]: r["merchant_fault"] for r in body["reasons"]}
    assert reasons["damaged"] is True
    assert reasons["changed_mind"] is False
    listed = (await client.get("/v1/return-reasons")).json()
    assert [r["code"] for r in listed["data"]] == [r["code"] for r in body["reasons"]]


async def test_rules_are_shown_only_to_policy_managers(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    assert (await client.get("/v1/policy", params={"include": "rules"})).status_code == 401
    reader = await new_api_key(app, "returns:read")
    denied = await client.get("/v1/policy", params={"include": "rules"}, headers=bearer(reader))
    assert denied.status_code == 403
    api = await policy_api(app, client)
    assert (await put_policy(api, rules=RULES)).status_code == 201
    shown = await client.get("/v1/policy", params={"include": "rules"}, headers=api.headers)
    assert [rule["id"] for rule in shown.json()["rules"]] == [r["id"] for r in RULES]


async def test_the_public_policy_reads_other_schemes_as_anonymous(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Only a bearer credential is checked here; anything else is an anonymous reader.
    for header in ("Basic dXNlcjpwYXNz", "", "Bearer", "Bearer   "):
        public = await client.get("/v1/policy", headers={"Authorization": header})
        assert public.status_code == 200, (header, public.text)
        assert "rules" not in public.json()
    wrong = await client.get("/v1/policy", headers=bearer("rk_not-a-key"))
    assert wrong.status_code == 401
    api = await policy_api(app, client)
    spaced = {"Authorization": api.headers["Authorization"].replace(" ", "   ", 1)}
    shown = await client.get("/v1/policy", params={"include": "rules"}, headers=spaced)
    assert shown.status_code == 200, shown.text


async def test_each_put_makes_an_immutable_version(app: FastAPI, client: httpx.AsyncClient) -> None:
    api = await policy_api(app, client)
    first = await put_policy(api, window_days=14)
    assert first.status_code == 201, first.text
    assert first.json()["version"] == 2
    assert first.headers["etag"] == '"2"'
    stale = await api.client.put(
        "/v1/policy", json={"window_days": 60}, headers={**api.headers, "If-Match": '"1"'}
    )
    assert stale.status_code == 412
    second = await api.client.put(
        "/v1/policy", json={"window_days": 60}, headers={**api.headers, "If-Match": '"2"'}
    )
    assert second.json()["version"] == 3
    versions = (await api.get("/v1/policy/versions")).json()["data"]
    assert [v["version"] for v in versions] == [3, 2, 1]
    old = (await api.get("/v1/policy/versions/2")).json()
    assert old["document"]["window_days"] == 14
    assert (await api.get("/v1/policy/versions/1")).json()["document"]["window_days"] == 30
    assert (await api.get("/v1/policy/versions/99")).status_code == 404


async def test_invalid_rule_is_422_naming_rule_and_condition(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    api = await policy_api(app, client)
    bad = [
        {
            "id": "x",
            "name": "x",
            "conditions": [
                {"fact": "item_value", "op": "lt", "value": 10},
                {"fact": "reason", "op": "gt", "value": "damaged"},
            ],
            "action": "approve",
        }
    ]
    response = await put_policy(api, rules=bad)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert any("rules.0.conditions.1" in e["location"] for e in errors), errors
    assert any("rule 'x' condition 1" in e["message"] for e in errors), errors
    unknown = await put_policy(
        api, rules=[{**bad[0], "conditions": [{"fact": "moon_phase", "op": "eq", "value": "full"}]}]
    )
    assert unknown.status_code == 422


async def test_decisions_follow_the_rules_with_trace(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    api = await policy_api(app, client)
    assert (await put_policy(api, rules=RULES)).status_code == 201
    await api.put_order(
        "ord_p",
        lines=[
            line("cheap", quantity=5, unit_price=1000),
            line("dear", quantity=1, unit_price=9000),
            line("final", quantity=1, unit_price=500, final_sale=True),
        ],
    )
    low = (
        await api.create_return(
            "ord_p", [{"line_item_id": "cheap", "quantity": 1, "reason": "size_fit"}]
        )
    ).json()
    assert low["status"] == "approved"
    assert low["decision"]["matched_rule"] == {"id": "low-value", "name": RULES[2]["name"]}
    assert low["decision"]["policy_version"] == 2
    assert low["instructions"]["rma_number"] == low["rma_number"]
    trace = low["decision"]["trace"][0]["checks"]
    assert [c["rule_id"] for c in trace] == ["serial-returner", "defects-keep-item", "low-value"]
    assert trace[0]["failed"]["actual"] == 0
    assert trace[1]["failed"]["fact"] == "reason"

    dear = (
        await api.create_return(
            "ord_p", [{"line_item_id": "dear", "quantity": 1, "reason": "size_fit"}]
        )
    ).json()
    assert dear["status"] == "pending_review"
    assert dear["decision"]["matched_rule"] is None  # the default action decided

    keep = (
        await api.create_return(
            "ord_p", [{"line_item_id": "cheap", "quantity": 1, "reason": "defective"}]
        )
    ).json()
    assert keep["status"] == "approved"
    assert keep["keep_item"] is True

    refused = await api.create_return(
        "ord_p", [{"line_item_id": "final", "quantity": 1, "reason": "size_fit"}]
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["type"] == "final_sale"

    # Three returns already: the serial-returner rule now sends even a cheap item to review.
    serial = (
        await api.create_return(
            "ord_p", [{"line_item_id": "cheap", "quantity": 1, "reason": "size_fit"}]
        )
    ).json()
    assert serial["status"] == "pending_review"
    assert serial["decision"]["matched_rule"]["id"] == "serial-returner"


async def test_mixed_items_take_the_most_cautious_action(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    api = await policy_api(app, client)
    await put_policy(api, rules=RULES)
    await api.put_order("ord_m", lines=[line("a", unit_price=1000), line("b", unit_price=9000)])
    mixed = (
        await api.create_return(
            "ord_m",
            [
                {"line_item_id": "a", "quantity": 1, "reason": "size_fit"},
                {"line_item_id": "b", "quantity": 1, "reason": "size_fit"},
            ],
        )
    ).json()
    assert mixed["status"] == "pending_review"
    assert mixed["decision"]["deciding_item"] == "b"


async def _row_counts(app: FastAPI) -> tuple[int, ...]:
    async with app.state.engine.connect() as conn:
        return tuple(
            [
                (await conn.execute(select(func.count()).select_from(table))).scalar_one()
                for table in (Return, ReturnItem, ReturnChange)
            ]
        )


async def test_dry_run_writes_nothing_and_backtest_counts_changes(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    api = await policy_api(app, client)
    await put_policy(api, rules=RULES)
    await api.put_order(
        "ord_b",
        lines=[line("a", quantity=9, unit_price=1000), line("b", quantity=9, unit_price=2500)],
        customer_id=None,
    )
    created = []
    for line_id in ("a", "a", "b"):
        r = await api.create_return(
            "ord_b", [{"line_item_id": line_id, "quantity": 1, "reason": "size_fit"}]
        )
        created.append(r.json())
    assert [r["status"] for r in created] == ["approved", "approved", "approved"]

    candidate = {
        "rules": [{**RULES[2], "conditions": [{"fact": "item_value", "op": "lt", "value": 2000}]}]
    }
    before = await _row_counts(app)
    dry = await api.post(
        "/v1/policy/evaluate", {"return_id": created[2]["id"], "policy": candidate}
    )
    assert dry.status_code == 200, dry.text
    assert dry.json()["decision"]["action"] == "review"
    hypothetical = await api.post(
        "/v1/policy/evaluate",
        {
            "request": {
                "order_id": "ord_b",
                "items": [{"line_item_id": "a", "quantity": 1, "reason": "size_fit"}],
            }
        },
    )
    assert hypothetical.json()["decision"]["action"] == "approve"
    assert await _row_counts(app) == before

    backtest = await api.post("/v1/policy/backtest", {"policy": candidate})
    assert backtest.status_code == 200, backtest.text
    result = backtest.json()
    assert result["returns"] == 3
    assert result["changed"] == 1
    assert result["actions_then"]["approve"] == 3
    assert result["actions_candidate"] == {
        "approve": 2,
        "approve_keep_item": 0,
        "review": 1,
        "reject": 0,
    }
    assert result["auto_approval_rate_then_bps"] == 10_000
    assert result["auto_approval_rate_candidate_bps"] == 6666
    assert result["auto_approved_refunds_then"] == {"EUR": 1000 + 1000 + 2500}
    assert result["auto_approved_refunds_candidate"] == {"EUR": 2000}
    assert [c["return_id"] for c in result["first_changes"]] == [created[2]["id"]]


# item_quantity and resolution are item facts: a rule on them judges each item of a return on
# its own, never the return as a whole (a return of 2 + 1 units has no item of 3 units).
BULK_TO_REVIEW = {
    "id": "bulk",
    "name": "Three or more units of one item go to a person",
    "conditions": [{"fact": "item_quantity", "op": "gte", "value": 3}],
    "action": "review",
}
STORE_CREDIT_APPROVED = {
    "id": "store-credit",
    "name": "Store credit is approved at once",
    "conditions": [{"fact": "resolution", "op": "eq", "value": "store_credit"}],
    "action": "approve",
}


def _trace_by_item(decision: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    return {t["item_key"]: (t["action"], t["matched_rule_id"]) for t in decision["trace"]}


async def test_a_rule_on_item_quantity_judges_each_item_on_its_own(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    api = await policy_api(app, client)
    created = await put_policy(api, rules=[BULK_TO_REVIEW], default_action="approve")
    assert created.status_code == 201, created.text
    await api.put_order("ord_q", lines=[line("a", quantity=5), line("b", quantity=3)])

    # Three units in all, but no item of three: nothing for the bulk rule.
    small = await api.create_return(
        "ord_q",
        [
            {"line_item_id": "a", "quantity": 2, "reason": "size_fit"},
            {"line_item_id": "b", "quantity": 1, "reason": "size_fit"},
        ],
    )
    assert small.status_code == 201, small.text
    assert small.json()["status"] == "approved"
    assert small.json()["decision"]["matched_rule"] is None

    # One item of three units sends the whole return to review; the other item is approved.
    bulky = await api.create_return(
        "ord_q",
        [
            {"line_item_id": "b", "quantity": 1, "reason": "size_fit"},
            {"line_item_id": "a", "quantity": 3, "reason": "size_fit"},
        ],
    )
    assert bulky.status_code == 201, bulky.text
    decision = bulky.json()["decision"]
    assert bulky.json()["status"] == "pending_review"
    assert (decision["deciding_item"], decision["matched_rule"]["id"]) == ("a", "bulk")
    assert _trace_by_item(decision) == {"b": ("approve", None), "a": ("review", "bulk")}


async def test_a_rule_on_resolution_judges_each_item_on_its_own(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    api = await policy_api(app, client)
    created = await put_policy(api, rules=[STORE_CREDIT_APPROVED], default_action="review")
    assert created.status_code == 201, created.text
    await api.put_order("ord_s", lines=[line("a", quantity=2), line("b", quantity=2)])

    def wanted(resolution_a: str, resolution_b: str) -> list[dict[str, Any]]:
        return [
            {"line_item_id": "a", "quantity": 1, "reason": "size_fit", "resolution": resolution_a},
            {"line_item_id": "b", "quantity": 1, "reason": "size_fit", "resolution": resolution_b},
        ]

    # Only item a asks for store credit: b is left to the default action, review.
    mixed = await api.create_return("ord_s", wanted("store_credit", "refund"))
    assert mixed.status_code == 201, mixed.text
    decision = mixed.json()["decision"]
    assert mixed.json()["status"] == "pending_review"
    assert (decision["deciding_item"], decision["matched_rule"]) == ("b", None)
    assert _trace_by_item(decision) == {
        "a": ("approve", "store-credit"),
        "b": ("review", None),
    }

    credit = await api.create_return("ord_s", wanted("store_credit", "store_credit"))
    assert credit.status_code == 201, credit.text
    assert credit.json()["status"] == "approved"
    assert credit.json()["decision"]["matched_rule"]["id"] == "store-credit"
