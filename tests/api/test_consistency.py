"""Small inconsistencies of issue 17 §5, through HTTP on both databases: one way of writing a
date-time, what a weak `If-Match` is told, and one name per route in metrics and logs."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from returns_api.app import create_app
from returns_api.openapi import render_openapi
from tests.api.test_foundation import _global_spans, assert_problem
from tests.conftest import bearer, empty_all_tables, make_settings, new_api_key
from tests.factories import ALL_STAFF_SCOPES, Api, order_body

_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def _date_times(node: Any, where: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _date_times(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _date_times(value, f"{where}/{index}")
    elif isinstance(node, str) and _DATE_TIME.match(node):
        yield where, node


def _not_utc_z(node: Any) -> list[tuple[str, str]]:
    return [(where, text) for where, text in _date_times(node) if not text.endswith("Z")]


async def _staff(app: FastAPI, client: httpx.AsyncClient) -> Api:
    scopes = (*ALL_STAFF_SCOPES, "policy:manage", "webhooks:manage")
    return Api(client, await new_api_key(app, *scopes, name="back-office"))


# --- one way of writing a date-time ---------------------------------------------------------


async def test_every_date_time_a_return_and_its_events_show_is_utc_with_z(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    api = await _staff(app, client)
    await api.put_order("ord_1")
    created = await api.create_return("ord_1")
    rid = created.json()["id"]
    assert (await api.post(f"/v1/returns/{rid}/approve")).status_code == 200
    scanned = await api.post(
        f"/v1/returns/{rid}/tracking-events",
        {
            "status": "in_transit",
            "tracking_number": "1Z",
            "occurred_at": "2026-11-20T10:15:00+02:00",
        },
    )
    assert scanned.status_code == 200, scanned.text
    delivered = await api.post(
        f"/v1/returns/{rid}/tracking-events",
        {"status": "delivered", "occurred_at": "2026-11-21T09:00:00.250Z"},
    )
    later = await api.post(f"/v1/returns/{rid}/tracking-events", {"status": "delivered"})
    assert later.status_code == 200, later.text

    tracking = [e["data"] for e in later.json()["timeline"] if e["kind"] == "tracking"]
    assert tracking[0]["occurred_at"] == "2026-11-20T08:15:00Z"  # in UTC, as everything else
    assert tracking[1]["occurred_at"] == "2026-11-21T09:00:00.250000Z"
    assert tracking[2]["occurred_at"].endswith("Z")
    assert not _not_utc_z(delivered.json())
    assert not _not_utc_z(later.json())

    policy = await client.put("/v1/policy", json={"window_days": 40}, headers=api.headers)
    assert policy.status_code == 201, policy.text
    events = await api.get("/v1/events", limit=100)
    assert events.status_code == 200, events.text
    assert {e["type"] for e in events.json()["data"]} >= {"return.in_transit", "policy.updated"}
    assert not _not_utc_z(events.json())
    first = events.json()["data"][0]["id"]
    assert not _not_utc_z((await api.get(f"/v1/events/{first}")).json())


async def test_date_times_sent_with_an_offset_come_back_in_utc(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    api = Api(client, await new_api_key(app, "orders:write", "analytics:read"))
    body = order_body(number="Z-1")
    body["placed_at"] = "2026-11-01T10:00:00+02:00"
    body["delivered_at"] = "2026-11-03T23:30:00-05:00"
    synced = await client.put("/v1/orders/ord_z", json=body, headers=api.headers)
    assert synced.status_code == 201, synced.text
    read = await api.get("/v1/orders/ord_z")
    assert synced.json()["placed_at"] == read.json()["placed_at"] == "2026-11-01T08:00:00Z"
    assert synced.json()["delivered_at"] == "2026-11-04T04:30:00Z"
    assert synced.json() == read.json()  # one answer for one order, however it was sent
    assert not _not_utc_z(synced.json())

    period = {"from": "2026-11-01T00:00:00+02:00", "to": "2026-12-01T00:00:00+05:00"}
    summary = await api.get("/v1/analytics/summary", **period)
    assert summary.status_code == 200, summary.text
    assert not _not_utc_z(summary.json())
    assert "2026-10-31T22:00:00Z" in summary.text


# --- If-Match with a weak validator ---------------------------------------------------------


async def test_a_weak_if_match_is_told_weak_validators_are_not_accepted(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    api = await _staff(app, client)
    await api.put_order("ord_1")
    created = await api.create_return("ord_1")
    rid, current = created.json()["id"], created.headers["etag"]
    assert current == '"1"'

    weak = await api.post(f"/v1/returns/{rid}/approve", None, **{"If-Match": 'W/"1"'})
    problem = assert_problem(weak, 412)
    assert problem["type"] == "urn:returns-api:problem:stale-version"
    assert "weak" in str(problem["detail"]).lower(), problem["detail"]
    assert problem["current_etag"] == '"1"'
    listed = await api.post(f"/v1/returns/{rid}/approve", None, **{"If-Match": 'W/"1", "7"'})
    assert "weak" in str(assert_problem(listed, 412)["detail"]).lower()

    stale = await api.post(f"/v1/returns/{rid}/approve", None, **{"If-Match": '"7"'})
    assert "weak" not in str(assert_problem(stale, 412)["detail"]).lower()
    assert (await api.post(f"/v1/returns/{rid}/approve", None, **{"If-Match": current})).is_success

    policy = await client.put(
        "/v1/policy", json={"window_days": 40}, headers={**api.headers, "If-Match": 'W/"1"'}
    )
    assert "weak" in str(assert_problem(policy, 412)["detail"]).lower()


# --- one name per route ---------------------------------------------------------------------


async def test_metrics_logs_and_traces_name_routes_by_their_openapi_path(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = set(json.loads(render_openapi())["paths"])
    spans = _global_spans()
    spans.clear()
    app = create_app(make_settings(database_url, log_level="info", opentelemetry=True))
    transport = httpx.ASGITransport(app=app)
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=transport, base_url="http://test") as client,
    ):
        await empty_all_tables(app.state.engine)
        key = bearer(await new_api_key(app, "returns:read"))
        for path in (f"/v1/returns/{uuid.uuid4()}", "/v1/returns", "/v1/orders/ord_x"):
            await client.get(path, headers=key)
        await client.post("/v1/returns/quote", json={}, headers=key)
        metrics = (await client.get("/metrics")).text

    counted = set(re.findall(r'returns_http_requests_total\{[^}]*route="([^"]+)"', metrics))
    assert "/v1/returns/{return_id}" in counted
    assert counted - {"/metrics"} <= paths, counted - paths
    logged = [json.loads(line) for line in capsys.readouterr().err.splitlines() if "{" in line]
    routes = {entry["route"] for entry in logged if entry.get("event") == "request"}
    assert "/v1/returns/{return_id}" in routes
    assert routes - {"/metrics"} <= paths, routes - paths
    traced = {span.attributes.get("http.route") for span in spans.get_finished_spans()}
    assert "/v1/returns/{return_id}" in traced
    assert traced - {"/metrics", None} <= paths, traced - paths
