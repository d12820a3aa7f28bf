"""Deadlines of a statutory withdrawal (issue #25 §5): `refund_due_by`, the overdue event
sent once by two workers, and goods not sent back flagged rather than expired. The sweeps
run with the clock moved ahead of the test's own."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from fastapi import FastAPI

from returns_api.core.clock import utcnow
from returns_api.returns.expiry import expire_overdue
from tests.conftest import bearer, new_api_key
from tests.withdrawal.helpers import eu_policy, merchant, parse, put_order, statutory_deadline
from tests.withdrawal.test_withdrawal_function import events
from tests.withdrawal.test_withdrawal_refunds import withdraw


async def test_overdue_refund_is_announced_once_by_two_workers(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    api = await merchant(app, client)
    await eu_policy(api)
    await put_order(api, number="O-1")
    confirmed = await withdraw(client, "O-1")
    rid = confirmed["return_id"]
    ret = (await api.get(f"/v1/returns/{rid}")).json()
    received_at = parse(confirmed["received_at"])
    assert parse(ret["withdrawal"]["refund_due_by"]) == statutory_deadline(received_at)
    assert (await api.post(f"/v1/returns/{rid}/approve", {})).status_code == 200
    sent = await api.post(
        f"/v1/returns/{rid}/tracking-events",
        {"status": "in_transit", "tracking_number": "1Z2", "carrier": "UPS"},
    )
    assert sent.json()["withdrawal"]["refund_hold"] is None

    await expire_overdue(app.state.sessionmaker, utcnow() + timedelta(days=3))
    assert await events(app, client, "return.refund_overdue") == []
    later = utcnow() + timedelta(days=20)
    await asyncio.gather(
        expire_overdue(app.state.sessionmaker, later),
        expire_overdue(app.state.sessionmaker, later),
    )
    await expire_overdue(app.state.sessionmaker, later + timedelta(days=1))
    overdue = await events(app, client, "return.refund_overdue")
    assert len(overdue) == 1
    assert overdue[0]["data"]["object"]["id"] == rid
    shown = (await api.get(f"/v1/returns/{rid}")).json()
    assert shown["withdrawal"]["refund_overdue_at"] is not None
    analyst = await new_api_key(app, "analytics:read", name="analyst")
    summary = await client.get("/v1/analytics/summary", headers=bearer(analyst))
    assert summary.status_code == 200, summary.text
    assert summary.json()["refunds_overdue"] == 1


async def test_a_held_refund_is_not_overdue(app: FastAPI, client: httpx.AsyncClient) -> None:
    api = await merchant(app, client)
    await eu_policy(api)
    await put_order(api, number="O-2")
    await withdraw(client, "O-2")  # no parcel on its way: the refund may wait (13(3))
    await expire_overdue(app.state.sessionmaker, utcnow() + timedelta(days=20))
    assert await events(app, client, "return.refund_overdue") == []


async def test_goods_not_sent_back_are_flagged_never_expired(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    api = await merchant(app, client)
    await eu_policy(api, ship_within_days=1)
    await put_order(api, number="O-3")
    confirmed = await withdraw(client, "O-3")
    rid = confirmed["return_id"]
    assert (await api.post(f"/v1/returns/{rid}/approve", {})).status_code == 200
    await put_order(api, "ord_c", number="O-4", country="US")
    commercial = await api.create_return("ord_c")
    cid = commercial.json()["id"]
    assert (await api.post(f"/v1/returns/{cid}/approve", {})).status_code == 200

    await expire_overdue(app.state.sessionmaker, utcnow() + timedelta(days=30))
    statutory = (await api.get(f"/v1/returns/{rid}")).json()
    assert statutory["status"] == "approved"
    assert statutory["withdrawal"]["send_back_overdue_at"] is not None
    assert statutory["timeline"][-1]["kind"] == "send_back_overdue"
    assert (await api.get(f"/v1/returns/{cid}")).json()["status"] == "expired"
    assert await events(app, client, "return.expired") != []
