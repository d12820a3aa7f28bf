"""What the API accepts is bounded so that nothing derived from it can overflow: date-times
(whose windows and conversions run past the calendar's ends) and money (whose products and
sums run past 64 bits). Out of range is a 422 naming the field, never a 500, on both
databases; inside the range everything works to the edge."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from returns_api.auth.scopes import ALL_SCOPES
from tests.api.test_foundation import assert_problem
from tests.conftest import new_api_key
from tests.factories import Api, order_body

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
