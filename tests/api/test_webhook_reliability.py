"""Webhook delivery under failure, over real HTTP (RELIABILITY.md "Webhook delivery",
"Outbox and dispatcher"): timeouts, redirects, Retry-After, exhausted schedules and manual
redelivery, disabling a failing endpoint, secret rotation, pings and replays, per-return
ordering; on PostgreSQL also two `returns-api worker` processes side by side and a worker
killed with SIGKILL mid-batch.

The receiver is a real uvicorn server on 127.0.0.1 in a thread; the dispatcher runs either
in the test's event loop or as separate `returns-api worker` processes. Every wait is
bounded by a deadline and every process started here is killed in `finally`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import text, update
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from returns_api.core.settings import Settings
from returns_api.webhooks.dispatcher import SETTLE_BATCH, Dispatcher, DispatcherConfig
from returns_api.webhooks.events import record_event
from returns_api.webhooks.models import WebhookEndpoint
from returns_api.webhooks.signing import generate_secret
from tests.factories import Api, iso
from tests.receiver import Received, Receiver, Reply

FAST = tuple(timedelta(milliseconds=ms) for ms in (10, 20, 30))
log = logging.getLogger(__name__)
WORKER = Path(sys.executable).with_name("returns-api")


# --------------------------------------------------------------------------- receiver


class ScriptedReceiver(Receiver):
    """`tests.receiver.Receiver` whose answer can depend on the request itself: `decide`
    sees the request (already recorded) and returns a Reply, or None for the path script."""

    def __init__(self, decide: Callable[[Received], Reply | None] | None = None) -> None:
        super().__init__()
        self.decide = decide

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        request = Received(scope["path"], headers, body, time.monotonic())
        with self._lock:
            self.requests.append(request)
            reply = self.decide(request) if self.decide else None
            if reply is None:
                queue = self.script.get(request.path)
                reply = queue.popleft() if queue else Reply()
        if reply.delay:
            await asyncio.sleep(reply.delay)
        await send(
            {
                "type": "http.response.start",
                "status": reply.status,
                "headers": [(k.encode(), v.encode()) for k, v in reply.headers.items()],
            }
        )
        await send({"type": "http.response.body", "body": b"receiver says hello"})


@contextlib.contextmanager
def serving(receiver: Receiver) -> Iterator[Receiver]:
    config = uvicorn.Config(
        receiver,
        host="127.0.0.1",
        port=receiver.port,
        log_level="warning",
        lifespan="on",
        backlog=2048,
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            server.should_exit = True
            raise RuntimeError("receiver did not start")
        time.sleep(0.01)
    try:
        yield receiver
    finally:
        server.should_exit = True
        thread.join(timeout=10)


class DripServer:
    """A raw HTTP/1.1 server on 127.0.0.1 (uvicorn cannot misbehave on the wire): the first
    request gets its answer trickled out over `drip_seconds` — either the header lines
    (`mode="headers"`) or, after complete headers, the body (`mode="body"`); later
    requests get `200` at once. Every request's head is recorded."""

    def __init__(self, mode: str, drip_seconds: float) -> None:
        self.mode = mode
        self.drip_seconds = drip_seconds
        self.heads: list[tuple[float, dict[str, str]]] = []
        self._lock = threading.Lock()
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                outer._handle(self.request)

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])

    def url(self, path: str = "/drip") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _handle(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return
            data += chunk
        head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")[1:]
        headers = {k.strip().lower(): v.strip() for k, v in (h.split(":", 1) for h in head)}
        with self._lock:
            first = not self.heads
            self.heads.append((time.monotonic(), headers))
        steps = 25
        with contextlib.suppress(OSError):
            if not first:
                conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
            elif self.mode == "headers":
                conn.sendall(b"HTTP/1.1 200 OK\r\n")
                for i in range(steps):
                    time.sleep(self.drip_seconds / steps)
                    conn.sendall(f"x-drip-{i}: {i}\r\n".encode())
                conn.sendall(b"content-length: 0\r\n\r\n")
            else:
                conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n")
                for _ in range(steps):
                    time.sleep(self.drip_seconds / steps)
                    conn.sendall(b"x" * 40)
        # drain whatever the client sends until it closes (keep-alive)
        with contextlib.suppress(OSError):
            while conn.recv(65536):
                pass


@contextlib.contextmanager
def dripping(mode: str, drip_seconds: float) -> Iterator[DripServer]:
    server = DripServer(mode, drip_seconds)
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def receiver() -> Iterator[ScriptedReceiver]:
    with serving(ScriptedReceiver()) as r:
        yield r


# --------------------------------------------------------------------------- helpers


def dispatcher(app: FastAPI, **overrides: Any) -> Dispatcher:
    values: dict[str, Any] = {
        "schedule": FAST,
        "timeout_seconds": 2.0,
        "allow_private_urls": True,
        "worker_id": "test",
        "poll_seconds": 0.01,
    }
    values.update(overrides)
    return Dispatcher(app.state.sessionmaker, DispatcherConfig(**values))


async def scalar(app: FastAPI, sql: str, **params: Any) -> Any:
    async with app.state.sessionmaker() as session:
        return (await session.execute(text(sql), params)).scalar_one()


async def rows(app: FastAPI, sql: str, **params: Any) -> list[Any]:
    async with app.state.sessionmaker() as session:
        return list((await session.execute(text(sql), params)).all())


async def unfinished(app: FastAPI) -> int:
    return int(
        await scalar(
            app,
            "SELECT count(*) FROM webhook_deliveries WHERE status IN ('pending', 'delivering')",
        )
    )


async def all_settled(app: FastAPI) -> bool:
    """Every event routed and every delivery finished (succeeded or failed)."""
    unrouted = await scalar(app, "SELECT count(*) FROM events WHERE NOT routed")
    return int(unrouted) == 0 and await unfinished(app) == 0


async def run_until(
    d: Dispatcher,
    done: Callable[[], Awaitable[bool]],
    *,
    within: float = 10.0,
    what: str = "the deliveries to settle",
) -> None:
    """Drive the dispatcher until `done()`; fail after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        await d.run_once()
        if await done():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within} s waiting for {what}")
        await asyncio.sleep(0.01)


async def dispatch_all(app: FastAPI, d: Dispatcher, within: float = 10.0) -> None:
    await run_until(d, lambda: all_settled(app), within=within)


async def hooks_api(app: FastAPI, client: httpx.AsyncClient) -> Api:
    from tests.conftest import new_api_key
    from tests.factories import ALL_STAFF_SCOPES

    return Api(client, await new_api_key(app, *ALL_STAFF_SCOPES, "webhooks:manage"))


async def subscribe(api: Api, url: str, types: list[str] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"url": url}
    if types:
        body["event_types"] = types
    r = await api.post("/v1/webhook-endpoints", body)
    assert r.status_code == 201, r.text
    return dict(r.json())


async def deliveries(api: Api, endpoint_id: str) -> list[dict[str, Any]]:
    r = await api.get(f"/v1/webhook-endpoints/{endpoint_id}/deliveries", limit=100)
    assert r.status_code == 200, r.text
    return list(r.json()["data"])


async def ping(api: Api, endpoint_id: str) -> str:
    r = await api.post(f"/v1/webhook-endpoints/{endpoint_id}/test")
    assert r.status_code == 202, r.text
    return str(r.json()["event_id"])


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def body_of(request: Received) -> dict[str, Any]:
    return dict(json.loads(request.body))


# --------------------------------------------------------------------------- 1. failures


async def test_timeout_is_retried_and_then_succeeds(
    app: FastAPI, client: httpx.AsyncClient, receiver: ScriptedReceiver
) -> None:
    api = await hooks_api(app, client)
    endpoint = await subscribe(api, receiver.url("/slow"))
    receiver.answer("/slow", Reply(200, delay=1.5))  # then 200 at once
    event_id = await ping(api, endpoint["id"])
    d = dispatcher(app, timeout_seconds=0.3)
    try:
        await dispatch_all(app, d)
    finally:
        await d.aclose()

    got = receiver.received("/slow")
    assert len(got) == 2
    assert {r.headers["webhook-id"] for r in got} == {event_id}
    assert got[0].body == got[1].body
    [delivery] = await deliveries(api, endpoint["id"])
    assert delivery["status"] == "succeeded"
    log = delivery["attempt_log"]
    assert [(a["status_code"], a["error"]) for a in log] == [(None, "timeout"), (200, None)]
    # the first attempt was cut off by the 0.3 s timeout, not by the 1.5 s reply
    assert 250 <= log[0]["latency_ms"] < 1200


async def test_redirect_is_a_failure_and_is_not_followed(
    app: FastAPI, client: httpx.AsyncClient, receiver: ScriptedReceiver
) -> None:
    api = await hooks_api(app, client)
    endpoint = await subscribe(api, receiver.url("/moved"))
    target = receiver.url("/target")
    receiver.answer(
        "/moved",
        Reply(302, {"location": target}),
        Reply(307, {"location": target}),
        Reply(308, {"location": target}),
    )
    await ping(api, endpoint["id"])
    d = dispatcher(app)
    try:
        await dispatch_all(app, d)
    finally:
        await d.aclose()

    assert receiver.received("/target") == []
    assert len(receiver.received("/moved")) == 4
    [delivery] = await deliveries(api, endpoint["id"])
    assert [a["status_code"] for a in delivery["attempt_log"]] == [302, 307, 308, 200]
    assert delivery["status"] == "succeeded"


async def test_retry_after_on_429_and_503_delays_the_next_attempt(
    app: FastAPI, client: httpx.AsyncClient, receiver: ScriptedReceiver
) -> None:
    api = await hooks_api(app, client)
    endpoint = await subscribe(api, receiver.url("/busy"))
    receiver.answer(
        "/busy",
        Reply(429, {"retry-after": "1"}),
        Reply(503, {"retry-after": "1"}),
    )
    await ping(api, endpoint["id"])
    d = dispatcher(app)  # schedule: 10 ms, 20 ms, 30 ms — far shorter than Retry-After
    try:
        await d.run_once()  # first attempt: 429
        [delivery] = await deliveries(api, endpoint["id"])
        assert delivery["status"] == "pending"
        assert [a["status_code"] for a in delivery["attempt_log"]] == [429]
        wait = parse_time(delivery["next_attempt_at"]) - parse_time(
            delivery["attempt_log"][0]["attempted_at"]
        )
        assert wait >= timedelta(milliseconds=990), wait
        await asyncio.sleep(0.1)
        assert await d.run_once() == 0  # not due yet, although the schedule says 10 ms
        await dispatch_all(app, d)
    finally:
        await d.aclose()

    got = receiver.received("/busy")
    assert len(got) == 3
    assert got[1].at - got[0].at >= 0.95
    assert got[2].at - got[1].at >= 0.95
    # same webhook-id, but a fresh webhook-timestamp (and signature) on every attempt
    assert len({r.headers["webhook-id"] for r in got}) == 1
    stamps = [int(r.headers["webhook-timestamp"]) for r in got]
    assert stamps == sorted(set(stamps)), stamps
    for request in got:
        Webhook(str(endpoint["secret"])).verify(request.body, request.headers)
    [delivery] = await deliveries(api, endpoint["id"])
    log = delivery["attempt_log"]
    assert [a["status_code"] for a in log] == [429, 503, 200]
    times = [parse_time(a["attempted_at"]) for a in log]
    assert times[1] - times[0] >= timedelta(milliseconds=990)
    assert times[2] - times[1] >= timedelta(milliseconds=990)


async def test_exhausted_schedule_fails_and_manual_retry_redelivers_same_id(
    app: FastAPI, client: httpx.AsyncClient, receiver: ScriptedReceiver
) -> None:
    api = await hooks_api(app, client)
    endpoint = await subscribe(api, receiver.url("/down"))
    receiver.answer("/down", *[Reply(500)] * (1 + len(FAST)))
    event_id = await ping(api, endpoint["id"])
    d = dispatcher(app)
    try:
        await dispatch_all(app, d)
        [delivery] = await deliveries(api, endpoint["id"])
        assert delivery["status"] == "failed"
        assert delivery["attempts"] == 1 + len(FAST)
        assert delivery["next_attempt_at"] is None
        assert [a["status_code"] for a in delivery["attempt_log"]] == [500] * 4
        failed = (await api.get("/v1/events", delivery_failed="true")).json()["data"]
        assert [e["id"] for e in failed] == [event_id]

        r = await api.post(
            f"/v1/webhook-endpoints/{endpoint['id']}/deliveries/{delivery['id']}/retry"
        )
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "pending"
        await dispatch_all(app, d)
    finally:
        await d.aclose()

    got = receiver.received("/down")
    assert len(got) == 5
    assert {r.headers["webhook-id"] for r in got} == {event_id}
    assert len({r.body for r in got}) == 1
    [delivery] = await deliveries(api, endpoint["id"])
    assert delivery["status"] == "succeeded"
    assert [a["status_code"] for a in delivery["attempt_log"]] == [500, 500, 500, 500, 200]


async def test_answer_trickled_out_slower_than_the_timeout_is_cut_off(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """The timeout bounds the whole attempt: a receiver that keeps the connection busy by
    sending one header line every 0.1 s must not hold a dispatcher slot for 2.5 s when
    the timeout is 0.3 s (RELIABILITY: "Timeout 10-15 s"; slowloris against the sender)."""
    api = await hooks_api(app, client)
    with dripping("headers", drip_seconds=2.5) as server:
        endpoint = await subscribe(api, server.url())
        event_id = await ping(api, endpoint["id"])
        d = dispatcher(app, timeout_seconds=0.3)
        try:
            await dispatch_all(app, d)
        finally:
            await d.aclose()
        heads = list(server.heads)

    [delivery] = await deliveries(api, endpoint["id"])
    log = delivery["attempt_log"]
    assert [(a["status_code"], a["error"]) for a in log] == [(None, "timeout"), (200, None)], log
    assert log[0]["latency_ms"] < 1200
    assert len(heads) == 2
    assert {h["webhook-id"] for _, h in heads} == {event_id}


async def test_a_slow_body_does_not_hold_the_dispatcher(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """Only the status matters and the body is never read: a 2xx whose body trickles out
    for 2.5 s is a success at once."""
    api = await hooks_api(app, client)
    with dripping("body", drip_seconds=2.5) as server:
        endpoint = await subscribe(api, server.url())
        await ping(api, endpoint["id"])
        d = dispatcher(app, timeout_seconds=0.3)
        try:
            await dispatch_all(app, d)
        finally:
            await d.aclose()
        assert len(server.heads) == 1

    [delivery] = await deliveries(api, endpoint["id"])
    assert delivery["status"] == "succeeded"
    [attempt] = delivery["attempt_log"]
    assert attempt["status_code"] == 200
    assert attempt["latency_ms"] < 1200


# --------------------------------------------------------------------------- 2. disabling


async def test_endpoint_failing_for_the_configured_period_is_disabled_once(
    app: FastAPI, client: httpx.AsyncClient, receiver: ScriptedReceiver
) -> None:
    api = await hooks_api(app, client)
    dead = await subscribe(api, receiver.url("/dead"))
    await subscribe(api, receiver.url("/ops"), ["webhook_endpoint.disabled"])
    receiver.decide = lambda request: Reply(500) if request.path == "/dead" else None
    pings = {await ping(api, dead["id"]) for _ in range(3)}  # fail side by side
    disable_after = timedelta(milliseconds=400)
    d = dispatcher(app, schedule=(timedelta(milliseconds=50),) * 60, disable_after=disable_after)
    try:
        await dispatch_all(app, d)
    finally:
        await d.aclose()

    shown = (await api.get(f"/v1/webhook-endpoints/{dead['id']}")).json()
    assert shown["enabled"] is False
    assert "failing continuously" in shown["disabled_reason"]
    disabled = (await api.get("/v1/events", type="webhook_endpoint.disabled")).json()["data"]
    assert [e["data"]["object"]["id"] for e in disabled] == [dead["id"]]
    # not before the period: the first failure to the disabling is at least `disable_after`
    first_failure = await scalar(app, "SELECT min(attempted_at) FROM webhook_attempts")
    first = first_failure if isinstance(first_failure, datetime) else parse_time(first_failure)
    first = first.replace(tzinfo=UTC) if first.tzinfo is None else first
    assert parse_time(disabled[0]["created_at"]) - first >= disable_after
    # the other endpoint hears about it, once
    told = receiver.received("/ops")
    assert [body_of(r)["type"] for r in told] == ["webhook_endpoint.disabled"]
    assert told[0].headers["webhook-id"] == disabled[0]["id"]
    # the pings stop being retried once the endpoint is disabled
    to_dead = await deliveries(api, dead["id"])
    assert {x["event_id"] for x in to_dead} == pings
    assert {x["status"] for x in to_dead} == {"failed"}
    assert all(len(x["attempt_log"]) < 60 for x in to_dead)


# --------------------------------------------------------------------------- 3. rotation


async def test_after_rotation_a_delivery_verifies_with_old_and_new_secret(
    app: FastAPI, client: httpx.AsyncClient, receiver: ScriptedReceiver
) -> None:
    api = await hooks_api(app, client)
    endpoint = await subscribe(api, receiver.url("/rot"))
    old = str(endpoint["secret"])
    await ping(api, endpoint["id"])
    d = dispatcher(app)
    try:
        await dispatch_all(app, d)
        r = await api.post(f"/v1/webhook-endpoints/{endpoint['id']}/rotate-secret")
        assert r.status_code == 200, r.text
        new = str(r.json()["secret"])
        assert new.startswith("whsec_")
        assert new != old
        await ping(api, endpoint["id"])
        await dispatch_all(app, d)
        # once the grace period is over, only the new secret signs
        async with app.state.sessionmaker() as session, session.begin():
            await session.execute(
                update(WebhookEndpoint)
                .where(WebhookEndpoint.id == uuid.UUID(endpoint["id"]))
                .values(previous_secret_expires_at=datetime.now(UTC) - timedelta(seconds=1))
            )
        await ping(api, endpoint["id"])
        await dispatch_all(app, d)
    finally:
        await d.aclose()

    before, after, expired = receiver.received("/rot")
    assert len(expired.headers["webhook-signature"].split(" ")) == 1
    Webhook(new).verify(expired.body, expired.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(expired.body, expired.headers)
    assert len(before.headers["webhook-signature"].split(" ")) == 1
    Webhook(old).verify(before.body, before.headers)

    signatures = after.headers["webhook-signature"].split(" ")
    assert len(signatures) == 2
    assert all(s.startswith("v1,") for s in signatures)
    assert Webhook(old).verify(after.body, after.headers)["type"] == "ping"
    assert Webhook(new).verify(after.body, after.headers)["type"] == "ping"
    # each secret made exactly one of the two signatures
    for secret in (old, new):
        matching = []
        for signature in signatures:
            one = {**after.headers, "webhook-signature": signature}
            with contextlib.suppress(WebhookVerificationError):
                Webhook(secret).verify(after.body, one)
                matching.append(signature)
        assert len(matching) == 1, secret
    with pytest.raises(WebhookVerificationError):
        Webhook(generate_secret()).verify(after.body, after.headers)


# --------------------------------------------------------------------------- 4. ping/replay


async def test_ping_goes_to_that_endpoint_only(
    app: FastAPI, client: httpx.AsyncClient, receiver: ScriptedReceiver
) -> None:
    api = await hooks_api(app, client)
    a = await subscribe(api, receiver.url("/a"))
    b = await subscribe(api, receiver.url("/b"))
    event_id = await ping(api, a["id"])
    d = dispatcher(app)
    try:
        await dispatch_all(app, d)
    finally:
        await d.aclose()

    [got] = receiver.received("/a")
    assert got.headers["webhook-id"] == event_id
    payload = Webhook(str(a["secret"])).verify(got.body, got.headers)
    assert payload["type"] == "ping"
    assert payload["id"] == event_id
    assert receiver.received("/b") == []
    assert await deliveries(api, b["id"]) == []


async def test_replay_of_a_time_range_resends_those_events_with_the_same_ids(
    app: FastAPI, client: httpx.AsyncClient, receiver: ScriptedReceiver
) -> None:
    api = await hooks_api(app, client)
    a = await subscribe(api, receiver.url("/a"))
    await subscribe(api, receiver.url("/b"))
    await api.put_order("ord_rp1")
    await api.put_order("ord_rp2")
    start = datetime.now(UTC) - timedelta(milliseconds=1)
    first = (await api.create_return("ord_rp1")).json()["id"]
    assert (await api.post(f"/v1/returns/{first}/approve")).status_code == 200
    await asyncio.sleep(0.02)
    cut = datetime.now(UTC)
    await asyncio.sleep(0.02)
    second = (await api.create_return("ord_rp2")).json()["id"]
    in_range = (await api.get("/v1/events", return_id=first)).json()["data"]
    assert [e["type"] for e in in_range] == ["return.created", "return.approved"]

    d = dispatcher(app)
    try:
        await dispatch_all(app, d)
        assert len(receiver.received("/a")) == 3
        assert len(receiver.received("/b")) == 3
        r = await api.post(
            f"/v1/webhook-endpoints/{a['id']}/replay",
            {"created_after": iso(start), "created_before": iso(cut)},
        )
        assert r.status_code == 200, r.text
        assert r.json()["scheduled"] == 2
        await dispatch_all(app, d)
    finally:
        await d.aclose()

    to_a = receiver.received("/a")
    replayed = to_a[3:]
    assert [r.headers["webhook-id"] for r in replayed] == [e["id"] for e in in_range]
    originals = {r.headers["webhook-id"]: r.body for r in to_a[:3]}
    assert [r.body for r in replayed] == [originals[e["id"]] for e in in_range]
    for request in replayed:
        Webhook(str(a["secret"])).verify(request.body, request.headers)
    assert len(receiver.received("/b")) == 3  # the other endpoint gets nothing again
    assert second not in {body_of(r)["data"]["object"]["id"] for r in replayed}


async def test_replay_to_an_endpoint_added_later_delivers_those_events_for_the_first_time(
    app: FastAPI, client: httpx.AsyncClient, receiver: ScriptedReceiver
) -> None:
    """The events were routed before the endpoint existed: a replay creates its deliveries
    (once: a second replay sends the same deliveries again, it does not add more)."""
    api = await hooks_api(app, client)
    await subscribe(api, receiver.url("/early"))
    await api.put_order("ord_late1")
    start = datetime.now(UTC) - timedelta(milliseconds=1)
    return_id = (await api.create_return("ord_late1")).json()["id"]
    [created] = (await api.get("/v1/events", return_id=return_id)).json()["data"]

    d = dispatcher(app)
    try:
        await dispatch_all(app, d)
        late = await subscribe(api, receiver.url("/late"))
        await dispatch_all(app, d)
        assert receiver.received("/late") == []
        for _ in range(2):
            r = await api.post(
                f"/v1/webhook-endpoints/{late['id']}/replay", {"created_after": iso(start)}
            )
            assert r.status_code == 200, r.text
            assert r.json()["scheduled"] == 1
            await dispatch_all(app, d)
    finally:
        await d.aclose()

    to_late = receiver.received("/late")
    assert [r.headers["webhook-id"] for r in to_late] == [created["id"], created["id"]]
    for request in to_late:
        Webhook(str(late["secret"])).verify(request.body, request.headers)
    [delivery] = await deliveries(api, late["id"])
    assert delivery["event_id"] == created["id"]
    assert delivery["status"] == "succeeded"
    assert len(delivery["attempt_log"]) == 2


async def test_a_large_batch_records_every_success_once_and_failures_for_retry(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """Successes are recorded in groups (SETTLE_BATCH per transaction); failures one by one.
    More pings than two groups, every seventh one refused once: each delivery ends
    succeeded with one attempt per send, and the refused ones are retried."""
    refused: set[str] = set()

    def decide(request: Received) -> Reply | None:
        n = json.loads(request.body)["data"]["n"]
        first_time = request.headers["webhook-id"] not in refused
        if n % 7 == 0 and first_time:
            refused.add(request.headers["webhook-id"])
            return Reply(status=500)
        return Reply()

    receiver = ScriptedReceiver(decide)
    with serving(receiver):
        api = await hooks_api(app, client)
        endpoint = await subscribe(api, receiver.url("/many"))
        count = 2 * SETTLE_BATCH + 17
        async with app.state.sessionmaker() as session, session.begin():
            for n in range(count):
                await record_event(session, "ping", {"endpoint_id": endpoint["id"], "n": n})
        d = dispatcher(app, batch_size=500, concurrency=16)
        try:
            await dispatch_all(app, d, within=30)
        finally:
            await d.aclose()

    retried = len(refused)
    assert retried == len(range(0, count, 7))
    assert len(receiver.received("/many")) == count + retried
    assert (
        await scalar(app, "SELECT count(*) FROM webhook_deliveries WHERE status = 'succeeded'")
        == count
    )
    assert await scalar(app, "SELECT count(*) FROM webhook_attempts") == count + retried
    per_delivery = await rows(
        app, "SELECT attempts, last_status_code FROM webhook_deliveries ORDER BY id"
    )
    assert sorted(a for a, _ in per_delivery) == [1] * (count - retried) + [2] * retried
    assert {code for _, code in per_delivery} == {200}


# --------------------------------------------------------------------------- 5. ordering


async def test_later_event_of_a_return_waits_for_the_earlier_one(
    app: FastAPI, client: httpx.AsyncClient, receiver: ScriptedReceiver
) -> None:
    api = await hooks_api(app, client)
    endpoint = await subscribe(api, receiver.url("/order"))
    await api.put_order("ord_o1")
    await api.put_order("ord_o2")
    slow_return = (await api.create_return("ord_o1")).json()["id"]
    assert (await api.post(f"/v1/returns/{slow_return}/approve")).status_code == 200
    other_return = (await api.create_return("ord_o2")).json()["id"]
    assert (await api.post(f"/v1/returns/{other_return}/approve")).status_code == 200

    failures = {"left": 2}

    def decide(request: Received) -> Reply | None:
        data = body_of(request)["data"]
        if data["object"]["id"] == slow_return and data["sequence"] == 1 and failures["left"]:
            failures["left"] -= 1
            return Reply(500)
        return None

    receiver.decide = decide
    d = dispatcher(app)
    try:
        await dispatch_all(app, d)
    finally:
        await d.aclose()

    per_return: dict[str, list[int]] = defaultdict(list)
    for request in receiver.received("/order"):
        data = body_of(request)["data"]
        per_return[data["object"]["id"]].append(data["sequence"])
    events = (await api.get("/v1/events", return_id=slow_return)).json()["data"]
    created, approved = (e["data"]["sequence"] for e in events)
    assert created < approved
    # three tries of the first event (500, 500, 200), and only then the second one
    assert per_return[slow_return] == [created, created, created, approved]
    assert len(per_return[other_return]) == 2
    assert per_return[other_return] == sorted(per_return[other_return])
    assert {x["status"] for x in await deliveries(api, endpoint["id"])} == {"succeeded"}


# --------------------------------------------------------------------------- PostgreSQL


@pytest.fixture
def postgres_only(backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("several dispatcher processes need PostgreSQL (SKIP LOCKED, leases)")


@dataclass
class WorkerProcess:
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def start_worker(settings: Settings, log: Path, **env: str) -> WorkerProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("RETURNS_")}
    environment.update(
        {
            "RETURNS_ENV": "test",
            "RETURNS_DATABASE_URL": settings.database_url,
            "RETURNS_WEBHOOKS_ALLOW_PRIVATE_URLS": "true",
            "RETURNS_WEBHOOKS_RETRY_SCHEDULE_SECONDS": "[0.05,0.1]",
            "RETURNS_DISPATCHER_POLL_SECONDS": "0.05",
            "RETURNS_LOG_LEVEL": "info",
            "RETURNS_DATABASE_POOL_SIZE": "10",
        }
    )
    environment.update(env)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(WORKER), "worker"], env=environment, stdout=out, stderr=subprocess.STDOUT
        )
    return WorkerProcess(process, log)


def kill(worker: WorkerProcess) -> None:
    if worker.process.poll() is None:
        worker.process.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        worker.process.wait(timeout=10)


def stop(worker: WorkerProcess, timeout: float = 10.0) -> int | None:
    """SIGTERM (finish the batch in flight), then SIGKILL if it does not exit in time."""
    if worker.process.poll() is None:
        worker.process.send_signal(signal.SIGTERM)
    try:
        return worker.process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill(worker)
        return None


async def wait_for(
    condition: Callable[[], Awaitable[bool]], within: float, what: str, *workers: WorkerProcess
) -> None:
    deadline = time.monotonic() + within
    while not await condition():
        for worker in workers:
            if worker.process.poll() is not None:
                raise AssertionError(f"worker exited early:\n{worker.output()[-3000:]}")
        if time.monotonic() > deadline:
            logs = "\n".join(w.output()[-2000:] for w in workers)
            raise AssertionError(f"timed out after {within} s waiting for {what}\n{logs}")
        await asyncio.sleep(0.05)


async def started(*workers: WorkerProcess) -> bool:
    return all("dispatcher_started" in w.output() for w in workers)


async def test_two_worker_processes_deliver_1000_events_each_exactly_once(
    postgres_only: None,
    app: FastAPI,
    client: httpx.AsyncClient,
    settings: Settings,
    receiver: ScriptedReceiver,
    tmp_path: Path,
) -> None:
    api = await hooks_api(app, client)
    endpoint = await subscribe(api, receiver.url("/bulk"))
    workers: list[WorkerProcess] = []
    try:
        for n in range(2):
            workers.append(
                start_worker(
                    settings, tmp_path / f"worker{n}.log", RETURNS_DISPATCHER_BATCH_SIZE="50"
                )
            )
        await wait_for(lambda: started(*workers), 20, "both workers to start", *workers)

        # 500 pings (no ordering) + 100 returns x 5 events (ordered per return), one commit
        returns = [uuid.uuid4() for _ in range(100)]
        event_ids: list[uuid.UUID] = []
        async with app.state.sessionmaker() as session, session.begin():
            for _ in range(500):
                event_ids.append(
                    await record_event(session, "ping", {"endpoint_id": endpoint["id"]})
                )
            for sequence in range(1, 6):
                for return_id in returns:
                    event_ids.append(
                        await record_event(
                            session,
                            "return.approved",
                            {"object": {"id": str(return_id)}, "previous_status": None},
                            return_id=return_id,
                            sequence=sequence,
                        )
                    )
        total = len(event_ids)
        assert total == 1000

        async def all_delivered() -> bool:
            n = await scalar(
                app, "SELECT count(*) FROM webhook_deliveries WHERE status = 'succeeded'"
            )
            return int(n) >= total and await unfinished(app) == 0

        began = time.monotonic()
        await wait_for(all_delivered, 40, f"{total} deliveries", *workers)
        elapsed = time.monotonic() - began
        for worker in workers:
            assert stop(worker) == 0, worker.output()[-2000:]
    finally:
        for worker in workers:
            kill(worker)

    got = receiver.received("/bulk")
    seen = Counter(r.headers["webhook-id"] for r in got)
    assert set(seen) == {str(e) for e in event_ids}
    twice = {k: v for k, v in seen.items() if v > 1}
    assert twice == {}, f"{len(twice)} events were sent more than once"

    delivery_rows = await rows(app, "SELECT id, status, attempts FROM webhook_deliveries")
    assert len(delivery_rows) == total
    assert {(status, attempts) for _, status, attempts in delivery_rows} == {("succeeded", 1)}
    attempts = await rows(app, "SELECT delivery_id, status_code, worker FROM webhook_attempts")
    per_delivery = Counter(delivery_id for delivery_id, _, _ in attempts)
    assert len(per_delivery) == total
    assert set(per_delivery.values()) == {1}
    assert {status for _, status, _ in attempts} == {200}
    by_worker = Counter(worker for _, _, worker in attempts)
    assert len(by_worker) == 2, f"one worker did everything: {by_worker}"

    # one return's events arrived one after another, in order, whichever worker sent them
    per_return: dict[str, list[int]] = defaultdict(list)
    for request in got:
        data = body_of(request)["data"]
        if "sequence" in data:
            per_return[data["object"]["id"]].append(data["sequence"])
    assert len(per_return) == 100
    out_of_order = {k: v for k, v in per_return.items() if v != [1, 2, 3, 4, 5]}
    assert out_of_order == {}
    log.warning(f"1000 events through 2 workers in {elapsed:.2f} s; by worker: {dict(by_worker)}")


async def test_killed_worker_is_taken_over_after_its_lease_with_the_same_webhook_id(
    postgres_only: None,
    app: FastAPI,
    client: httpx.AsyncClient,
    settings: Settings,
    receiver: ScriptedReceiver,
    tmp_path: Path,
) -> None:
    api = await hooks_api(app, client)
    endpoint = await subscribe(api, receiver.url("/slow"))
    receiver.decide = lambda request: Reply(200, delay=0.5)
    async with app.state.sessionmaker() as session, session.begin():
        event_ids = [
            await record_event(session, "ping", {"endpoint_id": endpoint["id"], "n": n})
            for n in range(24)
        ]
    env = {"RETURNS_DISPATCHER_LEASE_SECONDS": "1", "RETURNS_DISPATCHER_CONCURRENCY": "4"}
    workers: list[WorkerProcess] = []
    try:
        first = start_worker(settings, tmp_path / "first.log", **env)
        workers.append(first)

        async def second_wave_in_flight() -> bool:
            return len(receiver.received("/slow")) >= 6

        await wait_for(second_wave_in_flight, 20, "the first worker to be mid-batch", first)
        first.process.send_signal(signal.SIGKILL)
        first.process.wait(timeout=10)
        at_kill = len(receiver.received("/slow"))
        settled = int(
            await scalar(app, "SELECT count(*) FROM webhook_deliveries WHERE status = 'succeeded'")
        )
        assert settled < len(event_ids), "the kill came too late: nothing left to take over"

        second = start_worker(
            settings, tmp_path / "second.log", **{**env, "RETURNS_DISPATCHER_CONCURRENCY": "16"}
        )
        workers.append(second)

        async def everything_delivered() -> bool:
            n = await scalar(
                app, "SELECT count(*) FROM webhook_deliveries WHERE status = 'succeeded'"
            )
            return int(n) == len(event_ids)

        await wait_for(everything_delivered, 25, "the new worker to finish", second)
        assert stop(second) == 0, second.output()[-2000:]
    finally:
        for worker in workers:
            kill(worker)

    got = receiver.received("/slow")
    by_id: dict[str, list[Received]] = defaultdict(list)
    for request in got:
        by_id[request.headers["webhook-id"]].append(request)
    assert set(by_id) == {str(e) for e in event_ids}  # every committed event, at least once
    duplicates = {k: v for k, v in by_id.items() if len(v) > 1}
    # the requests in flight when the worker died were never recorded: sent again
    assert duplicates, f"no duplicate: the kill (after {at_kill} requests) missed the flight"
    verifier = Webhook(str(endpoint["secret"]))
    for requests in duplicates.values():
        assert len({r.body for r in requests}) == 1  # same webhook-id, same bytes
        for request in requests:
            verifier.verify(request.body, request.headers)
    log.warning(f"killed after {at_kill} requests; {len(duplicates)} events delivered twice")
