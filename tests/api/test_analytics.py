"""Analytics through HTTP: every figure of the summary, the reasons and the products reports
checked against a small hand-built data set, on SQLite and on PostgreSQL; and the CSV export.

The data set is made through the public API (orders, a policy with two auto-approval rules,
returns walked through their lifecycle, refunds, feedback). To place the events in time,
the test then rewrites the `created_at` of the rows it made (returns, timeline entries,
refunds) directly in the database, and the milestones each return keeps on its row as the
service would have written them at those times: durations become exact whole numbers of
seconds. That the service writes those milestones is checked through the API alone.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from returns_api.returns.models import Refund, Return, ReturnChange
from tests.api.test_foundation import assert_problem
from tests.conftest import bearer, new_api_key
from tests.factories import ALL_STAFF_SCOPES, Api, iso, order_body
from tests.unit.test_export_format import NO_DECIMALS, THREE_DECIMALS

DAY, HOUR = 86_400, 3_600
RULES = [
    {
        "id": "keep-cheap",
        "name": "Not worth shipping back",
        "conditions": [{"fact": "item_unit_price", "op": "lt", "value": 600}],
        "action": "approve_keep_item",
    },
    {
        "id": "small-fit",
        "name": "Small fit and mind changes",
        "conditions": [
            {"fact": "item_unit_price", "op": "lte", "value": 1200},
            {"fact": "reason", "op": "in", "value": ["size_fit", "changed_mind"]},
        ],
        "action": "approve",
    },
]


def sold(line_id: str, sku: str, quantity: int, unit_price: int) -> dict[str, Any]:
    return {
        "id": line_id,
        "sku": sku,
        "product_id": f"prod_{sku.lower()}",
        "title": sku.title(),
        "quantity": quantity,
        "unit_price": unit_price,
    }


def expect(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return dict(response.json())


@dataclass
class DataSet:
    """Returns R1…R9 (see `data_set`), the moment N the times are relative to, and T0."""

    api: Api
    analytics: dict[str, str]
    ids: dict[str, str]
    now: datetime
    t0: datetime

    @property
    def period(self) -> dict[str, str]:
        return {
            "from": iso(self.now - timedelta(days=20)),
            "to": iso(self.now + timedelta(hours=1)),
        }


async def _shift(app: FastAPI, return_id: str, **moments: datetime) -> None:
    """Place a return's events in time: `created` moves the return and its birth entry;
    any other name moves the timeline entries of that kind."""
    rid = uuid.UUID(return_id)
    async with app.state.sessionmaker() as session, session.begin():
        for kind, when in moments.items():
            if kind == "created":
                await session.execute(
                    update(Return).where(Return.id == rid).values(created_at=when)
                )
            await session.execute(
                update(ReturnChange)
                .where(ReturnChange.return_id == rid, ReturnChange.kind == kind)
                .values(created_at=when)
            )
        await _milestones_follow(session, rid)


async def _refund_at(app: FastAPI, return_id: str, amount: int, when: datetime) -> None:
    rid = uuid.UUID(return_id)
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(
            update(Refund)
            .where(Refund.return_id == rid, Refund.amount == amount)
            .values(created_at=when)
        )
        await _milestones_follow(session, rid)


async def _milestones_follow(session: AsyncSession, rid: uuid.UUID) -> None:
    """The milestones on the return row, moved with the timeline entries and refunds that
    make them (first approval, receipt, first refund)."""

    def first_change(*kinds: str, to_status: str | None = None) -> Any:
        conditions = [ReturnChange.return_id == rid, ReturnChange.kind.in_(kinds)]
        if to_status is not None:
            conditions.append(ReturnChange.to_status == to_status)
        return select(func.min(ReturnChange.created_at)).where(*conditions).scalar_subquery()

    await session.execute(
        update(Return)
        .where(Return.id == rid)
        .values(
            approved_at=first_change("created", "approved", to_status="approved"),
            received_at=first_change("received"),
            first_refunded_at=select(func.min(Refund.created_at))
            .where(Refund.return_id == rid)
            .scalar_subquery(),
        )
    )


async def _portal(client: httpx.AsyncClient, number: str) -> dict[str, str]:
    response = await client.post(
        "/v1/portal/sessions", json={"order_number": number, "email": "ada@example.com"}
    )
    return bearer(expect(response, 201)["token"])


@pytest.fixture
async def data_set(app: FastAPI, client: httpx.AsyncClient) -> DataSet:
    """Orders (EUR unless said), all placed 10 days before N except ord_old (30 days):

    ord_1  TEE x3 @1000, MUG x1 @5000     ord_2  TEE x2 @1000, SHOE x1 @8000
    ord_3  TEE x1 @1000                   ord_4  CAP x2 @500
    ord_usd (USD) TEE x2 @1200            ord_old TEE x1 @1000 (placed before the period)

    Returns, times after T0 = N - 7 days:
    R1 ord_1 TEE x2 size_fit   auto-approved; in transit +1d, received +2d, refunded 2000 +3d,
                               completed; rated 5
    R2 ord_1 MUG x1 damaged    review; approved +2h, in transit +1d, received +3d, refunds
                               3000 at +4d and 2000 at +5d
    R3 ord_2 SHOE x1 size_fit  review (too dear); rejected +1d; rated 1
    R4 ord_2 TEE x1 changed_mind  auto-approved; in transit +6h, received +1d, nothing accepted
    R5 ord_4 CAP x2 changed_mind  auto-approved keep-the-item (store credit); refunded 1000
                               +1h, completed; rated 4
    R6 ord_usd TEE x1 defective (USD), requested +2d, waiting for review
    R7 ord_3 TEE x1 size_fit   auto-approved, cancelled +1h
    R8 ord_old TEE x1 poor_quality, requested +3d, waiting for review
    R9 ord_2 TEE x1 size_fit   auto-approved, requested 25 days before N (before the period)
    """
    merchant = await new_api_key(
        app, *ALL_STAFF_SCOPES, "policy:manage", "analytics:read", name="merchant"
    )
    api = Api(client, merchant)
    expect(await client.put("/v1/policy", json={"rules": RULES}, headers=api.headers), 201)
    now = datetime.now(UTC).replace(microsecond=0)
    t0 = now - timedelta(days=7)
    orders = {
        "ord_1": [sold("li_1", "TEE", 3, 1000), sold("li_2", "MUG", 1, 5000)],
        "ord_2": [sold("li_1", "TEE", 2, 1000), sold("li_2", "SHOE", 1, 8000)],
        "ord_3": [sold("li_1", "TEE", 1, 1000)],
        "ord_4": [sold("li_1", "CAP", 2, 500)],
        "ord_usd": [sold("li_1", "TEE", 2, 1200)],
        "ord_old": [sold("li_1", "TEE", 1, 1000)],
    }
    for order_id, lines in orders.items():
        body = order_body(
            number=order_id.upper(),
            currency="USD" if order_id == "ord_usd" else "EUR",
            delivered_days_ago=8,
            fulfilled_days_ago=9,
            lines=lines,
        )
        body["placed_at"] = iso(now - timedelta(days=30 if order_id == "ord_old" else 10))
        expect(await client.put(f"/v1/orders/{order_id}", json=body, headers=api.headers), 201)

    async def create(order_id: str, line_id: str, qty: int, reason: str, **kw: Any) -> str:
        item = {"line_item_id": line_id, "quantity": qty, "reason": reason, **kw}
        return str(expect(await api.create_return(order_id, [item]), 201)["id"])

    def post(path: str, body: Any = None) -> Any:
        return api.post(path, body)

    ids = {
        "R1": await create("ord_1", "li_1", 2, "size_fit"),
        "R2": await create("ord_1", "li_2", 1, "damaged"),
        "R3": await create("ord_2", "li_2", 1, "size_fit"),
        "R4": await create("ord_2", "li_1", 1, "changed_mind"),
        "R5": await create("ord_4", "li_1", 2, "changed_mind", resolution="store_credit"),
        "R6": await create("ord_usd", "li_1", 1, "defective"),
        "R7": await create("ord_3", "li_1", 1, "size_fit"),
        "R8": await create("ord_old", "li_1", 1, "poor_quality"),
        "R9": await create("ord_2", "li_1", 1, "size_fit"),
    }
    transit = {"status": "in_transit", "tracking_number": "1Z", "carrier": "UPS"}
    r1, r2, r3, r4, r5, r7 = (ids[k] for k in ("R1", "R2", "R3", "R4", "R5", "R7"))
    expect(await post(f"/v1/returns/{r1}/tracking-events", transit))
    receive = {"items": [{"line_item_id": "li_1", "received_quantity": 2, "condition": "as_new"}]}
    expect(await post(f"/v1/returns/{r1}/receive", receive))
    expect(await post(f"/v1/returns/{r1}/refunds", {}), 201)
    expect(await post(f"/v1/returns/{r1}/complete"))

    expect(await post(f"/v1/returns/{r2}/approve", {"note": "ok"}))
    expect(await post(f"/v1/returns/{r2}/tracking-events", transit))
    receive = {"items": [{"line_item_id": "li_2", "received_quantity": 1, "condition": "damaged"}]}
    expect(await post(f"/v1/returns/{r2}/receive", receive))
    expect(await post(f"/v1/returns/{r2}/refunds", {"amount": 3000}), 201)
    expect(await post(f"/v1/returns/{r2}/refunds", {}), 201)

    expect(await post(f"/v1/returns/{r3}/reject", {"note": "too dear to take back"}))

    expect(await post(f"/v1/returns/{r4}/tracking-events", transit))
    nothing = {"line_item_id": "li_1", "received_quantity": 1, "accepted_quantity": 0}
    expect(await post(f"/v1/returns/{r4}/receive", {"items": [nothing]}))

    expect(await post(f"/v1/returns/{r5}/refunds", {}), 201)
    expect(await post(f"/v1/returns/{r5}/complete"))
    expect(await post(f"/v1/returns/{r7}/cancel"))

    for order_number, return_id, rating in (("ORD_1", r1, 5), ("ORD_2", r3, 1), ("ORD_4", r5, 4)):
        headers = await _portal(client, order_number)
        body = {"rating": rating, "comment": "thanks"}
        expect(
            await client.post(f"/v1/returns/{return_id}/feedback", json=body, headers=headers), 201
        )

    await _shift(
        app, r1, created=t0, tracking=t0 + timedelta(days=1), received=t0 + timedelta(days=2)
    )
    await _refund_at(app, r1, 2000, t0 + timedelta(days=3))
    await _shift(
        app,
        r2,
        created=t0,
        approved=t0 + timedelta(hours=2),
        tracking=t0 + timedelta(days=1),
        received=t0 + timedelta(days=3),
    )
    await _refund_at(app, r2, 3000, t0 + timedelta(days=4))
    await _refund_at(app, r2, 2000, t0 + timedelta(days=5))
    await _shift(app, r3, created=t0, rejected=t0 + timedelta(days=1))
    await _shift(
        app, r4, created=t0, tracking=t0 + timedelta(hours=6), received=t0 + timedelta(days=1)
    )
    await _shift(app, r5, created=t0)
    await _refund_at(app, r5, 1000, t0 + timedelta(hours=1))
    await _shift(app, ids["R6"], created=t0 + timedelta(days=2))
    await _shift(app, r7, created=t0, cancelled=t0 + timedelta(hours=1))
    await _shift(app, ids["R8"], created=t0 + timedelta(days=3))
    await _shift(app, ids["R9"], created=now - timedelta(days=25))
    reader = await new_api_key(app, "analytics:read", name="dashboard")
    return DataSet(api, bearer(reader), ids, now, t0)


# --- summary -------------------------------------------------------------------------------


async def test_summary_figures_match_the_hand_built_data_set(data_set: DataSet) -> None:
    response = await data_set.api.client.get(
        "/v1/analytics/summary", params=data_set.period, headers=data_set.analytics
    )
    body = expect(response)
    assert body["period"] == {
        "start": iso(data_set.now - timedelta(days=20)),
        "end": iso(data_set.now + timedelta(hours=1)),
        "currency": None,
    }
    # R1..R8 were requested in the period; R9 before it.
    assert body["returns"] == {
        "total": 8,
        "by_status": {
            "pending_review": 2,  # R6, R8
            "approved": 0,
            "rejected": 1,  # R3
            "cancelled": 1,  # R7
            "in_transit": 0,
            "received": 2,  # R2, R4
            "completed": 2,  # R1, R5
            "expired": 0,
        },
    }
    # Decided: R1, R4, R5, R7 by the policy at once, R2 (approved) and R3 (rejected) by a
    # person; R6 and R8 still wait. 4 / 6 = 66.66 %.
    assert body["decisions"] == {
        "decided": 6,
        "auto_approved": 4,
        "auto_approved_keep_item": 1,
        "auto_approval_rate_bps": 6666,
    }
    assert body["timings"] == {
        # R1, R4, R5, R7: 0 s; R2: 2 h. Nearest rank: median = 3rd of 5, p90 = 5th.
        "request_to_approval": {
            "count": 5,
            "median_seconds": 0,
            "p90_seconds": 2 * HOUR,
            "max_seconds": 2 * HOUR,
        },
        # R4 1 d, R1 2 d, R2 3 d.
        "request_to_receipt": {
            "count": 3,
            "median_seconds": 2 * DAY,
            "p90_seconds": 3 * DAY,
            "max_seconds": 3 * DAY,
        },
        # First refunds: R5 1 h, R1 3 d, R2 4 d (its second refund is not the first).
        "request_to_refund": {
            "count": 3,
            "median_seconds": 3 * DAY,
            "p90_seconds": 4 * DAY,
            "max_seconds": 4 * DAY,
        },
    }
    backlog = body["review_backlog"]
    assert backlog["count"] == 2
    # Ages are measured at the request: at most a few seconds after N. R6 waits since
    # T0 + 2 d (5 days), R8 since T0 + 3 d (4 days): the median is the lower middle, R8.
    assert 5 * DAY <= backlog["oldest_age_seconds"] <= 5 * DAY + 60
    assert 5 * DAY <= backlog["p90_age_seconds"] <= 5 * DAY + 60
    assert 4 * DAY <= backlog["median_age_seconds"] <= 4 * DAY + 60
    # R1 2000 and R2 3000 + 2000 to the original payment; R5 1000 in store credit.
    assert body["refunded"] == [
        {"currency": "EUR", "method": "original_payment", "amount": 7000, "refunds": 3},
        {"currency": "EUR", "method": "store_credit", "amount": 1000, "refunds": 1},
    ]
    # Returns of the period that count, valued as their breakdowns are: R1 2 x 1000, R2 5000,
    # R4 nothing accepted, R8 1000 (not inspected yet) to refund; R5 2 x 500 in store credit;
    # R6 in dollars. Not R3 (rejected), R7 (cancelled), R9 (before the period). No exchange.
    assert body["resolutions"] == [
        {
            "currency": "EUR",
            "returns": 5,
            "exchange_returns": 0,
            "exchange_share_bps": 0,
            "value_by_resolution": {"refund": 8000, "store_credit": 1000, "exchange": 0},
        },
        {
            "currency": "USD",
            "returns": 1,
            "exchange_returns": 0,
            "exchange_share_bps": 0,
            "value_by_resolution": {"refund": 1200, "store_credit": 0, "exchange": 0},
        },
    ]
    # Sold (orders placed in the period, not ord_old): 4 + 3 + 1 + 2 + 2 = 12 units.
    # Returned units of those orders in returns that count: R1 2, R2 1, R4 1, R5 2, R6 1 and
    # R9 1 (requested before the period, but its order was placed in it); not R3, R7.
    assert body["return_rate"] == {"units_sold": 12, "units_returned": 8, "rate_bps": 6666}
    assert body["feedback"] == {
        "count": 3,
        "average_rating": 3.33,
        "by_rating": {"1": 1, "2": 0, "3": 0, "4": 1, "5": 1},
    }


async def test_summary_in_one_currency(data_set: DataSet) -> None:
    params = {**data_set.period, "currency": "EUR"}
    response = await data_set.api.client.get(
        "/v1/analytics/summary", params=params, headers=data_set.analytics
    )
    body = expect(response)
    assert body["period"]["currency"] == "EUR"
    assert body["returns"]["total"] == 7  # not R6 (USD)
    assert body["returns"]["by_status"]["pending_review"] == 1
    assert body["decisions"]["decided"] == 6
    assert body["review_backlog"]["count"] == 1
    assert 4 * DAY <= body["review_backlog"]["oldest_age_seconds"] <= 4 * DAY + 60  # R8
    assert body["return_rate"] == {"units_sold": 10, "units_returned": 7, "rate_bps": 7000}
    usd = await data_set.api.client.get(
        "/v1/analytics/summary",
        params={**data_set.period, "currency": "USD"},
        headers=data_set.analytics,
    )
    body = expect(usd)
    assert body["returns"]["total"] == 1
    assert body["refunded"] == []
    assert body["decisions"]["auto_approval_rate_bps"] == 0
    assert body["timings"]["request_to_refund"] == {
        "count": 0,
        "median_seconds": None,
        "p90_seconds": None,
        "max_seconds": None,
    }
    assert body["feedback"] == {
        "count": 0,
        "average_rating": None,
        "by_rating": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0},
    }


async def test_summary_period_bounds_are_start_included_end_excluded(data_set: DataSet) -> None:
    """R1 is requested exactly at T0: a period starting there counts it, one ending there not."""
    client, headers = data_set.api.client, data_set.analytics
    t0 = data_set.t0
    starting = expect(
        await client.get(
            "/v1/analytics/summary",
            params={"from": iso(t0), "to": iso(t0 + timedelta(days=1))},
            headers=headers,
        )
    )
    assert starting["returns"]["total"] == 6  # R1, R2, R3, R4, R5, R7
    ending = expect(
        await client.get(
            "/v1/analytics/summary",
            params={"from": iso(t0 - timedelta(days=1)), "to": iso(t0)},
            headers=headers,
        )
    )
    assert ending["returns"]["total"] == 0
    # Refunds are counted by when they were made: R5's (+1 h) is in the first day, R1's not.
    assert starting["refunded"] == [
        {"currency": "EUR", "method": "store_credit", "amount": 1000, "refunds": 1}
    ]


async def test_summary_defaults_to_the_last_30_days(data_set: DataSet) -> None:
    body = expect(
        await data_set.api.client.get("/v1/analytics/summary", headers=data_set.analytics)
    )
    start = datetime.fromisoformat(body["period"]["start"])
    end = datetime.fromisoformat(body["period"]["end"])
    assert end - start == timedelta(days=30)
    assert abs(end - datetime.now(UTC)) < timedelta(minutes=1)
    assert body["returns"]["total"] == 9  # R9 (25 days ago) too


async def test_summary_refuses_a_reversed_period_and_naive_times(data_set: DataSet) -> None:
    client, headers = data_set.api.client, data_set.analytics
    reversed_period = {"from": iso(data_set.now), "to": iso(data_set.now - timedelta(days=1))}
    body = assert_problem(
        await client.get("/v1/analytics/summary", params=reversed_period, headers=headers), 422
    )
    assert body["type"] == "urn:returns-api:problem:invalid-period"
    naive = {"from": "2026-01-01T00:00:00"}
    assert_problem(await client.get("/v1/analytics/summary", params=naive, headers=headers), 422)
    bad_currency = {"currency": "EURO"}
    assert_problem(
        await client.get("/v1/analytics/summary", params=bad_currency, headers=headers), 422
    )


async def test_analytics_need_the_analytics_scope(data_set: DataSet, app: FastAPI) -> None:
    client = data_set.api.client
    staff = bearer(await new_api_key(app, *ALL_STAFF_SCOPES, name="staff"))
    portal = await _portal(client, "ORD_1")
    for path in ("/v1/analytics/summary", "/v1/analytics/reasons", "/v1/analytics/products"):
        assert_problem(await client.get(path), 401)
        assert "analytics:read" in str(assert_problem(await client.get(path, headers=staff), 403))
        assert_problem(await client.get(path, headers=portal), 403)


class _Clock:
    """The service's wall clock, moved by the test (see `_clock`)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> _Clock:
    """The clock of the returns service and its status changes: every write of a return
    (its birth, timeline entries, refunds, the milestones on its row) happens at `now`."""
    from returns_api.returns import judging, transitions

    fixed = _Clock(datetime.now(UTC).replace(microsecond=0))
    monkeypatch.setattr(judging, "utcnow", fixed)
    monkeypatch.setattr(transitions, "utcnow", fixed)
    return fixed


async def test_milestones_written_by_each_change_make_the_summary(
    app: FastAPI, client: httpx.AsyncClient, clock: _Clock
) -> None:
    """Nothing is rewritten behind the API: the approvals, receipts and refunds made through
    it, at known moments, give the summary's decisions and timings."""
    key = await new_api_key(app, *ALL_STAFF_SCOPES, "policy:manage", "analytics:read")
    api = Api(client, key)
    expect(await client.put("/v1/policy", json={"rules": RULES}, headers=api.headers), 201)
    t0 = clock.now
    await api.put_order(
        "ord_a", number="A1", lines=[sold("li_1", "TEE", 3, 1000), sold("li_2", "MUG", 1, 5000)]
    )
    await api.put_order("ord_b", number="B1", lines=[sold("li_1", "CAP", 2, 500)])

    async def create(order_id: str, line_id: str, reason: str, quantity: int = 1) -> str:
        item = {"line_item_id": line_id, "quantity": quantity, "reason": reason}
        return str(expect(await api.create_return(order_id, [item]), 201)["id"])

    def at(delta: timedelta) -> None:
        clock.now = t0 + delta

    a = await create("ord_a", "li_1", "size_fit", 2)  # approved by the policy
    b = await create("ord_a", "li_2", "damaged")  # reviewed: approved by a person
    c = await create("ord_b", "li_1", "changed_mind")  # approved by the policy, kept
    d = await create("ord_a", "li_1", "damaged")  # reviewed: rejected
    transit = {"status": "in_transit", "carrier": "UPS"}
    at(timedelta(hours=1))
    expect(await api.post(f"/v1/returns/{c}/refunds", {}), 201)
    at(timedelta(hours=2))
    expect(await api.post(f"/v1/returns/{b}/approve"))
    at(timedelta(hours=3))
    expect(await api.post(f"/v1/returns/{d}/reject"))
    at(timedelta(days=1))
    expect(await api.post(f"/v1/returns/{a}/tracking-events", transit))
    expect(await api.post(f"/v1/returns/{b}/tracking-events", transit))
    at(timedelta(days=2))
    parcel = {"items": [{"line_item_id": "li_1", "received_quantity": 2}]}
    expect(await api.post(f"/v1/returns/{a}/receive", parcel))
    at(timedelta(days=3))
    parcel = {"items": [{"line_item_id": "li_2", "received_quantity": 1}]}
    expect(await api.post(f"/v1/returns/{b}/receive", parcel))
    at(timedelta(days=3, hours=1))
    expect(await api.post(f"/v1/returns/{a}/refunds", {"amount": 1000}), 201)
    at(timedelta(days=4))
    expect(await api.post(f"/v1/returns/{a}/refunds", {}), 201)  # not A's first refund
    expect(await api.post(f"/v1/returns/{b}/refunds", {}), 201)
    # The timeline the API shows has the same moments.
    b_read = expect(await api.get(f"/v1/returns/{b}"))
    assert [(e["kind"], e["at"]) for e in b_read["timeline"] if e["kind"] != "tracking"] == [
        ("created", iso(t0)),
        ("approved", iso(t0 + timedelta(hours=2))),
        ("received", iso(t0 + timedelta(days=3))),
        ("refunded", iso(t0 + timedelta(days=4))),
    ]

    period = {"from": iso(t0 - timedelta(days=20)), "to": iso(t0 + timedelta(days=30))}
    reader = bearer(await new_api_key(app, "analytics:read", name="dashboard"))
    body = expect(await client.get("/v1/analytics/summary", params=period, headers=reader))
    # A and C by the policy at once, B approved and D rejected by a person.
    assert body["decisions"] == {
        "decided": 4,
        "auto_approved": 2,
        "auto_approved_keep_item": 1,
        "auto_approval_rate_bps": 5000,
    }
    assert body["timings"] == {
        # A 0, C 0, B 2 h.
        "request_to_approval": {
            "count": 3,
            "median_seconds": 0,
            "p90_seconds": 2 * HOUR,
            "max_seconds": 2 * HOUR,
        },
        # A 2 d, B 3 d.
        "request_to_receipt": {
            "count": 2,
            "median_seconds": 2 * DAY,
            "p90_seconds": 3 * DAY,
            "max_seconds": 3 * DAY,
        },
        # First refunds: C 1 h, A 3 d 1 h, B 4 d.
        "request_to_refund": {
            "count": 3,
            "median_seconds": 3 * DAY + HOUR,
            "p90_seconds": 4 * DAY,
            "max_seconds": 4 * DAY,
        },
    }
    # Sold 3 + 1 + 2; returned A 2, B 1, C 1 (D was rejected).
    assert body["return_rate"] == {"units_sold": 6, "units_returned": 4, "rate_bps": 6666}


async def test_an_order_sync_moving_the_order_moves_its_returned_units(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """Units returned count by when the order was placed *now*: a re-sync that corrects it
    carries the order's returned units along. (Its currency stays while returns hold its
    lines: their amounts are in it.)"""
    api = Api(client, await new_api_key(app, *ALL_STAFF_SCOPES, "analytics:read"))
    lines = [sold("li_1", "TEE", 3, 1000)]
    await api.put_order("ord_m", number="M1", lines=lines)  # placed 10 days ago
    item = {"line_item_id": "li_1", "quantity": 2, "reason": "size_fit"}
    expect(await api.create_return("ord_m", [item]), 201)
    now = datetime.now(UTC)
    period = {"from": iso(now - timedelta(days=20)), "to": iso(now + timedelta(hours=1))}

    async def return_rate(**params: str) -> dict[str, Any]:
        response = await api.get("/v1/analytics/summary", **period, **params)
        return dict(expect(response)["return_rate"])

    assert await return_rate() == {"units_sold": 3, "units_returned": 2, "rate_bps": 6666}
    moved = {**order_body(number="M1", lines=lines), "placed_at": iso(now - timedelta(days=40))}
    expect(await client.put("/v1/orders/ord_m", json=moved, headers=api.headers))
    assert await return_rate() == {"units_sold": 0, "units_returned": 0, "rate_bps": 0}
    back = order_body(number="M1", lines=lines)
    expect(await client.put("/v1/orders/ord_m", json=back, headers=api.headers))
    assert await return_rate(currency="EUR") == {
        "units_sold": 3,
        "units_returned": 2,
        "rate_bps": 6666,
    }
    in_usd = {**order_body(number="M1", lines=lines, currency="USD")}
    refused = await client.put("/v1/orders/ord_m", json=in_usd, headers=api.headers)
    assert refused.status_code == 409, refused.text
    assert await return_rate(currency="USD") == {
        "units_sold": 0,
        "units_returned": 0,
        "rate_bps": 0,
    }


# --- reasons -------------------------------------------------------------------------------


async def test_reasons_report(data_set: DataSet) -> None:
    response = await data_set.api.client.get(
        "/v1/analytics/reasons", params=data_set.period, headers=data_set.analytics
    )
    body = expect(response)
    # Returns of the period that count: R1, R2, R4, R5, R6, R8 (R3 rejected, R7 cancelled).
    # 8 units in all; most units first, then by code.
    assert body["data"] == [
        {
            "reason": "changed_mind",  # R4 TEE x1 @1000, R5 CAP x2 @500
            "label": "Changed my mind",
            "returns": 2,
            "units": 3,
            "value": [{"currency": "EUR", "amount": 2000}],
            "share_bps": 3750,
            "merchant_fault_share_bps": 0,
        },
        {
            "reason": "size_fit",  # R1 TEE x2 @1000
            "label": "Size or fit is wrong",
            "returns": 1,
            "units": 2,
            "value": [{"currency": "EUR", "amount": 2000}],
            "share_bps": 2500,
            "merchant_fault_share_bps": 0,
        },
        {
            "reason": "damaged",  # R2 MUG x1 @5000
            "label": "Arrived damaged",
            "returns": 1,
            "units": 1,
            "value": [{"currency": "EUR", "amount": 5000}],
            "share_bps": 1250,
            "merchant_fault_share_bps": 10000,
        },
        {
            "reason": "defective",  # R6 TEE x1 @1200 USD
            "label": "Defective or does not work",
            "returns": 1,
            "units": 1,
            "value": [{"currency": "USD", "amount": 1200}],
            "share_bps": 1250,
            "merchant_fault_share_bps": 10000,
        },
        {
            "reason": "poor_quality",  # R8 TEE x1 @1000
            "label": "Poor quality",
            "returns": 1,
            "units": 1,
            "value": [{"currency": "EUR", "amount": 1000}],
            "share_bps": 1250,
            "merchant_fault_share_bps": 0,
        },
    ]
    assert body["totals"] == {
        "returns": 6,
        "units": 8,
        "value": [{"currency": "EUR", "amount": 10000}, {"currency": "USD", "amount": 1200}],
        "merchant_fault_share_bps": 2500,
    }
    eur = expect(
        await data_set.api.client.get(
            "/v1/analytics/reasons",
            params={**data_set.period, "currency": "EUR"},
            headers=data_set.analytics,
        )
    )
    assert [r["reason"] for r in eur["data"]] == [
        "changed_mind",
        "size_fit",
        "damaged",
        "poor_quality",
    ]
    assert eur["totals"]["units"] == 7
    assert eur["data"][0]["share_bps"] == 4285  # 3 / 7


# --- products ------------------------------------------------------------------------------

TEE = {
    "sku": "TEE",
    "product_id": "prod_tee",
    # ord_1 3 + ord_2 2 + ord_3 1 + ord_usd 2 (ord_old was placed before the period)
    "units_sold": 8,
    # R1 2, R4 1, R9 1, R6 1 (R7 cancelled)
    "units_returned": 5,
    "return_rate_bps": 6250,
    "refunded": [{"currency": "EUR", "amount": 2000}],  # R1's refund
    "top_reasons": [
        {"reason": "size_fit", "units": 3},
        {"reason": "changed_mind", "units": 1},
        {"reason": "defective", "units": 1},
    ],
}
CAP = {
    "sku": "CAP",
    "product_id": "prod_cap",
    "units_sold": 2,
    "units_returned": 2,
    "return_rate_bps": 10000,
    "refunded": [{"currency": "EUR", "amount": 1000}],
    "top_reasons": [{"reason": "changed_mind", "units": 2}],
}
MUG = {
    "sku": "MUG",
    "product_id": "prod_mug",
    "units_sold": 1,
    "units_returned": 1,
    "return_rate_bps": 10000,
    "refunded": [{"currency": "EUR", "amount": 5000}],
    "top_reasons": [{"reason": "damaged", "units": 1}],
}
SHOE = {
    "sku": "SHOE",
    "product_id": "prod_shoe",
    "units_sold": 1,
    "units_returned": 0,  # R3 was rejected
    "return_rate_bps": 0,
    "refunded": [],
    "top_reasons": [],
}


async def _products(data_set: DataSet, **params: Any) -> httpx.Response:
    return await data_set.api.client.get(
        "/v1/analytics/products", params={**data_set.period, **params}, headers=data_set.analytics
    )


async def test_products_report_most_returned_first(data_set: DataSet) -> None:
    body = expect(await _products(data_set))
    assert body["data"] == [TEE, CAP, MUG, SHOE]
    assert body["next_cursor"] is None


async def test_products_sorted_by_return_rate_and_paginated(data_set: DataSet) -> None:
    first = expect(await _products(data_set, sort="-return_rate", limit=2))
    assert first["data"] == [CAP, MUG]  # a tie at 100 %: by SKU
    assert first["next_cursor"]
    second = expect(
        await _products(data_set, sort="-return_rate", limit=2, cursor=first["next_cursor"])
    )
    assert second["data"] == [TEE, SHOE]
    assert second["next_cursor"] is None
    ascending = expect(await _products(data_set, sort="units_sold"))
    assert [p["sku"] for p in ascending["data"]] == ["MUG", "SHOE", "CAP", "TEE"]
    # a cursor is bound to its sort
    other = await _products(data_set, sort="units_sold", cursor=first["next_cursor"])
    assert assert_problem(other, 422)["type"] == "urn:returns-api:problem:invalid-product-query"
    garbage = await _products(data_set, cursor="not-a-cursor")
    assert_problem(garbage, 422)


async def test_products_sorted_by_refunds_need_a_currency(data_set: DataSet) -> None:
    refused = await _products(data_set, sort="-refunded")
    body = assert_problem(refused, 422)
    assert body["errors"][0]["location"] == "query.currency"
    eur = expect(await _products(data_set, sort="-refunded", currency="EUR"))
    assert [(p["sku"], p["refunded"]) for p in eur["data"]] == [
        ("MUG", [{"currency": "EUR", "amount": 5000}]),
        ("TEE", [{"currency": "EUR", "amount": 2000}]),
        ("CAP", [{"currency": "EUR", "amount": 1000}]),
        ("SHOE", []),
    ]
    tee = eur["data"][1]
    assert (tee["units_sold"], tee["units_returned"], tee["return_rate_bps"]) == (6, 4, 6666)


async def test_products_grouped_by_product(data_set: DataSet) -> None:
    body = expect(await _products(data_set, group_by="product"))
    assert [(p["sku"], p["product_id"], p["units_returned"]) for p in body["data"]] == [
        (None, "prod_tee", 5),
        (None, "prod_cap", 2),
        (None, "prod_mug", 1),
        (None, "prod_shoe", 0),
    ]


async def test_a_returns_refund_is_shared_among_its_items_by_value(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """Both lines of an order come back damaged: the refund (4000 of goods + 495 of
    shipping, as the whole order came back for a merchant-fault reason) is shared 1:3."""
    api = Api(client, await new_api_key(app, *ALL_STAFF_SCOPES, "analytics:read"))
    lines = [sold("li_1", "TEE", 1, 1000), sold("li_2", "MUG", 1, 3000)]
    await api.put_order("ord_x", lines=lines, shipping_paid=495)
    items = [
        {"line_item_id": "li_1", "quantity": 1, "reason": "damaged"},
        {"line_item_id": "li_2", "quantity": 1, "reason": "damaged"},
    ]
    rid = expect(await api.create_return("ord_x", items), 201)["id"]
    expect(await api.post(f"/v1/returns/{rid}/approve"))
    expect(
        await api.post(
            f"/v1/returns/{rid}/tracking-events", {"status": "in_transit", "carrier": "UPS"}
        )
    )
    received = [{"line_item_id": li, "received_quantity": 1} for li in ("li_1", "li_2")]
    expect(await api.post(f"/v1/returns/{rid}/receive", {"items": received}))
    refund = expect(await api.post(f"/v1/returns/{rid}/refunds", {}), 201)
    assert refund["amounts"]["refunded"] == 4495
    body = expect(await api.get("/v1/analytics/products", sort="units_sold"))
    refunded = {p["sku"]: p["refunded"] for p in body["data"]}
    # 4495 x 1000 / 4000 = 1123.75 and 4495 x 3000 / 4000 = 3371.25, floored.
    assert refunded == {
        "TEE": [{"currency": "EUR", "amount": 1123}],
        "MUG": [{"currency": "EUR", "amount": 3371}],
    }


# --- CSV export ----------------------------------------------------------------------------


def _csv(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith('attachment; filename="returns-')
    return list(csv.DictReader(io.StringIO(response.text)))


async def test_export_has_one_row_per_item_with_money_in_major_units(data_set: DataSet) -> None:
    client, headers = data_set.api.client, data_set.api.headers
    rows = _csv(await client.get("/v1/returns/export", headers={**headers, "Accept": "text/csv"}))
    assert len(rows) == 9
    assert {r["return_id"] for r in rows} == set(data_set.ids.values())
    # newest first, as the list
    listed = (await data_set.api.get("/v1/returns", limit=100)).json()["data"]
    assert [r["return_id"] for r in rows] == [r["id"] for r in listed]
    r2 = next(r for r in rows if r["return_id"] == data_set.ids["R2"])
    assert r2 == {
        **r2,
        "order_id": "ord_1",
        "status": "received",
        "sku": "MUG",
        "title": "Mug",
        "quantity": "1",
        "reason": "damaged",
        "reason_is_merchant_fault": "true",
        "reception_status": "received",
        "accepted_quantity": "1",
        "currency": "EUR",
        "unit_price": "50.00",
        "item_value": "50.00",
        "item_refund": "50.00",
        "return_refundable": "50.00",
        "return_refunded": "50.00",
        "created_at": iso(data_set.t0),
    }
    r6 = next(r for r in rows if r["return_id"] == data_set.ids["R6"])
    assert (r6["currency"], r6["unit_price"], r6["return_refunded"]) == ("USD", "12.00", "0.00")
    r4 = next(r for r in rows if r["return_id"] == data_set.ids["R4"])
    assert (r4["accepted_quantity"], r4["item_refund"]) == ("0", "0.00")


async def test_export_applies_the_list_filters(data_set: DataSet) -> None:
    client, headers = data_set.api.client, data_set.api.headers
    pending = _csv(
        await client.get("/v1/returns/export", params={"status": "pending_review"}, headers=headers)
    )
    assert {r["return_id"] for r in pending} == {data_set.ids["R6"], data_set.ids["R8"]}
    by_reason = _csv(
        await client.get("/v1/returns/export", params={"reason": "size_fit"}, headers=headers)
    )
    assert {r["return_id"] for r in by_reason} == {
        data_set.ids[k] for k in ("R1", "R3", "R7", "R9")
    }
    recent = _csv(
        await client.get(
            "/v1/returns/export",
            params={"created_after": iso(data_set.t0 + timedelta(days=1))},
            headers=headers,
        )
    )
    assert {r["return_id"] for r in recent} == {data_set.ids["R6"], data_set.ids["R8"]}
    empty = _csv(
        await client.get("/v1/returns/export", params={"order_id": "nope"}, headers=headers)
    )
    assert empty == []


async def test_export_streams_many_pages(
    app: FastAPI, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More returns than a page: every one exactly once (the pages are keyset pages)."""
    from returns_api.exports import service

    monkeypatch.setattr(service, "PAGE_SIZE", 3)
    api = await Api.staff(app, client)
    lines = [sold("li_1", "TEE", 20, 1000), sold("li_2", "MUG", 20, 999)]
    await api.put_order("ord_many", lines=lines)
    made = set()
    for n in range(7):
        items = [{"line_item_id": "li_1", "quantity": 1, "reason": "size_fit"}]
        if n % 2:
            items.append({"line_item_id": "li_2", "quantity": 2, "reason": "damaged"})
        made.add(expect(await api.create_return("ord_many", items), 201)["id"])
    rows = _csv(await client.get("/v1/returns/export", headers=api.headers))
    assert len(rows) == 7 + 3
    assert {r["return_id"] for r in rows} == made
    assert {r["item_value"] for r in rows} == {"10.00", "19.98"}


async def test_export_is_csv_only_and_scoped_like_the_list(data_set: DataSet) -> None:
    client, headers = data_set.api.client, data_set.api.headers
    json_only = await client.get(
        "/v1/returns/export", headers={**headers, "Accept": "application/json"}
    )
    assert assert_problem(json_only, 406)["type"] == "urn:returns-api:problem:not-acceptable"
    refused = await client.get("/v1/returns/export", headers={**headers, "Accept": "text/csv;q=0"})
    assert_problem(refused, 406)
    for accept in ("text/*", "*/*", "application/json, text/csv;q=0.5"):
        ok = await client.get("/v1/returns/export", headers={**headers, "Accept": accept})
        assert ok.status_code == 200, accept
    assert_problem(await client.get("/v1/returns/export"), 401)
    portal = await _portal(client, "ORD_1")
    mine = _csv(await client.get("/v1/returns/export", headers=portal))
    assert {r["return_id"] for r in mine} == {data_set.ids["R1"], data_set.ids["R2"]}
    others = _csv(
        await client.get("/v1/returns/export", params={"order_id": "ord_2"}, headers=portal)
    )
    assert others == []


async def test_export_shows_each_currency_with_its_own_decimals(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """Every currency of the ISO table without two decimals, and one with two."""
    api = await Api.staff(app, client)
    currencies = sorted(NO_DECIMALS | THREE_DECIMALS | {"EUR"})
    for number, currency in enumerate(currencies):
        order_id = f"ord_{currency.lower()}"
        body = order_body(number=f"9{number:03}", currency=currency, shipping_paid=0)
        body["line_items"] = [sold("li_1", "TEE", 1, 1_234_567)]
        put = await client.put(f"/v1/orders/{order_id}", json=body, headers=api.headers)
        assert put.status_code == 201, put.text
        expect(await api.create_return(order_id), 201)

    rows = _csv(await client.get("/v1/returns/export", headers=api.headers))
    shown = {r["currency"]: (r["unit_price"], r["return_refundable"]) for r in rows}
    expected = {
        currency: "1234567"
        if currency in NO_DECIMALS
        else "1234.567"
        if currency in THREE_DECIMALS
        else "12345.67"
        for currency in currencies
    }
    assert shown == {currency: (amount, amount) for currency, amount in expected.items()}


async def test_export_defuses_spreadsheet_formulas(app: FastAPI, client: httpx.AsyncClient) -> None:
    api = await Api.staff(app, client)
    line = {**sold("li_1", "TEE", 1, 1000), "title": '=HYPERLINK("http://evil","x")', "sku": "+1"}
    await api.put_order("ord_f", lines=[line])
    expect(await api.create_return("ord_f"), 201)
    rows = _csv(await client.get("/v1/returns/export", headers=api.headers))
    assert rows[0]["title"] == '\'=HYPERLINK("http://evil","x")'
    assert rows[0]["sku"] == "'+1"


async def test_export_path_is_not_taken_for_a_return_id(data_set: DataSet) -> None:
    response = await data_set.api.client.get("/v1/returns/export", headers=data_set.api.headers)
    assert response.status_code == 200
    one = await data_set.api.get(f"/v1/returns/{data_set.ids['R1']}")
    assert one.status_code == 200
