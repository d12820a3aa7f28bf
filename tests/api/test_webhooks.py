"""Webhooks end to end: outbox rows in the change's transaction, signed delivery to a real
receiver on 127.0.0.1 (or ::1), retries, 410, ordering, replay, SSRF refusals."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from standardwebhooks import Webhook

from returns_api.webhooks.dispatcher import Dispatcher, DispatcherConfig
from tests.conftest import new_api_key
from tests.factories import ALL_STAFF_SCOPES, Api
from tests.receiver import Receiver, Reply, running_receiver
from tests.unit.test_ssrf import fake_getaddrinfo

FAST = tuple(timedelta(milliseconds=ms) for ms in (10, 20, 30))


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as r:
        yield r


def dispatcher(app: FastAPI, **overrides: object) -> Dispatcher:
    config = DispatcherConfig(
        schedule=FAST, timeout_seconds=2.0, allow_private_urls=True, worker_id="test", **overrides
    )  # type: ignore[arg-type]
    return Dispatcher(app.state.sessionmaker, config)


async def drain(d: Dispatcher, rounds: int = 200) -> None:
    """Run the dispatcher until nothing is due (retries are milliseconds apart here)."""
    import asyncio

    idle = 0
    for _ in range(rounds):
        done = await d.run_once()
        idle = idle + 1 if done == 0 else 0
        if idle >= 5:
            return
        await asyncio.sleep(0.02)


async def hooks_api(app: FastAPI, client: httpx.AsyncClient) -> Api:
    return Api(client, await new_api_key(app, *ALL_STAFF_SCOPES, "webhooks:manage"))


async def subscribe(api: Api, url: str, types: list[str] | None = None) -> dict[str, object]:
    body: dict[str, object] = {"url": url}
    if types:
        body["event_types"] = types
    r = await api.post("/v1/webhook-endpoints", body)
    assert r.status_code == 201, r.text
    return dict(r.json())


async def test_journey_events_arrive_signed_in_order_as_listed(
    app: FastAPI, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    api = await hooks_api(app, client)
    endpoint = await subscribe(api, receiver.url())
    assert str(endpoint["secret"]).startswith("whsec_")
    await api.put_order("ord_w")
    rid = (await api.create_return("ord_w")).json()["id"]
    await api.post(f"/v1/returns/{rid}/approve")
    await api.post(f"/v1/returns/{rid}/tracking-events", {"status": "in_transit"})
    await api.post(
        f"/v1/returns/{rid}/receive", {"items": [{"line_item_id": "li_1", "received_quantity": 1}]}
    )
    await api.post(f"/v1/returns/{rid}/refunds", {})
    await api.post(f"/v1/returns/{rid}/complete")

    d = dispatcher(app)
    try:
        await drain(d)
    finally:
        await d.aclose()

    listed = (await api.get("/v1/events", return_id=rid, limit=100)).json()["data"]
    types = [e["type"] for e in listed]
    assert types == [
        "return.created",
        "return.approved",
        "return.in_transit",
        "return.received",
        "return.refunded",
        "return.completed",
    ]
    got = receiver.received("/hook")
    assert [json.loads(r.body)["type"] for r in got] == types
    verifier = Webhook(str(endpoint["secret"]))
    for request, event in zip(got, listed, strict=True):
        payload = verifier.verify(request.body, request.headers)
        assert payload == event  # exactly what GET /v1/events shows
        assert request.headers["webhook-id"] == event["id"]
    sequences = [json.loads(r.body)["data"]["sequence"] for r in got]
    assert sequences == sorted(sequences)
    assert json.loads(got[1].body)["data"]["previous_status"] == "pending_review"


async def test_failures_are_retried_with_same_id_and_new_timestamp(
    app: FastAPI, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    api = await hooks_api(app, client)
    await subscribe(api, receiver.url("/flaky"))
    receiver.answer("/flaky", Reply(500), Reply(500))
    await api.put_order("ord_r")
    await api.create_return("ord_r")
    d = dispatcher(app)
    try:
        await drain(d)
    finally:
        await d.aclose()
    got = receiver.received("/flaky")
    assert len(got) == 3
    assert len({r.headers["webhook-id"] for r in got}) == 1
    assert [r.body for r in got] == [got[0].body] * 3
    endpoint_id = (await api.get("/v1/webhook-endpoints")).json()["data"][0]["id"]
    deliveries = (await api.get(f"/v1/webhook-endpoints/{endpoint_id}/deliveries")).json()["data"]
    assert deliveries[0]["status"] == "succeeded"
    assert [a["status_code"] for a in deliveries[0]["attempt_log"]] == [500, 500, 200]


async def test_a_receiver_reachable_only_over_ipv6_gets_its_deliveries(
    app: FastAPI, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The system resolver's AAAA answers are used: a host name with no IPv4 address is
    registered and delivered to (at the checked address, with its own Host header)."""
    with running_receiver(host="::1") as receiver:
        host = f"ipv6-only.test:{receiver.port}"
        answers = {"ipv6-only.test": [receiver.host]}
        monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo(answers))
        api = await hooks_api(app, client)
        await subscribe(api, f"http://{host}/hook")
        await api.put_order("ord_6")
        await api.create_return("ord_6")
        d = dispatcher(app)
        try:
            await drain(d)
        finally:
            await d.aclose()

    (got,) = receiver.received("/hook")
    assert json.loads(got.body)["type"] == "return.created"
    assert got.headers["host"] == host


async def test_endpoint_url_of_2048_characters_is_registered_and_2049_is_422(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    api = await hooks_api(app, client)
    base = "http://127.0.0.1:8080/"
    longest = base + "a" * (2048 - len(base))
    assert len(longest) == 2048
    assert (await subscribe(api, longest))["url"] == longest

    too_long = await api.post("/v1/webhook-endpoints", {"url": longest + "a"})
    assert too_long.status_code == 422, too_long.text
    assert [e["location"] for e in too_long.json()["errors"]] == ["body.url"]


async def test_gone_disables_the_endpoint(
    app: FastAPI, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    api = await hooks_api(app, client)
    endpoint = await subscribe(api, receiver.url("/gone"))
    receiver.answer("/gone", Reply(410))
    await api.put_order("ord_g")
    await api.create_return("ord_g")
    d = dispatcher(app)
    try:
        await drain(d)
    finally:
        await d.aclose()
    shown = (await api.get(f"/v1/webhook-endpoints/{endpoint['id']}")).json()
    assert shown["enabled"] is False
    assert "410" in shown["disabled_reason"]
    disabled = (await api.get("/v1/events", type="webhook_endpoint.disabled")).json()["data"]
    assert [e["data"]["object"]["id"] for e in disabled] == [endpoint["id"]]


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://10.0.0.8/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://[fd00::1]/hook",
        "https://[64:ff9b::a00:1]/hook",
        "https://[2002:a00:1::1]/hook",
        "http://93.184.216.34/hook",
    ],
)
async def test_private_or_plain_http_urls_are_refused(database_url: str, url: str) -> None:
    from asgi_lifespan import LifespanManager

    from returns_api.app import create_app
    from tests.conftest import make_settings

    app = create_app(make_settings(database_url, webhooks_allow_private_urls=False))
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            api = await hooks_api(app, client)
            r = await api.post("/v1/webhook-endpoints", {"url": url})
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["location"] == "body.url"


async def test_rolled_back_change_writes_no_event(app: FastAPI, client: httpx.AsyncClient) -> None:
    api = await hooks_api(app, client)
    await api.put_order("ord_x")
    refused = await api.create_return(
        "ord_x", [{"line_item_id": "li_1", "quantity": 99, "reason": "size_fit"}]
    )
    assert refused.status_code == 422
    assert (await api.get("/v1/events")).json()["data"] == []
