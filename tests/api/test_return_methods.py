"""Return methods with kinds, carriers and fees, and warehouses chosen by country, through
HTTP (issue 20 §1). A method's own fee replaces the policy-wide `return_shipping_fee` in the
refund, from the quote to the breakdown after inspection. Every test runs on SQLite and on
PostgreSQL (tests/conftest.py)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.api.test_foundation import assert_problem
from tests.api.test_policy import policy_api, put_policy
from tests.factories import Api, line

# One unit at 20.00, no tax or discount: the refund is 2000 less the return-shipping fee.
LINES = [line("li_a", unit_price=2000), line("li_b", unit_price=1000)]
METHODS: list[dict[str, Any]] = [
    {
        "code": "label",
        "label": "Prepaid DHL label",
        "kind": "prepaid_label",
        "carrier": "dhl",
        "paid_by": "merchant",
        "fee": 450,
    },
    {"code": "own", "label": "Send it your way", "kind": "customer_ships", "fee": 0},
    {"code": "store", "label": "Bring it to a store", "kind": "in_store"},  # the policy's fee
]
POLICY: dict[str, Any] = {"return_shipping_fee": 300, "return_methods": METHODS}


def address(city: str, country: str) -> dict[str, Any]:
    return {"lines": ["Lagerstraße 1"], "city": city, "postal_code": "10115", "country": country}


WAREHOUSES: list[dict[str, Any]] = [
    {"code": "uk", "name": "UK returns", "address": address("Leeds", "GB"), "countries": ["GB"]},
    {"code": "eu", "name": "EU returns", "address": address("Berlin", "DE")},  # the default
    {"code": "nl", "name": "Benelux", "address": address("Venlo", "NL"), "countries": ["NL", "BE"]},
]


@pytest.fixture
async def api(app: FastAPI, client: httpx.AsyncClient) -> Api:
    return await policy_api(app, client)


def expect(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return dict(response.json())


def one_item(reason: str = "size_fit") -> list[dict[str, Any]]:
    return [{"line_item_id": "li_a", "quantity": 1, "reason": reason}]


async def quote(api: Api, method: str = "label", reason: str = "size_fit") -> dict[str, Any]:
    body = {"order_id": "ord_m", "items": one_item(reason), "return_method": method}
    return expect(await api.post("/v1/returns/quote", body))


@pytest.mark.parametrize(
    ("method", "fee"),
    [("label", 450), ("own", 0), ("store", 300)],
    ids=["own-fee", "free", "policy"],
)
async def test_a_methods_fee_replaces_the_policy_fee_in_the_refund(
    api: Api, method: str, fee: int
) -> None:
    expect(await put_policy(api, **POLICY), 201)
    await api.put_order("ord_m", lines=LINES)
    assert (await quote(api, method))["estimated_refund"]["total"] == 2000 - fee
    ret = expect(await api.create_return("ord_m", one_item(), return_method=method), 201)
    assert ret["refund_breakdown"]["return_shipping_fee"] == fee
    assert ret["refund_breakdown"]["total"] == 2000 - fee


async def test_the_inspected_refund_keeps_the_methods_fee(api: Api) -> None:
    expect(await put_policy(api, **POLICY), 201)
    await api.put_order("ord_m", lines=LINES)
    ret = expect(await api.create_return("ord_m", one_item(), return_method="label"), 201)
    expect(await api.post(f"/v1/returns/{ret['id']}/approve"))
    event = {"status": "in_transit", "tracking_number": "1Z1", "carrier": "DHL"}
    expect(await api.post(f"/v1/returns/{ret['id']}/tracking-events", event))
    received = expect(
        await api.post(
            f"/v1/returns/{ret['id']}/receive",
            {"items": [{"line_item_id": "li_a", "received_quantity": 1}]},
        )
    )
    assert received["refund_breakdown"]["basis"] == "accepted"
    assert received["refund_breakdown"]["return_shipping_fee"] == 450
    assert received["amounts"]["refundable"] == 1550


async def test_a_merchant_fault_waives_a_methods_fee_as_it_does_the_policys(api: Api) -> None:
    expect(await put_policy(api, **POLICY), 201)
    await api.put_order("ord_m", lines=LINES)
    quoted = await quote(api, "label", reason="damaged")
    assert {option["fee"] for option in quoted["return_options"]} == {0}
    assert quoted["estimated_refund"]["return_shipping_fee"] == 0
    ret = expect(await api.create_return("ord_m", one_item("damaged"), return_method="label"), 201)
    assert ret["refund_breakdown"]["total"] == 2000


async def test_a_policy_without_method_fees_charges_its_own_fee_as_before(api: Api) -> None:
    expect(await put_policy(api, return_shipping_fee=300), 201)
    await api.put_order("ord_m", lines=LINES)
    for method in ("mail", "drop_off"):
        ret = expect(await api.create_return("ord_m", one_item(), return_method=method), 201)
        assert ret["refund_breakdown"]["total"] == 1700
        expect(await api.post(f"/v1/returns/{ret['id']}/cancel", {"note": "test"}))
    quoted = await quote(api, "mail")
    assert quoted["fees"]["return_shipping_fee"] == 300
    assert [(o["code"], o["fee"]) for o in quoted["return_options"]] == [
        ("mail", 300),
        ("drop_off", 300),
    ]
    assert quoted["return_address"] is None


async def test_the_quote_lists_every_method_with_its_fee(api: Api) -> None:
    expect(await put_policy(api, **POLICY), 201)
    await api.put_order("ord_m", lines=LINES)
    quoted = await quote(api, "own")
    assert quoted["return_options"] == [
        {
            "code": "label",
            "label": "Prepaid DHL label",
            "kind": "prepaid_label",
            "carrier": "dhl",
            "paid_by": "merchant",
            "fee": 450,
        },
        {
            "code": "own",
            "label": "Send it your way",
            "kind": "customer_ships",
            "carrier": None,
            "paid_by": "customer",
            "fee": 0,
        },
        {
            "code": "store",
            "label": "Bring it to a store",
            "kind": "in_store",
            "carrier": None,
            "paid_by": "customer",
            "fee": 300,
        },
    ]
    assert quoted["lines"][0]["return_methods"] == ["label", "own", "store"]
    assert quoted["fees"]["return_shipping_fee"] == 0  # the requested method's


@pytest.mark.parametrize(
    ("country", "warehouse"),
    [("GB", "uk"), ("BE", "nl"), ("FR", "eu"), (None, "eu")],
    ids=["listed", "listed-second", "default", "no-country"],
)
async def test_the_return_address_is_the_warehouse_for_the_orders_country(
    api: Api, country: str | None, warehouse: str
) -> None:
    expect(await put_policy(api, **POLICY, warehouses=WAREHOUSES), 201)
    await api.put_order("ord_m", lines=LINES, country=country)
    chosen = (await quote(api))["return_address"]
    expected = next(w for w in WAREHOUSES if w["code"] == warehouse)
    assert chosen == {
        "code": warehouse,
        "name": expected["name"],
        "address": {**expected["address"], "region": None},
    }


@pytest.mark.parametrize(
    ("document", "location", "words"),
    [
        ({"return_methods": [{**METHODS[0], "fee": -1}]}, "return_methods.0.fee", "greater"),
        ({"return_methods": [{**METHODS[0], "fee": False}]}, "return_methods.0.fee", ""),
        ({"return_methods": [{**METHODS[0], "kind": "pigeon"}]}, "return_methods.0.kind", ""),
        ({"return_methods": [{**METHODS[0], "paid_by": "nobody"}]}, "return_methods.0.paid_by", ""),
        (
            {"warehouses": [WAREHOUSES[0], {**WAREHOUSES[1], "code": "uk"}]},
            "warehouses",
            "warehouse codes must be unique",
        ),
        (
            {"warehouses": [WAREHOUSES[0], {**WAREHOUSES[2], "countries": ["GB"]}]},
            "warehouses",
            "one warehouse only",
        ),
        (
            {"warehouses": [{**WAREHOUSES[0], "countries": ["gb"]}]},
            "warehouses.0.countries.0",
            "",
        ),
    ],
    ids=[
        "negative-fee",
        "bool-fee",
        "unknown-kind",
        "unknown-payer",
        "same-code",
        "same-country",
        "lower",
    ],
)
async def test_bad_methods_and_warehouses_are_422_naming_the_field(
    api: Api, document: dict[str, Any], location: str, words: str
) -> None:
    body = assert_problem(await put_policy(api, **document), 422)
    errors = body["errors"]
    assert isinstance(errors, list)
    assert any(e["location"] == f"body.{location}" and words in e["message"] for e in errors), (
        errors
    )
    assert (await api.get("/v1/policy")).json()["version"] == 1  # nothing was stored
