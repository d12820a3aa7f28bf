"""Migrations go up from empty and down to base on both databases; the CLI manages keys."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine
from typer.testing import CliRunner

from returns_api.cli import app as cli
from returns_api.core import migrate
from returns_api.models import Base
from tests.conftest import create_postgres_database, drop_postgres_database


def _table_names(url: str) -> set[str]:
    async def read() -> set[str]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
        finally:
            await engine.dispose()

    return asyncio.run(read())


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'migrations.db'}"
        return
    name, url = create_postgres_database("returns_migrations")
    try:
        yield url
    finally:
        drop_postgres_database(name)


def test_migrations_upgrade_from_empty_and_downgrade_to_base(empty_database_url: str) -> None:
    model_tables = set(Base.metadata.tables)
    migrate.upgrade(empty_database_url)
    assert model_tables <= _table_names(empty_database_url)
    migrate.downgrade(empty_database_url, "base")
    assert _table_names(empty_database_url) - {"alembic_version"} == set()
    migrate.upgrade(empty_database_url)
    assert model_tables <= _table_names(empty_database_url)


def test_cli_creates_lists_and_revokes_api_keys(tmp_path: Path) -> None:
    env = {"RETURNS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"}
    runner = CliRunner()
    created = runner.invoke(
        cli,
        ["api-keys", "create", "--name", "erp", "--scopes", "orders:write,returns:read", "--json"],
        env=env,
    )
    assert created.exit_code == 0, created.output
    key = json.loads(created.stdout)
    assert key["key"].startswith("rk_")
    assert key["scopes"] == ["orders:write", "returns:read"]
    assert key["name"] == "erp"

    listed = runner.invoke(cli, ["api-keys", "list", "--json"], env=env)
    rows = json.loads(listed.stdout)
    assert [r["id"] for r in rows] == [key["id"]]
    assert key["key"] not in listed.stdout  # the key itself is never shown again
    assert rows[0]["revoked_at"] is None

    revoked = runner.invoke(cli, ["api-keys", "revoke", key["id"]], env=env)
    assert revoked.exit_code == 0, revoked.output
    rows = json.loads(runner.invoke(cli, ["api-keys", "list", "--json"], env=env).stdout)
    assert rows[0]["revoked_at"] is not None


def test_cli_refuses_unknown_scope(tmp_path: Path) -> None:
    env = {"RETURNS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"}
    result = CliRunner().invoke(
        cli, ["api-keys", "create", "--name", "x", "--scopes", "everything"], env=env
    )
    assert result.exit_code == 2
    assert "Unknown scopes: everything" in result.output


def test_models_and_migrations_agree(database_url: str) -> None:
    """`alembic check` on each backend: autogenerate finds nothing left to migrate."""
    from alembic import command

    command.check(migrate.alembic_config(database_url))
