"""Edge cases of exchanges found by a review of issue 19 §4, §6 and §7 (session 9): each
test pins the behaviour one of them got wrong, through HTTP on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from returns_api.returns.expiry import expire_overdue
from tests.api.test_exchange_payments import OWED, approved, pay
from tests.api.test_exchange_rules import SMALL_SWAPS_GO_INSTANT
from tests.api.test_exchange_rules import publish as publish_policy
from tests.api.test_exchanges import SHIRT, events_of, exchange, publish, with_catalog
from tests.factories import Api, line


@pytest.fixture
async def api(app: FastAPI, client: httpx.AsyncClient) -> Api:
    return await with_catalog(app, client)


async def sweep(app: FastAPI, days: float) -> None:
    await expire_overdue(app.state.sessionmaker, datetime.now(UTC) + timedelta(days=days))


def item(line_id: str, variant_id: str, quantity: int = 1) -> dict[str, Any]:
    return {
        "line_item_id": line_id,
        "quantity": quantity,
        "reason": "size_fit",
        "resolution": "exchange",
        "exchange_variant_id": variant_id,
    }


# 1. A rule's grant for one item is applied to the whole return: the docs' own example
#    ("instant exchanges only up to 25.00 of new value") is bypassed by adding a cheap item.
async def test_rule_grant_of_one_item_does_not_cover_a_dear_item(app: FastAPI, api: Api) -> None:
    assert (await publish_policy(app, api, SMALL_SWAPS_GO_INSTANT)).status_code == 201
    dear_line = line("li_2", unit_price=2600, tax=494) | {"product_id": "prod_shirt"}
    await api.put_order("ord_g", number="G-1", lines=[SHIRT, dear_line])
    body = {
        "order_id": "ord_g",
        "instant_exchange": True,
        "items": [item("li_1", "var_shirt_l"), item("li_2", "var_shirt_gold")],  # 2380, 3094
    }
    r = await api.post("/v1/returns", body)
    # The 3094 item matches no granting rule: it must not go instant.
    assert r.status_code == 422, r.json().get("instant_exchange")


# 2. An instant exchange approved keep-the-item: the customer is told to keep the items, can
#    not even record tracking, and the sweep asks to charge the hold anyway.
async def test_keep_item_instant_exchange_hold_is_not_charged(app: FastAPI, api: Api) -> None:
    await publish(app, api, {"instant": True, "hold_deadline_days": 3})
    created = await api.post("/v1/returns", exchange("var_shirt_l") | {"instant_exchange": True})
    assert created.status_code == 201, created.text
    rid = created.json()["id"]
    r = await api.post(f"/v1/returns/{rid}/approve", {"keep_item": True})
    assert r.status_code == 200, r.text
    # Nothing comes back, so nothing is held: the replacement simply ships.
    assert r.json()["exchange_hold"] is None
    assert r.json()["exchange_fulfillment"] is not None
    await sweep(app, 4)
    shown = (await api.get(f"/v1/returns/{rid}")).json()
    assert "return.exchange_hold_capture_requested" not in await events_of(app, api, rid)
    assert shown["exchange_hold"] is None
    assert (await api.post(f"/v1/returns/{rid}/complete", {})).status_code == 200


# 3. A dearer exchange approved keep-the-item: paid in full, then completed, and the
#    replacement was never requested (it waits for a receipt that cannot happen).
async def test_keep_item_paid_exchange_orders_its_replacement(app: FastAPI, api: Api) -> None:
    created = await api.post("/v1/returns", exchange("var_shirt_gold"))
    rid = created.json()["id"]
    r = await api.post(f"/v1/returns/{rid}/approve", {"keep_item": True})
    assert r.status_code == 200, r.text
    paid = await pay(api, rid, OWED, "ch_keep")
    assert paid.status_code == 200, paid.text
    done = await api.post(f"/v1/returns/{rid}/complete", {})
    assert done.status_code == 200, done.text
    assert done.json()["exchange_fulfillment"] is not None, "paid 1142, nothing will ship"


# 4. An instant exchange paid only once the parcel is in transit: the replacement is ordered
#    at receipt for the accepted units only, yet `_keeps_payment` keeps all that was paid.
async def test_instant_paid_late_refunds_what_is_no_longer_owed(app: FastAPI, api: Api) -> None:
    await publish(app, api, {"instant": True})
    ret = await approved(api, exchange("var_shirt_gold", quantity=2) | {"instant_exchange": True})
    rid = ret["id"]
    owed = ret["exchange_payment"]["amount_due"]
    assert owed == 2 * OWED
    await api.post(f"/v1/returns/{rid}/tracking-events", {"status": "in_transit"})
    assert (await pay(api, rid, owed, "ch_late")).status_code == 200
    entry = {"item_id": ret["items"][0]["id"], "received_quantity": 2, "accepted_quantity": 1}
    got = await api.post(f"/v1/returns/{rid}/receive", {"items": [entry]})
    assert got.status_code == 200, got.text
    shown = got.json()
    assert shown["exchange_fulfillment"]["requested_at"] is not None  # one unit, after receipt
    assert shown["exchange_payment"]["amount_due"] == OWED
    assert shown["amounts"]["refundable"] == OWED  # stored as owed back...
    refund = await api.post(f"/v1/returns/{rid}/refunds", {})
    assert refund.status_code == 201, refund.text  # ...but 409 nothing-to-refund


async def two_swaps_one_refused(app: FastAPI, api: Api) -> tuple[dict[str, Any], Any]:
    """An instant exchange of two items, even at approval (the return as approved); then
    one is refused at inspection (the answer)."""
    await publish(app, api, {"instant": True})
    big = line("li_2", unit_price=4000) | {"product_id": "prod_shirt"}
    await api.put_order("ord_m", number="M-1", lines=[SHIRT, big])
    body = {
        "order_id": "ord_m",
        "instant_exchange": True,
        "items": [item("li_1", "var_shirt_gold"), item("li_2", "var_shirt_l")],
    }
    ret = await approved(api, body)
    rid = ret["id"]
    await api.post(f"/v1/returns/{rid}/tracking-events", {"status": "in_transit"})
    ids = {i["line_item_id"]: i["id"] for i in ret["items"]}
    entries = [
        {"item_id": ids["li_1"], "received_quantity": 1, "accepted_quantity": 1},
        {"item_id": ids["li_2"], "received_quantity": 1, "accepted_quantity": 0},
    ]
    return ret, await api.post(f"/v1/returns/{rid}/receive", {"items": entries})


# 5. The hold was charged for everything the accepted credit does not cover AND a payment was
#    requested for the accepted item's difference: charged twice. Unpaid, it then fell back
#    to store credit although the replacement went out at approval.
async def test_instant_exchange_is_not_charged_twice(app: FastAPI, api: Api) -> None:
    ret, received = await two_swaps_one_refused(app, api)
    balance = ret["refund_breakdown"]["exchange"]
    assert balance["amount_due"] == 0
    new_value = balance["new_value"]
    assert ret["exchange_hold"]["amount"] == new_value
    got = received.json()
    credit = got["refund_breakdown"]["exchange"]["credit"]
    capture = got["exchange_hold"]["capture_amount"]
    asked = (got["exchange_payment"] or {}).get("outstanding", 0)
    # What the customer owes: the new items it has, less the accepted credit.
    assert capture + asked == new_value - credit, (capture, asked, new_value, credit)
    await sweep(app, 8)
    after = (await api.get(f"/v1/returns/{ret['id']}")).json()
    assert [i["resolution"] for i in after["items"]] == ["exchange", "exchange"]


# 6. Same set-up as 5: a payment request after receipt, left unpaid, made the sweep fall
#    back to store credit although the replacement shipped at approval, and the crash of
#    that fallback undid every other change of the sweep.
async def test_no_fallback_once_the_replacement_was_ordered(app: FastAPI, api: Api) -> None:
    ret, received = await two_swaps_one_refused(app, api)
    assert received.status_code == 200, received.text
    rid = ret["id"]
    bystander = await approved(api, exchange("var_shirt_l"))  # unshipped: should expire
    later = datetime.now(UTC) + timedelta(days=400)
    await expire_overdue(app.state.sessionmaker, later)  # must not raise
    other = (await api.get(f"/v1/returns/{bystander['id']}")).json()
    assert other["status"] == "expired", "one fallen-back instant exchange blocks every sweep"
    after = (await api.get(f"/v1/returns/{rid}")).json()
    assert after["exchange_fulfillment"]["requested_at"] is not None
    assert [i["resolution"] for i in after["items"]] == ["exchange", "exchange"], (
        after["items"][0]["resolution"],
        after["amounts"],
    )


# 7. The hold's charge reported after the inspection: refundable by POST /refunds, but
#    `amounts.refundable` (stored only when valued) still says 0.
async def test_hold_charged_after_inspection_shows_as_refundable(app: FastAPI, api: Api) -> None:
    await publish(app, api, {"instant": True, "hold_deadline_days": 3})
    ret = await approved(api, exchange("var_shirt_l") | {"instant_exchange": True})
    rid = ret["id"]
    await sweep(app, 4)  # capture requested: not shipped
    await api.post(f"/v1/returns/{rid}/tracking-events", {"status": "in_transit"})
    entry = {"item_id": ret["items"][0]["id"], "received_quantity": 1, "accepted_quantity": 1}
    assert (await api.post(f"/v1/returns/{rid}/receive", {"items": [entry]})).status_code == 200
    captured = await api.post(f"/v1/returns/{rid}/exchange/hold", {"outcome": "captured"})
    assert captured.status_code == 200, captured.text
    charged = captured.json()["exchange_hold"]["captured"]
    assert captured.json()["amounts"]["refundable"] == charged


async def test_a_hold_is_never_reported_charged_for_more_than_was_asked(
    app: FastAPI, api: Api
) -> None:
    await publish(app, api, {"instant": True, "hold_deadline_days": 3})
    ret = await approved(api, exchange("var_shirt_l") | {"instant_exchange": True})
    await sweep(app, 4)
    asked = (await api.get(f"/v1/returns/{ret['id']}")).json()["exchange_hold"]["capture_amount"]
    body = {"outcome": "captured", "amount": asked + 1}
    r = await api.post(f"/v1/returns/{ret['id']}/exchange/hold", body)
    assert r.status_code == 422, r.text
    assert [e["location"] for e in r.json()["errors"]] == ["body.amount"]
    shown = (await api.get(f"/v1/returns/{ret['id']}")).json()["exchange_hold"]
    assert (shown["status"], shown["captured"]) == ("capture_requested", None)
