"""The expiry sweep and customer feedback, on SQLite and on PostgreSQL.

Returns are made and approved through the HTTP API; to make an approval old enough to be
due, the test rewrites the `created_at` of the approval's timeline entry (a row it made)
directly in the database.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from sqlalchemy import select, text, update

from returns_api.returns.expiry import ExpirySweep, expire_overdue
from returns_api.returns.models import ReturnChange
from returns_api.webhooks.models import Event
from returns_api.worker import Background
from tests.api.test_foundation import assert_problem
from tests.conftest import bearer, make_settings, new_api_key
from tests.factories import ALL_STAFF_SCOPES, Api, line

SWEEPER = "returns-api (expiry sweep)"
TRANSIT = {"status": "in_transit", "tracking_number": "1Z", "carrier": "UPS"}


def expect(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return dict(response.json())


@pytest.fixture
async def api(app: FastAPI, client: httpx.AsyncClient) -> Api:
    key = await new_api_key(app, *ALL_STAFF_SCOPES, "policy:manage", name="merchant")
    return Api(client, key)


async def _approved_return(
    app: FastAPI, api: Api, order_id: str, *, days_ago: float, keep_item: bool = False
) -> str:
    """A return on its own order, approved by a person `days_ago` days ago."""
    await api.put_order(order_id, number=order_id.upper(), lines=[line("li_1", quantity=2)])
    rid = str(expect(await api.create_return(order_id), 201)["id"])
    expect(await api.post(f"/v1/returns/{rid}/approve", {"keep_item": keep_item}))
    await _approved_at(app, rid, datetime.now(UTC) - timedelta(days=days_ago))
    return rid


async def _approved_at(app: FastAPI, return_id: str, when: datetime) -> None:
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(
            update(ReturnChange)
            .where(
                ReturnChange.return_id == uuid.UUID(return_id),
                ReturnChange.kind == "approved",
            )
            .values(created_at=when)
        )


async def _events(app: FastAPI, return_id: str, type_: str) -> list[dict[str, Any]]:
    async with app.state.sessionmaker() as session:
        rows = await session.execute(
            select(Event.data).where(Event.return_id == uuid.UUID(return_id), Event.type == type_)
        )
        return [dict(data) for (data,) in rows]


async def _status(api: Api, return_id: str) -> str:
    return str(expect(await api.get(f"/v1/returns/{return_id}"))["status"])


# --- expiry --------------------------------------------------------------------------------


async def test_an_approved_return_not_shipped_in_time_expires(app: FastAPI, api: Api) -> None:
    """The default policy gives 14 days to ship after the approval."""
    due = await _approved_return(app, api, "ord_due", days_ago=14.01)
    fresh = await _approved_return(app, api, "ord_fresh", days_ago=13.9)
    keep = await _approved_return(app, api, "ord_keep", days_ago=30, keep_item=True)
    shipped = await _approved_return(app, api, "ord_shipped", days_ago=30)
    expect(await api.post(f"/v1/returns/{shipped}/tracking-events", TRANSIT))
    before = expect(await api.get("/v1/orders/ord_due"))
    assert before["line_items"][0]["returnable_quantity"] == 1

    assert await expire_overdue(app.state.sessionmaker) == (1, False)

    expired = expect(await api.get(f"/v1/returns/{due}"))
    assert expired["status"] == "expired"
    assert expired["version"] == 3
    last = expired["timeline"][-1]
    assert (last["kind"], last["from_status"], last["to_status"], last["actor"]) == (
        "expired",
        "approved",
        "expired",
        SWEEPER,
    )
    assert last["note"] == "Not shipped within 14 days of approval."
    assert last["data"] == {"ship_within_days": 14, "policy_version": 1}
    events = await _events(app, due, "return.expired")
    assert len(events) == 1
    assert events[0]["previous_status"] == "approved"
    assert events[0]["object"]["status"] == "expired"
    assert events[0]["sequence"] == 3
    # the unit it held can be returned again
    after = expect(await api.get("/v1/orders/ord_due"))
    assert after["line_items"][0]["returnable_quantity"] == 2

    assert await _status(api, fresh) == "approved"
    assert await _status(api, keep) == "approved"  # keep-the-item: no parcel to wait for
    assert await _status(api, shipped) == "in_transit"
    assert await expire_overdue(app.state.sessionmaker) == (0, False)  # nothing twice
    assert len(await _events(app, due, "return.expired")) == 1


async def test_expired_is_terminal(api: Api, app: FastAPI) -> None:
    rid = await _approved_return(app, api, "ord_1", days_ago=20)
    assert await expire_overdue(app.state.sessionmaker) == (1, False)
    for path, body in (("tracking-events", TRANSIT), ("cancel", None), ("complete", None)):
        refused = await api.post(f"/v1/returns/{rid}/{path}", body)
        assert assert_problem(refused, 409)["current_status"] == "expired"


async def test_the_policy_version_of_each_return_decides_its_deadline(
    app: FastAPI, api: Api
) -> None:
    judged_by_v1 = await _approved_return(app, api, "ord_v1", days_ago=5)  # 14 days to ship
    expect(
        await api.client.put("/v1/policy", json={"ship_within_days": 3}, headers=api.headers), 201
    )
    judged_by_v2 = await _approved_return(app, api, "ord_v2", days_ago=5)  # 3 days to ship
    assert expect(await api.get(f"/v1/returns/{judged_by_v2}"))["decision"]["policy_version"] == 2

    assert await expire_overdue(app.state.sessionmaker) == (1, False)
    assert await _status(api, judged_by_v1) == "approved"
    timeline = expect(await api.get(f"/v1/returns/{judged_by_v2}"))["timeline"]
    assert timeline[-1]["data"] == {"ship_within_days": 3, "policy_version": 2}


async def test_the_sweep_works_in_bounded_batches(app: FastAPI, api: Api) -> None:
    ids = [await _approved_return(app, api, f"ord_{n}", days_ago=15) for n in range(5)]
    assert await expire_overdue(app.state.sessionmaker, batch_size=2) == (5, False)
    assert [await _status(api, rid) for rid in ids] == ["expired"] * 5


async def test_one_sweep_turn_is_bounded_so_deliveries_are_not_starved(
    app: FastAPI, api: Api
) -> None:
    """A large backlog is taken a slice per turn of the dispatcher loop, saying more is due."""
    ids = [await _approved_return(app, api, f"ord_{n}", days_ago=15) for n in range(5)]
    sweep = app.state.sessionmaker
    assert await expire_overdue(sweep, batch_size=2, max_batches=2) == (4, True)
    assert await expire_overdue(sweep, batch_size=2, max_batches=2) == (1, False)
    assert [await _status(api, rid) for rid in ids] == ["expired"] * 5


async def test_sweepers_side_by_side_expire_each_return_once(app: FastAPI, api: Api) -> None:
    """Several workers sweep at the same time: every due return expires exactly once (SKIP
    LOCKED on PostgreSQL; on SQLite the writers queue)."""
    ids = [await _approved_return(app, api, f"ord_{n}", days_ago=15) for n in range(6)]
    counts = await asyncio.gather(
        *(expire_overdue(app.state.sessionmaker, batch_size=2) for _ in range(3))
    )
    assert sum(expired for expired, _ in counts) == 6
    for rid in ids:
        assert await _status(api, rid) == "expired"
        assert len(await _events(app, rid, "return.expired")) == 1


async def test_a_return_locked_by_a_request_is_left_for_the_next_sweep(
    app: FastAPI, api: Api, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("row locks: PostgreSQL (SQLite serialises whole transactions)")
    busy = await _approved_return(app, api, "ord_busy", days_ago=15)
    idle = await _approved_return(app, api, "ord_idle", days_ago=15)
    async with app.state.sessionmaker() as holder, holder.begin():
        # as a request changing the return would: its row lock
        await holder.execute(
            text("SELECT id FROM returns WHERE id = :id FOR UPDATE"), {"id": uuid.UUID(busy)}
        )
        assert await asyncio.wait_for(expire_overdue(app.state.sessionmaker), 10) == (1, False)
    assert await _status(api, idle) == "expired"
    assert await _status(api, busy) == "approved"
    assert await expire_overdue(app.state.sessionmaker) == (1, False)
    assert await _status(api, busy) == "expired"


async def test_the_worker_runs_the_sweep_every_interval(app: FastAPI, api: Api) -> None:
    rid = await _approved_return(app, api, "ord_1", days_ago=15)
    registry = CollectorRegistry()
    settings = make_settings(app.state.settings.database_url, expiry_sweep_seconds=3600)
    background = Background(app.state.sessionmaker, settings, registry)
    stop = asyncio.Event()
    task = asyncio.create_task(background.run(stop))
    try:
        for _ in range(500):
            if await _status(api, rid) == "expired":
                break
            await asyncio.sleep(0.01)
        assert await _status(api, rid) == "expired"
        assert registry.get_sample_value("returns_expired_total") == 1
        # the next sweep waits for its interval
        later = await _approved_return(app, api, "ord_2", days_ago=15)
        await asyncio.sleep(0.1)
        assert await _status(api, later) == "approved"
    finally:
        stop.set()
        await task
        await background.aclose()
    off = ExpirySweep(app.state.sessionmaker, 0)
    await asyncio.wait_for(off.run(asyncio.Event()), 5)  # returns at once: no sweeping
    assert await _status(api, later) == "approved"


# --- feedback ------------------------------------------------------------------------------


async def _portal(client: httpx.AsyncClient, number: str) -> dict[str, str]:
    response = await client.post(
        "/v1/portal/sessions", json={"order_number": number, "email": "ada@example.com"}
    )
    return bearer(expect(response, 201)["token"])


@pytest.fixture
async def two_orders(api: Api) -> tuple[str, str]:
    """A return on each of two orders (A-1 and B-2)."""
    await api.put_order("ord_a", number="A-1")
    await api.put_order("ord_b", number="B-2")
    mine = str(expect(await api.create_return("ord_a"), 201)["id"])
    other = str(expect(await api.create_return("ord_b"), 201)["id"])
    return mine, other


async def test_the_customer_rates_a_return_once(api: Api, two_orders: tuple[str, str]) -> None:
    mine, _ = two_orders
    headers = await _portal(api.client, "A-1")
    path = f"/v1/returns/{mine}/feedback"
    created = await api.client.post(
        path, json={"rating": 4, "comment": "Quick and easy."}, headers=headers
    )
    body = expect(created, 201)
    assert (body["return_id"], body["rating"], body["comment"]) == (mine, 4, "Quick and easy.")
    assert datetime.fromisoformat(body["created_at"]) <= datetime.now(UTC)

    again = await api.client.post(path, json={"rating": 1}, headers=headers)
    problem = assert_problem(again, 409)
    assert problem["type"] == "urn:returns-api:problem:feedback-already-given"
    # the return itself did not change
    assert expect(await api.get(f"/v1/returns/{mine}"))["version"] == 1


async def test_racing_feedback_is_stored_once(
    app: FastAPI, api: Api, two_orders: tuple[str, str]
) -> None:
    mine, _ = two_orders
    headers = await _portal(api.client, "A-1")
    clients = [
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
            base_url="http://testserver",
        )
        for _ in range(4)
    ]
    try:
        responses = await asyncio.gather(
            *(
                c.post(f"/v1/returns/{mine}/feedback", json={"rating": n + 1}, headers=headers)
                for n, c in enumerate(clients)
            )
        )
    finally:
        for c in clients:
            await c.aclose()
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409]
    summary_key = bearer(await new_api_key(app, "analytics:read"))
    summary = expect(await api.client.get("/v1/analytics/summary", headers=summary_key))
    assert summary["feedback"]["count"] == 1


async def test_only_the_owning_customer_may_rate(api: Api, two_orders: tuple[str, str]) -> None:
    mine, other = two_orders
    headers = await _portal(api.client, "A-1")
    # a merchant key, even one that may write returns, is not the customer
    merchant = await api.client.post(
        f"/v1/returns/{mine}/feedback", json={"rating": 5}, headers=api.headers
    )
    problem = assert_problem(merchant, 403)
    assert problem["type"] == "urn:returns-api:problem:feedback-customers-only"
    # another order's return looks exactly like one that does not exist
    theirs = await api.client.post(
        f"/v1/returns/{other}/feedback", json={"rating": 1}, headers=headers
    )
    missing = await api.client.post(
        f"/v1/returns/{uuid.uuid4()}/feedback", json={"rating": 1}, headers=headers
    )
    first, second = assert_problem(theirs, 404), assert_problem(missing, 404)
    assert (first["type"], first["title"]) == (second["type"], second["title"])
    assert_problem(await api.client.post(f"/v1/returns/{mine}/feedback", json={"rating": 5}), 401)
    # and B's own customer can still rate B
    b_headers = await _portal(api.client, "B-2")
    expect(
        await api.client.post(
            f"/v1/returns/{other}/feedback", json={"rating": 2}, headers=b_headers
        ),
        201,
    )


@pytest.mark.parametrize(
    "body",
    [
        {"rating": 0},
        {"rating": 6},
        {"rating": "5"},
        {"rating": 4.5},
        {},
        {"rating": 3, "comment": "x" * 2001},
        {"rating": 3, "return_id": "elsewhere"},
    ],
)
async def test_feedback_is_validated(api: Api, two_orders: tuple[str, str], body: Any) -> None:
    mine, _ = two_orders
    headers = await _portal(api.client, "A-1")
    response = await api.client.post(f"/v1/returns/{mine}/feedback", json=body, headers=headers)
    assert_problem(response, 422)
