"""What the refunds of one order line pay back, through the API, on SQLite and PostgreSQL.

DESIGN §5: a line's rounding residue goes to the unit that completes it. The repros below
once paid a line back more than it cost: a return released its units after another return
had been valued as the one completing the line, and the next return completed it again.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.factories import Api, line, order_body


@pytest.fixture
async def api(app: FastAPI, client: httpx.AsyncClient) -> Api:
    return await Api.staff(app, client)


def expect(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return dict(response.json())


async def new_return(api: Api, order_id: str, line_id: str, quantity: int) -> dict[str, Any]:
    ret = expect(
        await api.create_return(
            order_id, [{"line_item_id": line_id, "quantity": quantity, "reason": "size_fit"}]
        ),
        201,
    )
    if ret["status"] == "pending_review":
        ret = expect(await api.post(f"/v1/returns/{ret['id']}/approve"))
    assert ret["status"] == "approved", ret
    return ret


async def refund_in_full(api: Api, ret: dict[str, Any]) -> dict[str, Any]:
    """Ship, receive every unit as accepted, and take the default refund."""
    rid = ret["id"]
    expect(await api.post(f"/v1/returns/{rid}/tracking-events", {"status": "in_transit"}))
    received = [
        {
            "item_id": item["id"],
            "received_quantity": item["quantity"],
            "accepted_quantity": item["quantity"],
            "condition": "as_new",
        }
        for item in ret["items"]
    ]
    expect(await api.post(f"/v1/returns/{rid}/receive", {"items": received}))
    expect(await api.post(f"/v1/returns/{rid}/refunds", {}), 201)
    return expect(await api.get(f"/v1/returns/{rid}"))


def line_part(ret: dict[str, Any]) -> int:
    """What the return's breakdown pays back of its lines (no fees or bonuses here)."""
    return sum(item["paid"] for item in ret["refund_breakdown"]["items"])


@pytest.mark.parametrize(
    ("quantity", "unit_price", "tax", "first", "second"),
    [(3, 1000, 190, 2, 1), (100, 100, 99, 99, 1)],
)
async def test_a_line_released_and_returned_again_is_paid_back_exactly_once(
    api: Api, quantity: int, unit_price: int, tax: int, first: int, second: int
) -> None:
    """R1 holds `first` units, R2 takes the last `second` and is refunded; R1 is cancelled
    and R3 returns R1's units: together R2 and R3 pay back exactly what the line cost."""
    paid = quantity * unit_price + tax
    await api.put_order(
        "ord_l", lines=[line("li", quantity=quantity, unit_price=unit_price, tax=tax)]
    )
    r1 = await new_return(api, "ord_l", "li", first)
    r2 = await new_return(api, "ord_l", "li", second)
    r2_refunded = await refund_in_full(api, r2)
    expect(await api.post(f"/v1/returns/{r1['id']}/cancel"))
    r3 = await new_return(api, "ord_l", "li", first)
    r3_refunded = await refund_in_full(api, r3)

    refunded = r2_refunded["amounts"]["refunded"] + r3_refunded["amounts"]["refunded"]
    assert refunded == paid
    assert line_part(r2_refunded) + line_part(r3_refunded) == paid


async def test_the_quote_agrees_with_the_return_it_announces(api: Api) -> None:
    """After a release, the quote for the freed units is what the return then gets."""
    await api.put_order("ord_q", lines=[line("li", quantity=3, unit_price=1000, tax=190)])
    r1 = await new_return(api, "ord_q", "li", 2)
    await refund_in_full(api, await new_return(api, "ord_q", "li", 1))
    expect(await api.post(f"/v1/returns/{r1['id']}/cancel"))
    wanted = [{"line_item_id": "li", "quantity": 2, "reason": "size_fit"}]
    quote = expect(await api.post("/v1/returns/quote", {"order_id": "ord_q", "items": wanted}))
    r3 = await new_return(api, "ord_q", "li", 2)
    assert quote["estimated_refund"]["total"] == r3["refund_breakdown"]["total"] == 2126


async def test_units_rejected_at_inspection_keep_no_share(api: Api) -> None:
    """R1 asks for 2 units and 1 is accepted; R2 returns the third: neither is given the
    residue of a unit nobody is refunded for, and a new return can still come for none."""
    await api.put_order("ord_p", lines=[line("li", quantity=3, unit_price=1000, tax=190)])
    r1 = await new_return(api, "ord_p", "li", 2)
    r2 = await new_return(api, "ord_p", "li", 1)
    assert line_part(r2) == 1064  # it completes the line as requested
    rid = r1["id"]
    expect(await api.post(f"/v1/returns/{rid}/tracking-events", {"status": "in_transit"}))
    (item,) = r1["items"]
    entry = {"item_id": item["id"], "received_quantity": 2, "accepted_quantity": 1}
    received = expect(await api.post(f"/v1/returns/{rid}/receive", {"items": [entry]}))
    assert line_part(received) == 1063
    r2_refunded = await refund_in_full(api, r2)
    # R2 was inspected after R1 accepted one unit fewer: the line is no longer completed.
    assert line_part(r2_refunded) == 1063
    assert line_part(received) + line_part(r2_refunded) <= 3190


async def test_a_held_line_keeps_its_amounts_so_it_is_never_paid_back_twice(api: Api) -> None:
    """R1 took one unit at 1000 with no tax. Had a re-sync re-priced the line to 900 + 200
    tax, R2 would have got what is left of the new line (1100): 2100 for a line paid 2000.
    The re-sync is refused and names each amount; the line's other fields may change."""
    await api.put_order("ord_r", lines=[line("li", quantity=2, unit_price=1000, tax=0)])
    r1 = await new_return(api, "ord_r", "li", 1)
    before = expect(await api.get("/v1/orders/ord_r"))

    repriced = order_body(lines=[line("li", quantity=2, unit_price=900, tax=200)])
    r = await api.client.put("/v1/orders/ord_r", json=repriced, headers=api.headers)
    assert r.status_code == 409, r.text
    problem = r.json()
    assert problem["type"] == "urn:returns-api:problem:line-still-returned"
    errors = {e["location"]: e["type"] for e in problem["errors"]}
    assert errors == {
        "body.line_items.0.unit_price": "line_amounts_held",
        "body.line_items.0.tax": "line_amounts_held",
    }
    assert expect(await api.get("/v1/orders/ord_r")) == before

    renamed = line("li", quantity=3, unit_price=1000, tax=0) | {"title": "Renamed"}
    order = await api.put_order("ord_r", lines=[renamed])
    assert order["line_items"][0]["title"] == "Renamed"

    r2 = await new_return(api, "ord_r", "li", 1)
    refunded = [await refund_in_full(api, ret) for ret in (r1, r2)]
    assert sum(ret["amounts"]["refunded"] for ret in refunded) == 2000


async def test_a_line_nobody_holds_any_more_may_be_re_priced(api: Api) -> None:
    await api.put_order("ord_f", lines=[line("li", quantity=2, unit_price=1000, tax=0)])
    r1 = await new_return(api, "ord_f", "li", 1)
    expect(await api.post(f"/v1/returns/{r1['id']}/cancel"))
    order = await api.put_order("ord_f", lines=[line("li", quantity=2, unit_price=900, tax=200)])
    assert (order["line_items"][0]["unit_price"], order["line_items"][0]["tax"]) == (900, 200)


async def test_the_currency_of_an_order_with_held_lines_stays(api: Api) -> None:
    """1000 euro cents refunded, then the order re-synced in JPY: the same figures would be
    worth another amount, and the next return of the line would be paid in yen."""
    await api.put_order("ord_c", lines=[line("li", quantity=2, unit_price=1000)])
    await refund_in_full(api, await new_return(api, "ord_c", "li", 1))
    yen = order_body(currency="JPY", lines=[line("li", quantity=2, unit_price=1000)])
    r = await api.client.put("/v1/orders/ord_c", json=yen, headers=api.headers)
    assert r.status_code == 409, r.text
    assert {e["location"]: e["type"] for e in r.json()["errors"]} == {
        "body.currency": "line_amounts_held"
    }
    assert (await api.get("/v1/orders/ord_c")).json()["currency"] == "EUR"


# --- the order's shipping, refunded once ----------------------------------------------------


async def damaged_return(api: Api, order_id: str, line_id: str, quantity: int) -> dict[str, Any]:
    """A return the merchant is at fault for: shipping is refunded when the order is whole."""
    ret = expect(
        await api.create_return(
            order_id, [{"line_item_id": line_id, "quantity": quantity, "reason": "damaged"}]
        ),
        201,
    )
    if ret["status"] == "pending_review":
        ret = expect(await api.post(f"/v1/returns/{ret['id']}/approve"))
    return ret


async def test_the_shipping_is_refunded_once_when_two_returns_bring_the_order_back(
    api: Api,
) -> None:
    """R2 completes the order at its creation and takes the shipping; R1, valued again at
    inspection, sees the order whole too, and once took it a second time (3990 of 3495)."""
    await api.put_order(
        "ord_t",
        shipping_paid=495,
        lines=[line("li_1", unit_price=1000), line("li_2", unit_price=2000)],
    )
    r1 = await damaged_return(api, "ord_t", "li_1", 1)
    r2 = await damaged_return(api, "ord_t", "li_2", 1)
    refunded = [await refund_in_full(api, ret) for ret in (r1, r2)]
    shipping = [ret["refund_breakdown"]["shipping_refund"] for ret in refunded]
    assert sorted(shipping) == [0, 495]
    assert sum(ret["amounts"]["refunded"] for ret in refunded) == 3000 + 495


async def test_the_shipping_is_refunded_once_when_the_order_grows_after_a_return(
    api: Api,
) -> None:
    await api.put_order("ord_s", shipping_paid=495, lines=[line("li", unit_price=1000)])
    r1 = await refund_in_full(api, await damaged_return(api, "ord_s", "li", 1))
    assert r1["refund_breakdown"]["shipping_refund"] == 495
    await api.put_order("ord_s", shipping_paid=495, lines=[line("li", quantity=2, unit_price=1000)])
    r2 = await refund_in_full(api, await damaged_return(api, "ord_s", "li", 1))
    assert r2["refund_breakdown"]["shipping_refund"] == 0
    assert r1["amounts"]["refunded"] + r2["amounts"]["refunded"] == 2000 + 495


async def test_a_released_return_gives_the_shipping_back(api: Api) -> None:
    await api.put_order("ord_u", shipping_paid=495, lines=[line("li", unit_price=1000)])
    r1 = await damaged_return(api, "ord_u", "li", 1)
    assert r1["refund_breakdown"]["shipping_refund"] == 495
    expect(await api.post(f"/v1/returns/{r1['id']}/cancel"))
    r2 = await damaged_return(api, "ord_u", "li", 1)
    assert r2["refund_breakdown"]["shipping_refund"] == 495
