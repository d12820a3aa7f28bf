"""Instant exchanges (issue 19 §6), through HTTP on SQLite and PostgreSQL.

When the policy offers it and the customer asks, the replacement is ordered at approval (once
what it costs more is paid) against a hold on the customer's card. A parcel not in transit by
the hold's deadline, or units refused at inspection, ask the platform to charge the hold,
once, even with several sweepers; every unit accepted asks it to let go. Such a return is
never expired or called off: the customer already has the new items.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from returns_api.core.settings import Settings
from returns_api.returns.expiry import expire_overdue
from returns_api.returns.models import Return
from tests.api.test_exchange_payments import GOLD, OWED, approved, pay, problem
from tests.api.test_exchanges import (
    PAID_FOR_ONE,
    SHIRT,
    events_of,
    exchange,
    publish,
    variant,
    with_catalog,
)
from tests.api.test_webhook_reliability import kill, start_worker, started, stop, wait_for
from tests.conftest import bearer, new_api_key
from tests.factories import Api


@pytest.fixture
async def api(app: FastAPI, client: httpx.AsyncClient) -> Api:
    staff = await with_catalog(app, client)
    await publish(app, staff, {"instant": True, "hold_deadline_days": 3})
    return staff


def instant(variant_id: str) -> dict[str, Any]:
    return exchange(variant_id) | {"instant_exchange": True}


async def sweep(app: FastAPI, days: float) -> None:
    await expire_overdue(app.state.sessionmaker, datetime.now(UTC) + timedelta(days=days))


async def hold(api: Api, rid: str, outcome: str, **extra: Any) -> httpx.Response:
    return await api.post(f"/v1/returns/{rid}/exchange/hold", {"outcome": outcome, **extra})


async def inspect(api: Api, ret: dict[str, Any], accepted: int) -> dict[str, Any]:
    rid = ret["id"]
    await api.post(f"/v1/returns/{rid}/tracking-events", {"status": "in_transit"})
    entry = {
        "item_id": ret["items"][0]["id"],
        "received_quantity": 1,
        "accepted_quantity": accepted,
    }
    r = await api.post(f"/v1/returns/{rid}/receive", {"items": [entry]})
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_an_instant_exchange_is_refused_unless_offered_and_exchanged(
    app: FastAPI, api: Api
) -> None:
    body = instant("var_shirt_l")
    body["items"][0] |= {"resolution": "refund", "exchange_variant_id": None}
    not_exchange = await api.post("/v1/returns", body)
    assert not_exchange.status_code == 422, not_exchange.text
    errors = {e["location"]: e["type"] for e in not_exchange.json()["errors"]}
    assert errors == {"body.instant_exchange": "not_an_exchange"}

    await publish(app, api, {"instant": False})
    refused = await api.post("/v1/returns", instant("var_shirt_l"))
    assert refused.status_code == 422, refused.text
    errors = {e["location"]: e["type"] for e in refused.json()["errors"]}
    assert errors == {"body.instant_exchange": "instant_not_offered"}
    quote = await api.post("/v1/returns/quote", instant("var_shirt_l"))
    assert quote.status_code == 200
    assert quote.json()["eligible"] is False
    assert (await api.get("/v1/returns", order_id="ord_x")).json()["data"] == []


async def test_the_replacement_ships_at_approval_against_a_hold(app: FastAPI, api: Api) -> None:
    ret = await approved(api, instant("var_shirt_l"))
    rid = ret["id"]
    assert ret["instant_exchange"] is True
    assert ret["exchange_fulfillment"]["requested_at"] is not None
    assert ret["exchange_fulfillment"]["order_id"] is None
    shown = ret["exchange_hold"]
    (approval,) = [
        e
        for e in ret["timeline"]
        if e["to_status"] == "approved" and e["from_status"] != "approved"
    ]
    approved_at = datetime.fromisoformat(approval["at"])
    assert (shown["amount"], shown["status"]) == (PAID_FOR_ONE, "held")
    assert datetime.fromisoformat(shown["due_at"]) - approved_at == timedelta(days=3)
    assert "return.exchange_order_requested" in await events_of(app, api, rid)
    cancelled = await api.post(f"/v1/returns/{rid}/cancel", {})
    assert (cancelled.status_code, problem(cancelled)) == (409, "illegal-transition")


async def test_no_parcel_by_the_deadline_asks_once_to_charge_the_hold(
    app: FastAPI, api: Api
) -> None:
    ret = await approved(api, instant("var_shirt_l"))
    rid = ret["id"]
    await sweep(app, 2)  # not yet
    assert (await api.get(f"/v1/returns/{rid}")).json()["exchange_hold"]["status"] == "held"
    later = datetime.now(UTC) + timedelta(days=4)
    await asyncio.gather(*(expire_overdue(app.state.sessionmaker, later) for _ in range(2)))
    await sweep(app, 400)  # a year on: the return is not expired, nothing is asked again
    shown = (await api.get(f"/v1/returns/{rid}")).json()
    assert shown["status"] == "approved"
    assert (shown["exchange_hold"]["status"], shown["exchange_hold"]["capture_amount"]) == (
        "capture_requested",
        PAID_FOR_ONE,
    )
    events = await events_of(app, api, rid)
    assert events.count("return.exchange_hold_capture_requested") == 1
    assert "return.expired" not in events

    captured = await hold(api, rid, "captured", external_reference="pi_1")
    assert captured.status_code == 200, captured.text
    assert captured.json()["exchange_hold"]["captured"] == PAID_FOR_ONE
    again = await hold(api, rid, "captured", external_reference="pi_1")
    assert again.json()["version"] == captured.json()["version"]
    late = await hold(api, rid, "released")
    assert (late.status_code, problem(late)) == (409, "exchange-hold-not-pending")

    # The parcel comes after all, and is accepted: the charge is paid back, once.
    received = await inspect(api, captured.json(), accepted=1)
    assert received["amounts"]["refundable"] == PAID_FOR_ONE
    refunded = await api.post(f"/v1/returns/{rid}/refunds", {})
    assert refunded.status_code == 201, refunded.text
    assert [(r["method"], r["amount"]) for r in refunded.json()["refunds"]] == [
        ("exchange", PAID_FOR_ONE)
    ]
    assert (await api.post(f"/v1/returns/{rid}/refunds", {})).status_code == 409


@pytest.mark.parametrize(
    ("accepted", "status", "event"),
    [
        (0, "capture_requested", "return.exchange_hold_capture_requested"),
        (1, "release_requested", "return.exchange_hold_release_requested"),
    ],
    ids=["refused", "accepted"],
)
async def test_the_inspection_settles_the_hold(
    app: FastAPI, api: Api, accepted: int, status: str, event: str
) -> None:
    ret = await approved(api, instant("var_shirt_l"))
    received = await inspect(api, ret, accepted)
    shown = received["exchange_hold"]
    assert shown["status"] == status
    assert shown["capture_amount"] == (PAID_FOR_ONE if accepted == 0 else None)
    assert (await events_of(app, api, ret["id"])).count(event) == 1
    assert received["amounts"]["refundable"] == 0  # nothing is owed back either way
    released = await hold(api, ret["id"], "released")
    assert released.status_code == 200, released.text
    assert released.json()["exchange_hold"]["status"] == "released"


async def test_a_dearer_instant_exchange_ships_once_paid(app: FastAPI, api: Api) -> None:
    ret = await approved(api, instant("var_shirt_gold"))
    rid = ret["id"]
    assert ret["exchange_fulfillment"] is None
    assert ret["exchange_hold"] is None
    paid = await pay(api, rid, OWED, "ch_instant")
    assert paid.status_code == 200, paid.text
    shown = paid.json()
    assert shown["exchange_fulfillment"]["requested_at"] is not None
    assert shown["exchange_hold"]["amount"] == GOLD - OWED  # the credit pays the rest
    # Refused at inspection: the payment stays paid (the customer has the new shirt) and
    # the hold is charged for what the returned shirt's credit was to pay.
    received = await inspect(api, shown, accepted=0)
    assert received["exchange_hold"]["capture_amount"] == PAID_FOR_ONE
    assert received["amounts"]["refundable"] == 0


async def test_an_unpaid_instant_exchange_falls_back_and_can_expire(app: FastAPI, api: Api) -> None:
    ret = await approved(api, instant("var_shirt_gold"))
    await sweep(app, 8)
    fell = (await api.get(f"/v1/returns/{ret['id']}")).json()
    assert (fell["instant_exchange"], fell["exchange_hold"]) == (False, None)
    assert fell["items"][0]["resolution"] == "store_credit"
    await sweep(app, 400)
    assert (await api.get(f"/v1/returns/{ret['id']}")).json()["status"] == "expired"


async def test_two_worker_processes_ask_to_charge_each_late_hold_once(
    app: FastAPI, api: Api, backend: str, settings: Settings, tmp_path: Path
) -> None:
    """Two `returns-api worker` processes sweep the same late holds: each hold is asked to be
    charged exactly once (SKIP LOCKED shares them out, the hold's status keeps it once)."""
    if backend != "postgresql":
        pytest.skip("several worker processes need PostgreSQL (SKIP LOCKED)")
    platform = bearer(await new_api_key(app, "catalog:write", name="stock"))
    plenty = variant("prod_shirt", 2000, 380, available_quantity=50)
    assert (await api.client.put("/v1/variants/var_many", json=plenty, headers=platform)).is_success
    ids = []
    for n in range(12):
        await api.put_order(f"ord_h{n}", number=f"H-{n}", lines=[SHIRT])
        body = instant("var_many") | {"order_id": f"ord_h{n}"}
        ids.append(uuid.UUID((await approved(api, body))["id"]))
    async with app.state.sessionmaker() as session, session.begin():
        late = datetime.now(UTC) - timedelta(minutes=1)
        await session.execute(
            update(Return).where(Return.id.in_(ids)).values(exchange_hold_due_at=late)
        )
    workers = [
        start_worker(settings, tmp_path / f"worker{n}.log", RETURNS_EXPIRY_SWEEP_SECONDS="0.05")
        for n in range(2)
    ]
    try:
        # Both running before judging them (a worker stopped while starting dies by SIGTERM).
        await wait_for(lambda: started(*workers), 20, "both workers to start", *workers)

        async def all_asked() -> bool:
            statuses = [
                (await api.get(f"/v1/returns/{rid}")).json()["exchange_hold"]["status"]
                for rid in ids
            ]
            return set(statuses) == {"capture_requested"}

        await wait_for(all_asked, 30, "every hold asked to be charged", *workers)
        for worker in workers:
            assert stop(worker) == 0, worker.output()[-2000:]
    finally:
        for worker in workers:
            kill(worker)
    for rid in ids:
        events = await events_of(app, api, str(rid))
        assert events.count("return.exchange_hold_capture_requested") == 1
