"""Migrations go up from empty and down to base on both databases; the CLI manages keys."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, inspect, select, text
from sqlalchemy.ext.asyncio import create_async_engine
from typer.testing import CliRunner

from returns_api.cli import app as cli
from returns_api.core import migrate
from returns_api.models import Base
from returns_api.returns.models import Return, ReturnItem
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


def test_cli_lists_keys_as_a_table_under_a_header_row(tmp_path: Path) -> None:
    env = {"RETURNS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"}
    runner = CliRunner()
    empty = runner.invoke(cli, ["api-keys", "list"], env=env)
    assert empty.exit_code == 0, empty.output
    assert empty.stdout.split() == ["ID", "PREFIX", "STATE", "LAST", "USED", "NAME", "SCOPES"]
    made = []
    for name, scopes in (("erp", "orders:write,returns:read"), ("store front", "returns:write")):
        created = runner.invoke(
            cli, ["api-keys", "create", "--name", name, "--scopes", scopes, "--json"], env=env
        )
        made.append(json.loads(created.stdout))
    runner.invoke(cli, ["api-keys", "revoke", made[0]["id"]], env=env)

    header, *rows = runner.invoke(cli, ["api-keys", "list"], env=env).stdout.splitlines()
    assert header.split() == ["ID", "PREFIX", "STATE", "LAST", "USED", "NAME", "SCOPES"]
    columns = [header.index(title) for title in ("PREFIX", "STATE", "LAST USED", "NAME")]
    by_id = {row.split()[0]: row for row in rows}
    assert set(by_id) == {key["id"] for key in made}
    for key in made:
        row = by_id[key["id"]]
        assert [row[at:].split("  ")[0].strip() for at in columns] == [
            f"{key['prefix']}…",
            "revoked" if key is made[0] else "active",
            "never",
            key["name"],
        ]
        assert row.endswith(",".join(key["scopes"]))


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


# --- 6428aa5923b2: milestones on the return row, the order's facts on return items ---------

MILESTONES = "6428aa5923b2"
T0 = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)


def _at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def _order(
    order_id: str, *, currency: str = "EUR", placed_at: datetime = T0, shipping_paid: int = 0
) -> dict[str, Any]:
    """An order row in the columns every schema since the first has."""
    return {
        "id": order_id,
        "order_number": order_id,
        "customer_id": None,
        "customer_email": "ada@example.com",
        "currency": currency,
        "country": None,
        "placed_at": placed_at,
        "fulfilled_at": None,
        "delivered_at": None,
        "shipping_paid": shipping_paid,
        "created_at": placed_at,
        "updated_at": placed_at,
    }


def _return(return_id: uuid.UUID, order_id: str, status: str) -> dict[str, Any]:
    return {
        "id": return_id,
        "rma_number": f"R-{return_id.hex[:8]}",
        "order_id": order_id,
        "customer_id": None,
        "status": status,
        "currency": "EUR",
        "return_method": "mail",
        "keep_item": False,
        "instructions": None,
        "decision": {"action": "review"},
        "policy_version": 1,
        "tracking_number": None,
        "carrier": None,
        "refund_breakdown": {},
        "refundable_amount": 1000,
        "refunded_amount": 0,
        "version": 1,
        "created_by": "test",
        "created_at": T0,
        "updated_at": T0,
    }


def _item(return_id: uuid.UUID, order_id: str) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "return_id": return_id,
        "order_id": order_id,
        "line_item_id": "li_1",
        "position": 0,
        "sku": None,
        "title": "Item",
        "line_quantity": 1,
        "unit_price": 1000,
        "line_discount": 0,
        "line_tax": 0,
        "quantity": 1,
        "reason": "size_fit",
        "merchant_fault": False,
        "comment": None,
        "resolution": "refund",
        "reception_status": "awaiting",
        "received_quantity": 0,
        "acceptance_status": "pending",
        "accepted_quantity": 0,
        "condition": None,
        "disposition": None,
    }


def _change(return_id: uuid.UUID, kind: str, to_status: str, hours: float) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "return_id": return_id,
        "kind": kind,
        "actor": "test",
        "from_status": None,
        "to_status": to_status,
        "note": None,
        "data": None,
        "created_at": _at(hours),
    }


def _refund(return_id: uuid.UUID, hours: float) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "return_id": return_id,
        "amount": 500,
        "currency": "EUR",
        "method": "original_payment",
        "external_reference": None,
        "note": None,
        "actor": "test",
        "created_at": _at(hours),
    }


# Born approved, received, refunded twice; reviewed and approved by a person; rejected.
AUTO, REVIEWED, REJECTED = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


async def _write_rows_of_the_previous_schema(url: str) -> None:
    """Rows as the schema before the migration holds them (its columns only)."""
    tables = Base.metadata.tables
    orders = [
        _order(order_id, currency=currency, placed_at=placed_at)
        for order_id, currency, placed_at in (
            ("ord_eur", "EUR", _at(-240)),
            ("ord_usd", "USD", _at(-100)),
        )
    ]
    rows = {
        "orders": orders,
        "returns": [
            _return(AUTO, "ord_eur", "received"),
            _return(REVIEWED, "ord_usd", "approved"),
            _return(REJECTED, "ord_usd", "rejected"),
        ],
        "return_items": [_item(AUTO, "ord_eur"), _item(REVIEWED, "ord_usd")],
        "return_changes": [
            _change(AUTO, "created", "approved", 0),
            _change(AUTO, "tracking", "in_transit", 5),
            _change(AUTO, "received", "received", 30),
            _change(AUTO, "refunded", "received", 40),
            _change(REVIEWED, "created", "pending_review", 0),
            _change(REVIEWED, "approved", "approved", 2),
            _change(REJECTED, "created", "pending_review", 0),
            _change(REJECTED, "rejected", "rejected", 3),
        ],
        # Recorded out of order: the first refund is the earliest, not the first row.
        "refunds": [_refund(AUTO, 50), _refund(AUTO, 40)],
    }
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            for name, values in rows.items():
                await conn.execute(insert(tables[name]), values)
    finally:
        await engine.dispose()


async def _backfilled(url: str) -> tuple[dict[uuid.UUID, tuple[Any, ...]], set[tuple[Any, ...]]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            returns = await conn.execute(
                select(
                    Return.id,
                    Return.auto_approved,
                    Return.approved_at,
                    Return.received_at,
                    Return.first_refunded_at,
                )
            )
            items = await conn.execute(
                select(ReturnItem.order_id, ReturnItem.order_placed_at, ReturnItem.order_currency)
            )
            return {row[0]: tuple(row[1:]) for row in returns}, {tuple(row) for row in items}
    finally:
        await engine.dispose()


def _columns(url: str, table: str) -> set[str]:
    async def read() -> set[str]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                return set(
                    await conn.run_sync(
                        lambda c: {column["name"] for column in inspect(c).get_columns(table)}
                    )
                )
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_milestones_migration_backfills_existing_rows_and_goes_down_and_up(
    empty_database_url: str,
) -> None:
    url = empty_database_url
    migrate.upgrade(url, f"{MILESTONES}-1")
    asyncio.run(_write_rows_of_the_previous_schema(url))
    expected_returns = {
        AUTO: (True, _at(0), _at(30), _at(40)),
        REVIEWED: (False, _at(2), None, None),
        REJECTED: (False, None, None, None),
    }
    expected_items = {("ord_eur", _at(-240), "EUR"), ("ord_usd", _at(-100), "USD")}
    added = {"auto_approved", "approved_at", "received_at", "first_refunded_at"}

    migrate.upgrade(url, MILESTONES)
    assert asyncio.run(_backfilled(url)) == (expected_returns, expected_items)

    migrate.downgrade(url, f"{MILESTONES}-1")
    assert not added & _columns(url, "returns")
    assert not {"order_placed_at", "order_currency"} & _columns(url, "return_items")

    migrate.upgrade(url, MILESTONES)
    assert asyncio.run(_backfilled(url)) == (expected_returns, expected_items)


# --- the customer's language: orders (and their returns) synced before it have `en` ---------


async def _locales(url: str, table: str) -> set[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return set((await conn.execute(text(f"SELECT DISTINCT locale FROM {table}"))).scalars())
    finally:
        await engine.dispose()


def test_rows_from_before_the_locale_get_en_and_the_migration_goes_down_and_up(
    empty_database_url: str,
) -> None:
    url = empty_database_url
    migrate.upgrade(url, f"{MILESTONES}-1")
    asyncio.run(_write_rows_of_the_previous_schema(url))

    migrate.upgrade(url)
    assert asyncio.run(_locales(url, "orders")) == {"en"}
    assert asyncio.run(_locales(url, "returns")) == {"en"}

    migrate.downgrade(url, MILESTONES)
    assert "locale" not in _columns(url, "orders")
    assert "locale" not in _columns(url, "returns")
    migrate.upgrade(url)
    assert asyncio.run(_locales(url, "orders")) == {"en"}
    assert asyncio.run(_locales(url, "returns")) == {"en"}


ORDERS_LOCALE = "063405949f8f"


def test_returns_made_before_take_their_orders_locale(empty_database_url: str) -> None:
    """An order synced with a locale between the two migrations: its returns take it."""
    url = empty_database_url
    migrate.upgrade(url, f"{MILESTONES}-1")
    asyncio.run(_write_rows_of_the_previous_schema(url))
    migrate.upgrade(url, ORDERS_LOCALE)

    async def set_order_locale() -> None:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.execute(text("UPDATE orders SET locale = 'fr-FR' WHERE id = 'ord_usd'"))
        finally:
            await engine.dispose()

    asyncio.run(set_order_locale())
    migrate.upgrade(url)
    assert asyncio.run(_return_locales(url)) == {AUTO: "en", REVIEWED: "fr-FR", REJECTED: "fr-FR"}


async def _return_locales(url: str) -> dict[uuid.UUID, str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(select(Return.id, Return.locale))
            return {row[0]: row[1] for row in rows}
    finally:
        await engine.dispose()


# --- what each return item takes of its line, from the stored breakdowns ----------------------

SHARES = "3d9c41f0a7e2"


def test_shares_taken_are_backfilled_from_the_stored_breakdowns(empty_database_url: str) -> None:
    """Items a return's breakdown values take its units, discount and tax shares; an item it
    leaves out (no unit accepted) takes nothing. Goes down and up again."""
    url = empty_database_url
    migrate.upgrade(url, MILESTONES)
    valued, left_out = uuid.uuid4(), uuid.uuid4()
    breakdown = {
        "basis": "accepted",
        "items": [{"item_id": str(valued), "quantity": 2, "discount": 7, "tax": 13}],
    }

    async def write() -> None:
        tables = Base.metadata.tables
        order = _order("ord_s")
        ret = {
            **_return(AUTO, "ord_s", "received"),
            "refund_breakdown": breakdown,
            "auto_approved": True,
        }
        items = [
            {**_item(AUTO, "ord_s"), "id": item_id, "line_item_id": line_id, "quantity": 2}
            for item_id, line_id in ((valued, "li_1"), (left_out, "li_2"))
        ]
        for item in items:
            item.update(order_placed_at=T0, order_currency="EUR")
        engine = create_async_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.execute(insert(tables["orders"]), [order])
                await conn.execute(insert(tables["returns"]), [ret])
                await conn.execute(insert(tables["return_items"]), items)
        finally:
            await engine.dispose()

    async def shares() -> dict[uuid.UUID, tuple[int, int, int]]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                rows = await conn.execute(
                    text("SELECT id, units_taken, discount_taken, tax_taken FROM return_items")
                )
                return {
                    uuid.UUID(str(row[0])): (int(row[1]), int(row[2]), int(row[3])) for row in rows
                }
        finally:
            await engine.dispose()

    asyncio.run(write())
    migrate.upgrade(url, SHARES)
    expected = {valued: (2, 7, 13), left_out: (0, 0, 0)}
    assert asyncio.run(shares()) == expected
    migrate.downgrade(url, MILESTONES)
    assert not {"units_taken", "discount_taken", "tax_taken"} & _columns(url, "return_items")
    migrate.upgrade(url, SHARES)
    assert asyncio.run(shares()) == expected


# --- the shipping each return refunds, from the stored breakdowns ---------------------------

BEFORE_SHIPPING_TAKEN, SHIPPING_TAKEN = "e1a8f3c6b920", "f3b7c9d2a614"


def test_shipping_taken_is_backfilled_from_the_stored_breakdowns(empty_database_url: str) -> None:
    """A return whose breakdown refunds the order's shipping takes it; one whose breakdown
    names none takes nothing. Goes down and up again."""
    url = empty_database_url
    migrate.upgrade(url, BEFORE_SHIPPING_TAKEN)
    with_shipping, without = uuid.uuid4(), uuid.uuid4()

    async def write() -> None:
        tables = Base.metadata.tables
        order = _order("ord_sh", shipping_paid=495)
        rows = [
            {
                **_return(return_id, "ord_sh", "received"),
                "refund_breakdown": breakdown,
                "auto_approved": True,
            }
            for return_id, breakdown in (
                (with_shipping, {"basis": "accepted", "items": [], "shipping_refund": 495}),
                (without, {}),
            )
        ]
        for row in rows:
            row["rma_number"] = f"R-{row['id'].hex[:10]}"
        engine = create_async_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.execute(insert(tables["orders"]), [order])
                await conn.execute(insert(tables["returns"]), rows)
        finally:
            await engine.dispose()

    async def taken() -> dict[uuid.UUID, int]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                rows = await conn.execute(text("SELECT id, shipping_refund_taken FROM returns"))
                return {uuid.UUID(str(row[0])): int(row[1]) for row in rows}
        finally:
            await engine.dispose()

    asyncio.run(write())
    migrate.upgrade(url, SHIPPING_TAKEN)
    expected = {with_shipping: 495, without: 0}
    assert asyncio.run(taken()) == expected
    migrate.downgrade(url, BEFORE_SHIPPING_TAKEN)
    assert "shipping_refund_taken" not in _columns(url, "returns")
    migrate.upgrade(url, SHIPPING_TAKEN)
    assert asyncio.run(taken()) == expected
