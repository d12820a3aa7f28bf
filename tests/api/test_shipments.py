"""Shipments and labels through HTTP with the built-in carrier (issue 20 §2): approval asks
for a label, the worker buys it outside the request, the label PDF and the drop-off code
decode back to the RMA, the packing slip lists the items, a portal token reads only its own
order's documents, a cancelled return voids its label, and a person's `exception` tracking
event is kept without changing the status. Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pypdfium2
import pytest
import zxingcpp
from fastapi import FastAPI
from PIL import Image
from sqlalchemy import select

from returns_api.core.jobs import JobConfig
from returns_api.shipping.labels import LabelWorker
from returns_api.webhooks.models import Event
from tests.api.test_policy import policy_api, put_policy
from tests.factories import Api, line, order_body

METHODS: list[dict[str, Any]] = [
    {"code": "label", "label": "Prepaid label", "kind": "prepaid_label", "carrier": "dhl"},
    {"code": "qr", "label": "Drop-off with a QR code", "kind": "drop_off_qr", "carrier": "dhl"},
    {"code": "own", "label": "Send it your way", "kind": "customer_ships"},
]
WAREHOUSE = {
    "code": "eu",
    "name": "EU returns",
    "address": {
        "lines": ["Lagerstraße 1"],
        "city": "Berlin",
        "postal_code": "10115",
        "country": "DE",
    },
}
POLICY: dict[str, Any] = {
    "return_methods": METHODS,
    "warehouses": [WAREHOUSE],
    "default_action": "approve",
}
LINES = [line("li_a", unit_price=2000, quantity=2), line("li_b", unit_price=1000)]
EMAIL = "anna@example.com"


@pytest.fixture
async def api(app: FastAPI, client: httpx.AsyncClient) -> Api:
    merchant = await policy_api(app, client)
    assert (await put_policy(merchant, **POLICY)).status_code == 201
    return merchant


async def put_order(api: Api, order_id: str, number: str) -> None:
    body = order_body(number=number, email=EMAIL, lines=LINES)
    body["customer"]["name"] = "Анна Müller"
    body["shipping_address"] = {
        "lines": ["Hauptstraße 5"],
        "city": "Köln",
        "postal_code": "50667",
        "country": "DE",
    }
    response = await api.client.put(f"/v1/orders/{order_id}", json=body, headers=api.headers)
    assert response.status_code in (200, 201), response.text


def expect(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return dict(response.json())


async def new_return(api: Api, method: str = "label", order_id: str = "ord_s") -> dict[str, Any]:
    await put_order(api, order_id, f"N-{order_id}")
    items = [
        {"line_item_id": "li_a", "quantity": 2, "reason": "size_fit"},
        {"line_item_id": "li_b", "quantity": 1, "reason": "changed_mind"},
    ]
    return expect(await api.create_return(order_id, items, return_method=method), 201)


def worker(app: FastAPI) -> LabelWorker:
    config = JobConfig(retry_base_seconds=0)
    return LabelWorker(app.state.sessionmaker, app.state.carriers["builtin"], config)


def codes_in(image: Image.Image) -> dict[str, str]:
    """Every barcode and QR code on the image: {format name: text}."""
    return {str(found.format): found.text for found in zxingcpp.read_barcodes(image)}


def pdf_pages(content: bytes) -> list[Image.Image]:
    document = pypdfium2.PdfDocument(content)
    return [page.render(scale=3).to_pil() for page in document]


def pdf_text(content: bytes) -> str:
    document = pypdfium2.PdfDocument(content)
    return "\n".join(page.get_textpage().get_text_range() for page in document)


async def test_an_approved_return_gets_a_label_bought_by_the_worker(api: Api, app: FastAPI) -> None:
    created = await new_return(api)
    assert created["status"] == "approved"
    # The customer is told where the parcel goes: the policy's warehouse for the order.
    assert created["instructions"]["return_address"]["code"] == "eu"
    [pending] = created["shipments"]
    assert pending["label_state"] == "pending"
    assert set(pending["links"]) == {"label", "label_file", "qr_code", "qr_code_file"}
    assert set(pending["links"].values()) == {None}
    assert pending["carrier"] == "dhl"
    # Never bought inside the request: nothing until the worker runs.
    assert created["tracking_number"] is None

    assert await worker(app).run_once() == 1
    ret = expect(await api.get(f"/v1/returns/{created['id']}"))
    [shipment] = ret["shipments"]
    assert shipment["label_state"] == "created"
    assert shipment["tracking_number"] == ret["tracking_number"] is not None
    assert ret["timeline"][-1]["kind"] == "label_created"
    assert ret["timeline"][-1]["data"]["tracking_number"] == shipment["tracking_number"]
    assert await worker(app).run_once() == 0  # nothing left to buy

    async with app.state.sessionmaker() as session:
        found = await session.execute(
            select(Event.data).where(Event.type == "return.label_created")
        )
        [announced] = found.scalars().all()
    assert announced["object"]["tracking_number"] == shipment["tracking_number"]
    assert announced["object"]["shipments"][0]["label_state"] == "created"

    # We hold the PDF: only our route serves it, there is no carrier's file to link to.
    assert shipment["links"]["label_file"] is None
    label = await api.client.get(shipment["links"]["label"], headers=api.headers)
    assert label.status_code == 200
    assert label.headers["content-type"] == "application/pdf"
    assert label.headers["cache-control"] == "private, no-store"
    [page] = pdf_pages(label.content)
    found = codes_in(page)
    assert ret["rma_number"] in found.values()
    assert any("QR" in name for name in found), found
    assert "Анна Müller" in pdf_text(label.content)

    assert shipment["links"]["qr_code_file"] is None  # we draw the code: nothing to link to
    qr = await api.client.get(shipment["links"]["qr_code"], headers=api.headers)
    assert qr.headers["content-type"] == "image/png"
    assert codes_in(Image.open(io.BytesIO(qr.content))) == {"QR Code": ret["rma_number"]}
    svg = await api.client.get(
        shipment["links"]["qr_code"], headers={**api.headers, "Accept": "image/svg+xml"}
    )
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in svg.content


async def test_the_packing_slip_lists_the_items_with_the_rma_as_a_barcode(api: Api) -> None:
    ret = await new_return(api)
    slip = await api.client.get(f"/v1/returns/{ret['id']}/packing-slip", headers=api.headers)
    assert slip.status_code == 200
    assert slip.headers["content-type"] == "application/pdf"
    words = pdf_text(slip.content)
    for item in ret["items"]:
        assert item["title"] in words
        assert item["sku"] in words
    assert ret["rma_number"] in words
    assert ret["rma_number"] in codes_in(pdf_pages(slip.content)[0]).values()


async def test_a_portal_token_reads_its_own_documents_and_no_others(
    api: Api, app: FastAPI, client: httpx.AsyncClient
) -> None:
    mine = await new_return(api, order_id="ord_mine")
    theirs = await new_return(api, order_id="ord_theirs")
    await worker(app).run_once()
    session = await client.post(
        "/v1/portal/sessions", json={"order_number": "N-ord_mine", "email": EMAIL}
    )
    token = {"Authorization": f"Bearer {expect(session, 201)['token']}"}

    async def documents(ret: dict[str, Any]) -> list[str]:
        shown = expect(await api.get(f"/v1/returns/{ret['id']}"))["shipments"][0]["links"]
        return [shown["label"], shown["qr_code"], f"/v1/returns/{ret['id']}/packing-slip"]

    for path in await documents(mine):
        assert (await client.get(path, headers=token)).status_code == 200, path
    for path in await documents(theirs):
        response = await client.get(path, headers=token)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"


async def test_a_method_without_labels_gets_no_shipment_and_cannot_ask_for_one(
    api: Api,
) -> None:
    ret = await new_return(api, method="own")
    assert ret["shipments"] == []
    refused = await api.post(f"/v1/returns/{ret['id']}/shipments")
    assert refused.status_code == 409, refused.text
    assert refused.json()["type"].endswith("no-label-for-method")


async def test_another_parcel_gets_its_own_label_and_the_scan_finds_either(
    api: Api, app: FastAPI
) -> None:
    ret = await new_return(api)
    await worker(app).run_once()
    more = expect(await api.post(f"/v1/returns/{ret['id']}/shipments", {"note": "2 boxes"}), 202)
    assert [s["label_state"] for s in more["shipments"]] == ["created", "pending"]
    await worker(app).run_once()
    after = expect(await api.get(f"/v1/returns/{ret['id']}"))
    first, second = (s["tracking_number"] for s in after["shipments"])
    assert first != second
    assert after["tracking_number"] == second  # the latest parcel
    for number in (first, second):
        found = expect(await api.get("/v1/returns", tracking_number=number))["data"]
        assert [r["id"] for r in found] == [ret["id"]]


async def test_cancelling_voids_the_label_and_its_documents(api: Api, app: FastAPI) -> None:
    bought = await new_return(api, order_id="ord_bought")
    pending = await new_return(api, order_id="ord_pending")
    await worker(app).run_once()  # buys both
    more = expect(await api.post(f"/v1/returns/{pending['id']}/shipments"), 202)
    assert more["shipments"][-1]["label_state"] == "pending"
    for ret in (bought, pending):
        cancelled = expect(await api.post(f"/v1/returns/{ret['id']}/cancel"))
        assert {s["label_state"] for s in cancelled["shipments"]} == {"voided"}
        assert all(s["voided_at"] for s in cancelled["shipments"])
        assert all(s["links"]["label"] is None for s in cancelled["shipments"])
    # The pending one is never bought now.
    assert await worker(app).run_once() == 0
    shipment = cancelled["shipments"][0]
    gone = await api.client.get(
        f"/v1/returns/{pending['id']}/shipments/{shipment['id']}/label", headers=api.headers
    )
    assert gone.status_code == 404
    assert gone.json()["type"].endswith("document-not-available")


async def test_a_tracking_exception_is_kept_without_changing_the_status(api: Api) -> None:
    ret = await new_return(api)
    path = f"/v1/returns/{ret['id']}/tracking-events"
    noted = expect(await api.post(path, {"status": "exception", "note": "Pickup failed"}))
    assert noted["status"] == "approved"
    assert noted["tracking_status"] == "exception"
    assert noted["timeline"][-1]["data"]["event"] == "exception"
    moving = expect(await api.post(path, {"status": "in_transit", "tracking_number": "T1"}))
    assert (moving["status"], moving["tracking_status"]) == ("in_transit", "in_transit")
    items = [{"item_id": i["id"], "received_quantity": i["quantity"]} for i in ret["items"]]
    expect(await api.post(f"/v1/returns/{ret['id']}/receive", {"items": items}))
    late = await api.post(path, {"status": "exception"})
    assert late.status_code == 409  # a person's mistake is still refused


async def test_shipment_and_document_paths_of_unknown_ids_are_404(api: Api) -> None:
    ret = await new_return(api)
    unknown = "00000000-0000-7000-8000-000000000000"
    for path in (
        f"/v1/returns/{ret['id']}/shipments/{unknown}/label",
        f"/v1/returns/{ret['id']}/shipments/{unknown}/qr",
        f"/v1/returns/{unknown}/packing-slip",
        f"/v1/returns/{ret['id']}/shipments/not-a-uuid/label",
    ):
        response = await api.client.get(path, headers=api.headers)
        assert response.status_code == 404, (path, response.text)


async def test_a_portal_token_cannot_buy_more_labels(api: Api, client: httpx.AsyncClient) -> None:
    ret = await new_return(api, order_id="ord_portal")
    session = await client.post(
        "/v1/portal/sessions", json={"order_number": "N-ord_portal", "email": EMAIL}
    )
    token = {"Authorization": f"Bearer {expect(session, 201)['token']}"}
    refused = await client.post(f"/v1/returns/{ret['id']}/shipments", headers=token)
    assert refused.status_code == 403, refused.text
    shown = expect(await api.get(f"/v1/returns/{ret['id']}"))
    assert len(shown["shipments"]) == 1


async def test_a_cancelled_return_has_no_packing_slip(api: Api) -> None:
    ret = await new_return(api)
    expect(await api.post(f"/v1/returns/{ret['id']}/cancel"))
    slip = await api.client.get(f"/v1/returns/{ret['id']}/packing-slip", headers=api.headers)
    assert slip.status_code == 404
    assert slip.json()["type"].endswith("document-not-available")


async def test_receiving_the_parcel_voids_labels_not_yet_bought(api: Api, app: FastAPI) -> None:
    ret = await new_return(api)
    path = f"/v1/returns/{ret['id']}"
    # The customer sent it their own way before the label was bought.
    expect(await api.post(f"{path}/tracking-events", {"status": "in_transit"}))
    items = [{"item_id": i["id"], "received_quantity": i["quantity"]} for i in ret["items"]]
    received = expect(await api.post(f"{path}/receive", {"items": items}))
    assert [s["label_state"] for s in received["shipments"]] == ["voided"]
    assert await worker(app).run_once() == 0  # never bought now
