"""The return_payments migration: payments recorded on the timeline before they had rows of
their own become rows, and the migration goes down and up again."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import create_async_engine

from returns_api.core import migrate
from returns_api.models import Base
from tests.test_migrations_and_cli import _at, _order, _return, empty_database_url

__all__ = ["empty_database_url"]

BEFORE, PAYMENTS = "0af7d6f144fe", "20261206_return_payments"
RETURN = uuid.uuid4()
PAID, CAPTURED, RELEASED, OTHER = (uuid.uuid4() for _ in range(4))


def _change(change_id: uuid.UUID, kind: str, data: dict[str, Any], hours: float) -> dict[str, Any]:
    return {
        "id": change_id,
        "return_id": RETURN,
        "kind": kind,
        "actor": "key:platform",
        "from_status": None,
        "to_status": None,
        "note": f"{kind} note",
        "data": data,
        "created_at": _at(hours),
    }


def _complete(table: Any, row: dict[str, Any]) -> dict[str, Any]:
    """The row with every later required column given a value of its type."""
    values = {bool: False, int: 0, str: "x", dict: {}}
    for column in table.columns:
        if column.name not in row and not column.nullable and column.server_default is None:
            row[column.name] = values[column.type.python_type]
    return {**row, "currency": "SEK"}


async def _write(url: str) -> None:
    tables = Base.metadata.tables
    changes = [
        _change(PAID, "exchange_paid", {"amount": 400, "external_reference": "pi_1"}, 1),
        _change(
            CAPTURED,
            "exchange_hold_captured",
            {"amount": 250, "external_reference": "ch_1", "provider": "stripe"},
            2,
        ),
        _change(RELEASED, "exchange_hold_captured", {"amount": 0}, 3),
        _change(OTHER, "note", {"amount": 999}, 4),
    ]
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(insert(tables["orders"]), [_order("ord_p", currency="SEK")])
            ret = _complete(tables["returns"], _return(RETURN, "ord_p", "approved"))
            await conn.execute(insert(tables["returns"]), [ret])
            await conn.execute(insert(tables["return_changes"]), changes)
    finally:
        await engine.dispose()


async def _payments(url: str) -> set[tuple[Any, ...]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT id, return_id, kind, provider, reference, amount, currency, note,"
                    " actor FROM return_payments"
                )
            )
            return {
                (uuid.UUID(str(row[0])), uuid.UUID(str(row[1])), *row[2:5], int(row[5]), *row[6:])
                for row in rows
            }
    finally:
        await engine.dispose()


def test_payments_on_the_timeline_become_rows_and_the_migration_goes_down_and_up(
    empty_database_url: str,
) -> None:
    """Paid differences and charged holds get a row each (same id, the return's currency);
    a hold released without a charge, and other entries, get none."""
    url = empty_database_url
    migrate.upgrade(url, BEFORE)
    asyncio.run(_write(url))
    migrate.upgrade(url, PAYMENTS)
    expected = {
        (PAID, RETURN, "exchange_difference", None, "pi_1", 400, "SEK", "exchange_paid note"),
        (
            CAPTURED,
            RETURN,
            "hold_capture",
            "stripe",
            "ch_1",
            250,
            "SEK",
            "exchange_hold_captured note",
        ),
    }
    expected = {(*row, "key:platform") for row in expected}
    assert asyncio.run(_payments(url)) == expected
    migrate.downgrade(url, BEFORE)
    migrate.upgrade(url, PAYMENTS)
    assert asyncio.run(_payments(url)) == expected
