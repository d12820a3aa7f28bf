"""Idempotency-Key on POSTs (DESIGN §8, RELIABILITY "Idempotency"), through HTTP.

Same key + same request → the first answer replayed; same key + another request → 422;
same key while the first is still running → 409; keys are scoped to the credential;
validation failures and conflicts store nothing; a crashed request's lease is taken over.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update
from starlette.requests import Request

from returns_api.auth.keys import hash_key
from returns_api.auth.repository import ApiKeyRepository
from returns_api.auth.service import revoke_api_key
from returns_api.core import idempotency
from returns_api.core.clock import utcnow
from returns_api.core.idempotency_repository import IdempotencyKey
from tests.api.test_foundation import assert_problem
from tests.conftest import bearer, new_api_key
from tests.factories import Api

KEY = "Idempotency-Key"


def _return_body(line_item_id: str = "li_1", quantity: int = 1) -> dict[str, Any]:
    return {
        "order_id": "ord_1",
        "items": [{"line_item_id": line_item_id, "quantity": quantity, "reason": "size_fit"}],
    }


def _encoded(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()


async def _post(
    client: httpx.AsyncClient,
    credential: str,
    path: str,
    body: dict[str, Any] | None,
    key: str | None,
    **headers: str,
) -> httpx.Response:
    all_headers = {**bearer(credential), **headers}
    if key is not None:
        all_headers[KEY] = key
    return await client.post(path, json=body, headers=all_headers)


async def _stored(app: FastAPI) -> list[IdempotencyKey]:
    async with app.state.sessionmaker() as session:
        return list((await session.execute(select(IdempotencyKey))).scalars())


async def _return_ids(api: Api) -> list[str]:
    page = await api.get("/v1/returns", limit=100)
    assert page.status_code == 200, page.text
    return [r["id"] for r in page.json()["data"]]


def _starlette_request(path: str, credential: str, key: str, body: bytes) -> Request:
    """The request as the route sees it, for claiming a key the way the route does."""
    scope = {
        "type": "http",
        "method": "POST",
        "scheme": "http",
        "server": ("testserver", 80),
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"authorization", f"Bearer {credential}".encode()),
            (b"idempotency-key", key.encode()),
            (b"content-type", b"application/json"),
        ],
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    return Request(scope, receive)


@pytest.fixture
async def api(app: FastAPI, client: httpx.AsyncClient) -> Api:
    staff = await Api.staff(app, client)
    await staff.put_order("ord_1")
    return staff


def _credential(api: Api) -> str:
    return api.headers["Authorization"].removeprefix("Bearer ")


# --- replay --------------------------------------------------------------------------------


async def test_same_key_and_body_replays_the_first_answer(app: FastAPI, api: Api) -> None:
    cred = _credential(api)
    first = await _post(api.client, cred, "/v1/returns", _return_body(), "create-1")
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers

    for _ in range(2):
        again = await _post(api.client, cred, "/v1/returns", _return_body(), "create-1")
        assert again.status_code == 201, again.text
        assert again.headers["idempotent-replayed"] == "true"
        assert again.content == first.content
        assert again.json()["id"] == first.json()["id"]
        assert again.json()["rma_number"] == first.json()["rma_number"]
        for header in ("content-type", "etag", "location"):
            assert again.headers[header] == first.headers[header], header
        assert again.headers["x-request-id"] != first.headers["x-request-id"]

    assert await _return_ids(api) == [first.json()["id"]]
    order = (await api.get("/v1/orders/ord_1")).json()
    assert order["line_items"][0]["returnable_quantity"] == 1  # 2 bought, 1 returned once

    [row] = await _stored(app)
    assert row.state == "done"
    assert row.response_status == 201
    assert row.expires_at - row.created_at >= timedelta(hours=24)  # kept at least 24 h


async def test_replay_works_for_a_portal_token_too(app: FastAPI, api: Api) -> None:
    session = await api.client.post(
        "/v1/portal/sessions", json={"order_number": "ORD-PORTAL", "email": "x@example.com"}
    )
    assert session.status_code == 404  # no such order yet
    await api.put_order("ord_1", number="ORD-PORTAL", email="x@example.com")
    session = await api.client.post(
        "/v1/portal/sessions", json={"order_number": "ORD-PORTAL", "email": "x@example.com"}
    )
    token = session.json()["token"]
    first = await _post(api.client, token, "/v1/returns", _return_body(), "portal-1")
    again = await _post(api.client, token, "/v1/returns", _return_body(), "portal-1")
    assert first.status_code == again.status_code == 201, (first.text, again.text)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert len(await _return_ids(api)) == 1


async def test_same_key_with_another_request_is_422(api: Api) -> None:
    cred = _credential(api)
    first = await _post(api.client, cred, "/v1/returns", _return_body(), "reused")
    assert first.status_code == 201, first.text

    other_body = await _post(
        api.client, cred, "/v1/returns", _return_body("li_1", quantity=2), "reused"
    )
    problem = assert_problem(other_body, 422)
    assert problem["type"] == "urn:returns-api:problem:idempotency-key-reused"
    assert "idempotent-replayed" not in other_body.headers

    other_line = await _post(api.client, cred, "/v1/returns", _return_body("li_2"), "reused")
    assert_problem(other_line, 422)
    other_path = await _post(api.client, cred, "/v1/returns/quote", _return_body(), "reused")
    assert_problem(other_path, 422)

    assert await _return_ids(api) == [first.json()["id"]]
    # and the original request still replays
    again = await _post(api.client, cred, "/v1/returns", _return_body(), "reused")
    assert again.headers["idempotent-replayed"] == "true"


async def test_same_key_from_another_credential_is_independent(app: FastAPI, api: Api) -> None:
    first_cred = _credential(api)
    second_cred = await new_api_key(app, "returns:write", name="second")
    body = _return_body()

    first = await _post(api.client, first_cred, "/v1/returns", body, "shared")
    second = await _post(api.client, second_cred, "/v1/returns", body, "shared")
    assert first.status_code == second.status_code == 201, (first.text, second.text)
    assert "idempotent-replayed" not in second.headers
    assert first.json()["id"] != second.json()["id"]
    assert second.json()["created_by"] == "second"

    # each replays its own answer, never the other's
    first_again = await _post(api.client, first_cred, "/v1/returns", body, "shared")
    second_again = await _post(api.client, second_cred, "/v1/returns", body, "shared")
    assert first_again.json()["id"] == first.json()["id"]
    assert second_again.json()["id"] == second.json()["id"]
    # the other credential may even use the key for a different request
    third_cred = await new_api_key(app, "returns:read", name="third")
    quoted = await _post(api.client, third_cred, "/v1/returns/quote", body, "shared")
    assert quoted.status_code == 200, quoted.text

    assert sorted(await _return_ids(api)) == sorted([first.json()["id"], second.json()["id"]])
    assert len(await _stored(app)) == 3


async def test_stored_errors_are_replayed(api: Api) -> None:
    """Not found is an outcome, not a validation failure: it is kept like a success."""
    cred = _credential(api)
    body = {**_return_body(), "order_id": "ord_later"}
    missing = await _post(api.client, cred, "/v1/returns", body, "too-early")
    problem = assert_problem(missing, 404)
    assert problem["type"] == "urn:returns-api:problem:order-not-found"
    await api.put_order("ord_later")
    again = await _post(api.client, cred, "/v1/returns", body, "too-early")
    assert again.status_code == 404
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == missing.content
    assert again.headers["content-type"] == "application/problem+json"
    # a new key is a new request
    fresh = await _post(api.client, cred, "/v1/returns", body, "after-the-order")
    assert fresh.status_code == 201, fresh.text


# --- in flight, and a crashed request's lease ---------------------------------------------


async def _principal(app: FastAPI, request: Request) -> str:
    """Whom the service scopes the key to, resolved the way the service does it."""
    request.scope["app"] = app  # as in the route: settings are read from the app
    async with app.state.sessionmaker() as session:
        principal = await app.state.resolve_principal(request, session)
    assert principal is not None
    return str(principal)


async def test_a_key_still_in_flight_is_409(app: FastAPI, api: Api) -> None:
    cred = _credential(api)
    body = _encoded(_return_body())
    request = _starlette_request("/v1/returns", cred, "busy", body)
    claim = await idempotency.claim(
        request, app.state.sessionmaker, timedelta(hours=24), await _principal(app, request)
    )
    assert claim is not None
    assert claim.replay is None
    headers = {**bearer(cred), KEY: "busy", "content-type": "application/json"}

    busy = await api.client.post("/v1/returns", content=body, headers=headers)
    problem = assert_problem(busy, 409)
    assert problem["type"] == "urn:returns-api:problem:idempotency-key-in-flight"
    assert "idempotent-replayed" not in busy.headers
    # another request with the key is still another request
    other = await api.client.post(
        "/v1/returns", content=_encoded(_return_body("li_2")), headers=headers
    )
    assert_problem(other, 422)
    assert await _return_ids(api) == []
    # the 409 did not disturb the claim: it is still the first request's
    [row] = await _stored(app)
    assert row.state == "in_flight"

    await idempotency.release(app.state.sessionmaker, claim)  # the first request gave up
    done = await api.client.post("/v1/returns", content=body, headers=headers)
    assert done.status_code == 201, done.text
    assert "idempotent-replayed" not in done.headers
    assert len(await _return_ids(api)) == 1


async def test_an_expired_lease_is_taken_over(app: FastAPI, api: Api) -> None:
    """The first attempt's process died mid-request: after its lease, a retry runs afresh."""
    cred = _credential(api)
    body = _encoded(_return_body())
    request = _starlette_request("/v1/returns", cred, "crashed", body)
    claim = await idempotency.claim(
        request, app.state.sessionmaker, timedelta(hours=24), await _principal(app, request)
    )
    assert claim is not None
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.principal == claim.principal, IdempotencyKey.key == claim.key)
            .values(locked_until=utcnow() - timedelta(seconds=1))
        )
    headers = {**bearer(cred), KEY: "crashed", "content-type": "application/json"}

    # a different request still may not borrow the key
    assert_problem(
        await api.client.post(
            "/v1/returns", content=_encoded(_return_body("li_2")), headers=headers
        ),
        422,
    )
    taken_over = await api.client.post("/v1/returns", content=body, headers=headers)
    assert taken_over.status_code == 201, taken_over.text
    assert "idempotent-replayed" not in taken_over.headers
    replay = await api.client.post("/v1/returns", content=body, headers=headers)
    assert replay.status_code == 201
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json()["id"] == taken_over.json()["id"]
    assert await _return_ids(api) == [taken_over.json()["id"]]
    [row] = await _stored(app)
    assert row.state == "done"


async def test_concurrent_requests_with_one_key_make_one_return(app: FastAPI, api: Api) -> None:
    cred = _credential(api)
    attempts: list[Awaitable[httpx.Response]] = [
        _post(api.client, cred, "/v1/returns", _return_body(), "race") for _ in range(5)
    ]
    answers = await asyncio.gather(*attempts)
    statuses = sorted(r.status_code for r in answers)
    assert set(statuses) <= {201, 409}, [r.text for r in answers]
    created = [r for r in answers if r.status_code == 201]
    assert created
    assert len({r.json()["id"] for r in created}) == 1
    assert sum("idempotent-replayed" not in r.headers for r in created) == 1
    assert len(await _return_ids(api)) == 1


# --- what is not stored --------------------------------------------------------------------


async def test_validation_failures_store_nothing(app: FastAPI, api: Api) -> None:
    cred = _credential(api)
    invalid_bodies: list[dict[str, Any]] = [
        {"order_id": "ord_1", "items": []},  # schema
        {**_return_body(), "status": "approved"},  # mass assignment
        _return_body("li_1", quantity=99),  # the policy's hard checks: not returnable
        _return_body("li_nope"),  # unknown line
    ]
    for body in invalid_bodies:
        refused = await _post(api.client, cred, "/v1/returns", body, "fix-and-retry")
        assert_problem(refused, 422)
        assert await _stored(app) == [], body

    fixed = await _post(api.client, cred, "/v1/returns", _return_body(), "fix-and-retry")
    assert fixed.status_code == 201, fixed.text
    assert "idempotent-replayed" not in fixed.headers
    assert len(await _return_ids(api)) == 1


async def test_auth_failures_store_nothing(app: FastAPI, api: Api) -> None:
    reader = await new_api_key(app, "returns:read", name="reader")
    forbidden = await _post(api.client, reader, "/v1/returns", _return_body(), "auth-k")
    assert_problem(forbidden, 403)
    unknown = await _post(api.client, "rk_unknown", "/v1/returns", _return_body(), "auth-k")
    assert_problem(unknown, 401)
    assert await _stored(app) == []


async def test_conflicts_store_nothing(app: FastAPI, api: Api) -> None:
    cred = _credential(api)
    approved = (await api.create_return("ord_1", [_return_body()["items"][0]])).json()
    pending = (
        await api.create_return(
            "ord_1", [{"line_item_id": "li_2", "quantity": 1, "reason": "damaged"}]
        )
    ).json()
    assert (await api.post(f"/v1/returns/{approved['id']}/approve")).status_code == 200

    # 409: approving what is already approved; the key stays free
    conflict = await _post(
        api.client, cred, f"/v1/returns/{approved['id']}/approve", {"note": "ok"}, "k-409"
    )
    assert_problem(conflict, 409)
    assert await _stored(app) == []
    retried = await _post(
        api.client, cred, f"/v1/returns/{pending['id']}/approve", {"note": "ok"}, "k-409"
    )
    assert retried.status_code == 200, retried.text
    assert "idempotent-replayed" not in retried.headers

    # 412: a stale If-Match; retried with the right one, the same key runs the change
    target = (
        await api.create_return(
            "ord_1", [{"line_item_id": "li_1", "quantity": 1, "reason": "changed_mind"}]
        )
    ).json()
    path = f"/v1/returns/{target['id']}/reject"
    stale = await _post(api.client, cred, path, {"note": "no"}, "k-412", **{"If-Match": '"7"'})
    assert_problem(stale, 412)
    fresh = await _post(api.client, cred, path, {"note": "no"}, "k-412", **{"If-Match": '"1"'})
    assert fresh.status_code == 200, fresh.text
    assert fresh.json()["status"] == "rejected"
    assert "idempotent-replayed" not in fresh.headers


# --- transitions ---------------------------------------------------------------------------


async def test_a_transition_with_a_key_is_replayed_not_refused(api: Api) -> None:
    cred = _credential(api)
    created = await api.create_return("ord_1")
    rid = created.json()["id"]
    path = f"/v1/returns/{rid}/approve"

    first = await _post(api.client, cred, path, {"note": "fine"}, "approve-1")
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "approved"
    second = await _post(api.client, cred, path, {"note": "fine"}, "approve-1")
    assert second.status_code == 200, second.text
    assert second.headers["idempotent-replayed"] == "true"
    assert second.content == first.content
    assert second.headers["etag"] == first.headers["etag"] == '"2"'

    # without the key the same retry is, rightly, a conflict
    assert_problem(await _post(api.client, cred, path, {"note": "fine"}, None), 409)

    final = (await api.get(f"/v1/returns/{rid}")).json()
    assert [t["to_status"] for t in final["timeline"]] == ["pending_review", "approved"]
    assert final["version"] == 2


async def test_refund_with_a_key_is_paid_once(api: Api) -> None:
    cred = _credential(api)
    rid = (await api.create_return("ord_1")).json()["id"]
    for step, body in (
        ("approve", None),
        ("tracking-events", {"status": "in_transit", "tracking_number": "1Z", "carrier": "UPS"}),
        (
            "receive",
            {"items": [{"line_item_id": "li_1", "received_quantity": 1, "condition": "as_new"}]},
        ),
    ):
        done = await api.post(f"/v1/returns/{rid}/{step}", body)
        assert done.status_code == 200, done.text
    path = f"/v1/returns/{rid}/refunds"
    first = await _post(api.client, cred, path, {"amount": 500}, "refund-1")
    second = await _post(api.client, cred, path, {"amount": 500}, "refund-1")
    assert first.status_code == second.status_code == 201, (first.text, second.text)
    assert second.headers["idempotent-replayed"] == "true"
    final = (await api.get(f"/v1/returns/{rid}")).json()
    assert [r["amount"] for r in final["refunds"]] == [500]
    assert final["amounts"]["refunded"] == 500


# --- the key itself ------------------------------------------------------------------------


@pytest.mark.parametrize("bad_key", ["k" * 256, "x" * 1000, "", "tab\tinside"])
async def test_a_malformed_key_is_refused(app: FastAPI, api: Api, bad_key: str) -> None:
    cred = _credential(api)
    response = await _post(api.client, cred, "/v1/returns", _return_body(), bad_key)
    assert response.status_code in (400, 422), response.text
    assert_problem(response, response.status_code)
    assert await _return_ids(api) == []
    assert await _stored(app) == []


async def test_a_key_of_255_characters_is_accepted(app: FastAPI, api: Api) -> None:
    cred = _credential(api)
    key = "k" * 255
    first = await _post(api.client, cred, "/v1/returns", _return_body(), key)
    assert first.status_code == 201, first.text
    again = await _post(api.client, cred, "/v1/returns", _return_body(), key)
    assert again.headers["idempotent-replayed"] == "true"
    [row] = await _stored(app)
    assert row.key == key


# --- the key is no way around authentication ----------------------------------------------


async def test_a_revoked_key_cannot_replay_its_stored_answers(app: FastAPI, api: Api) -> None:
    """Authentication comes first: a revoked credential gets 401, not yesterday's 201."""
    key = await new_api_key(app, "returns:write", name="leaked")
    first = await _post(api.client, key, "/v1/returns", _return_body(), "before-revoke")
    assert first.status_code == 201, first.text
    async with app.state.sessionmaker() as session, session.begin():
        row = await ApiKeyRepository(session).find_for_auth(hash_key(key))
        assert row is not None
        await revoke_api_key(session, row["id"])

    assert_problem(await api.client.get("/v1/returns", headers=bearer(key)), 401)
    replay = await _post(api.client, key, "/v1/returns", _return_body(), "before-revoke")
    assert_problem(replay, 401)
    assert first.json()["id"] not in replay.text
