"""What the API accepts is bounded so that nothing derived from it can overflow: date-times
(whose windows and conversions run past the calendar's ends) and money (whose products and
sums run past 64 bits). Out of range is a 422 naming the field, never a 500, on both
databases; inside the range everything works to the edge."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from returns_api.auth.scopes import ALL_SCOPES
from returns_api.core.clock import utcnow
from returns_api.policies.repository import PolicyRepository
from tests.api.test_foundation import assert_problem
from tests.conftest import new_api_key
from tests.factories import Api, line, order_body

VALIDATION_ERROR = "urn:returns-api:problem:validation-error"

# Near year 1 or 9999 with an offset, the UTC instant is not a Python datetime any more;
# a date whose return window (or the analytics period before it) runs past either end
# cannot be computed.
OUT_OF_RANGE = [
    "0001-01-01T00:00:00+01:00",
    "0001-01-05T00:00:00Z",
    "9999-12-31T23:00:00-05:00",
    "9999-12-30T00:00:00Z",
    "1969-12-31T23:59:59Z",
    "9000-01-01T00:00:00Z",
]
EDGES = ["1970-01-01T00:00:00Z", "1970-01-01T00:30:00+01:00", "8999-12-31T23:59:59-12:00"]


@pytest.fixture
async def api(app: FastAPI, client: httpx.AsyncClient) -> Api:
    return Api(client, await new_api_key(app, *ALL_SCOPES, name="everything"))


def assert_names(response: httpx.Response, location: str) -> None:
    problem = assert_problem(response, 422)
    assert problem["type"] == VALIDATION_ERROR, problem
    assert location in {e["location"] for e in problem["errors"]}, problem  # type: ignore[attr-defined]


async def _approved_return(api: Api, order_id: str) -> str:
    await api.put_order(order_id)
    created = await api.create_return(order_id)
    assert created.status_code == 201, created.text
    rid = str(created.json()["id"])
    assert (await api.post(f"/v1/returns/{rid}/approve")).status_code == 200
    return rid


# --- date-times ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/v1/returns", "created_after"),
        ("/v1/returns", "created_before"),
        ("/v1/returns/export", "created_after"),
        ("/v1/events", "created_before"),
        ("/v1/analytics/summary", "to"),
        ("/v1/analytics/reasons", "from"),
        ("/v1/analytics/products", "to"),
    ],
)
async def test_a_date_time_filter_out_of_range_is_a_422_naming_it(
    api: Api, path: str, parameter: str
) -> None:
    for moment in OUT_OF_RANGE:
        assert_names(await api.get(path, **{parameter: moment}), f"query.{parameter}")


@pytest.mark.parametrize("field", ["placed_at", "fulfilled_at", "delivered_at"])
async def test_an_order_date_out_of_range_is_a_422_naming_it(api: Api, field: str) -> None:
    for moment in OUT_OF_RANGE:
        body = order_body()
        body[field] = moment
        response = await api.client.put("/v1/orders/ord_far", json=body, headers=api.headers)
        assert_names(response, f"body.{field}")
    assert_problem(await api.get("/v1/orders/ord_far"), 404)


async def test_a_date_in_a_change_or_a_backtest_out_of_range_is_a_422_naming_it(
    api: Api,
) -> None:
    rid = await _approved_return(api, "ord_track")
    endpoint = "/v1/webhook-endpoints/01931f4e-7d2a-7c3b-9d4e-5f6a7b8c9d0e/replay"
    for moment in OUT_OF_RANGE:
        tracked = await api.post(
            f"/v1/returns/{rid}/tracking-events", {"status": "in_transit", "occurred_at": moment}
        )
        assert_names(tracked, "body.occurred_at")
        backtest = await api.post("/v1/policy/backtest", {"policy": {}, "created_after": moment})
        assert_names(backtest, "body.created_after")
        assert_names(await api.post(endpoint, {"created_after": moment}), "body.created_after")
    assert (await api.get(f"/v1/returns/{rid}")).json()["status"] == "approved"


async def test_date_times_at_the_edges_of_the_range_work(api: Api) -> None:
    for n, moment in enumerate(EDGES):
        for path, parameter in [
            ("/v1/returns", "created_after"),
            ("/v1/returns/export", "created_before"),
            ("/v1/events", "created_after"),
            ("/v1/analytics/summary", "to"),
        ]:
            answer = await api.get(path, **{parameter: moment})
            assert answer.status_code == 200, (path, moment, answer.text)
        body = order_body()
        body.update(placed_at=moment, fulfilled_at=moment, delivered_at=moment)
        stored = await api.client.put(f"/v1/orders/ord_e{n}", json=body, headers=api.headers)
        assert stored.status_code == 201, stored.text
        read = await api.get(f"/v1/orders/ord_e{n}")
        assert read.status_code == 200, read.text
        assert all(ln["return_deadline"] for ln in read.json()["line_items"])
        rid = await _approved_return(api, f"ord_t{n}")
        tracked = await api.post(
            f"/v1/returns/{rid}/tracking-events", {"status": "in_transit", "occurred_at": moment}
        )
        assert tracked.status_code == 200, tracked.text


# --- money ---------------------------------------------------------------------------------
# Each amount is at most 10^12 minor units and a line at most 100,000 units, but 500 lines
# of 100,000 units at 10^12 are worth 5 x 10^19: past a bigint (create answered 500 while the
# quote, computed in Python, answered 200) and past orjson's 64 bits (the decision's facts).

MAX_AMOUNT = 10**12


def _lines(count: int, *, quantity: int, unit_price: int, tax: int = 0) -> list[dict[str, Any]]:
    return [
        line(f"li_{n}", quantity=quantity, unit_price=unit_price, tax=tax) for n in range(count)
    ]


async def _put(api: Api, order_id: str, lines: list[dict[str, Any]], **kw: Any) -> httpx.Response:
    body = order_body(lines=lines, **kw)
    return await api.client.put(f"/v1/orders/{order_id}", json=body, headers=api.headers)


@pytest.mark.parametrize(
    ("lines", "location"),
    [
        # the combinations that answered 500 on create: past a bigint, past 64 bits
        (_lines(93, quantity=100_000, unit_price=MAX_AMOUNT), "body.line_items.0.unit_price"),
        (_lines(185, quantity=100_000, unit_price=MAX_AMOUNT), "body.line_items.0.unit_price"),
        # one line worth more than an amount can be
        (_lines(1, quantity=2, unit_price=MAX_AMOUNT), "body.line_items.0.unit_price"),
        # lines that each fit, an order that does not
        (_lines(2, quantity=1, unit_price=MAX_AMOUNT // 2 + 1), "body.line_items"),
        (_lines(1, quantity=1, unit_price=MAX_AMOUNT, tax=1), "body.line_items"),
    ],
)
async def test_an_order_worth_more_than_an_amount_can_be_is_a_422_naming_the_field(
    api: Api, lines: list[dict[str, Any]], location: str
) -> None:
    assert_names(await _put(api, "ord_huge", lines), location)
    assert_problem(await api.get("/v1/orders/ord_huge"), 404)


async def test_shipping_counts_in_the_order_total(api: Api) -> None:
    lines = _lines(1, quantity=1, unit_price=MAX_AMOUNT)
    assert_names(await _put(api, "ord_ship", lines, shipping_paid=1), "body.line_items")
    assert (await _put(api, "ord_ship", lines, shipping_paid=0)).status_code == 201


async def test_the_largest_order_is_quoted_returned_and_refunded_alike(api: Api) -> None:
    """100 lines of 100,000 units, tax on top: exactly 10^12 paid. Every return of all of it
    is quoted and created alike, and refunded in full, without a 500 anywhere."""
    lines = _lines(100, quantity=100_000, unit_price=90_000, tax=1_000_000_000)
    assert (await _put(api, "ord_max", lines, shipping_paid=0)).status_code == 201
    request = {
        "order_id": "ord_max",
        "items": [
            {
                "line_item_id": f"li_{n}",
                "quantity": 100_000,
                "reason": "damaged",
                "resolution": "store_credit",
            }
            for n in range(100)
        ],
    }
    quote = await api.post("/v1/returns/quote", request)
    assert quote.status_code == 200, quote.text
    created = await api.post("/v1/returns", request)
    assert created.status_code == 201, created.text
    estimated, judged = quote.json()["estimated_refund"], created.json()["refund_breakdown"]
    for figure in ("subtotal", "total", "by_method"):
        assert estimated[figure] == judged[figure], figure
    assert judged["subtotal"] == MAX_AMOUNT
    rid = created.json()["id"]
    if created.json()["status"] == "pending_review":
        assert (await api.post(f"/v1/returns/{rid}/approve")).status_code == 200
    assert (
        await api.post(f"/v1/returns/{rid}/tracking-events", {"status": "in_transit"})
    ).status_code == 200
    received = await api.post(
        f"/v1/returns/{rid}/receive",
        {
            "items": [
                {"line_item_id": f"li_{n}", "received_quantity": 100_000, "condition": "as_new"}
                for n in range(100)
            ]
        },
    )
    assert received.status_code == 200, received.text
    refunded = await api.post(f"/v1/returns/{rid}/refunds", {})
    assert refunded.status_code == 201, refunded.text
    assert refunded.json()["amounts"]["refunded"] >= MAX_AMOUNT
    exported = await api.client.get("/v1/returns/export", headers=api.headers)
    assert exported.status_code == 200, exported.text
    assert len(exported.text.splitlines()) == 101
    for path in ("/v1/analytics/summary", "/v1/analytics/reasons", "/v1/analytics/products"):
        assert (await api.get(path)).status_code == 200, path


# --- numbers in policy rules ---------------------------------------------------------------


def _policy_with(value: Any) -> dict[str, Any]:
    condition = {"fact": "return_value", "op": "gte", "value": value}
    return {"rules": [{"id": "big", "name": "Big", "conditions": [condition], "action": "review"}]}


@pytest.mark.parametrize("value", [2**53, -(2**53), 10**23, [5, 2**64]])
async def test_a_rule_number_past_what_json_carries_exactly_is_a_422(api: Api, value: Any) -> None:
    condition = {"fact": "return_value", "op": "in" if isinstance(value, list) else "gte"}
    body = _policy_with(value)
    body["rules"][0]["conditions"][0].update(condition)
    response = await api.client.put("/v1/policy", json=body, headers=api.headers)
    problem = assert_problem(response, 422)
    assert problem["type"] == VALIDATION_ERROR, problem
    assert any(
        e["location"].startswith("body.rules.0.conditions.0.value")
        for e in problem["errors"]  # type: ignore[attr-defined]
    ), problem


async def test_a_rule_number_at_the_limit_is_published(api: Api) -> None:
    response = await api.client.put("/v1/policy", json=_policy_with(2**53 - 1), headers=api.headers)
    assert response.status_code == 201, response.text
    rule = response.json()["document"]["rules"][0]
    assert rule["conditions"][0]["value"] == 2**53 - 1


async def test_a_policy_stored_with_a_larger_number_before_the_bound_still_works(
    app: FastAPI, api: Api
) -> None:
    """Up to 2^64 could be stored before numbers in rules were bounded: such a policy stays
    readable and in force (only a new one must keep to the bound)."""
    published = await api.client.put("/v1/policy", json=_policy_with(1), headers=api.headers)
    assert published.status_code == 201, published.text
    document = published.json()["document"]
    document["rules"][0]["conditions"][0]["value"] = 10**19
    async with app.state.sessionmaker() as session, session.begin():
        await PolicyRepository(session).insert(
            published.json()["version"] + 1, document, "an earlier release", utcnow()
        )
    version = published.json()["version"] + 1
    read = await api.get(f"/v1/policy/versions/{version}")
    assert read.status_code == 200, read.text
    assert read.json()["document"]["rules"][0]["conditions"][0]["value"] == 10**19
    await api.put_order("ord_p")
    created = await api.create_return("ord_p")
    assert created.status_code == 201, created.text
    assert created.json()["decision"]["policy_version"] == version
    assert created.json()["decision"]["matched_rule"] is None  # 10^19 is never reached
