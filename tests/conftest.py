"""Test fixtures: every API test runs on SQLite and on PostgreSQL, schema from the migrations.

Each backend gets a fresh database per test session (PostgreSQL: created here, dropped at
the end); every test starts from empty tables. Outside CI a missing PostgreSQL skips its
half of the suite with a message; in CI (CI=true) it is a failure.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from hypothesis import settings as hypothesis_settings
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from returns_api.app import create_app
from returns_api.auth.service import create_api_key
from returns_api.core import migrate
from returns_api.core.settings import Settings
from returns_api.models import Base

# Hypothesis fails any example slower than 200 ms by default: a timed assertion, which
# flakes on a shared machine (it did once, with a benchmark running alongside). Examples
# are judged on what they return, never on how long they took; failures print their blob.
hypothesis_settings.register_profile("returns-api", deadline=None, print_blob=True)
hypothesis_settings.load_profile("returns-api")

POSTGRES_ADMIN_DSN = os.environ.get(
    "RETURNS_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
BACKENDS = ["sqlite", "postgresql"]


def _asyncpg_url(dsn: str, database: str) -> str:
    base = dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return f"{base}/{database}"


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(POSTGRES_ADMIN_DSN, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def postgres_available() -> str | None:
    """None when the server answers, else why not."""
    try:
        asyncio.run(_admin("SELECT 1"))
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def create_postgres_database(prefix: str = "returns_test") -> tuple[str, str]:
    """A brand-new PostgreSQL database: (name, SQLAlchemy URL). Skips or fails when absent."""
    problem = postgres_available()
    if problem is not None:
        message = f"PostgreSQL at {POSTGRES_ADMIN_DSN} is not reachable ({problem})"
        if IN_CI:
            pytest.fail(f"{message}; CI requires it", pytrace=False)
        pytest.skip(f"{message}: PostgreSQL tests SKIPPED outside CI")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    return name, _asyncpg_url(POSTGRES_ADMIN_DSN, name)


def drop_postgres_database(name: str) -> None:
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database for the whole session, one per backend."""
    if backend == "sqlite":
        path: Path = tmp_path_factory.mktemp("sqlite") / "returns.db"
        url = f"sqlite+aiosqlite:///{path}"
        migrate.upgrade(url)
        yield url
        return
    name, url = create_postgres_database()
    try:
        migrate.upgrade(url)
        yield url
    finally:
        drop_postgres_database(name)


def make_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "env": "test",
        "log_json": True,
        "log_level": "warning",
        "webhooks_allow_private_urls": True,
        "run_dispatcher_in_process": False,
        "gc_freeze_after_startup": False,
    }
    values.update(overrides)
    return Settings(**values)


async def empty_all_tables(engine: AsyncEngine) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
        else:
            for table in tables:
                await conn.execute(text(f"DELETE FROM {table}"))


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with LifespanManager(application):
        await empty_all_tables(application.state.engine)
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def new_api_key(app: FastAPI, *scopes: str, name: str = "test-key") -> str:
    """A real API key in the database, made the way the CLI makes one."""
    async with app.state.sessionmaker() as session, session.begin():
        created = await create_api_key(session, name, scopes)
    return created.key


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
