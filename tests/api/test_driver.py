"""`core.driver.Prepared`: hot statements run on the driver, inside the session's transaction.

On PostgreSQL these statements skip SQLAlchemy's execution machinery and go to asyncpg
directly; on SQLite they run through SQLAlchemy. Both must behave the same: same rows, same
types, same transaction, same exceptions.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy import bindparam, event, func, insert, select, update
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from returns_api.auth.models import ApiKey
from returns_api.core.db import table_of
from returns_api.core.driver import (
    ADAPTER_INTERNALS,
    Prepared,
    _driver,
    commit,
    fetch_all,
    fetch_one,
    read_only,
    run,
)

keys = table_of(ApiKey)
INSERT = Prepared(insert(keys))
NEWEST = Prepared(
    select(keys.c.id, keys.c.scopes, keys.c.created_at).order_by(keys.c.created_at.desc()).limit(2)
)
RENAME = Prepared(update(keys).where(keys.c.id == bindparam("b_id")))
COUNT = select(func.count()).select_from(keys)


def _key(n: int, created_at: datetime) -> dict[str, object]:
    return {
        "id": uuid.uuid4(),
        "name": f"key {n}",
        "prefix": f"rk_{n}",
        "key_hash": f"{n:064d}",
        "scopes": ["returns:read", "returns:write"],
        "created_at": created_at,
        "last_used_at": None,
        "revoked_at": None,
    }


async def _count(app: FastAPI) -> int:
    async with app.state.sessionmaker() as session:
        return int((await session.execute(COUNT)).scalar_one())


async def test_a_rolled_back_session_takes_its_prepared_writes_with_it(app: FastAPI) -> None:
    # The first statement of the session is a prepared one: it must open the transaction,
    # not run (and commit) on its own.
    async with app.state.sessionmaker() as session:
        await run(session, INSERT, [_key(1, datetime.now(UTC))])
        await session.rollback()
    assert await _count(app) == 0

    async with app.state.sessionmaker() as session:
        await run(session, INSERT, [_key(1, datetime.now(UTC)), _key(2, datetime.now(UTC))])
        await session.commit()
    assert await _count(app) == 2


async def test_prepared_and_orm_statements_share_one_transaction(app: FastAPI) -> None:
    async with app.state.sessionmaker() as session:
        await session.execute(insert(keys).values(_key(1, datetime.now(UTC))))
        await run(session, INSERT, [_key(2, datetime.now(UTC))])
        # each sees the other's uncommitted row
        assert int((await session.execute(COUNT)).scalar_one()) == 2
        assert len(await fetch_all(session, NEWEST)) == 2
        await session.rollback()
    assert await _count(app) == 0


async def test_rows_come_back_with_the_columns_types(app: FastAPI) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    async with app.state.sessionmaker() as session, session.begin():
        for n in range(3):
            await run(session, INSERT, [_key(n, now + timedelta(minutes=n))])
    async with app.state.sessionmaker() as session:
        rows = await fetch_all(session, NEWEST)  # the LIMIT is built into the statement
    assert len(rows) == 2
    assert [row["created_at"] for row in rows] == [
        now + timedelta(minutes=2),
        now + timedelta(minutes=1),
    ]
    assert all(row["created_at"].utcoffset() == timedelta(0) for row in rows)  # aware UTC
    assert rows[0]["scopes"] == ["returns:read", "returns:write"]  # JSON decoded
    assert isinstance(rows[0]["id"], uuid.UUID)


async def test_an_update_reports_the_rows_it_changed(app: FastAPI) -> None:
    row = _key(1, datetime.now(UTC))
    async with app.state.sessionmaker() as session, session.begin():
        await run(session, INSERT, [row])
        assert await run(session, RENAME, {"name": "renamed", "b_id": row["id"]}) == 1
        assert await run(session, RENAME, {"name": "nobody", "b_id": uuid.uuid4()}) == 0
    async with app.state.sessionmaker() as session:
        found = await fetch_one(session, select(keys.c.name).where(keys.c.id == row["id"]))
    assert found is not None
    assert found["name"] == "renamed"


async def test_a_constraint_violation_is_sqlalchemys_integrity_error(app: FastAPI) -> None:
    row = _key(1, datetime.now(UTC))
    async with app.state.sessionmaker() as session, session.begin():
        await run(session, INSERT, [row])
    async with app.state.sessionmaker() as session:
        with pytest.raises(IntegrityError) as caught:
            await run(session, INSERT, [{**row, "id": uuid.uuid4()}])  # same key_hash
        if app.state.settings.database_url.startswith("postgresql"):
            assert getattr(caught.value.orig, "sqlstate", None) == "23505"
        await session.rollback()
        # the session is usable again after the rollback
        assert len(await fetch_all(session, NEWEST)) == 1


STATEMENT_CLOCK = Prepared(
    select(func.statement_timestamp().label("statement"), func.now().label("transaction"))
)


async def test_a_read_only_session_reads_without_a_transaction(app: FastAPI) -> None:
    if app.state.engine.dialect.name != "postgresql":
        pytest.skip("the driver fast path is PostgreSQL's (SQLite runs through SQLAlchemy)")
    # now() is the start of the transaction: inside one it stays put; without one it moves
    # with every statement, like statement_timestamp().
    async with app.state.sessionmaker() as session:
        read_only(session)
        first = await fetch_one(session, STATEMENT_CLOCK)
        second = await fetch_one(session, STATEMENT_CLOCK)
    assert first is not None
    assert second is not None
    assert second["transaction"] > first["transaction"]

    async with app.state.sessionmaker() as session:
        first = await fetch_one(session, STATEMENT_CLOCK)
        second = await fetch_one(session, STATEMENT_CLOCK)
    assert first is not None
    assert second is not None
    assert second["transaction"] == first["transaction"] < second["statement"]


async def test_a_read_only_session_still_writes_in_a_transaction(app: FastAPI) -> None:
    async with app.state.sessionmaker() as session:
        read_only(session)
        assert await fetch_all(session, NEWEST) == []
        await run(session, INSERT, [_key(1, datetime.now(UTC))])
        await session.rollback()
    assert await _count(app) == 0


async def test_a_parameter_the_statement_does_not_use_is_refused(app: FastAPI) -> None:
    row = _key(1, datetime.now(UTC))
    async with app.state.sessionmaker() as session:
        await run(session, INSERT, [row])
        with pytest.raises(ValueError, match="does not use: b_idd"):
            await run(session, RENAME, {"name": "renamed", "b_idd": row["id"]})  # misspelt
        with pytest.raises(ValueError, match="does not use: limit"):
            await fetch_all(session, NEWEST, {"limit": 5})  # the LIMIT is built in
        assert await run(session, RENAME, {"name": "renamed", "b_id": row["id"]}) == 1
        await session.commit()


@contextmanager
def _commits(session: AsyncSession) -> Iterator[list[object]]:
    """The commits SQLAlchemy performs on `session` in the block (its `after_commit` event).
    The listener goes at the end: sessions are reused."""
    seen: list[object] = []

    def on_commit(committed: object) -> None:
        seen.append(committed)

    event.listen(session.sync_session, "after_commit", on_commit)
    try:
        yield seen
    finally:
        event.remove(session.sync_session, "after_commit", on_commit)


async def test_a_session_that_only_read_on_the_driver_skips_its_commit(app: FastAPI) -> None:
    async with app.state.sessionmaker() as session:
        read_only(session)
        with _commits(session) as commits:
            assert await fetch_all(session, NEWEST) == []
            await commit(session)
    # Only PostgreSQL's reads bypass the transaction; on SQLite the commit is SQLAlchemy's.
    expected = 0 if app.state.engine.dialect.name == "postgresql" else 1
    assert len(commits) == expected


async def test_a_read_only_session_that_wrote_is_committed(app: FastAPI) -> None:
    async with app.state.sessionmaker() as session:
        read_only(session)
        assert await fetch_all(session, NEWEST) == []
        await run(session, INSERT, [_key(1, datetime.now(UTC))])
        await commit(session)
    assert await _count(app) == 1

    # A pending ORM object is a write too, although no statement has run yet.
    async with app.state.sessionmaker() as session:
        read_only(session)
        assert len(await fetch_all(session, NEWEST)) == 1
        session.add(ApiKey(**_key(2, datetime.now(UTC))))
        await commit(session)
    assert await _count(app) == 2


async def test_a_read_only_session_that_ran_sqlalchemy_statements_is_committed(
    app: FastAPI,
) -> None:
    # A statement through SQLAlchemy (here a plain SELECT) opens the transaction as usual,
    # and so does a read after a rollback: both commit as they always did.
    async with app.state.sessionmaker() as session:
        read_only(session)
        with _commits(session) as commits:
            await session.execute(COUNT)
            await commit(session)
        assert len(commits) == 1

        await session.rollback()
        with _commits(session) as commits:
            assert await fetch_all(session, NEWEST) == []
            await session.execute(COUNT)
            await commit(session)
        assert len(commits) == 1


def test_sqlalchemys_asyncpg_adapter_still_has_what_the_fast_path_uses() -> None:
    """The fast path falls back to SQLAlchemy when these are gone (correct, but slower and
    silent): this test is what notices. pyproject.toml bounds SQLAlchemy for the same reason."""
    missing = [n for n in ADAPTER_INTERNALS if not hasattr(AsyncAdapt_asyncpg_connection, n)]
    assert missing == []
    assert select(keys.c.id)._for_update_arg is None
    assert select(keys.c.id).with_for_update()._for_update_arg is not None


async def test_prepared_statements_take_the_driver_path_on_postgresql(
    app: FastAPI, backend: str
) -> None:
    async with app.state.sessionmaker() as session:
        found = await _driver(session)
        assert (found is not None) == (backend == "postgresql")
        await session.rollback()
