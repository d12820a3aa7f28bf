"""`core.db.ReusedSession`: request sessions are reused, closed and clean, so they leave no
reference cycles for the garbage collector (whose full collections set the p99 under load)."""

from __future__ import annotations

import gc
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from returns_api.auth.models import ApiKey
from returns_api.core.db import table_of
from returns_api.core.driver import fetch_all, read_only
from tests.conftest import bearer, new_api_key

keys = table_of(ApiKey)


def _key(n: int) -> dict[str, object]:
    return {
        "id": uuid.uuid4(),
        "name": f"key {n}",
        "prefix": f"rk_{n}",
        "key_hash": f"{n:064d}",
        "scopes": ["returns:read"],
        "created_at": datetime.now(UTC),
        "last_used_at": None,
        "revoked_at": None,
    }


async def _count(app: FastAPI) -> int:
    async with app.state.sessionmaker() as session:
        return int((await session.execute(select(func.count()).select_from(keys))).scalar_one())


async def test_a_session_comes_back_clean_after_its_block(app: FastAPI) -> None:
    async with app.state.sessionmaker() as first:
        read_only(first)
        first.info["mark"] = "left by the last user"
        await fetch_all(first, select(keys.c.id))
    async with app.state.sessionmaker() as second:
        assert second is first
        assert dict(second.info) == {}
        await second.execute(insert(keys).values(_key(1)))
        await second.commit()
    assert await _count(app) == 1


async def test_sessions_open_at_the_same_time_are_never_the_same(app: FastAPI) -> None:
    async with app.state.sessionmaker() as a, app.state.sessionmaker() as b:
        assert a is not b
    async with app.state.sessionmaker() as c, app.state.sessionmaker() as d:
        assert c is not d
        assert {id(c), id(d)} == {id(a), id(b)}


async def test_a_failed_block_leaves_nothing_behind_for_the_next_user(app: FastAPI) -> None:
    used: list[AsyncSession] = []

    async def failing_request() -> None:
        async with app.state.sessionmaker() as session:
            used.append(session)
            session.add(ApiKey(**_key(1)))
            await session.flush()
            raise RuntimeError("the request failed")

    with pytest.raises(RuntimeError):
        await failing_request()
    async with app.state.sessionmaker() as again:
        assert again is used[0]
        assert not again.new
        assert not again.identity_map
        assert not again.in_transaction()
    assert await _count(app) == 0


async def test_a_session_made_with_other_options_is_not_reused(app: FastAPI) -> None:
    async with app.state.sessionmaker(expire_on_commit=True) as special:
        pass
    async with app.state.sessionmaker() as usual:
        assert usual is not special


@contextmanager
def _cyclic_garbage() -> Iterator[list[object]]:
    """What the cyclic collector would have to free for the code in the block."""
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    found: list[object] = []
    try:
        yield found
        gc.collect()
        found.extend(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


async def test_requests_leave_no_session_for_the_garbage_collector(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    headers = bearer(await new_api_key(app, "returns:read"))
    assert (await client.get("/v1/returns", headers=headers)).status_code == 200
    with _cyclic_garbage() as garbage:
        for _ in range(20):
            assert (await client.get("/v1/returns", headers=headers)).status_code == 200
            missing = await client.get(f"/v1/returns/{uuid.uuid4()}", headers=headers)
            assert missing.status_code == 404
    # A new session per request left its (synchronous) Session in a cycle, every time.
    sessions = [o for o in garbage if isinstance(o, Session)]
    assert sessions == []
