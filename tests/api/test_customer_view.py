"""A customer never sees the merchant's rules (issue 17 §3), through HTTP on both databases.

A portal token gets a customer-facing decision (`audience: customer`, the action and a
message) from every operation it may call; an API key keeps the merchant decision with its
trace and facts. The policy below uses distinctive names and thresholds so that finding one
of them anywhere in a portal answer (keys, strings or numbers) is a leak.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from returns_api.exports.service import COLUMNS
from returns_api.policies.rules import FACTS
from returns_api.returns.schemas import ReturnItemOut
from tests.conftest import bearer, new_api_key
from tests.factories import ALL_STAFF_SCOPES, Api, line

NUMBER, EMAIL = "C-300", "cy@example.com"

RULES: list[dict[str, Any]] = [
    {
        "id": "serial-abuse-line",
        "name": "Serial returners above the abuse line",
        "conditions": [{"fact": "customer_returns_count", "op": "gte", "value": 31337}],
        "action": "review",
    },
    {
        "id": "dear-reject",
        "name": "Expensive parcels are refused",
        "conditions": [{"fact": "return_value", "op": "gt", "value": 88888}],
        "action": "reject",
    },
    {
        "id": "keep-cheap",
        "name": "Not worth the postage",
        "conditions": [{"fact": "item_unit_price", "op": "lte", "value": 17531}],
        "action": "approve_keep_item",
    },
    {
        "id": "small-ticket",
        "name": "Small tickets sail through",
        "conditions": [{"fact": "item_value", "op": "lt", "value": 43210}],
        "action": "approve",
    },
]
THRESHOLDS = (31337, 88888, 17531, 43210)
# Lines that each meet one rule (or none: `pricey` is left to the default, review).
LINES = {
    "cheap": ("approve_keep_item", "approved"),
    "mid": ("approve", "approved"),
    "pricey": ("review", "pending_review"),
    "dear": ("reject", "rejected"),
}
# Facts that share their name with a field every return shows (the item's own reason,
# resolution and merchant-fault flag; the return's own `instant_exchange`, which the
# customer asked for): finding those names proves nothing.
RETURN_ITEM_FIELDS = frozenset(ReturnItemOut.model_fields) | {"instant_exchange"}
SECRET_FACTS = sorted(set(FACTS) - RETURN_ITEM_FIELDS)
SECRET_WORDS = sorted(
    {rule["id"] for rule in RULES}
    | {rule["name"] for rule in RULES}
    | set(SECRET_FACTS)
    | {"trace", "facts", "matched_rule", "deciding_item", "checks"}
)
_THRESHOLD_WORD = re.compile(r"\b(?:" + "|".join(str(t) for t in THRESHOLDS) + r")\b")


def test_the_secret_words_are_the_facts_a_return_does_not_show() -> None:
    assert set(FACTS) & RETURN_ITEM_FIELDS == {
        "reason",
        "resolution",
        "reason_is_merchant_fault",
        "instant_exchange",
    }
    assert {"customer_returns_count", "item_unit_price", "item_value"} <= set(SECRET_FACTS)


def _leaks(node: Any, where: str = "") -> Iterator[str]:
    """Every key, string or number of a JSON value that names or quotes the policy."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in SECRET_WORDS:
                yield f"{where}: key {key!r}"
            yield from _leaks(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _leaks(value, f"{where}/{index}")
    elif isinstance(node, str):
        yield from _leaks_in_text(node, where)
    elif isinstance(node, int) and not isinstance(node, bool) and node in THRESHOLDS:
        yield f"{where}: threshold {node}"


def _leaks_in_text(text: str, where: str) -> Iterator[str]:
    for word in SECRET_WORDS:
        if word in text:
            yield f"{where}: {word!r} in {text[:120]!r}"
    for found in _THRESHOLD_WORD.findall(text):
        yield f"{where}: threshold {found} in {text[:120]!r}"


@dataclass
class Shop:
    staff: Api
    portal: dict[str, str]
    answers: list[tuple[str, httpx.Response]]

    async def call(self, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = {**self.portal, **kw.pop("headers", {})}
        response = await self.staff.client.request(method, path, headers=headers, **kw)
        self.answers.append((f"{method} {path}", response))
        return response

    def assert_nothing_leaked(self) -> None:
        leaks = []
        for call, response in self.answers:
            if response.headers.get("content-type", "").startswith("text/csv"):
                # The header is the documented column list (`item_value` is one of them).
                header, _, rows = response.text.partition("\r\n")
                assert header == ",".join(COLUMNS)
                leaks += [f"{call} {leak}" for leak in _leaks_in_text(rows, "csv")]
            else:
                leaks += [f"{call} {leak}" for leak in _leaks(response.json())]
        assert not leaks, "\n".join(leaks)


@pytest.fixture
async def shop(app: FastAPI, client: httpx.AsyncClient) -> Shop:
    scopes = (*ALL_STAFF_SCOPES, "policy:manage", "webhooks:manage")
    key = await new_api_key(app, *scopes, name="merchant")
    staff = Api(client, key)
    policy = await client.put("/v1/policy", json={"rules": RULES}, headers=staff.headers)
    assert policy.status_code == 201, policy.text
    await staff.put_order(
        "ord_c",
        number=NUMBER,
        email=EMAIL,
        customer_id="cus_c",
        lines=[
            line("cheap", quantity=3, unit_price=1000),
            line("mid", quantity=3, unit_price=20000),
            line("pricey", quantity=3, unit_price=60000),
            line("dear", quantity=3, unit_price=90000),
        ],
    )
    session = await client.post(
        "/v1/portal/sessions", json={"order_number": NUMBER, "email": EMAIL}
    )
    assert session.status_code == 201, session.text
    return Shop(staff, bearer(session.json()["token"]), [])


def _request(line_id: str, quantity: int = 1) -> dict[str, Any]:
    items = [{"line_item_id": line_id, "quantity": quantity, "reason": "size_fit"}]
    return {"order_id": "ord_c", "items": items}


def _customer_decision(decision: dict[str, Any], action: str) -> None:
    assert set(decision) == {"audience", "action", "message"}, decision
    assert decision["audience"] == "customer"
    assert decision["action"] == action
    assert decision["message"]


async def test_a_portal_token_never_sees_rules_thresholds_or_facts(shop: Shop) -> None:
    order = await shop.call("GET", "/v1/orders/ord_c")
    assert order.status_code == 200, order.text

    created: dict[str, dict[str, Any]] = {}
    for line_id, (action, status) in LINES.items():
        quote = await shop.call("POST", "/v1/returns/quote", json=_request(line_id))
        assert quote.status_code == 200, quote.text
        _customer_decision(quote.json()["decision"], action)

        made = await shop.call(
            "POST", "/v1/returns", json=_request(line_id), headers={"Idempotency-Key": line_id}
        )
        assert made.status_code == 201, made.text
        assert made.json()["status"] == status
        _customer_decision(made.json()["decision"], action)
        replayed = await shop.call(
            "POST", "/v1/returns", json=_request(line_id), headers={"Idempotency-Key": line_id}
        )
        assert replayed.headers.get("idempotent-replayed") == "true"
        created[line_id] = made.json()

    both = [*_request("mid")["items"], *_request("dear")["items"]]
    mixed = await shop.call("POST", "/v1/returns/quote", json={"order_id": "ord_c", "items": both})
    _customer_decision(mixed.json()["decision"], "reject")
    too_many = await shop.call("POST", "/v1/returns/quote", json=_request("cheap", quantity=3))
    assert too_many.json()["eligible"] is False
    refused = await shop.call("POST", "/v1/returns", json=_request("cheap", quantity=3))
    assert refused.status_code == 422, refused.text

    for line_id, (action, _) in LINES.items():
        read = await shop.call("GET", f"/v1/returns/{created[line_id]['id']}")
        assert read.status_code == 200, read.text
        _customer_decision(read.json()["decision"], action)
        assert read.json()["timeline"][0]["note"] == read.json()["decision"]["message"]
    listed = await shop.call("GET", "/v1/returns", params={"limit": 100})
    assert len(listed.json()["data"]) == len(LINES)
    exported = await shop.call("GET", "/v1/returns/export", headers={"Accept": "text/csv"})
    assert exported.status_code == 200, exported.text
    assert exported.text.count("\r\n") == 1 + len(LINES)  # the header and one row per return

    for line_id in ("mid", "pricey"):  # approved and pending: the customer may still cancel
        cancelled = await shop.call("POST", f"/v1/returns/{created[line_id]['id']}/cancel")
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["status"] == "cancelled"
        _customer_decision(cancelled.json()["decision"], LINES[line_id][0])
    too_late = await shop.call("POST", f"/v1/returns/{created['dear']['id']}/cancel")
    assert too_late.status_code == 409, too_late.text
    rated = await shop.call(
        "POST", f"/v1/returns/{created['cheap']['id']}/feedback", json={"rating": 5}
    )
    assert rated.status_code == 201, rated.text

    shop.assert_nothing_leaked()


async def test_a_merchant_key_keeps_the_trace_and_the_facts(shop: Shop) -> None:
    made = await shop.call("POST", "/v1/returns", json=_request("mid"))
    assert made.status_code == 201, made.text
    staff_read = await shop.staff.get(f"/v1/returns/{made.json()['id']}")
    decision = staff_read.json()["decision"]
    assert decision["audience"] == "merchant"
    assert decision["action"] == "approve"
    assert decision["message"] == made.json()["decision"]["message"]
    assert decision["matched_rule"] == {"id": "small-ticket", "name": RULES[3]["name"]}
    checks = decision["trace"][0]["checks"]
    assert [check["rule_id"] for check in checks] == [rule["id"] for rule in RULES]
    assert checks[0]["failed"]["expected"] == 31337
    assert decision["facts"]["return"]["customer_returns_count"] == 0
    assert "Small tickets sail through" in staff_read.json()["timeline"][0]["note"]

    quote = await shop.staff.post("/v1/returns/quote", _request("pricey"))
    assert quote.json()["decision"]["audience"] == "merchant"
    assert quote.json()["decision"]["trace"][0]["checks"][-1]["failed"]["expected"] == 43210
    assert "item_value" in quote.json()["decision"]["facts"]["items"][0]["values"]

    # Events (what webhooks deliver) are for the merchant: the portal's return in full.
    events = await shop.staff.get("/v1/events", return_id=made.json()["id"])
    assert events.status_code == 200, events.text
    [event] = events.json()["data"]
    assert event["data"]["object"]["decision"] == decision
