"""The service behaves as its OpenAPI document says: webhook payloads match their schemas,
the docs pages work offline, 405s name every allowed method, inputs are read as documented."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from returns_api.openapi import render_openapi
from returns_api.webhooks.definitions import payload_model
from tests.api.test_foundation import assert_problem
from tests.conftest import bearer, new_api_key
from tests.factories import ALL_STAFF_SCOPES, Api, order_body


@pytest.fixture
async def api(app: FastAPI, client: httpx.AsyncClient) -> Api:
    scopes = (*ALL_STAFF_SCOPES, "policy:manage", "webhooks:manage")
    return Api(client, await new_api_key(app, *scopes, name="back-office"))


async def _events(api: Api) -> list[dict[str, Any]]:
    response = await api.get("/v1/events", limit=100)
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


async def test_every_event_fits_the_webhook_payload_documented_for_its_type(api: Api) -> None:
    await api.put_order("ord_1")
    items = [{"line_item_id": "li_1", "quantity": 1, "reason": "size_fit"}]
    kept = (await api.create_return("ord_1", items)).json()
    for action, body in (
        ("approve", {"note": "ok"}),
        ("tracking-events", {"status": "in_transit"}),
        ("receive", {"items": [{"line_item_id": "li_1", "received_quantity": 1}]}),
        ("refunds", {}),
        ("complete", None),
    ):
        done = await api.post(f"/v1/returns/{kept['id']}/{action}", body)
        assert done.status_code in (200, 201), done.text
    rejected = (await api.create_return("ord_1", items)).json()
    assert (await api.post(f"/v1/returns/{rejected['id']}/reject", {"note": "no"})).is_success
    cancelled = (await api.create_return("ord_1", items)).json()
    assert (await api.post(f"/v1/returns/{cancelled['id']}/cancel")).is_success
    assert (await api.client.put("/v1/policy", json={}, headers=api.headers)).is_success
    endpoint = await api.post("/v1/webhook-endpoints", {"url": "http://127.0.0.1:9/hooks"})
    assert (await api.post(f"/v1/webhook-endpoints/{endpoint.json()['id']}/test")).is_success

    events = await _events(api)
    assert {e["type"] for e in events} >= {
        "return.created",
        "return.approved",
        "return.in_transit",
        "return.received",
        "return.refunded",
        "return.completed",
        "return.rejected",
        "return.cancelled",
        "policy.updated",
        "ping",
    }
    for event in events:
        payload_model(event["type"]).model_validate(event, strict=False)


async def test_a_rejection_is_an_event_like_every_other_status_change(api: Api) -> None:
    await api.put_order("ord_1")
    ret = (await api.create_return("ord_1")).json()
    assert (await api.post(f"/v1/returns/{ret['id']}/reject", {"note": "late"})).is_success
    mine = [e for e in await _events(api) if e["data"].get("object", {}).get("id") == ret["id"]]
    assert [e["type"] for e in mine] == ["return.created", "return.rejected"]
    assert mine[1]["data"]["previous_status"] == "pending_review"
    assert mine[1]["data"]["sequence"] > mine[0]["data"]["sequence"]


async def test_the_served_document_is_the_committed_one(client: httpx.AsyncClient) -> None:
    served = (await client.get("/openapi.json")).json()
    assert served == json.loads(render_openapi())


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_pages_load_every_asset_from_the_service(
    client: httpx.AsyncClient, page: str
) -> None:
    response = await client.get(page)
    assert response.status_code == 200
    html = response.text
    assert "/openapi.json" in html
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert urls, html
    for url in urls:
        assert url.startswith("/"), f"{page} loads {url} from elsewhere"
        asset = await client.get(url)
        assert asset.status_code == 200, url
    assert not re.search(r"https?://(?!www\.standardwebhooks)", html), "no CDN, no fonts"


async def test_405_lists_every_method_of_the_path(api: Api) -> None:
    refused = await api.client.request("DELETE", "/v1/policy", headers=api.headers)
    assert_problem(refused, 405)
    assert refused.headers["allow"] == "GET, PUT"
    refused = await api.client.request("OPTIONS", "/v1/webhook-endpoints/x", headers=api.headers)
    assert refused.headers["allow"] == "DELETE, GET, PATCH"


async def test_a_concrete_path_is_not_read_as_an_id(api: Api) -> None:
    # GET /v1/returns/quote names the quote resource, which only takes POST.
    refused = await api.get("/v1/returns/quote")
    assert_problem(refused, 405)
    assert refused.headers["allow"] == "POST"


@pytest.mark.parametrize("moment", ["0.5", "1700000000", "yesterday", "2026-11-04"])
async def test_a_date_time_is_rfc_3339_text_not_a_number(api: Api, moment: str) -> None:
    assert_problem(await api.get("/v1/returns", created_after=moment), 422)
    body = order_body()
    body["placed_at"] = float(moment) if moment[0].isdigit() and "-" not in moment else moment
    response = await api.client.put("/v1/orders/ord_t", json=body, headers=api.headers)
    assert_problem(response, 422)


async def test_a_flag_is_a_json_boolean(api: Api) -> None:
    body = order_body()
    body["line_items"][0]["final_sale"] = 0
    response = await api.client.put("/v1/orders/ord_b", json=body, headers=api.headers)
    assert "body.line_items.0.final_sale" in json.dumps(assert_problem(response, 422))
    refused = await api.client.put(
        "/v1/policy", json={"store_credit_bonus_bps": False}, headers=api.headers
    )
    assert_problem(refused, 422)


@pytest.mark.parametrize("key", ["clé", "x" * 256, "new\x7fline", ""])
async def test_an_idempotency_key_outside_the_documented_pattern_is_400(
    app: FastAPI, client: httpx.AsyncClient, key: str
) -> None:
    token = await new_api_key(app, "returns:read")
    headers = {**bearer(token), "Idempotency-Key": key.encode("latin-1")}
    problem = assert_problem(await client.post("/v1/returns/quote", json={}, headers=headers), 400)
    assert problem["type"] == "urn:returns-api:problem:invalid-idempotency-key"


async def test_text_the_database_cannot_store_is_a_422_not_a_500(api: Api, backend: str) -> None:
    body = order_body()
    body["line_items"][0]["title"] = "mug\x00"
    stored = await api.client.put("/v1/orders/ord_nul", json=body, headers=api.headers)
    searched = await api.get("/v1/returns", reason="size\x00fit")
    await api.put_order("ord_ok")
    before = len((await api.get("/v1/returns")).json()["data"])
    commented = await api.create_return(
        "ord_ok", [{"line_item_id": "li_1", "quantity": 1, "reason": "size_fit", "comment": "\x00"}]
    )
    # A filter is refused by its schema, before any query, on either database.
    assert_problem(searched, 422)
    if backend == "postgresql":  # PostgreSQL text cannot hold U+0000; SQLite stores it
        assert_problem(stored, 422)
        assert_problem(commented, 422)
        assert len((await api.get("/v1/returns")).json()["data"]) == before
    else:
        assert stored.status_code == 201
        assert commented.status_code == 201
