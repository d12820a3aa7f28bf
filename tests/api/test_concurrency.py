"""Real races through HTTP (RELIABILITY "Concurrency and errors", DESIGN §5).

Every racer is its own ``httpx.AsyncClient`` on the ASGI app; ``asyncio.gather`` starts them
in the same loop tick, so each request runs in its own task with its own pooled connection
and transaction, and they interleave at every database round trip. On PostgreSQL that is
real concurrency, settled by the row locks (the order row for creates, the return row for
changes) and the compare-and-set on ``version``: taking either lock away makes these tests
fail. On SQLite ``BEGIN IMMEDIATE`` serialises the writers; the same tests run there too and
show that the embedded mode queues them (busy_timeout) rather than losing one to "database
is locked".

Each race is repeated a few rounds on fresh rows to make an unlucky interleaving likely.
Whatever the interleaving, no request may end in a 5xx.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from returns_api.core.clock import utcnow
from returns_api.core.idempotency_repository import IdempotencyKey
from tests.conftest import new_api_key
from tests.factories import ALL_STAFF_SCOPES, Api, line, order_body

ROUNDS = 3
NOTHING_TO_REFUND = "urn:returns-api:problem:nothing-to-refund"


@asynccontextmanager
async def racers(app: FastAPI, key: str, count: int) -> AsyncIterator[list[Api]]:
    """`count` independent clients sharing one staff key (one connection each per request)."""
    async with AsyncExitStack() as stack:
        apis = []
        for _ in range(count):
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            client = await stack.enter_async_context(
                httpx.AsyncClient(transport=transport, base_url="http://testserver")
            )
            apis.append(Api(client, key))
        yield apis


async def race(
    apis: list[Api], call: Callable[[int, Api], Awaitable[httpx.Response]]
) -> list[httpx.Response]:
    responses = await asyncio.gather(*(call(i, api) for i, api in enumerate(apis)))
    for r in responses:
        assert r.status_code < 500, f"{r.request.method} {r.request.url.path}: {r.text}"
    return list(responses)


def statuses(responses: list[httpx.Response]) -> Counter[int]:
    return Counter(r.status_code for r in responses)


@pytest.fixture
async def staff(app: FastAPI, client: httpx.AsyncClient) -> tuple[Api, str]:
    key = await new_api_key(app, *ALL_STAFF_SCOPES, name="back-office")
    api = Api(client, key)
    # The first request marks the key used (a write on the api_keys row); do it now, so
    # racers do not queue behind that row instead of racing for the rows under test.
    assert (await api.get("/v1/returns")).status_code == 200
    return api, key


def _order_id() -> str:
    return f"ord_{uuid.uuid4().hex[:10]}"


async def _returns_of(api: Api, order_id: str) -> list[dict[str, Any]]:
    page = await api.get("/v1/returns", order_id=order_id, limit=100)
    assert page.status_code == 200, page.text
    return list(page.json()["data"])


async def _returnable(api: Api, order_id: str) -> dict[str, int]:
    order = await api.get(f"/v1/orders/{order_id}")
    assert order.status_code == 200, order.text
    return {ln["id"]: ln["returnable_quantity"] for ln in order.json()["line_items"]}


def _error_types(response: httpx.Response) -> set[str]:
    return {e.get("type") for e in response.json().get("errors") or []}


# --- the last returnable unit -------------------------------------------------------------


@pytest.mark.parametrize("contenders", [2, 10])
async def test_racing_returns_for_the_last_unit_have_exactly_one_winner(
    app: FastAPI, staff: tuple[Api, str], contenders: int
) -> None:
    api, key = staff
    async with racers(app, key, contenders) as apis:
        for round_ in range(ROUNDS + 1):
            order_id = _order_id()
            earlier: list[str] = []
            if round_ % 2 == 0:
                # A one-unit line, nothing returned yet.
                await api.put_order(order_id, lines=[line("li_1", quantity=1)])
            else:
                # Two units, one already held by an earlier return: one unit is left.
                await api.put_order(
                    order_id, lines=[line("li_1", quantity=2, unit_price=1500, tax=285)]
                )
                held = await api.create_return(order_id)
                assert held.status_code == 201, held.text
                earlier.append(held.json()["id"])
            assert await _returnable(api, order_id) == {"li_1": 1}

            responses = await race(apis, lambda _i, a, o=order_id: a.create_return(o))

            assert statuses(responses) == {201: 1, 422: contenders - 1}, statuses(responses)
            for r in responses:
                if r.status_code == 422:
                    assert r.headers["content-type"] == "application/problem+json"
                    assert "quantity_not_returnable" in _error_types(r), r.text
            winner = next(r for r in responses if r.status_code == 201).json()
            assert await _returnable(api, order_id) == {"li_1": 0}
            listed = await _returns_of(api, order_id)
            assert sorted(x["id"] for x in listed) == sorted([*earlier, winner["id"]])


async def test_racing_returns_never_oversell_a_line(app: FastAPI, staff: tuple[Api, str]) -> None:
    """Ten racers for one unit each of a three-unit line: exactly three win."""
    api, key = staff
    async with racers(app, key, 10) as apis:
        for _ in range(ROUNDS):
            order_id = _order_id()
            await api.put_order(order_id, lines=[line("li_1", quantity=3)])
            responses = await race(apis, lambda _i, a, o=order_id: a.create_return(o))
            assert statuses(responses) == {201: 3, 422: 7}, statuses(responses)
            assert await _returnable(api, order_id) == {"li_1": 0}
            listed = await _returns_of(api, order_id)
            assert sum(item["quantity"] for x in listed for item in x["items"]) == 3


async def test_returns_of_different_lines_do_not_block_each_other_out(
    app: FastAPI, staff: tuple[Api, str]
) -> None:
    """Serialised by the order lock, but every one of them is still accepted."""
    api, key = staff
    lines = [line(f"li_{n}", quantity=1) for n in range(8)]
    async with racers(app, key, len(lines)) as apis:
        order_id = _order_id()
        await api.put_order(order_id, lines=lines)
        responses = await race(
            apis,
            lambda i, a: a.create_return(
                order_id, [{"line_item_id": f"li_{i}", "quantity": 1, "reason": "size_fit"}]
            ),
        )
        assert statuses(responses) == {201: len(lines)}, [r.text for r in responses]
        assert set((await _returnable(api, order_id)).values()) == {0}


# --- refunds ------------------------------------------------------------------------------


async def _received_return(api: Api) -> tuple[str, int]:
    """A return of a whole order's two units, received and fully accepted: (id, refundable)."""
    order_id = _order_id()
    await api.put_order(order_id, lines=[line("li_1", quantity=2, unit_price=1000, tax=200)])
    created = await api.create_return(
        order_id, [{"line_item_id": "li_1", "quantity": 2, "reason": "damaged"}]
    )
    assert created.status_code == 201, created.text
    rid = created.json()["id"]
    assert (await api.post(f"/v1/returns/{rid}/approve")).status_code == 200
    moving = await api.post(f"/v1/returns/{rid}/tracking-events", {"status": "in_transit"})
    assert moving.status_code == 200, moving.text
    received = await api.post(
        f"/v1/returns/{rid}/receive",
        {"items": [{"line_item_id": "li_1", "received_quantity": 2, "condition": "as_new"}]},
    )
    assert received.status_code == 200, received.text
    amounts = received.json()["amounts"]
    assert amounts["refunded"] == 0
    assert amounts["refundable"] == amounts["remaining"] > 0
    return rid, int(amounts["refundable"])


async def _check_refund_books(api: Api, rid: str, refundable: int) -> dict[str, Any]:
    final = await api.get(f"/v1/returns/{rid}")
    assert final.status_code == 200, final.text
    body = final.json()
    listed = [x["amount"] for x in body["refunds"]]
    assert sum(listed) <= refundable
    assert body["amounts"]["refundable"] == refundable
    assert body["amounts"]["refunded"] == sum(listed)
    assert body["amounts"]["remaining"] == refundable - sum(listed)
    refund_changes = [t for t in body["timeline"] if t["kind"] == "refunded"]
    assert len(refund_changes) == len(listed)
    assert body["version"] == 4 + len(listed)  # created, approved, in_transit, received
    return dict(body)


async def test_racing_full_refunds_pay_out_once(app: FastAPI, staff: tuple[Api, str]) -> None:
    api, key = staff
    async with racers(app, key, 8) as apis:
        for _ in range(ROUNDS):
            rid, refundable = await _received_return(api)
            responses = await race(
                apis, lambda _i, a, r=rid: a.post(f"/v1/returns/{r}/refunds", {})
            )
            assert statuses(responses) == {201: 1, 409: 7}, [r.text for r in responses]
            for r in responses:
                if r.status_code == 409:
                    assert r.json()["type"] == NOTHING_TO_REFUND, r.text
            body = await _check_refund_books(api, rid, refundable)
            assert [x["amount"] for x in body["refunds"]] == [refundable]
            assert body["amounts"]["remaining"] == 0


async def test_racing_partial_refunds_never_exceed_the_refundable_amount(
    app: FastAPI, staff: tuple[Api, str]
) -> None:
    api, key = staff
    async with racers(app, key, 8) as apis:
        for _ in range(ROUNDS):
            rid, refundable = await _received_return(api)
            # Together they ask for far more than can be paid; several fit side by side.
            asks: list[int | None] = [1000, 1000, 700, 500, 300, 1500, 150, None]
            assert sum(a or 0 for a in asks) > refundable > max(a or 0 for a in asks)

            def refund(i: int, a: Api, r: str = rid, asks: list[int | None] = asks) -> Any:
                body = {} if asks[i] is None else {"amount": asks[i]}
                return a.post(f"/v1/returns/{r}/refunds", body)

            responses = await race(apis, refund)
            assert set(statuses(responses)) <= {201, 409, 422}, [r.text for r in responses]
            won = [r for r in responses if r.status_code == 201]
            assert won, "someone must get a refund"

            body = await _check_refund_books(api, rid, refundable)
            remaining = body["amounts"]["remaining"]
            paid = Counter(x["amount"] for x in body["refunds"])
            fixed_winners = Counter(
                ask for ask, r in zip(asks, responses, strict=True) if r.status_code == 201 and ask
            )
            # Every refund listed is one that a racer was told succeeded, for what it asked;
            # the "the rest" racer, if it won, took what was left at its turn, and nothing
            # could be left after it.
            extra = paid - fixed_winners
            assert not fixed_winners - paid, (paid, fixed_winners)
            if responses[asks.index(None)].status_code == 201:
                assert sum(extra.values()) == 1, extra
                assert remaining == 0
            else:
                assert not extra, extra
            assert sum(paid.values()) == len(won)
            for ask, r in zip(asks, responses, strict=True):
                if r.status_code == 409:
                    # Nothing was left at its turn, and less can only have been left later.
                    assert r.json()["type"] == NOTHING_TO_REFUND, r.text
                    assert remaining == 0, r.text
                elif r.status_code == 422:
                    # It asked for more than was left at its turn, so more than is left now.
                    assert ask is not None
                    assert ask > remaining, r.text
                    assert "body.amount" in {e["location"] for e in r.json()["errors"]}


# --- status changes -----------------------------------------------------------------------


async def _pending_return(api: Api) -> str:
    order_id = _order_id()
    await api.put_order(order_id)
    created = await api.create_return(order_id)
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "pending_review"
    assert created.headers["etag"] == '"1"'
    return str(created.json()["id"])


async def test_approve_racing_cancel_with_the_same_if_match_one_wins(
    app: FastAPI, staff: tuple[Api, str]
) -> None:
    api, key = staff
    outcomes: Counter[str] = Counter()
    async with racers(app, key, 2) as apis:
        for _ in range(ROUNDS * 2):
            rid = await _pending_return(api)
            verbs = ["approve", "cancel"]

            def change(i: int, a: Api, r: str = rid, verbs: list[str] = verbs) -> Any:
                return a.post(
                    f"/v1/returns/{r}/{verbs[i]}", {"note": verbs[i]}, **{"If-Match": '"1"'}
                )

            responses = await race(apis, change)
            codes = [r.status_code for r in responses]
            assert codes.count(200) == 1, [r.text for r in responses]
            loser = next(r for r in responses if r.status_code != 200)
            assert loser.status_code in (409, 412), loser.text
            assert loser.headers["content-type"] == "application/problem+json"
            won = verbs[codes.index(200)]
            outcomes[won] += 1

            final = (await api.get(f"/v1/returns/{rid}")).json()
            assert final["status"] == {"approve": "approved", "cancel": "cancelled"}[won]
            assert final["version"] == 2
            assert [(t["from_status"], t["to_status"]) for t in final["timeline"]] == [
                (None, "pending_review"),
                ("pending_review", final["status"]),
            ]
    assert sum(outcomes.values()) == ROUNDS * 2


async def test_ten_approves_with_the_same_if_match_one_wins(
    app: FastAPI, staff: tuple[Api, str]
) -> None:
    api, key = staff
    async with racers(app, key, 10) as apis:
        for _ in range(ROUNDS):
            rid = await _pending_return(api)
            responses = await race(
                apis,
                lambda _i, a, r=rid: a.post(f"/v1/returns/{r}/approve", {}, **{"If-Match": '"1"'}),
            )
            counts = statuses(responses)
            assert counts[200] == 1, [r.text for r in responses]
            assert set(counts) <= {200, 409, 412}, counts
            final = (await api.get(f"/v1/returns/{rid}")).json()
            assert final["status"] == "approved"
            assert final["version"] == 2
            assert [t["kind"] for t in final["timeline"]] == ["created", "approved"]


async def test_ten_approves_without_if_match_one_wins(app: FastAPI, staff: tuple[Api, str]) -> None:
    """Without a precondition the losers find the return already approved: 409 naming it."""
    api, key = staff
    async with racers(app, key, 10) as apis:
        for _ in range(ROUNDS):
            rid = await _pending_return(api)
            responses = await race(apis, lambda _i, a, r=rid: a.post(f"/v1/returns/{r}/approve"))
            assert statuses(responses) == {200: 1, 409: 9}, [r.text for r in responses]
            for r in responses:
                if r.status_code == 409:
                    assert r.json().get("current_status") == "approved", r.text
            final = (await api.get(f"/v1/returns/{rid}")).json()
            assert [t["kind"] for t in final["timeline"]] == ["created", "approved"]


# --- one Idempotency-Key, many racers -----------------------------------------------------
# A key's row is claimed before the request runs; when it is missing (never stored, or
# deleted by a request whose answer is not kept) or expired, every racer tries to write it.
# Whoever loses that write must answer as the key says (in flight, or the replay), never 500.

IN_FLIGHT = "urn:returns-api:problem:idempotency-key-in-flight"


def _assert_refund_answers(responses: list[httpx.Response], first: httpx.Response) -> None:
    """Every answer is the one refund (run once, then replayed) or a 409 for the key."""
    for r in responses:
        if r.status_code == 201:
            assert r.json()["refunds"] == first.json()["refunds"], r.text
        else:
            assert r.status_code == 409, r.text
            assert r.json()["type"] == IN_FLIGHT, r.text


async def test_a_burst_of_refunds_with_one_new_key_pays_once(
    app: FastAPI, staff: tuple[Api, str]
) -> None:
    api, key = staff
    async with racers(app, key, 50) as apis:
        rid, refundable = await _received_return(api)
        responses = await race(
            apis,
            lambda _i, a: a.post(f"/v1/returns/{rid}/refunds", {}, **{"Idempotency-Key": "burst"}),
        )
        ran = [
            r for r in responses if r.status_code == 201 and "idempotent-replayed" not in r.headers
        ]
        assert len(ran) == 1, statuses(responses)
        _assert_refund_answers(responses, ran[0])
        body = await _check_refund_books(api, rid, refundable)
        assert [x["amount"] for x in body["refunds"]] == [refundable]


async def test_racers_replacing_an_expired_key_run_the_request_once(
    app: FastAPI, staff: tuple[Api, str]
) -> None:
    """The key was used long ago (its row expired but not yet purged): it is free again, and
    exactly one racer gets to use it."""
    api, key = staff
    async with racers(app, key, 20) as apis:
        for round_ in range(ROUNDS):
            rid, refundable = await _received_return(api)
            ikey = f"expired-{round_}"
            old = await _received_return(api)
            used = await api.post(f"/v1/returns/{old[0]}/refunds", {}, **{"Idempotency-Key": ikey})
            assert used.status_code == 201, used.text
            async with app.state.sessionmaker() as session, session.begin():
                expired = await session.execute(
                    update(IdempotencyKey)
                    .where(IdempotencyKey.key == ikey)
                    .values(expires_at=utcnow() - timedelta(seconds=1))
                )
                assert expired.rowcount == 1  # type: ignore[attr-defined]

            path = f"/v1/returns/{rid}/refunds"
            responses = await race(
                apis, lambda _i, a, p=path, k=ikey: a.post(p, {}, **{"Idempotency-Key": k})
            )
            ran = [
                r
                for r in responses
                if r.status_code == 201 and "idempotent-replayed" not in r.headers
            ]
            assert len(ran) == 1, statuses(responses)
            _assert_refund_answers(responses, ran[0])
            body = await _check_refund_books(api, rid, refundable)
            assert [x["amount"] for x in body["refunds"]] == [refundable]


async def test_racers_on_a_key_that_keeps_being_released_never_fail(
    app: FastAPI, staff: tuple[Api, str]
) -> None:
    """Nothing is left to refund: each racer's 409 is not kept, so the key's row is deleted
    again and again while the others look it up or try to write it."""
    api, key = staff
    async with racers(app, key, 50) as apis:
        rid, _refundable = await _received_return(api)
        assert (await api.post(f"/v1/returns/{rid}/refunds", {})).status_code == 201
        path = f"/v1/returns/{rid}/refunds"
        for round_ in range(ROUNDS):
            responses = await race(
                apis, lambda _i, a, k=f"churn-{round_}": a.post(path, {}, **{"Idempotency-Key": k})
            )
            assert set(statuses(responses)) == {409}, statuses(responses)
            assert {r.json()["type"] for r in responses} <= {IN_FLIGHT, NOTHING_TO_REFUND}
            async with app.state.sessionmaker() as session:
                left = (await session.execute(select(IdempotencyKey))).scalars().all()
            assert [row.key for row in left if row.key.startswith("churn")] == []


# --- first syncs of the same resource ------------------------------------------------------


@pytest.mark.parametrize("resource", ["orders", "variants"])
async def test_racing_first_syncs_of_one_resource_all_succeed_and_keep_one_row(
    app: FastAPI, resource: str
) -> None:
    """A platform's "created" and "updated" webhooks often arrive together: every racer's
    PUT of a new id succeeds (one 201, the others 200) and one row is left. (On PostgreSQL
    the losers once hit the primary key: 500.)"""
    key = await new_api_key(app, "orders:write", "catalog:write", name="platform")
    variant = {
        "product_id": "prod_1",
        "title": "T-shirt",
        "prices": [{"currency": "EUR", "unit_price": 1000}],
        "available_quantity": 3,
    }
    for _ in range(ROUNDS):
        path = f"/v1/{resource}/{_order_id()}"
        body = order_body(number=f"N-{path[-10:]}") if resource == "orders" else variant

        def put(_: int, api: Api, path: str = path, body: dict[str, Any] = body) -> Any:
            return api.client.put(path, json=body, headers=api.headers)

        async with racers(app, key, 5) as apis:
            responses = await race(apis, put)
            assert statuses(responses) == Counter({201: 1, 200: 4})
            assert (await apis[0].get(path)).status_code == 200
