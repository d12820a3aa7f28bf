"""Returns whose labels EasyPost sells, end to end through our HTTP API (issue 20 §3, §4): the
worker buys the label from a local server that answers with EasyPost's recorded responses,
retries it with back-off, gives it back when the return is cancelled, and EasyPost's signed
tracking webhook moves the return. Runs on SQLite and on PostgreSQL (tests/conftest.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from returns_api.core.jobs import JobConfig
from returns_api.core.settings import Settings
from returns_api.shipping.labels import LabelWorker
from tests.api.test_policy import policy_api, put_policy
from tests.api.test_shipments import EMAIL, POLICY, expect, put_order
from tests.conftest import make_settings
from tests.factories import Api, iso
from tests.shipping.conftest import EASYPOST_API_KEY
from tests.shipping.easypost_server import EasyPostServer, load_fixture, sign_webhook

SECRET = "whsec-fixture-secret"
WEBHOOK = "/v1/carriers/easypost/webhooks"
BOUGHT = load_fixture("shipment_buy.json")
# The recorded rates are USPS's: the policy's label method names that carrier.
USPS = [{**method, "carrier": "usps"} for method in POLICY["return_methods"]]


@pytest.fixture
def settings(database_url: str, easypost_server: EasyPostServer) -> Settings:
    return make_settings(
        database_url,
        label_carrier="easypost",
        easypost_api_key=EASYPOST_API_KEY,
        easypost_webhook_secret=SECRET,
        easypost_api_base=easypost_server.url,
    )


@pytest.fixture
async def api(app: FastAPI, client: httpx.AsyncClient) -> Api:
    merchant = await policy_api(app, client)
    assert (await put_policy(merchant, **{**POLICY, "return_methods": USPS})).status_code == 201
    return merchant


def worker(app: FastAPI) -> LabelWorker:
    config = JobConfig(retry_base_seconds=0, max_attempts=3)
    return LabelWorker(app.state.sessionmaker, app.state.carriers["easypost"], config)


async def approved(api: Api, order_id: str = "ord_e") -> dict[str, Any]:
    await put_order(api, order_id, f"N-{order_id}")
    items = [{"line_item_id": "li_a", "quantity": 1, "reason": "size_fit"}]
    return expect(await api.create_return(order_id, items, return_method="label"), 201)


def tracker_event(tracking_code: str, status: str, at: datetime) -> bytes:
    """EasyPost's recorded `tracker.updated`, for our parcel, with a scan at `at`."""
    event = load_fixture("event_tracker_updated.json")
    result = event["result"]
    result["tracking_code"] = tracking_code
    result["status"] = status
    result["tracking_details"] = [{**result["tracking_details"][-1], "datetime": iso(at)}]
    return json.dumps(event).encode()


async def deliver(client: httpx.AsyncClient, body: bytes, secret: str = SECRET) -> httpx.Response:
    headers = {**sign_webhook(body, secret), "Content-Type": "application/json"}
    return await client.post(WEBHOOK, content=body, headers=headers)


async def test_the_worker_buys_the_label_as_a_return_shipment(
    api: Api, app: FastAPI, easypost_server: EasyPostServer
) -> None:
    ret = await approved(api)
    assert easypost_server.requests == []  # never inside the request
    assert await worker(app).run_once() == 1
    [create] = easypost_server.calls_to("/shipments")
    sent = create.body["shipment"]
    assert sent["is_return"] is True
    assert sent["reference"] == ret["shipments"][0]["id"]
    assert sent["to_address"]["name"] == "Анна Müller"  # EasyPost swaps them for a return
    assert sent["from_address"]["name"] == "EU returns"
    assert len(easypost_server.calls_to("/buy")) == 1

    after = expect(await api.get(f"/v1/returns/{ret['id']}"))
    [shipment] = after["shipments"]
    assert (shipment["label_state"], shipment["tracking_number"]) == (
        "created",
        BOUGHT["tracking_code"],
    )
    assert after["tracking_number"] == BOUGHT["tracking_code"]
    label = await api.client.get(shipment["links"]["label"], headers=api.headers)
    assert label.status_code == 303  # EasyPost keeps the file
    assert label.headers["location"] == BOUGHT["postage_label"]["label_url"]
    # The same address in the return, for a page that may not fetch across origins.
    assert shipment["links"]["label_file"] == BOUGHT["postage_label"]["label_url"]


async def test_failing_twice_then_succeeding_ends_with_one_label(
    api: Api, app: FastAPI, easypost_server: EasyPostServer
) -> None:
    ret = await approved(api)
    easypost_server.fail_next(2, 503, path_suffix="/buy")
    labels = worker(app)
    for attempt in (1, 2):
        await labels.run_once()
        shown = expect(await api.get(f"/v1/returns/{ret['id']}"))["shipments"][0]
        assert (shown["label_state"], shown["attempts"]) == ("pending", attempt)
        assert "503" in shown["last_error"]
        assert shown["next_attempt_at"] is not None
    await labels.run_once()
    after = expect(await api.get(f"/v1/returns/{ret['id']}"))
    assert [s["label_state"] for s in after["shipments"]] == ["created"]
    assert [e["kind"] for e in after["timeline"]].count("label_created") == 1
    assert after["shipments"][0]["last_error"] is None
    assert await labels.run_once() == 0


async def test_a_refused_label_fails_at_once_and_says_why(
    api: Api, app: FastAPI, easypost_server: EasyPostServer
) -> None:
    ret = await approved(api)
    easypost_server.fail_next(1, 422, path_suffix="/shipments")
    await worker(app).run_once()
    after = expect(await api.get(f"/v1/returns/{ret['id']}"))
    [shipment] = after["shipments"]
    assert (shipment["label_state"], shipment["attempts"]) == ("failed", 1)
    assert after["timeline"][-1]["kind"] == "label_failed"
    assert await worker(app).run_once() == 0  # given up: not retried


async def test_cancelling_gives_the_bought_label_back_to_easypost(
    api: Api, app: FastAPI, easypost_server: EasyPostServer
) -> None:
    ret = await approved(api)
    await worker(app).run_once()
    cancelled = expect(await api.post(f"/v1/returns/{ret['id']}/cancel"))
    assert cancelled["shipments"][0]["label_state"] == "voided"
    assert cancelled["shipments"][0]["links"] == {
        "label": None,
        "label_file": None,
        "qr_code": None,
        "qr_code_file": None,
    }
    assert easypost_server.calls_to("/refund") == []  # not inside the request either
    easypost_server.fail_next(1, 500, path_suffix="/refund")
    await worker(app).run_once()
    await worker(app).run_once()
    refunds = easypost_server.calls_to("/refund")
    assert len(refunds) == 2
    assert refunds[0].path.endswith(f"/shipments/{BOUGHT['id']}/refund")
    assert await worker(app).run_once() == 0  # given back: nothing more to do


async def test_a_signed_tracking_webhook_moves_the_return_and_late_scans_change_nothing(
    api: Api, app: FastAPI, client: httpx.AsyncClient
) -> None:
    ret = await approved(api)
    await worker(app).run_once()
    path = f"/v1/returns/{ret['id']}"
    number = BOUGHT["tracking_code"]
    now = datetime.now(UTC)

    scan = tracker_event(number, "in_transit", now - timedelta(hours=2))
    assert expect(await deliver(client, scan)) == {"applied": 1, "ignored": 0}
    moved = expect(await api.get(path))
    assert (moved["status"], moved["tracking_status"]) == ("in_transit", "in_transit")
    assert moved["shipments"][0]["tracking_status"] == "in_transit"
    assert moved["timeline"][-1]["actor"] == "carrier:easypost"

    # The same delivery again, and an older scan: 200, nothing changes.
    assert expect(await deliver(client, scan)) == {"applied": 0, "ignored": 1}
    older = tracker_event(number, "return_to_sender", now - timedelta(hours=3))
    assert expect(await deliver(client, older)) == {"applied": 0, "ignored": 1}
    assert expect(await api.get(path))["version"] == moved["version"]

    problem = tracker_event(number, "return_to_sender", now - timedelta(hours=1))
    assert expect(await deliver(client, problem)) == {"applied": 1, "ignored": 0}
    flagged = expect(await api.get(path))
    assert (flagged["status"], flagged["tracking_status"]) == ("in_transit", "exception")

    items = [{"item_id": i["id"], "received_quantity": i["quantity"]} for i in ret["items"]]
    received = expect(await api.post(f"{path}/receive", {"items": items}))
    late = tracker_event(number, "delivered", now)
    assert expect(await deliver(client, late)) == {"applied": 0, "ignored": 1}
    assert expect(await api.get(path))["version"] == received["version"]


async def test_a_bad_signature_is_refused_and_changes_nothing(
    api: Api, app: FastAPI, client: httpx.AsyncClient
) -> None:
    ret = await approved(api)
    await worker(app).run_once()
    before = expect(await api.get(f"/v1/returns/{ret['id']}"))
    body = tracker_event(BOUGHT["tracking_code"], "in_transit", datetime.now(UTC))
    for refused in (
        await deliver(client, body, secret="not-the-secret"),
        await client.post(WEBHOOK, content=body),  # unsigned
        await client.post(  # not even ASCII (the SDK's comparison would raise)
            WEBHOOK, content=body, headers={"X-Hmac-Signature": "hmac-sha256-hex=ü".encode()}
        ),
    ):
        assert refused.status_code == 401, refused.text
        assert refused.json()["type"].endswith("invalid-signature")
    assert expect(await api.get(f"/v1/returns/{ret['id']}"))["version"] == before["version"]


async def test_scans_of_unknown_parcels_are_acknowledged(client: httpx.AsyncClient) -> None:
    body = tracker_event("NOT-OURS", "in_transit", datetime.now(UTC))
    assert expect(await deliver(client, body)) == {"applied": 0, "ignored": 1}


async def test_a_carrier_that_is_not_configured_has_no_webhook(
    database_url: str, easypost_server: EasyPostServer
) -> None:
    from asgi_lifespan import LifespanManager

    from returns_api.app import create_app

    plain = create_app(make_settings(database_url))  # no EasyPost key
    async with LifespanManager(plain):
        transport = httpx.ASGITransport(app=plain)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.post(WEBHOOK, content=b"{}")
            assert response.status_code == 404
            assert response.json()["type"].endswith("unknown-carrier")
            for name in ("ups", "builtin"):
                unknown = await client.post(f"/v1/carriers/{name}/webhooks", content=b"{}")
                assert unknown.status_code == 404, name
            garbage = await client.post("/v1/carriers/UPS!/webhooks", content=b"{}")
            assert garbage.status_code == 422


async def test_a_portal_token_does_not_see_the_carriers_errors(
    api: Api, app: FastAPI, client: httpx.AsyncClient, easypost_server: EasyPostServer
) -> None:
    ret = await approved(api, "ord_errs")
    easypost_server.fail_next(1, 422, path_suffix="/shipments")
    await worker(app).run_once()
    staff = expect(await api.get(f"/v1/returns/{ret['id']}"))
    assert staff["shipments"][0]["last_error"]
    session = await client.post(
        "/v1/portal/sessions", json={"order_number": "N-ord_errs", "email": EMAIL}
    )
    token = {"Authorization": f"Bearer {expect(session, 201)['token']}"}
    mine = expect(await client.get(f"/v1/returns/{ret['id']}", headers=token))
    assert mine["shipments"][0]["last_error"] is None
    assert mine["shipments"][0]["label_state"] == "failed"
    assert [e["data"] for e in mine["timeline"] if e["kind"] == "label_failed"] == [None]


async def test_the_carriers_label_address_is_shown_only_to_who_may_read_the_return(
    api: Api, app: FastAPI, client: httpx.AsyncClient
) -> None:
    mine, theirs = await approved(api, "ord_mine"), await approved(api, "ord_theirs")
    while await worker(app).run_once():
        pass
    session = await client.post(
        "/v1/portal/sessions", json={"order_number": "N-ord_mine", "email": EMAIL}
    )
    token = {"Authorization": f"Bearer {expect(session, 201)['token']}"}
    shown = expect(await client.get(f"/v1/returns/{mine['id']}", headers=token))
    assert shown["shipments"][0]["links"]["label_file"] == BOUGHT["postage_label"]["label_url"]
    other = await client.get(f"/v1/returns/{theirs['id']}", headers=token)
    assert other.status_code == 404
    assert BOUGHT["postage_label"]["label_url"] not in other.text


async def test_a_drop_off_code_the_carrier_keeps_is_linked_not_drawn(
    api: Api, app: FastAPI, easypost_server: EasyPostServer
) -> None:
    bought = json.loads(json.dumps(BOUGHT))
    bought["forms"] = [
        {
            "object": "Form",
            "id": "form_0c1d2e3f",
            "mode": "test",
            "form_type": "label_qr_code",
            "form_url": "https://files.example/qr.png",
            "submitted_electronically": None,
            "created_at": "2023-11-28T22:08:53Z",
            "updated_at": "2023-11-28T22:08:53Z",
        }
    ]  # a form as EasyPost's reference shows it (tests/shipping/test_easypost_carrier.py)
    easypost_server.responses["buy"] = bought
    await put_order(api, "ord_q", "N-ord_q")
    items = [{"line_item_id": "li_a", "quantity": 1, "reason": "size_fit"}]
    ret = expect(await api.create_return("ord_q", items, return_method="qr"), 201)
    assert await worker(app).run_once() == 1

    [shipment] = expect(await api.get(f"/v1/returns/{ret['id']}"))["shipments"]
    assert shipment["links"]["qr_code_file"] == "https://files.example/qr.png"
    code = await api.client.get(shipment["links"]["qr_code"], headers=api.headers)
    assert (code.status_code, code.headers["location"]) == (303, "https://files.example/qr.png")
