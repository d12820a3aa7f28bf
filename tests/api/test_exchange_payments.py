"""The difference of an exchange (issue 19 §4), through HTTP on SQLite and PostgreSQL.

A dearer exchange owes `amount_due`: payment is requested at approval with a deadline, the
platform reports what it collects (idempotent by external reference), and the replacement
is requested only once it is paid and the returned units are accepted. Unpaid past the
deadline, the exchange falls back to the policy's resolution and releases its stock. A
cheaper one refunds the remainder exactly once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from returns_api.returns.expiry import expire_overdue
from tests.api.test_exchanges import (
    PAID_FOR_ONE,
    customer,
    events_of,
    exchange,
    publish,
    reserved,
    with_catalog,
)
from tests.conftest import bearer, new_api_key
from tests.factories import Api

GOLD = 2600 + 494  # the dearer variant, tax included
OWED = GOLD - PAID_FOR_ONE  # 1142


@pytest.fixture
async def api(app: FastAPI, client: httpx.AsyncClient) -> Api:
    return await with_catalog(app, client)


def problem(r: Any) -> str:
    return str(r.json()["type"]).rsplit(":", 1)[-1]


async def approved(api: Api, body: dict[str, Any]) -> dict[str, Any]:
    created = await api.post("/v1/returns", body)
    assert created.status_code == 201, created.text
    ret = created.json()
    if ret["status"] == "pending_review":
        r = await api.post(f"/v1/returns/{ret['id']}/approve", {})
        assert r.status_code == 200, r.text
        ret = r.json()
    return dict(ret)


async def receive(api: Api, ret: dict[str, Any]) -> dict[str, Any]:
    rid = ret["id"]
    await api.post(f"/v1/returns/{rid}/tracking-events", {"status": "in_transit"})
    entry = {"item_id": ret["items"][0]["id"], "received_quantity": 1, "accepted_quantity": 1}
    r = await api.post(f"/v1/returns/{rid}/receive", {"items": [entry]})
    assert r.status_code == 200, r.text
    return dict(r.json())


async def pay(api: Api, rid: str, amount: int, reference: str) -> Any:
    body = {"amount": amount, "external_reference": reference}
    return await api.post(f"/v1/returns/{rid}/exchange/payments", body)


async def sweep(app: FastAPI, days: float) -> None:
    await expire_overdue(app.state.sessionmaker, datetime.now(UTC) + timedelta(days=days))


async def test_a_dearer_exchange_is_paid_before_its_replacement_is_ordered(
    app: FastAPI, api: Api
) -> None:
    ret = await approved(api, exchange("var_shirt_gold"))
    rid = ret["id"]
    payment = ret["exchange_payment"]
    assert (payment["amount_due"], payment["paid"], payment["outstanding"]) == (OWED, 0, OWED)
    due_at = datetime.fromisoformat(payment["due_at"])
    approved_at = datetime.fromisoformat(ret["timeline"][-1]["at"])
    assert due_at - approved_at == timedelta(days=7)  # the policy's default deadline
    assert (await events_of(app, api, rid)).count("return.exchange_payment_requested") == 1
    assert ret["amounts"]["refundable"] == 0  # the credit buys the new shirt

    ret = await receive(api, ret)
    assert ret["exchange_fulfillment"] is None  # still owed
    closing = await api.post(f"/v1/returns/{rid}/complete", {})
    assert (closing.status_code, problem(closing)) == (409, "exchange-payment-outstanding")

    part = await pay(api, rid, 500, "ch_1")
    assert part.status_code == 200, part.text
    assert part.json()["exchange_payment"]["outstanding"] == OWED - 500
    again = await pay(api, rid, 500, "ch_1")
    assert (again.status_code, again.json()["version"]) == (200, part.json()["version"])
    clash = await pay(api, rid, 600, "ch_1")
    assert (clash.status_code, problem(clash)) == (409, "exchange-payment-mismatch")
    too_much = await pay(api, rid, OWED, "ch_2")
    assert too_much.status_code == 422, too_much.text
    assert [e["location"] for e in too_much.json()["errors"]] == ["body.amount"]
    assert "return.exchange_order_requested" not in await events_of(app, api, rid)

    rest = await pay(api, rid, OWED - 500, "ch_2")
    assert rest.status_code == 200, rest.text
    paid = rest.json()
    assert paid["exchange_payment"] == {
        "amount_due": OWED,
        "paid": OWED,
        "outstanding": 0,
        "due_at": None,
    }
    assert paid["exchange_fulfillment"]["requested_at"] is not None
    assert (await events_of(app, api, rid)).count("return.exchange_order_requested") == 1
    more = await pay(api, rid, 1, "ch_3")
    assert (more.status_code, problem(more)) == (409, "exchange-payment-not-due")
    nothing = await api.post(f"/v1/returns/{rid}/refunds", {})
    assert (nothing.status_code, problem(nothing)) == (409, "nothing-to-refund")
    assert (await api.post(f"/v1/returns/{rid}/complete", {})).status_code == 200

    await sweep(app, 30)  # paid: the deadline no longer applies
    shown = (await api.get(f"/v1/returns/{rid}")).json()
    assert shown["items"][0]["resolution"] == "exchange"


async def test_paid_before_the_parcel_arrives_the_replacement_follows_receipt(
    app: FastAPI, api: Api
) -> None:
    ret = await approved(api, exchange("var_shirt_gold"))
    paid = await pay(api, ret["id"], OWED, "ch_early")
    assert paid.status_code == 200, paid.text
    assert paid.json()["exchange_fulfillment"] is None  # nothing came back yet
    received = await receive(api, paid.json())
    assert received["exchange_fulfillment"] is not None


async def test_unpaid_past_the_deadline_the_exchange_falls_back(app: FastAPI, api: Api) -> None:
    ret = await approved(api, exchange("var_shirt_gold"))
    rid = ret["id"]
    assert await reserved(api, "var_shirt_gold") == 1
    await sweep(app, 6)  # not yet
    assert (await api.get(f"/v1/returns/{rid}")).json()["items"][0]["resolution"] == "exchange"

    await sweep(app, 8)
    await sweep(app, 9)  # a second sweep finds nothing more to do
    fell = (await api.get(f"/v1/returns/{rid}")).json()
    assert fell["status"] == "approved"  # the parcel may still come: for store credit now
    assert fell["items"][0]["resolution"] == "store_credit"
    assert fell["items"][0]["exchange"] is None
    assert fell["refund_breakdown"]["exchange"] is None
    assert fell["refund_breakdown"]["by_method"] == {"store_credit": PAID_FOR_ONE}
    assert fell["exchange_payment"] is None
    assert fell["timeline"][-1]["kind"] == "exchange_payment_expired"
    assert fell["timeline"][-1]["data"]["resolution"] == "store_credit"
    assert (await events_of(app, api, rid)).count("return.exchange_payment_expired") == 1
    assert await reserved(api, "var_shirt_gold") == 0
    late = await pay(api, rid, OWED, "ch_late")
    assert (late.status_code, problem(late)) == (409, "exchange-payment-not-due")


async def test_a_part_paid_exchange_that_falls_back_refunds_the_part(
    app: FastAPI, api: Api
) -> None:
    await publish(app, api, {"fallback_resolution": "refund", "payment_deadline_days": 2})
    ret = await approved(api, exchange("var_shirt_gold"))
    rid = ret["id"]
    assert (await pay(api, rid, 300, "ch_part")).status_code == 200
    await sweep(app, 3)
    fell = (await api.get(f"/v1/returns/{rid}")).json()
    assert fell["items"][0]["resolution"] == "refund"
    assert fell["exchange_payment"] == {
        "amount_due": 0,
        "paid": 300,
        "outstanding": 0,
        "due_at": None,
    }
    received = await receive(api, fell)
    assert received["amounts"]["refundable"] == PAID_FOR_ONE + 300
    back = await api.post(f"/v1/returns/{rid}/refunds", {"method": "exchange"})
    assert back.status_code == 201, back.text
    assert back.json()["refunds"][-1]["amount"] == 300
    assert (await api.post(f"/v1/returns/{rid}/refunds", {"method": "exchange"})).status_code == 409


async def test_a_cancelled_exchange_refunds_what_was_paid_for_it(api: Api) -> None:
    ret = await approved(api, exchange("var_shirt_gold"))
    rid = ret["id"]
    assert (await pay(api, rid, 400, "ch_c")).status_code == 200
    cancelled = await api.post(f"/v1/returns/{rid}/cancel", {})
    assert cancelled.status_code == 200, cancelled.text
    refunded = await api.post(f"/v1/returns/{rid}/refunds", {})
    assert refunded.status_code == 201, refunded.text
    assert [(r["method"], r["amount"]) for r in refunded.json()["refunds"]] == [("exchange", 400)]
    assert (await api.post(f"/v1/returns/{rid}/refunds", {})).status_code == 409


async def test_a_cheaper_exchange_refunds_the_remainder_exactly_once(
    app: FastAPI, api: Api
) -> None:
    ret = await approved(api, exchange("var_shirt_sale"))
    remainder = PAID_FOR_ONE - 1000 - 190
    assert ret["exchange_payment"] is None
    assert "return.exchange_payment_requested" not in await events_of(app, api, ret["id"])
    received = await receive(api, ret)
    assert received["exchange_fulfillment"] is not None  # nothing owed: ordered at once
    assert received["amounts"]["refundable"] == remainder
    refunded = await api.post(f"/v1/returns/{ret['id']}/refunds", {})
    assert refunded.status_code == 201, refunded.text
    assert [(r["method"], r["amount"]) for r in refunded.json()["refunds"]] == [
        ("exchange", remainder)
    ]
    again = await api.post(f"/v1/returns/{ret['id']}/refunds", {})
    assert (again.status_code, problem(again)) == (409, "nothing-to-refund")


async def test_born_approved_a_dearer_exchange_asks_for_payment_at_once(
    app: FastAPI, api: Api
) -> None:
    admin = bearer(await new_api_key(app, "policy:manage", name="approve"))
    policy = {"exchanges": {"payment_deadline_days": 3}, "default_action": "approve"}
    assert (await api.client.put("/v1/policy", json=policy, headers=admin)).status_code == 201
    created = await api.post("/v1/returns", exchange("var_shirt_gold"))
    assert created.status_code == 201, created.text
    ret = created.json()
    assert ret["status"] == "approved"
    assert ret["exchange_payment"]["outstanding"] == OWED
    due = datetime.fromisoformat(ret["exchange_payment"]["due_at"])
    assert due - datetime.fromisoformat(ret["created_at"]) == timedelta(days=3)
    assert [e["kind"] for e in ret["timeline"]] == ["created", "exchange_payment_requested"]
    events = await events_of(app, api, ret["id"])
    assert sorted(events) == ["return.created", "return.exchange_payment_requested"]
    shown = await api.get(f"/v1/returns/{ret['id']}")
    assert shown.json() == ret


async def test_only_the_merchant_reports_payments(api: Api) -> None:
    ret = await approved(api, exchange("var_shirt_gold"))
    ada = await customer(api)
    r = await pay(ada, ret["id"], OWED, "ch_self")
    assert r.status_code == 403, r.text
    assert (await api.get(f"/v1/returns/{ret['id']}")).json()["exchange_payment"]["paid"] == 0
    for bad in ({"amount": 0, "external_reference": "x"}, {"amount": 5}, {"amount": "5"}):
        refused = await api.post(f"/v1/returns/{ret['id']}/exchange/payments", bad)
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["location"].startswith("body.")
