"""The rules of returns through HTTP: hard terms, mass assignment, money validation, every
status pair of the machine, ETag/If-Match, refunds, order re-syncs, quotes and lists.

Everything goes through the public API; the database is only read to count rows. Every
test runs on SQLite and on PostgreSQL (tests/conftest.py). The default policy of a fresh
install sends every return to review, so a new return is born ``pending_review``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from returns_api.returns.status import TRANSITIONS, ReturnStatus
from tests.api.test_foundation import assert_problem
from tests.factories import Api, line, order_body

S = ReturnStatus
COUNTED_TABLES = ("returns", "return_items", "return_changes", "refunds")
IN_TRANSIT_EVENT = {"status": "in_transit", "tracking_number": "1Z999", "carrier": "UPS"}


# --------------------------------------------------------------------------- helpers


@pytest.fixture
async def api(app: FastAPI, client: httpx.AsyncClient) -> Api:
    return await Api.staff(app, client)


def item(
    line_id: str = "li_1", quantity: Any = 1, reason: str = "size_fit", **extra: Any
) -> dict[str, Any]:
    return {"line_item_id": line_id, "quantity": quantity, "reason": reason, **extra}


def expect(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return dict(response.json())


def errors_of(response: httpx.Response, status: int = 422) -> dict[str, dict[str, Any]]:
    """The problem's `errors[]` by location (asserting it is a proper problem first)."""
    body = assert_problem(response, status)
    errors = body.get("errors")
    assert isinstance(errors, list), body
    assert errors, body
    return {e["location"]: e for e in errors}


def order_json(
    *,
    placed_days_ago: int = 60,
    delivered_days_ago: int | None = 3,
    fulfilled_days_ago: int | None = None,
    **kw: Any,
) -> dict[str, Any]:
    """An order body whose dates are consistent (placed, then fulfilled, then delivered)."""
    if fulfilled_days_ago is None and delivered_days_ago is not None:
        fulfilled_days_ago = delivered_days_ago + 2
    body = order_body(
        delivered_days_ago=delivered_days_ago, fulfilled_days_ago=fulfilled_days_ago, **kw
    )
    body["placed_at"] = _iso(datetime.now(UTC) - timedelta(days=placed_days_ago))
    return body


async def put_order(
    api: Api, order_id: str = "ord_1", status: int | None = None, **kw: Any
) -> dict[str, Any]:
    r = await api.client.put(f"/v1/orders/{order_id}", json=order_json(**kw), headers=api.headers)
    assert r.status_code in ((status,) if status else (200, 201)), r.text
    return dict(r.json())


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def row_counts(app: FastAPI) -> dict[str, int]:
    async with app.state.engine.connect() as conn:
        return {
            table: int((await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())
            for table in COUNTED_TABLES
        }


async def returnable(api: Api, order_id: str = "ord_1") -> dict[str, int]:
    order = expect(await api.get(f"/v1/orders/{order_id}"))
    return {ln["id"]: ln["returnable_quantity"] for ln in order["line_items"]}


def receive_all(ret: dict[str, Any]) -> dict[str, Any]:
    return {
        "items": [{"item_id": it["id"], "received_quantity": it["quantity"]} for it in ret["items"]]
    }


async def return_in(
    api: Api,
    status: str,
    *,
    keep_item: bool = False,
    order_id: str = "ord_1",
    items: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A new return driven through the API into `status` (keep-item when asked)."""
    ret = expect(await api.create_return(order_id, items or [item()]), 201)
    assert ret["status"] == "pending_review"  # the default policy reviews everything
    path = f"/v1/returns/{ret['id']}"
    if status == "pending_review":
        return ret
    if status in ("rejected", "cancelled"):
        action = "reject" if status == "rejected" else "cancel"
        return expect(await api.post(f"{path}/{action}"))
    ret = expect(await api.post(f"{path}/approve", {"keep_item": keep_item}))
    if status == "approved":
        return ret
    if keep_item:
        assert status == "completed", status
        return expect(await api.post(f"{path}/complete"))
    ret = expect(await api.post(f"{path}/tracking-events", IN_TRANSIT_EVENT))
    if status == "in_transit":
        return ret
    ret = expect(await api.post(f"{path}/receive", receive_all(ret)))
    if status == "received":
        return ret
    assert status == "completed", status
    return expect(await api.post(f"{path}/complete"))


# ------------------------------------------------------ 1. hard checks on POST /v1/returns


async def test_unknown_line_is_422_naming_the_line_item_id(api: Api) -> None:
    await put_order(api)
    errors = errors_of(await api.create_return(items=[item("li_nope")]))
    assert errors["body.items.0.line_item_id"]["type"] == "unknown_line"
    assert "li_nope" in errors["body.items.0.line_item_id"]["message"]


async def test_quantity_above_what_was_ordered_is_422_naming_the_quantity(api: Api) -> None:
    await put_order(api)  # li_1 has 2 units
    errors = errors_of(await api.create_return(items=[item("li_1", quantity=3)]))
    assert set(errors) == {"body.items.0.quantity"}
    assert errors["body.items.0.quantity"]["type"] == "quantity_not_returnable"
    assert "only 2" in errors["body.items.0.quantity"]["message"]


async def test_quantity_that_is_not_a_positive_whole_number_is_422(api: Api) -> None:
    await put_order(api)
    for quantity in (0, -1, "1", 1.0, 100_001, None):
        errors = errors_of(await api.create_return(items=[item(quantity=quantity)]))
        assert "body.items.0.quantity" in errors, quantity


async def test_units_held_by_an_open_return_cannot_be_returned_again(api: Api) -> None:
    await put_order(api)  # li_1: 2 units
    expect(await api.create_return(items=[item("li_1", quantity=1)]), 201)
    errors = errors_of(await api.create_return(items=[item("li_1", quantity=2)]))
    assert errors["body.items.0.quantity"]["type"] == "quantity_not_returnable"
    assert "only 1" in errors["body.items.0.quantity"]["message"]
    # the last unit is still there for the taking
    expect(await api.create_return(items=[item("li_1", quantity=1)]), 201)
    errors = errors_of(await api.create_return(items=[item("li_1", quantity=1)]))
    assert "only 0" in errors["body.items.0.quantity"]["message"]


@pytest.mark.parametrize("closing", ["cancel", "reject"])
async def test_a_cancelled_or_rejected_return_releases_its_units(api: Api, closing: str) -> None:
    await put_order(api)
    first = expect(await api.create_return(items=[item("li_1", quantity=2)]), 201)
    assert (await returnable(api))["li_1"] == 0
    errors_of(await api.create_return(items=[item("li_1", quantity=1)]))

    expect(await api.post(f"/v1/returns/{first['id']}/{closing}"))

    assert (await returnable(api))["li_1"] == 2
    expect(await api.create_return(items=[item("li_1", quantity=2)]), 201)


async def test_final_sale_line_is_422_naming_the_item_and_reason(api: Api) -> None:
    await put_order(api, lines=[line("li_1"), line("li_fs", final_sale=True)])
    errors = errors_of(await api.create_return(items=[item("li_1"), item("li_fs")]))
    assert set(errors) == {"body.items.1"}
    assert errors["body.items.1"]["type"] == "final_sale"
    assert "final sale" in errors["body.items.1"]["message"]
    assert (await returnable(api)) == {"li_1": 1, "li_fs": 0}


# The default policy has no non-returnable tags, so that hard term cannot be shown with it.


async def test_window_has_passed_31_days_after_delivery(api: Api) -> None:
    await put_order(api, delivered_days_ago=31)
    errors = errors_of(await api.create_return())
    assert errors["body.items.0"]["type"] == "window_closed"
    assert "window" in errors["body.items.0"]["message"]


async def test_window_is_still_open_29_days_after_delivery(api: Api) -> None:
    await put_order(api, delivered_days_ago=29)
    expect(await api.create_return(), 201)


async def test_order_that_has_not_shipped_cannot_be_returned(api: Api) -> None:
    await put_order(api, delivered_days_ago=None, fulfilled_days_ago=None)
    errors = errors_of(await api.create_return())
    assert errors["body.items.0"]["type"] == "not_shipped"


@pytest.mark.parametrize(
    ("fulfilled_days_ago", "accepted"),
    [
        (36, True),  # 36 < 7 transit + 30 window: still open
        (38, False),  # 38 > 37: closed
    ],
)
async def test_fulfilled_but_undelivered_order_window_is_transit_buffer_plus_30_days(
    api: Api, fulfilled_days_ago: int, accepted: bool
) -> None:
    await put_order(api, delivered_days_ago=None, fulfilled_days_ago=fulfilled_days_ago)
    response = await api.create_return()
    if accepted:
        expect(response, 201)
    else:
        assert errors_of(response)["body.items.0"]["type"] == "window_closed"


async def test_unknown_reason_is_422_naming_the_reason(api: Api) -> None:
    await put_order(api)
    errors = errors_of(await api.create_return(items=[item(reason="because")]))
    assert errors["body.items.0.reason"]["type"] == "unknown_reason"
    assert "because" in errors["body.items.0.reason"]["message"]


async def test_unknown_return_method_is_422_naming_return_method(api: Api) -> None:
    await put_order(api)
    errors = errors_of(await api.create_return(return_method="teleport"))
    assert errors["body.return_method"]["type"] == "unknown_return_method"
    assert "teleport" in errors["body.return_method"]["message"]


async def test_same_line_twice_in_one_request_is_422_naming_the_items(api: Api) -> None:
    await put_order(api)
    errors = errors_of(await api.create_return(items=[item("li_1"), item("li_1")]))
    # errors[] must name the bad field (DESIGN §8), not just "body"
    assert any(location.startswith("body.items") for location in errors), errors
    assert any("li_1" in e["message"] for e in errors.values())


async def test_every_problem_of_a_request_is_reported_at_once(api: Api) -> None:
    await put_order(api, lines=[line("li_1", quantity=1), line("li_fs", final_sale=True)])
    errors = errors_of(
        await api.create_return(
            items=[item("li_1", quantity=2), item("li_fs"), item("li_x", reason="nope")],
            return_method="teleport",
        )
    )
    assert {
        "body.return_method",
        "body.items.0.quantity",
        "body.items.1",
        "body.items.2.line_item_id",
    } <= set(errors)


async def test_refused_create_writes_nothing(app: FastAPI, api: Api) -> None:
    await put_order(api, lines=[line("li_1", quantity=2), line("li_fs", final_sale=True)])
    before = await row_counts(app)
    order_before = expect(await api.get("/v1/orders/ord_1"))

    # one good line and one bad one: the whole request is refused, nothing half-written
    errors_of(await api.create_return(items=[item("li_1"), item("li_fs")]))

    assert await row_counts(app) == before
    assert expect(await api.get("/v1/returns"))["data"] == []
    assert expect(await api.get("/v1/orders/ord_1"))["line_items"] == order_before["line_items"]


async def test_an_rma_number_already_taken_is_drawn_again(
    app: FastAPI, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    # RMA numbers are 8 random characters: force the rare clash by drawing the same one twice.
    draws = iter(["R-SAME0000", "R-SAME0000", "R-SAME0000", "R-OTHER000"])
    monkeypatch.setattr("returns_api.returns.service.new_rma_number", lambda: next(draws))
    await put_order(api, lines=[line("li_1", quantity=2)])
    before = await row_counts(app)

    first = expect(await api.create_return(items=[item("li_1")]), 201)
    second = expect(await api.create_return(items=[item("li_1")]), 201)

    assert first["rma_number"] == "R-SAME0000"
    assert second["rma_number"] == "R-OTHER000"
    stored = expect(await api.get(f"/v1/returns/{second['id']}"))
    assert stored["rma_number"] == "R-OTHER000"
    after = await row_counts(app)
    # the clashing attempts wrote nothing: one return, one item and one change per create
    assert after["returns"] - before["returns"] == 2
    assert after["return_items"] - before["return_items"] == 2
    assert after["return_changes"] - before["return_changes"] == 2


async def test_return_without_items_is_422_naming_items(api: Api) -> None:
    await put_order(api)
    for items in ([], None):
        body = {"order_id": "ord_1", "items": items}
        assert "body.items" in errors_of(await api.post("/v1/returns", body)), items


async def test_return_for_unknown_order_is_404(api: Api) -> None:
    assert_problem(await api.create_return("ord_missing"), 404)


# -------------------------------------------------------------- 2. mass assignment


SERVER_OWNED = {
    "status": "approved",
    "refund_amount": 999_999,
    "fees": {"restocking_fee": 0},
    "version": 7,
    "keep_item": True,
    "rma_number": "R-00000000",
    "refunded_amount": 0,
}


async def test_create_with_server_owned_field_is_422_naming_it(app: FastAPI, api: Api) -> None:
    await put_order(api)
    before = await row_counts(app)
    for field, value in SERVER_OWNED.items():
        errors = errors_of(await api.create_return(**{field: value}))
        assert errors[f"body.{field}"]["type"] == "extra_forbidden", field
    for field in ("status", "refund_amount", "unit_price", "accepted_quantity", "fees"):
        errors = errors_of(await api.create_return(items=[item(**{field: 1})]))
        assert errors[f"body.items.0.{field}"]["type"] == "extra_forbidden", field
    assert await row_counts(app) == before


async def test_transition_body_cannot_set_status_or_money(api: Api) -> None:
    await put_order(api)
    ret = await return_in(api, "received")
    path = f"/v1/returns/{ret['id']}"
    for action, body, field in [
        ("complete", {"status": "completed"}, "status"),
        ("refunds", {"amount": 100, "currency": "USD"}, "currency"),
        ("refunds", {"refunded_amount": 0}, "refunded_amount"),
        ("complete", {"version": 1}, "version"),
    ]:
        errors = errors_of(await api.post(f"{path}/{action}", body))
        assert errors[f"body.{field}"]["type"] == "extra_forbidden", (action, body)
    after = expect(await api.get(path))
    assert (after["status"], after["version"], after["refunds"]) == ("received", ret["version"], [])


# Every POST that takes a body, with a valid body; {rid} is a return in `pending_review`.
POST_BODIES: list[tuple[str, dict[str, Any], str]] = [
    ("/v1/returns/quote", {"order_id": "ord_1", "items": [item()]}, "body"),
    ("/v1/returns/quote", {"order_id": "ord_1", "items": [item()]}, "body.items.0"),
    ("/v1/returns", {"order_id": "ord_1", "items": [item()]}, "body"),
    ("/v1/returns", {"order_id": "ord_1", "items": [item()]}, "body.items.0"),
    ("/v1/returns/{rid}/approve", {"note": "ok"}, "body"),
    ("/v1/returns/{rid}/reject", {"note": "no"}, "body"),
    ("/v1/returns/{rid}/cancel", {"note": "no"}, "body"),
    ("/v1/returns/{rid}/tracking-events", IN_TRANSIT_EVENT, "body"),
    (
        "/v1/returns/{rid}/receive",
        {"items": [{"line_item_id": "li_1", "received_quantity": 1}]},
        "body",
    ),
    (
        "/v1/returns/{rid}/receive",
        {"items": [{"line_item_id": "li_1", "received_quantity": 1}]},
        "body.items.0",
    ),
    ("/v1/returns/{rid}/refunds", {"amount": 1}, "body"),
    ("/v1/returns/{rid}/complete", {"note": "done"}, "body"),
    ("/v1/portal/sessions", {"order_number": "1", "email": "ada@example.com"}, "body"),
]


def _with_unknown_field(body: dict[str, Any], where: str) -> dict[str, Any]:
    body = {k: (list(v) if isinstance(v, list) else v) for k, v in body.items()}
    if where == "body":
        return {**body, "surprise": True}
    assert where == "body.items.0"
    body["items"] = [{**body["items"][0], "surprise": True}, *body["items"][1:]]
    return body


async def test_unknown_field_on_every_post_body_is_422(app: FastAPI, api: Api) -> None:
    await put_order(api)
    ret = expect(await api.create_return(), 201)
    before = await row_counts(app)
    for path, body, where in POST_BODIES:
        response = await api.post(path.format(rid=ret["id"]), _with_unknown_field(body, where))
        errors = errors_of(response)
        assert errors[f"{where}.surprise"]["type"] == "extra_forbidden", (path, where)
    assert await row_counts(app) == before
    assert expect(await api.get(f"/v1/returns/{ret['id']}"))["version"] == 1


async def test_unknown_field_on_order_upsert_is_422(api: Api) -> None:
    for where in ("body", "body.customer", "body.line_items.0"):
        body = order_json()
        if where == "body":
            body["surprise"] = 1
        elif where == "body.customer":
            body["customer"]["surprise"] = 1
        else:
            body["line_items"][0]["surprise"] = 1
        r = await api.client.put("/v1/orders/ord_1", json=body, headers=api.headers)
        assert errors_of(r)[f"{where}.surprise"]["type"] == "extra_forbidden", where
    assert_problem(await api.get("/v1/orders/ord_1"), 404)


# --------------------------------------------------------------- 3. money validation


NOT_MINOR_UNITS = (12.5, "1250", 1250.0, -1, None, True)


async def test_line_money_that_is_not_whole_minor_units_is_422(api: Api) -> None:
    for field in ("unit_price", "discount", "tax"):
        for value in NOT_MINOR_UNITS:
            lines = [line("li_1", quantity=2, unit_price=5000)]
            lines[0][field] = value
            r = await api.client.put(
                "/v1/orders/ord_1", json=order_json(lines=lines), headers=api.headers
            )
            assert f"body.line_items.0.{field}" in errors_of(r), (field, value)
    assert_problem(await api.get("/v1/orders/ord_1"), 404)


async def test_shipping_paid_that_is_not_whole_minor_units_is_422(api: Api) -> None:
    for value in NOT_MINOR_UNITS:
        body = order_json()
        body["shipping_paid"] = value
        r = await api.client.put("/v1/orders/ord_1", json=body, headers=api.headers)
        assert "body.shipping_paid" in errors_of(r), value
    assert_problem(await api.get("/v1/orders/ord_1"), 404)


async def test_discount_above_unit_price_times_quantity_is_422(api: Api) -> None:
    lines = [line("li_ok", quantity=2, unit_price=1000, discount=2000)]  # exactly the value
    await put_order(api, lines=lines, status=201)
    lines = [line("li_1", quantity=2, unit_price=1000, discount=2001)]
    r = await api.client.put("/v1/orders/ord_2", json=order_json(lines=lines), headers=api.headers)
    errors = errors_of(r)
    assert any(loc.startswith("body.line_items.0") for loc in errors), errors
    assert any("discount" in e["message"] for e in errors.values())
    assert_problem(await api.get("/v1/orders/ord_2"), 404)


async def test_unknown_currency_is_422(api: Api) -> None:
    for currency in ("ABC", "XYZ", "eur", "EURO", "", 978, None):
        r = await api.client.put(
            "/v1/orders/ord_1", json=order_json(currency=currency), headers=api.headers
        )
        assert "body.currency" in errors_of(r), currency
    assert_problem(await api.get("/v1/orders/ord_1"), 404)
    await put_order(api, currency="JPY", status=201)  # a real code, zero decimals, is fine


async def test_refund_amount_that_is_not_positive_whole_minor_units_is_422(api: Api) -> None:
    await put_order(api)
    ret = await return_in(api, "received")
    for amount in (12.5, "100", 0, -5, 100.0, True):
        response = await api.post(f"/v1/returns/{ret['id']}/refunds", {"amount": amount})
        assert "body.amount" in errors_of(response), amount
    assert expect(await api.get(f"/v1/returns/{ret['id']}"))["refunds"] == []


MAX_AMOUNT = 10**12  # the documented cap of every amount in minor units


@pytest.mark.parametrize("field", ["unit_price", "discount", "tax", "shipping_paid"])
async def test_amount_of_exactly_the_cap_is_accepted_and_one_more_is_422(
    api: Api, field: str
) -> None:
    def order_with(amount: int) -> dict[str, Any]:
        # The order's total is capped too: the other amounts leave room for this one.
        price = MAX_AMOUNT if field in ("unit_price", "discount") else 0
        body = order_json(lines=[line("li_1", quantity=1, unit_price=price)])
        body["shipping_paid"] = 0
        if field == "shipping_paid":
            body["shipping_paid"] = amount
        else:
            body["line_items"][0][field] = amount
        return body

    too_much = await api.client.put(
        "/v1/orders/ord_1", json=order_with(MAX_AMOUNT + 1), headers=api.headers
    )
    location = "body.shipping_paid" if field == "shipping_paid" else f"body.line_items.0.{field}"
    assert errors_of(too_much)[location]["type"] == "less_than_equal"
    assert_problem(await api.get("/v1/orders/ord_1"), 404)

    at_cap = await api.client.put(
        "/v1/orders/ord_1", json=order_with(MAX_AMOUNT), headers=api.headers
    )
    assert at_cap.status_code == 201, at_cap.text
    shown = at_cap.json()
    assert (shown if field == "shipping_paid" else shown["line_items"][0])[field] == MAX_AMOUNT


async def test_refund_of_exactly_the_cap_is_accepted_and_one_more_is_422(api: Api) -> None:
    # One unit at the cap (an order is worth at most the cap): the body's own bound refuses
    # one more before the remainder is looked at.
    await put_order(api, lines=[line("li_1", quantity=1, unit_price=MAX_AMOUNT)], shipping_paid=0)
    ret = await return_in(api, "received", items=[item("li_1", quantity=1)])
    assert ret["amounts"]["remaining"] == MAX_AMOUNT
    path = f"/v1/returns/{ret['id']}/refunds"

    too_much = await api.post(path, {"amount": MAX_AMOUNT + 1})
    assert errors_of(too_much)["body.amount"]["type"] == "less_than_equal"
    at_cap = expect(await api.post(path, {"amount": MAX_AMOUNT}), 201)
    assert [refund["amount"] for refund in at_cap["refunds"]] == [MAX_AMOUNT]
    assert at_cap["amounts"]["remaining"] == 0


# ------------------------------------------------------------ 4. every status pair


# Each action endpoint and the status it moves a return to.
ACTIONS: dict[str, tuple[ReturnStatus, dict[str, Any] | None]] = {
    "approve": (S.APPROVED, None),
    "reject": (S.REJECTED, None),
    "cancel": (S.CANCELLED, None),
    "tracking-events": (S.IN_TRANSIT, IN_TRANSIT_EVENT),
    "receive": (S.RECEIVED, {"items": [{"line_item_id": "li_1", "received_quantity": 1}]}),
    "complete": (S.COMPLETED, None),
}

# Every (status, keep_item) a return can be driven to through HTTP. `expired` is not here:
# nothing in the API moves a return to `expired` yet (the expiry sweep is not built), so
# its pairs cannot be walked over HTTP and are skipped.
REACHABLE: list[tuple[ReturnStatus, bool]] = [
    (S.PENDING_REVIEW, False),
    (S.APPROVED, False),
    (S.APPROVED, True),
    (S.IN_TRANSIT, False),
    (S.RECEIVED, False),
    (S.COMPLETED, False),
    (S.COMPLETED, True),
    (S.REJECTED, False),
    (S.CANCELLED, False),
]


def allowed(current: ReturnStatus, keep_item: bool, action: str) -> bool:
    """What the API must allow: the table, narrowed by what the parcel allows."""
    target = ACTIONS[action][0]
    if action == "tracking-events":
        if keep_item:
            return False  # a keep-the-item return has no parcel to track
        if current is S.IN_TRANSIT:
            return True  # later carrier scans are kept on the timeline, status unchanged
    if action == "complete" and current is S.APPROVED and not keep_item:
        return False  # approved -> completed is the returnless (keep-item) path only
    return (current, target) in TRANSITIONS


def test_the_walk_covers_every_transition_in_the_table() -> None:
    walked = {
        (status, ACTIONS[action][0])
        for status, keep in REACHABLE
        for action in ACTIONS
        if allowed(status, keep, action)
    }
    reachable_pairs = {(a, b) for a, b in TRANSITIONS if S.EXPIRED not in (a, b)}
    assert reachable_pairs <= walked
    assert walked - TRANSITIONS == {(S.IN_TRANSIT, S.IN_TRANSIT)}  # tracking scans only
    assert {s for s, _ in REACHABLE} == set(S) - {S.EXPIRED}


@pytest.mark.parametrize(
    ("current", "keep_item"),
    REACHABLE,
    ids=[f"{s.value}{'-keep_item' if k else ''}" for s, k in REACHABLE],
)
async def test_every_action_from_status_is_allowed_or_409_as_the_table_says(
    api: Api, current: ReturnStatus, keep_item: bool
) -> None:
    await put_order(api, lines=[line("li_1", quantity=20, unit_price=1000)])
    probe = await return_in(api, current.value, keep_item=keep_item)
    for action, (target, body) in ACTIONS.items():
        if allowed(current, keep_item, action):
            ret = await return_in(api, current.value, keep_item=keep_item)
            response = await api.post(f"/v1/returns/{ret['id']}/{action}", body)
            assert response.status_code == 200, (current, action, response.text)
            after = response.json()
            assert after["status"] == target.value, (current, action)
            assert after["version"] == ret["version"] + 1
            assert response.headers["etag"] == f'"{after["version"]}"'
            last = after["timeline"][-1]
            assert (last["from_status"], last["to_status"]) == (current.value, target.value)
        else:
            response = await api.post(f"/v1/returns/{probe['id']}/{action}", body)
            problem = assert_problem(response, 409)
            assert problem["current_status"] == current.value, (current, action, problem)
    unchanged = expect(await api.get(f"/v1/returns/{probe['id']}"))
    assert (unchanged["status"], unchanged["version"]) == (current.value, probe["version"])
    assert len(unchanged["timeline"]) == len(probe["timeline"])


async def test_transition_on_unknown_return_is_404(api: Api) -> None:
    for action, (_, body) in ACTIONS.items():
        response = await api.post(
            f"/v1/returns/0190a0a0-0000-7000-8000-000000000000/{action}", body
        )
        assert_problem(response, 404)


# --------------------------------------------------------------- 5. ETag / If-Match


async def test_get_return_gives_its_version_as_strong_etag(api: Api) -> None:
    await put_order(api)
    created = await api.create_return()
    assert created.headers["etag"] == '"1"'
    rid = created.json()["id"]
    first = await api.get(f"/v1/returns/{rid}")
    assert first.headers["etag"] == '"1"' == f'"{first.json()["version"]}"'
    expect(await api.post(f"/v1/returns/{rid}/approve"))
    second = await api.get(f"/v1/returns/{rid}")
    assert second.headers["etag"] == '"2"' == f'"{second.json()["version"]}"'


async def test_stale_if_match_is_412_with_current_etag_and_changes_nothing(api: Api) -> None:
    await put_order(api)
    ret = await return_in(api, "pending_review")
    path = f"/v1/returns/{ret['id']}"
    expect(await api.post(f"{path}/approve", None, **{"If-Match": '"1"'}))  # now "2"

    stale = await api.post(f"{path}/cancel", None, **{"If-Match": '"1"'})
    problem = assert_problem(stale, 412)
    assert problem["current_etag"] == '"2"'
    after = await api.get(path)
    assert after.json()["status"] == "approved"
    assert after.headers["etag"] == '"2"'


async def test_current_if_match_succeeds_and_gives_a_new_etag(api: Api) -> None:
    await put_order(api)
    ret = await return_in(api, "pending_review")
    path = f"/v1/returns/{ret['id']}"
    etag = (await api.get(path)).headers["etag"]
    approved = await api.post(f"{path}/approve", None, **{"If-Match": etag})
    assert approved.status_code == 200, approved.text
    assert approved.headers["etag"] == '"2"' != etag
    moved = await api.post(
        f"{path}/tracking-events", IN_TRANSIT_EVENT, **{"If-Match": approved.headers["etag"]}
    )
    assert moved.status_code == 200, moved.text
    assert moved.headers["etag"] == '"3"'


async def test_if_match_star_or_a_list_containing_the_current_etag_passes(api: Api) -> None:
    await put_order(api)
    ret = await return_in(api, "pending_review")
    path = f"/v1/returns/{ret['id']}"
    expect(await api.post(f"{path}/approve", None, **{"If-Match": "*"}))
    expect(await api.post(f"{path}/tracking-events", IN_TRANSIT_EVENT, **{"If-Match": '"9", "2"'}))


async def test_weak_etag_never_matches_if_match(api: Api) -> None:
    # If-Match uses the strong comparison (RFC 9110 §13.1.1): W/"1" is not "1".
    await put_order(api)
    ret = await return_in(api, "pending_review")
    problem = assert_problem(
        await api.post(f"/v1/returns/{ret['id']}/approve", None, **{"If-Match": 'W/"1"'}), 412
    )
    assert problem["current_etag"] == '"1"'


async def test_stale_if_match_is_412_on_every_change_endpoint(api: Api) -> None:
    await put_order(api)
    ret = await return_in(api, "received")
    path = f"/v1/returns/{ret['id']}"
    for action, body in [*((a, b) for a, (_, b) in ACTIONS.items()), ("refunds", {})]:
        response = await api.post(f"{path}/{action}", body, **{"If-Match": '"1"'})
        problem = assert_problem(response, 412)
        assert problem["current_etag"] == f'"{ret["version"]}"', action
    assert expect(await api.get(path))["version"] == ret["version"]


async def test_unknown_return_with_stale_if_match_is_404_not_412(api: Api) -> None:
    response = await api.post(
        "/v1/returns/0190a0a0-0000-7000-8000-000000000000/approve", None, **{"If-Match": '"0"'}
    )
    problem = assert_problem(response, 404)
    assert "current_etag" not in problem


# ------------------------------------------------------------------- 6. refunds


@pytest.mark.parametrize("status", ["pending_review", "approved", "in_transit"])
async def test_refund_before_receipt_is_409(api: Api, status: str) -> None:
    await put_order(api)
    ret = await return_in(api, status)
    problem = assert_problem(await api.post(f"/v1/returns/{ret['id']}/refunds", {}), 409)
    assert problem["current_status"] == status
    assert expect(await api.get(f"/v1/returns/{ret['id']}"))["refunds"] == []


@pytest.mark.parametrize("status", ["rejected", "cancelled"])
async def test_refund_of_a_closed_unpaid_return_is_409(api: Api, status: str) -> None:
    await put_order(api)
    ret = await return_in(api, status)
    problem = assert_problem(await api.post(f"/v1/returns/{ret['id']}/refunds", {}), 409)
    assert problem["current_status"] == status


async def test_refund_defaults_to_the_remaining_amount(api: Api) -> None:
    await put_order(api, lines=[line("li_1", quantity=2, unit_price=2500, discount=500, tax=760)])
    ret = await return_in(api, "received", items=[item("li_1", quantity=2)])
    # 2 x 2500 - 500 + 760, the whole line
    assert ret["amounts"] == {"refundable": 5260, "refunded": 0, "pending": 0, "remaining": 5260}
    refunded = expect(await api.post(f"/v1/returns/{ret['id']}/refunds", {}), 201)
    assert [r["amount"] for r in refunded["refunds"]] == [5260]
    assert refunded["refunds"][0]["currency"] == "EUR"
    assert refunded["refunds"][0]["method"] == "original_payment"
    assert refunded["amounts"] == {
        "refundable": 5260,
        "refunded": 5260,
        "pending": 0,
        "remaining": 0,
    }


async def test_partial_refunds_add_up_exactly_and_then_nothing_is_left(api: Api) -> None:
    await put_order(api, lines=[line("li_1", quantity=3, unit_price=999, discount=100, tax=191)])
    ret = await return_in(api, "received", items=[item("li_1", quantity=3)])
    path = f"/v1/returns/{ret['id']}/refunds"
    total = ret["amounts"]["refundable"]
    assert total == 3 * 999 - 100 + 191

    first = expect(await api.post(path, {"amount": 1}), 201)
    assert first["amounts"] == {
        "refundable": total,
        "refunded": 1,
        "pending": 0,
        "remaining": total - 1,
    }
    second = expect(await api.post(path, {"amount": total // 3}), 201)
    remaining = total - 1 - total // 3
    assert second["amounts"]["remaining"] == remaining

    too_much = await api.post(path, {"amount": remaining + 1})
    errors = errors_of(too_much)
    assert str(remaining) in errors["body.amount"]["message"]

    last = expect(await api.post(path, {}), 201)
    assert [r["amount"] for r in last["refunds"]] == [1, total // 3, remaining]
    assert sum(r["amount"] for r in last["refunds"]) == total
    assert last["amounts"] == {"refundable": total, "refunded": total, "pending": 0, "remaining": 0}

    assert_problem(await api.post(path, {}), 409)
    assert_problem(await api.post(path, {"amount": 1}), 409)
    # GET reads the return whole (in one statement on PostgreSQL): the same as it was shown
    # by the last change, items, refunds and timeline with their types and order
    shown = expect(await api.get(f"/v1/returns/{ret['id']}"))
    assert shown == last
    assert len(shown["refunds"]) == 3


async def test_refunds_of_every_unit_over_several_returns_add_up_to_what_was_paid(
    api: Api,
) -> None:
    await put_order(
        api,
        shipping_paid=0,
        lines=[line("li_1", quantity=3, unit_price=1000, discount=100, tax=190)],
    )
    paid = 3 * 1000 - 100 + 190
    refunded = 0
    for _ in range(3):
        ret = await return_in(api, "received", items=[item("li_1", quantity=1)])
        done = expect(await api.post(f"/v1/returns/{ret['id']}/refunds", {}), 201)
        refunded += done["amounts"]["refunded"]
    assert refunded == paid


async def test_refund_when_nothing_was_accepted_is_409(api: Api) -> None:
    await put_order(api)
    ret = await return_in(api, "in_transit")
    received = expect(
        await api.post(
            f"/v1/returns/{ret['id']}/receive",
            {"items": [{"line_item_id": "li_1", "received_quantity": 1, "accepted_quantity": 0}]},
        )
    )
    assert received["amounts"] == {"refundable": 0, "refunded": 0, "pending": 0, "remaining": 0}
    assert_problem(await api.post(f"/v1/returns/{ret['id']}/refunds", {}), 409)


async def test_keep_item_return_is_refunded_while_approved_and_completes_unshipped(
    api: Api,
) -> None:
    await put_order(api)
    ret = await return_in(api, "approved", keep_item=True)
    assert ret["keep_item"] is True
    assert ret["instructions"]["keep_item"] is True
    path = f"/v1/returns/{ret['id']}"
    refunded = expect(await api.post(f"{path}/refunds", {}), 201)
    assert refunded["status"] == "approved"
    assert refunded["amounts"]["remaining"] == 0
    assert refunded["amounts"]["refunded"] == ret["amounts"]["refundable"] > 0
    done = expect(await api.post(f"{path}/complete"))
    assert done["status"] == "completed"
    assert [(t["from_status"], t["to_status"]) for t in done["timeline"]] == [
        (None, "pending_review"),
        ("pending_review", "approved"),
        ("approved", "approved"),
        ("approved", "completed"),
    ]


async def test_tracking_a_keep_item_return_is_409(api: Api) -> None:
    await put_order(api)
    ret = await return_in(api, "approved", keep_item=True)
    problem = assert_problem(
        await api.post(f"/v1/returns/{ret['id']}/tracking-events", IN_TRANSIT_EVENT), 409
    )
    assert problem["current_status"] == "approved"


async def test_completing_an_approved_return_that_must_be_shipped_is_409(api: Api) -> None:
    await put_order(api)
    ret = await return_in(api, "approved")
    problem = assert_problem(await api.post(f"/v1/returns/{ret['id']}/complete"), 409)
    assert problem["current_status"] == "approved"


async def test_refunded_keep_item_return_cannot_be_cancelled(api: Api) -> None:
    # Cancelling releases the units (RELEASED), so they could be returned and refunded a
    # second time: more than was paid (DESIGN §5). Once money went out, no cancel.
    await put_order(api, lines=[line("li_1", quantity=1, unit_price=1000)], shipping_paid=0)
    ret = await return_in(api, "approved", keep_item=True)
    expect(await api.post(f"/v1/returns/{ret['id']}/refunds", {}), 201)

    problem = assert_problem(await api.post(f"/v1/returns/{ret['id']}/cancel"), 409)
    assert problem["current_status"] == "approved"
    assert (await returnable(api))["li_1"] == 0


async def test_a_refunded_unit_is_never_returned_and_refunded_twice(api: Api) -> None:
    # The money invariant behind the test above, whatever the fix: 1000 was paid, so at
    # most 1000 can ever be refunded for the line, whichever way the returns go.
    await put_order(api, lines=[line("li_1", quantity=1, unit_price=1000)], shipping_paid=0)
    ret = await return_in(api, "approved", keep_item=True)
    expect(await api.post(f"/v1/returns/{ret['id']}/refunds", {}), 201)
    await api.post(f"/v1/returns/{ret['id']}/cancel")  # refused, or at least harmless

    again = await api.create_return(items=[item("li_1")])
    errors = errors_of(again)
    assert errors["body.items.0.quantity"]["type"] == "quantity_not_returnable"


# -------------------------------------------------------------------- 7. orders


async def test_put_order_creates_with_201_then_updates_with_200(api: Api) -> None:
    body = order_json(number="5001", lines=[line("li_1", quantity=2)])
    first = await api.client.put("/v1/orders/ord_1", json=body, headers=api.headers)
    assert first.status_code == 201, first.text
    body["line_items"].append(line("li_2", quantity=1, unit_price=300))
    body["shipping_paid"] = 0
    second = await api.client.put("/v1/orders/ord_1", json=body, headers=api.headers)
    assert second.status_code == 200, second.text
    got = expect(await api.get("/v1/orders/ord_1"))
    assert [ln["id"] for ln in got["line_items"]] == ["li_1", "li_2"]
    assert got["shipping_paid"] == 0
    assert got["order_number"] == "5001"
    assert got["created_at"] == first.json()["created_at"]
    again = await api.client.put("/v1/orders/ord_1", json=body, headers=api.headers)
    assert again.status_code == 200  # idempotent


@pytest.mark.parametrize(
    ("new_lines", "location"),
    [
        ([line("li_2", quantity=1, unit_price=4999, tax=950)], "body.line_items"),  # dropped
        (
            [line("li_1", quantity=1, unit_price=2500), line("li_2", quantity=1)],  # 2 -> 1
            "body.line_items.0.quantity",
        ),
    ],
    ids=["drop", "shrink"],
)
async def test_resync_that_drops_or_shrinks_a_held_line_is_409_and_changes_nothing(
    api: Api, new_lines: list[dict[str, Any]], location: str
) -> None:
    await put_order(api, number="6001")
    expect(await api.create_return(items=[item("li_1", quantity=2)]), 201)
    before = expect(await api.get("/v1/orders/ord_1"))

    r = await api.client.put(
        "/v1/orders/ord_1",
        json=order_json(number="6001", lines=new_lines, shipping_paid=0),
        headers=api.headers,
    )
    errors = errors_of(r, 409)
    assert errors[location]["type"] == "line_still_returned"
    assert "li_1" in errors[location]["message"]
    assert expect(await api.get("/v1/orders/ord_1")) == before


async def test_resync_may_grow_a_held_line_and_drop_released_lines(api: Api) -> None:
    await put_order(api, number="6002", lines=[line("li_1", quantity=3), line("li_2")])
    expect(await api.create_return(items=[item("li_1", quantity=2)]), 201)
    cancelled = expect(await api.create_return(items=[item("li_2")]), 201)
    expect(await api.post(f"/v1/returns/{cancelled['id']}/cancel"))
    r = await api.client.put(
        "/v1/orders/ord_1",
        json=order_json(number="6002", lines=[line("li_1", quantity=4)]),
        headers=api.headers,
    )
    assert r.status_code == 200, r.text
    (only,) = r.json()["line_items"]
    assert (only["id"], only["returned_quantity"], only["returnable_quantity"]) == ("li_1", 2, 2)


async def test_resync_may_not_shrink_a_held_line_even_to_the_units_held(api: Api) -> None:
    """3 units with 1800 of discount: the return holding 2 was valued at 2 * (1000 - 600).
    Shrunk to those 2 units under the same discount, the line would now cost 200."""
    lines = [line("li_1", quantity=3, unit_price=1000, discount=1800)]
    await put_order(api, number="6003", lines=lines)
    expect(await api.create_return(items=[item("li_1", quantity=2)]), 201)
    shrunk = [line("li_1", quantity=2, unit_price=1000, discount=1800)]
    r = await api.client.put(
        "/v1/orders/ord_1", json=order_json(number="6003", lines=shrunk), headers=api.headers
    )
    assert errors_of(r, 409)["body.line_items.0.quantity"]["type"] == "line_still_returned"


async def test_another_order_with_the_same_order_number_is_409(api: Api) -> None:
    await put_order(api, "ord_1", number="7001")
    r = await api.client.put(
        "/v1/orders/ord_2", json=order_json(number="7001"), headers=api.headers
    )
    assert_problem(r, 409)
    assert_problem(await api.get("/v1/orders/ord_2"), 404)
    # nor may an existing order take over a number that another order holds
    await put_order(api, "ord_3", number="7003")
    r = await api.client.put(
        "/v1/orders/ord_3", json=order_json(number="7001"), headers=api.headers
    )
    assert_problem(r, 409)
    assert expect(await api.get("/v1/orders/ord_1"))["order_number"] == "7001"
    assert expect(await api.get("/v1/orders/ord_3"))["order_number"] == "7003"


async def test_order_shows_returned_and_returnable_quantities_and_deadline(api: Api) -> None:
    order = await put_order(api, delivered_days_ago=3)
    delivered = _at(order["delivered_at"])
    assert [
        (ln["id"], ln["returned_quantity"], ln["returnable_quantity"]) for ln in order["line_items"]
    ] == [("li_1", 0, 2), ("li_2", 0, 1)]
    assert all(
        _at(ln["return_deadline"]) == delivered + timedelta(days=30) for ln in order["line_items"]
    )

    expect(await api.create_return(items=[item("li_1", quantity=1)]), 201)
    got = expect(await api.get("/v1/orders/ord_1"))
    assert [
        (ln["id"], ln["returned_quantity"], ln["returnable_quantity"]) for ln in got["line_items"]
    ] == [("li_1", 1, 1), ("li_2", 0, 1)]


async def test_undelivered_order_deadline_is_fulfilment_plus_transit_buffer_plus_window(
    api: Api,
) -> None:
    order = await put_order(api, delivered_days_ago=None, fulfilled_days_ago=2)
    fulfilled = _at(order["fulfilled_at"])
    for ln in order["line_items"]:
        assert _at(ln["return_deadline"]) == fulfilled + timedelta(days=7 + 30)
        assert ln["returnable_quantity"] == ln["quantity"]


async def test_unshipped_order_has_no_deadline_and_nothing_returnable(api: Api) -> None:
    order = await put_order(api, delivered_days_ago=None, fulfilled_days_ago=None)
    assert [(ln["return_deadline"], ln["returnable_quantity"]) for ln in order["line_items"]] == [
        (None, 0),
        (None, 0),
    ]


async def test_final_sale_and_expired_lines_show_nothing_returnable(api: Api) -> None:
    order = await put_order(
        api, delivered_days_ago=31, lines=[line("li_1", quantity=2), line("li_2")]
    )
    assert [ln["returnable_quantity"] for ln in order["line_items"]] == [0, 0]
    order = await put_order(
        api, "ord_2", lines=[line("li_1", quantity=2), line("li_fs", final_sale=True)]
    )
    assert [ln["returnable_quantity"] for ln in order["line_items"]] == [2, 0]


async def test_unknown_order_is_404(api: Api) -> None:
    assert_problem(await api.get("/v1/orders/ord_missing"), 404)


# --------------------------------------------------------------------- 8. quote


async def test_quote_writes_nothing(app: FastAPI, api: Api) -> None:
    await put_order(api)
    before = await row_counts(app)
    order_before = expect(await api.get("/v1/orders/ord_1"))
    quote = expect(
        await api.post(
            "/v1/returns/quote", {"order_id": "ord_1", "items": [item("li_1", quantity=2)]}
        )
    )
    assert quote["eligible"] is True
    assert await row_counts(app) == before
    assert expect(await api.get("/v1/orders/ord_1")) == order_before
    assert expect(await api.get("/v1/returns"))["data"] == []


async def test_quote_reports_ineligible_lines_instead_of_422(app: FastAPI, api: Api) -> None:
    await put_order(
        api, lines=[line("li_1", quantity=2, unit_price=1000), line("li_fs", final_sale=True)]
    )
    before = await row_counts(app)
    response = await api.post(
        "/v1/returns/quote",
        {
            "order_id": "ord_1",
            "items": [item("li_1"), item("li_fs"), item("li_1x")],
        },
    )
    quote = expect(response)
    assert quote["eligible"] is False
    by_line = {ln["line_item_id"]: ln for ln in quote["lines"]}
    assert by_line["li_1"]["eligible"] is True
    assert by_line["li_1"]["problems"] == []
    assert by_line["li_1"]["returnable_quantity"] == 2
    order_line = expect(await api.get("/v1/orders/ord_1"))["line_items"][0]
    assert by_line["li_1"]["return_deadline"] == order_line["return_deadline"]
    assert by_line["li_fs"]["eligible"] is False
    assert any("final sale" in p for p in by_line["li_fs"]["problems"])
    assert by_line["li_fs"]["returnable_quantity"] == 0
    assert by_line["li_1x"]["eligible"] is False
    assert by_line["li_1x"]["problems"]
    # the estimate covers what can be returned; no decision for an ineligible request
    assert quote["estimated_refund"]["total"] == 1000
    assert quote["decision"] is None
    assert await row_counts(app) == before


async def test_quote_sees_units_held_by_open_returns(api: Api) -> None:
    await put_order(api)
    expect(await api.create_return(items=[item("li_1", quantity=1)]), 201)
    quote = expect(
        await api.post(
            "/v1/returns/quote", {"order_id": "ord_1", "items": [item("li_1", quantity=2)]}
        )
    )
    (ln,) = quote["lines"]
    assert (ln["eligible"], ln["returnable_quantity"]) == (False, 1)
    assert any("only 1" in p for p in ln["problems"])


async def test_quote_for_unknown_order_is_404(api: Api) -> None:
    assert_problem(
        await api.post("/v1/returns/quote", {"order_id": "ord_none", "items": [item()]}), 404
    )


def _without_item_ids(breakdown: dict[str, Any]) -> dict[str, Any]:
    return {
        **breakdown,
        "items": [{k: v for k, v in it.items() if k != "item_id"} for it in breakdown["items"]],
    }


@pytest.mark.parametrize(
    ("items", "earlier"),
    [
        ([item("li_1", quantity=1)], None),
        ([item("li_1", quantity=2), item("li_2", resolution="store_credit")], None),
        ([item("li_1", quantity=2)], item("li_1", quantity=1)),  # residue to the last unit
        ([item("li_1", quantity=3, reason="damaged"), item("li_2", reason="damaged")], None),
    ],
    ids=["one-unit", "mixed-resolutions", "after-an-earlier-return", "whole-order-damaged"],
)
async def test_quote_estimate_equals_refundable_of_the_return_then_created(
    api: Api, items: list[dict[str, Any]], earlier: dict[str, Any] | None
) -> None:
    await put_order(
        api,
        shipping_paid=495,
        lines=[
            line("li_1", quantity=3, unit_price=2499, discount=301, tax=712),
            line("li_2", quantity=1, unit_price=4999, tax=950),
        ],
    )
    if earlier is not None:
        expect(await api.create_return(items=[earlier]), 201)
    body = {"order_id": "ord_1", "items": items}
    quote = expect(await api.post("/v1/returns/quote", body))
    assert quote["eligible"] is True
    created = expect(await api.post("/v1/returns", body), 201)
    assert quote["estimated_refund"]["total"] == created["amounts"]["refundable"]
    assert _without_item_ids(quote["estimated_refund"]) == _without_item_ids(
        created["refund_breakdown"]
    )
    assert quote["decision"]["action"] == created["decision"]["action"]
    if all(it["reason"] == "damaged" for it in items):
        assert created["refund_breakdown"]["shipping_refund"] == 495


# --------------------------------------------------------------------- 9. lists


def _ids(page: dict[str, Any]) -> list[str]:
    return [r["id"] for r in page["data"]]


async def test_list_filters_by_status_order_customer_reason_and_created_range(
    api: Api,
) -> None:
    await put_order(api, "ord_a", customer_id="cus_a")
    await put_order(api, "ord_b", customer_id="cus_b")
    r1 = expect(await api.create_return("ord_a", [item("li_1", reason="size_fit")]), 201)
    r2 = await return_in(api, "approved", order_id="ord_a", items=[item("li_2", reason="damaged")])
    r3 = await return_in(
        api, "rejected", order_id="ord_b", items=[item("li_1", reason="changed_mind")]
    )
    r4 = expect(await api.create_return("ord_b", [item("li_2", reason="damaged")]), 201)
    a, b, c, d = (r["id"] for r in (r1, r2, r3, r4))

    async def listed(**params: Any) -> list[str]:
        return _ids(expect(await api.get("/v1/returns", **params)))

    assert await listed() == [d, c, b, a]  # newest first
    assert await listed(status="approved") == [b]
    assert await listed(status="pending_review") == [d, a]
    assert await listed(status="cancelled") == []
    assert await listed(order_id="ord_b") == [d, c]
    assert await listed(customer_id="cus_a") == [b, a]
    assert await listed(reason="damaged") == [d, b]
    assert await listed(order_id="ord_b", reason="damaged") == [d]
    assert await listed(created_after=r2["created_at"]) == [d, c, b]
    assert await listed(created_before=r3["created_at"]) == [b, a]
    assert await listed(created_after=r2["created_at"], created_before=r4["created_at"]) == [
        c,
        b,
    ]
    # the same instant written with another offset selects the same returns
    shifted = _at(r2["created_at"]).astimezone(timezone(timedelta(hours=2))).isoformat()
    assert await listed(created_after=shifted) == [d, c, b]


async def test_bad_list_parameters_are_422_naming_them(api: Api) -> None:
    for params, location in [
        ({"limit": 101}, "query.limit"),
        ({"limit": 1000}, "query.limit"),
        ({"limit": 0}, "query.limit"),
        ({"limit": "ten"}, "query.limit"),
        ({"status": "lost"}, "query.status"),
        ({"created_after": "yesterday"}, "query.created_after"),
        ({"created_before": "2020-13-01T00:00:00Z"}, "query.created_before"),
    ]:
        assert location in errors_of(await api.get("/v1/returns", **params)), params


@pytest.mark.parametrize("param", ["created_after", "created_before"])
async def test_list_with_timestamp_without_offset_is_422_not_500(api: Api, param: str) -> None:
    # Timestamps are RFC 3339 (DESIGN §2), which requires an offset; a naive one cannot be
    # compared with the stored UTC instants and must be refused, never crash.
    await put_order(api)
    expect(await api.create_return(), 201)
    response = await api.get("/v1/returns", **{param: "2020-01-01T00:00:00"})
    assert f"query.{param}" in errors_of(response)


async def test_limit_of_100_is_accepted(api: Api) -> None:
    assert expect(await api.get("/v1/returns", limit=100)) == {"data": [], "next_cursor": None}


async def test_cursor_pagination_returns_every_return_exactly_once(api: Api) -> None:
    await put_order(api, lines=[line("li_1", quantity=10)])
    made = [expect(await api.create_return(), 201)["id"] for _ in range(7)]
    seen: list[str] = []
    pages = 0
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = expect(await api.get("/v1/returns", **params))
        assert len(page["data"]) <= 3
        seen += _ids(page)
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == list(reversed(made))


async def test_cursor_pagination_is_stable_when_returns_are_created_between_pages(
    api: Api,
) -> None:
    await put_order(api, lines=[line("li_1", quantity=10)])
    made = [expect(await api.create_return(), 201)["id"] for _ in range(5)]
    first = expect(await api.get("/v1/returns", limit=2))
    newer = [expect(await api.create_return(), 201)["id"] for _ in range(3)]
    seen, cursor = _ids(first), first["next_cursor"]
    while cursor:
        page = expect(await api.get("/v1/returns", limit=2, cursor=cursor))
        seen += _ids(page)
        cursor = page["next_cursor"]
    assert seen == list(reversed(made))
    everything = expect(await api.get("/v1/returns", limit=100))
    assert _ids(everything) == list(reversed(made + newer))


async def test_cursor_pagination_respects_filters(api: Api) -> None:
    await put_order(api, lines=[line("li_1", quantity=10)])
    made = []
    for n in range(6):
        ret = expect(await api.create_return(), 201)
        if n % 2:
            expect(await api.post(f"/v1/returns/{ret['id']}/cancel"))
        else:
            made.append(ret["id"])
    seen, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": 2, "status": "pending_review"}
        page = expect(
            await api.get("/v1/returns", **params | ({"cursor": cursor} if cursor else {}))
        )
        seen += _ids(page)
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(made))


async def test_bad_cursor_is_422_problem(api: Api) -> None:
    for cursor in ("not-a-cursor", "abc", "!!!!", "x" * 65, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"):
        errors = errors_of(await api.get("/v1/returns", cursor=cursor))
        assert "query.cursor" in errors, cursor
