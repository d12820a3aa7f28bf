"""`returns-api demo-data`: deterministic per seed, and data the API reads like its own."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine
from typer.testing import CliRunner

from returns_api.app import create_app
from returns_api.auth.service import create_api_key
from returns_api.cli import app as cli
from returns_api.core.db import UTCDateTime
from returns_api.models import Base, Order, Refund, Return, ReturnChange, ReturnItem
from tests.conftest import empty_all_tables, make_settings

ARGS = ["--orders", "400", "--seed", "7", "--end", "2026-10-31"]


def _demo_data(url: str, *args: str) -> Any:
    return CliRunner().invoke(cli, ["demo-data", *args], env={"RETURNS_DATABASE_URL": url})


def _snapshot(url: str) -> tuple[dict[str, int], list[tuple[Any, ...]]]:
    async def read() -> tuple[dict[str, int], list[tuple[Any, ...]]]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                counts = {
                    name: int(
                        (await conn.execute(select(func.count()).select_from(table))).scalar_one()
                    )
                    for name, table in Base.metadata.tables.items()
                }
                rows = await conn.execute(
                    select(
                        Return.id,
                        Return.rma_number,
                        Return.status,
                        Return.refundable_amount,
                        Return.refunded_amount,
                        Return.created_at,
                    ).order_by(Return.id)
                )
                return counts, [tuple(row) for row in rows]
        finally:
            await engine.dispose()

    return asyncio.run(read())


def _empty(url: str) -> None:
    async def run() -> None:
        engine = create_async_engine(url)
        try:
            await empty_all_tables(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())


def test_demo_data_is_the_same_for_the_same_seed(tmp_path: Path) -> None:
    first, second = (f"sqlite+aiosqlite:///{tmp_path / name}" for name in ("a.db", "b.db"))
    made = _demo_data(first, *ARGS)
    assert made.exit_code == 0, made.output
    assert _demo_data(second, *ARGS).exit_code == 0
    counts, rows = _snapshot(first)
    assert (counts, rows) == _snapshot(second)
    assert counts["orders"] == 400
    assert 40 <= counts["returns"] <= 160  # a fashion-heavy shop: roughly one order in five
    assert counts["return_items"] >= counts["returns"]
    assert counts["return_changes"] > 2 * counts["returns"]
    assert counts["refunds"] > 0
    assert counts["return_feedback"] > 0
    assert counts["events"] == 0  # demo data must not wake webhook subscribers
    assert f"returns    {counts['returns']:>10,}".split() == made.output.split("\n")[2].split()
    assert {status for _, _, status, *_ in rows} >= {
        "completed",
        "rejected",
        "received",
        "cancelled",
    }

    again = _demo_data(first, *ARGS)
    assert again.exit_code == 2
    assert "already in this database" in again.output
    other_seed = _demo_data(first, "--orders", "50", "--seed", "8", "--end", "2026-10-31")
    assert other_seed.exit_code == 0, other_seed.output
    assert _snapshot(first)[0]["orders"] == 450


def test_demo_data_reads_like_the_apis_own(database_url: str) -> None:
    """Every return renders through the API; the reports and the export add up."""
    _empty(database_url)
    try:
        made = _demo_data(database_url, *ARGS)
        assert made.exit_code == 0, made.output
        counts, rows = _snapshot(database_url)
        asyncio.run(_check_through_http(database_url, counts, [row[0] for row in rows]))
    finally:
        _empty(database_url)


async def _check_through_http(url: str, counts: dict[str, int], return_ids: list[Any]) -> None:
    app = create_app(make_settings(url))
    async with LifespanManager(app):
        async with app.state.sessionmaker() as session, session.begin():
            scopes = ["returns:read", "analytics:read"]
            key = (await create_api_key(session, "demo-check", scopes)).key
        headers = {"Authorization": f"Bearer {key}"}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            for return_id in return_ids[:: max(1, len(return_ids) // 40)]:
                one = await client.get(f"/v1/returns/{return_id}", headers=headers)
                assert one.status_code == 200, one.text
                body = one.json()
                assert body["amounts"]["refunded"] <= body["amounts"]["refundable"]
                assert [e["at"] for e in body["timeline"]] == sorted(
                    e["at"] for e in body["timeline"]
                )
            period = {"from": "2026-01-01T00:00:00Z", "to": "2026-11-01T00:00:00Z"}
            summary = (
                await client.get("/v1/analytics/summary", params=period, headers=headers)
            ).json()
            assert summary["returns"]["total"] == counts["returns"]
            assert summary["feedback"]["count"] == counts["return_feedback"]
            assert 0 < summary["return_rate"]["rate_bps"] < 10_000
            assert 0 < summary["decisions"]["auto_approval_rate_bps"] < 10_000
            products = await client.get("/v1/analytics/products", params=period, headers=headers)
            assert products.status_code == 200, products.text
            assert products.json()["data"][0]["units_returned"] > 0
            export = await client.get("/v1/returns/export", headers=headers)
            assert len(export.text.splitlines()) == 1 + counts["return_items"]


def test_demo_returns_keep_the_milestones_their_timeline_shows(tmp_path: Path) -> None:
    """What the service writes on a return row as it goes (approved, received, first
    refunded; born approved) agrees with the demo timeline; items carry their order's facts."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    assert _demo_data(url, *ARGS).exit_code == 0

    async def read() -> None:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                changes = (
                    await conn.execute(
                        select(ReturnChange).order_by(ReturnChange.created_at, ReturnChange.id)
                    )
                ).all()
                refunds = (await conn.execute(select(Refund.return_id, Refund.created_at))).all()
                returns = (await conn.execute(select(Return))).all()
                items = (
                    await conn.execute(
                        select(
                            ReturnItem.order_placed_at,
                            ReturnItem.order_currency,
                            Order.placed_at,
                            Order.currency,
                        ).join(Order, Order.id == ReturnItem.order_id)
                    )
                ).all()
        finally:
            await engine.dispose()
        expected: dict[Any, dict[str, Any]] = {
            r.id: {
                "auto_approved": False,
                "approved_at": None,
                "received_at": None,
                "first_refunded_at": None,
            }
            for r in returns
        }
        for c in changes:  # oldest first: the first one of each kind wins
            milestones = expected[c.return_id]
            if c.kind == "created" and c.to_status == "approved":
                milestones["auto_approved"] = True
            approval = c.kind in ("created", "approved") and c.to_status == "approved"
            if approval and milestones["approved_at"] is None:
                milestones["approved_at"] = c.created_at
            if c.kind == "received" and milestones["received_at"] is None:
                milestones["received_at"] = c.created_at
        for return_id, created_at in refunds:
            first = expected[return_id]["first_refunded_at"]
            expected[return_id]["first_refunded_at"] = min(created_at, first or created_at)
        assert {r.id: {k: getattr(r, k) for k in expected[r.id]} for r in returns} == expected
        assert sum(m["auto_approved"] for m in expected.values()) > 0
        assert sum(m["received_at"] is not None for m in expected.values()) > 0
        assert items
        assert all((row[0], row[1]) == (row[2], row[3]) for row in items)

    asyncio.run(read())


def test_demo_data_writes_nothing_later_than_now(tmp_path: Path) -> None:
    """With today as the last day (the default), the history stops at the current moment:
    a row dated later than now showed a review backlog of negative age."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'today.db'}"
    made = _demo_data(url, "--orders", "600", "--seed", "3", "--months", "1")
    assert made.exit_code == 0, made.output
    after = datetime.now(UTC)

    async def latest() -> dict[str, datetime]:
        engine = create_async_engine(url)
        found: dict[str, datetime] = {}
        try:
            async with engine.connect() as conn:
                for table in Base.metadata.tables.values():
                    for column in table.columns:
                        if isinstance(column.type, UTCDateTime):
                            value = (await conn.execute(select(func.max(column)))).scalar()
                            if value is not None:
                                found[f"{table.name}.{column.name}"] = value
        finally:
            await engine.dispose()
        return found

    found = asyncio.run(latest())
    assert "returns.created_at" in found
    assert "refunds.created_at" in found
    future = {
        name: value
        for name, value in found.items()
        if (value if value.tzinfo else value.replace(tzinfo=UTC)) > after
    }
    assert future == {}
