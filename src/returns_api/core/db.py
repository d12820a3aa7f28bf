"""Database plumbing: declarative base, portable column types, engine and the request session."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast

import orjson
from sqlalchemy import DateTime, Executable, MetaData, RowMapping, Table, event, text
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from returns_api.core.clock import as_utc
from returns_api.core.settings import Settings

# Stable constraint names keep Alembic diffs identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def table_of(model: type[Base]) -> Table:
    """The Core table of a mapped class (typed), for statements that skip the ORM."""
    return cast(Table, model.__table__)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, on PostgreSQL (timestamptz) and SQLite (naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def make_engine(settings: Settings) -> AsyncEngine:
    # orjson for JSON columns: decisions, breakdowns and event payloads are written and read
    # on the hot paths, and the stdlib encoder showed in their profiles.
    json_options: dict[str, Any] = {
        "json_serializer": _json_dumps,
        "json_deserializer": orjson.loads,
    }
    if settings.is_sqlite:
        engine = create_async_engine(
            settings.database_url,
            echo=settings.database_echo,
            hide_parameters=True,
            **json_options,
        )
        _make_sqlite_transactional(engine)
        return engine
    return create_async_engine(
        settings.database_url,
        echo=settings.database_echo,
        # Statement parameters carry secrets (webhook secrets, stored responses): never log them.
        hide_parameters=True,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_pool_size,
        # No pre-ping: it is a round trip on every checkout. A connection the server dropped
        # fails its first statement instead, which asyncpg reports and the pool discards.
        pool_recycle=1800,
        **json_options,
    )


def _make_sqlite_transactional(engine: AsyncEngine) -> None:
    """Real transactions on SQLite: the driver's implicit BEGIN is replaced by BEGIN IMMEDIATE.

    A deferred transaction that reads and then writes can fail at once with "database is
    locked" when another writer got there first; taking the write lock at BEGIN makes
    concurrent writers wait (busy_timeout) instead, so the embedded mode never loses a
    request to lock upgrades.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def fetch_all(
    session: AsyncSession, statement: Executable, params: Mapping[str, Any] | None = None
) -> Sequence[RowMapping]:
    """Run a Core statement on the session's connection and transaction.

    Hot paths use this with statements built once (Table columns, bind parameters): it
    skips the ORM's per-execution compile state and cache-key work, which the profile of
    `GET /v1/returns/{id}` showed to be the largest single cost.
    """
    connection = await session.connection()
    return (await connection.execute(statement, params or {})).mappings().all()


async def fetch_one(
    session: AsyncSession, statement: Executable, params: Mapping[str, Any] | None = None
) -> RowMapping | None:
    rows = await fetch_all(session, statement, params)
    return rows[0] if rows else None


async def run(
    session: AsyncSession,
    statement: Executable,
    params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
) -> int:
    """Execute a Core write on the session's connection; returns the rows affected."""
    connection = await session.connection()
    result = await connection.execute(statement, params)
    return int(result.rowcount)


READINESS_TIMEOUT_SECONDS = 2.0


async def database_answers(engine: AsyncEngine) -> bool:
    """True when a trivial query succeeds within a short timeout (readiness)."""
    try:
        async with asyncio.timeout(READINESS_TIMEOUT_SECONDS), engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:  # any failure means "not ready"; the reason is logged by the caller
        return False
    return True
