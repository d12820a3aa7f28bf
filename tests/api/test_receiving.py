"""Tracking, receiving and inspecting a parcel through HTTP, and what each step leaves on the
return: reception and acceptance per item, what is refundable, and the timeline's `data`.

Written against the API only, so the tests keep their meaning when inspection moves into
pure domain methods. Every test runs on SQLite and on PostgreSQL (tests/conftest.py).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from returns_api.returns.models import Return
from tests.api.test_foundation import assert_problem
from tests.factories import Api, iso, line

INVALID_INSPECTION = "urn:returns-api:problem:invalid-inspection"
# Four lines with round prices and no tax or discount, so refunds are easy to read.
LINES = [
    line("li_a", quantity=2, unit_price=1000),
    line("li_b", quantity=1, unit_price=2000),
    line("li_c", quantity=1, unit_price=3000),
    line("li_d", quantity=1, unit_price=4000),
]


@pytest.fixture
async def api(app: FastAPI, client: httpx.AsyncClient) -> Api:
    return await Api.staff(app, client)


def expect(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return dict(response.json())


async def approved_return(api: Api, lines: list[str] | None = None) -> dict[str, Any]:
    """A return of every unit of `lines` (default: all four), approved, not yet shipped."""
    await api.put_order("ord_r", lines=LINES)
    quantities = {ln["id"]: ln["quantity"] for ln in LINES}
    wanted = [
        {"line_item_id": li, "quantity": quantities[li], "reason": "size_fit"}
        for li in (lines or list(quantities))
    ]
    ret = expect(await api.create_return("ord_r", wanted), 201)
    return expect(await api.post(f"/v1/returns/{ret['id']}/approve"))


async def in_transit_return(api: Api, lines: list[str] | None = None) -> dict[str, Any]:
    ret = await approved_return(api, lines)
    event = {"status": "in_transit", "tracking_number": "1Z999", "carrier": "UPS"}
    return expect(await api.post(f"/v1/returns/{ret['id']}/tracking-events", event))


def item_ids(ret: dict[str, Any]) -> dict[str, str]:
    """Return item id by line item id."""
    return {it["line_item_id"]: it["id"] for it in ret["items"]}


def items_by_line(ret: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {it["line_item_id"]: it for it in ret["items"]}


async def receive(api: Api, ret: dict[str, Any], *entries: dict[str, Any]) -> httpx.Response:
    return await api.post(f"/v1/returns/{ret['id']}/receive", {"items": list(entries)})


async def assert_inspection_refused(
    api: Api, ret: dict[str, Any], response: httpx.Response
) -> dict[str, str]:
    """The InvalidInspection problem, with nothing changed; its error messages by location."""
    body = assert_problem(response, 422)
    assert body["type"] == INVALID_INSPECTION, body
    after = expect(await api.get(f"/v1/returns/{ret['id']}"))
    assert (after["status"], after["version"], after["items"]) == (
        "in_transit",
        ret["version"],
        ret["items"],
    )
    errors = body["errors"]
    assert isinstance(errors, list)
    return {e["location"]: e["message"] for e in errors}


# ------------------------------------------------------------------------ tracking


async def test_tracking_number_and_carrier_land_on_the_return(app: FastAPI, api: Api) -> None:
    """Later carrier events without them still name the parcel the first event gave; a
    new number or carrier replaces the old one: on the return, its timeline and its row."""
    ret = await approved_return(api)
    path = f"/v1/returns/{ret['id']}/tracking-events"

    first = {"status": "in_transit", "tracking_number": "1Z999", "carrier": "UPS"}
    expect(await api.post(path, first))
    expect(await api.post(path, {"status": "in_transit", "note": "sorting centre"}))
    expect(await api.post(path, {"status": "delivered", "carrier": "DHL"}))
    final = expect(await api.post(path, {"status": "delivered"}))

    assert (final["tracking_number"], final["carrier"]) == ("1Z999", "DHL")
    assert (ret["tracking_number"], ret["carrier"]) == (None, None)
    tracking = [e for e in final["timeline"] if e["kind"] == "tracking"]
    assert [
        (e["data"]["event"], e["data"]["tracking_number"], e["data"]["carrier"]) for e in tracking
    ] == [
        ("in_transit", "1Z999", "UPS"),
        ("in_transit", "1Z999", "UPS"),
        ("delivered", "1Z999", "DHL"),
        ("delivered", "1Z999", "DHL"),
    ]
    assert [(e["from_status"], e["to_status"]) for e in tracking] == [
        ("approved", "in_transit"),
        *[("in_transit", "in_transit")] * 3,
    ]
    async with app.state.engine.connect() as conn:
        stored = await conn.execute(
            select(Return.tracking_number, Return.carrier).where(Return.id == uuid.UUID(ret["id"]))
        )
        assert tuple(stored.one()) == ("1Z999", "DHL")


async def test_tracking_entry_records_when_the_carrier_saw_the_parcel(api: Api) -> None:
    ret = await approved_return(api)
    scanned_at = (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=0)
    scanned = {"status": "in_transit", "occurred_at": iso(scanned_at)}
    moved = expect(await api.post(f"/v1/returns/{ret['id']}/tracking-events", scanned))
    (entry,) = [e for e in moved["timeline"] if e["kind"] == "tracking"]
    assert entry["data"]["event"] == "in_transit"
    assert datetime.fromisoformat(entry["data"]["occurred_at"]) == scanned_at
    assert (entry["data"]["tracking_number"], entry["data"]["carrier"]) == (None, None)


# ------------------------------------------------------- receive bodies that do not fit


async def test_same_item_twice_in_a_receive_body_is_invalid_inspection(api: Api) -> None:
    ret = await in_transit_return(api)
    ids = item_ids(ret)
    twice_by_id = await receive(
        api,
        ret,
        {"item_id": ids["li_b"], "received_quantity": 1},
        {"item_id": ids["li_b"], "received_quantity": 0},
    )
    assert await assert_inspection_refused(api, ret, twice_by_id) == {
        "body.items.1": "item listed twice"
    }
    # Naming it once by its id and once by its order line is naming it twice too.
    id_then_line = await receive(
        api,
        ret,
        {"item_id": ids["li_b"], "received_quantity": 1},
        {"line_item_id": "li_a", "received_quantity": 2},
        {"line_item_id": "li_b", "received_quantity": 1},
    )
    assert await assert_inspection_refused(api, ret, id_then_line) == {
        "body.items.2": "item listed twice"
    }


async def test_item_not_in_the_return_is_invalid_inspection(api: Api) -> None:
    ret = await in_transit_return(api, ["li_a", "li_b"])
    response = await receive(
        api,
        ret,
        {"line_item_id": "li_a", "received_quantity": 2},
        {"item_id": str(uuid.uuid4()), "received_quantity": 1},
        {"line_item_id": "li_nope", "received_quantity": 1},
        {"line_item_id": "li_c", "received_quantity": 1},  # on the order, not in this return
    )
    assert await assert_inspection_refused(api, ret, response) == {
        "body.items.1": "no such item in this return",
        "body.items.2": "no such item in this return",
        "body.items.3": "no such item in this return",
    }


async def test_more_units_received_than_returned_is_invalid_inspection(api: Api) -> None:
    await api.put_order("ord_r", lines=LINES)
    # One of the two units of li_a is returned.
    ret = expect(
        await api.create_return(
            "ord_r", [{"line_item_id": "li_a", "quantity": 1, "reason": "size_fit"}]
        ),
        201,
    )
    expect(await api.post(f"/v1/returns/{ret['id']}/approve"))
    ret = expect(
        await api.post(f"/v1/returns/{ret['id']}/tracking-events", {"status": "in_transit"})
    )

    response = await receive(api, ret, {"line_item_id": "li_a", "received_quantity": 2})
    assert await assert_inspection_refused(api, ret, response) == {
        "body.items.0.received_quantity": "only 1 unit(s) were in this return"
    }
    received = expect(await receive(api, ret, {"line_item_id": "li_a", "received_quantity": 1}))
    assert items_by_line(received)["li_a"]["reception"] == {
        "status": "received",
        "received_quantity": 1,
    }


async def test_every_misfit_of_a_receive_body_is_reported_at_once(api: Api) -> None:
    ret = await in_transit_return(api, ["li_a", "li_b"])
    response = await receive(
        api,
        ret,
        {"line_item_id": "li_a", "received_quantity": 3},
        {"line_item_id": "li_nope", "received_quantity": 1},
        {"line_item_id": "li_b", "received_quantity": 1},
        {"line_item_id": "li_b", "received_quantity": 1},
    )
    assert set(await assert_inspection_refused(api, ret, response)) == {
        "body.items.0.received_quantity",
        "body.items.1",
        "body.items.3",
    }


# ------------------------------------------------------------------ reception/acceptance


async def test_each_item_is_recorded_as_what_came_back(api: Api) -> None:
    """Full, partial, wrong item, none at all, and an item left out of the parcel."""
    ret = await in_transit_return(api, ["li_a", "li_b", "li_c", "li_d"])
    received = expect(
        await receive(
            api,
            ret,
            {"line_item_id": "li_a", "received_quantity": 1, "condition": "opened"},
            {
                "line_item_id": "li_b",
                "received_quantity": 1,
                "accepted_quantity": 1,  # ignored: a wrong item is never accepted
                "wrong_item": True,
                "condition": "used",
                "disposition": "dispose",
            },
            {"line_item_id": "li_c", "received_quantity": 0},
            # li_d is not in the parcel
        )
    )

    items = items_by_line(received)
    seen = {
        li: (
            it["reception"]["status"],
            it["reception"]["received_quantity"],
            it["acceptance"]["status"],
            it["acceptance"]["accepted_quantity"],
            it["condition"],
            it["disposition"],
        )
        for li, it in items.items()
    }
    assert seen == {
        "li_a": ("partially_received", 1, "accepted", 1, "opened", None),
        "li_b": ("wrong_item", 1, "rejected", 0, "used", "dispose"),
        "li_c": ("missing", 0, "rejected", 0, None, None),
        "li_d": ("missing", 0, "rejected", 0, None, None),
    }
    assert received["status"] == "received"
    # Only the accepted unit of li_a is refundable.
    assert received["amounts"] == {
        "refundable": 1000,
        "refunded": 0,
        "pending": 0,
        "remaining": 1000,
    }


async def test_an_item_left_out_of_the_parcel_is_missing_and_rejected(api: Api) -> None:
    ret = await in_transit_return(api, ["li_a", "li_b"])
    received = expect(await receive(api, ret, {"line_item_id": "li_a", "received_quantity": 2}))

    items = items_by_line(received)
    assert items["li_a"]["reception"] == {"status": "received", "received_quantity": 2}
    assert items["li_a"]["acceptance"] == {"status": "accepted", "accepted_quantity": 2}
    assert items["li_b"]["reception"] == {"status": "missing", "received_quantity": 0}
    assert items["li_b"]["acceptance"] == {"status": "rejected", "accepted_quantity": 0}
    assert received["amounts"]["refundable"] == 2000


async def test_accepted_quantity_decides_acceptance_and_what_is_refundable(api: Api) -> None:
    ret = await in_transit_return(api, ["li_a", "li_b", "li_c"])
    received = expect(
        await receive(
            api,
            ret,
            {"line_item_id": "li_a", "received_quantity": 2, "accepted_quantity": 1},
            {"line_item_id": "li_b", "received_quantity": 1, "accepted_quantity": 0},
            {"line_item_id": "li_c", "received_quantity": 1},  # defaults to all received
        )
    )

    items = items_by_line(received)
    assert {li: it["reception"]["status"] for li, it in items.items()} == dict.fromkeys(
        ("li_a", "li_b", "li_c"), "received"
    )
    assert {li: it["acceptance"] for li, it in items.items()} == {
        "li_a": {"status": "accepted", "accepted_quantity": 1},
        "li_b": {"status": "rejected", "accepted_quantity": 0},
        "li_c": {"status": "accepted", "accepted_quantity": 1},
    }
    assert received["amounts"]["refundable"] == 1000 + 3000


async def test_nothing_accepted_leaves_nothing_to_refund(api: Api) -> None:
    ret = await in_transit_return(api, ["li_b"])
    received = expect(
        await receive(
            api, ret, {"line_item_id": "li_b", "received_quantity": 1, "accepted_quantity": 0}
        )
    )
    assert received["items"][0]["acceptance"] == {"status": "rejected", "accepted_quantity": 0}
    assert received["amounts"] == {"refundable": 0, "refunded": 0, "pending": 0, "remaining": 0}
    refused = await api.post(f"/v1/returns/{ret['id']}/refunds", {})
    assert assert_problem(refused, 409)["type"] == "urn:returns-api:problem:nothing-to-refund"


# --------------------------------------------------------------------- timeline data


async def test_receive_entry_lists_every_item_by_its_id(api: Api) -> None:
    ret = await in_transit_return(api, ["li_a", "li_b"])
    ids = item_ids(ret)
    received = expect(
        await receive(
            api,
            ret,
            {
                "item_id": ids["li_a"],
                "received_quantity": 2,
                "accepted_quantity": 1,
                "condition": "as_new",
                "disposition": "restock",
            },
        )
    )

    (entry,) = [e for e in received["timeline"] if e["kind"] == "received"]
    assert (entry["from_status"], entry["to_status"]) == ("in_transit", "received")
    assert {it["item_id"]: it for it in entry["data"]["items"]} == {
        ids["li_a"]: {
            "item_id": ids["li_a"],
            "reception_status": "received",
            "received_quantity": 2,
            "acceptance_status": "accepted",
            "accepted_quantity": 1,
            "condition": "as_new",
            "disposition": "restock",
        },
        ids["li_b"]: {
            "item_id": ids["li_b"],
            "reception_status": "missing",
            "received_quantity": 0,
            "acceptance_status": "rejected",
            "accepted_quantity": 0,
            "condition": None,
            "disposition": None,
        },
    }


async def test_refund_entry_names_the_refund_it_records(api: Api) -> None:
    ret = await in_transit_return(api, ["li_a"])
    expect(await receive(api, ret, {"line_item_id": "li_a", "received_quantity": 2}))
    path = f"/v1/returns/{ret['id']}/refunds"
    expect(await api.post(path, {"amount": 500}), 201)
    refunded = expect(await api.post(path, {}), 201)

    entries = [e for e in refunded["timeline"] if e["kind"] == "refunded"]
    assert [e["data"] for e in entries] == [
        {
            "refund_id": refund["id"],
            "amount": refund["amount"],
            "method": refund["method"],
            "executor": "record",
        }
        for refund in refunded["refunds"]
    ]
    assert [refund["amount"] for refund in refunded["refunds"]] == [500, 1500]
    assert len({refund["id"] for refund in refunded["refunds"]}) == 2
