"""Analytics queries over N stored returns (default 1 000 000), on PostgreSQL.

    python -m bench.analytics [--returns 1000000] [--window-days 30] [--repeat 3] [--keep]

Seeds a throw-away database with the demo-data generator (`returns-api demo-data`: six
months of orders, returns walked through their lifecycle, timeline, refunds, ratings),
loaded with COPY; then times the summary, reasons and products reports (the service
functions the endpoints call) over the last `--window-days` days and over the whole six
months, prints a markdown table, and the EXPLAIN (ANALYZE, BUFFERS) plan of every
statement of the summary and of the products page over the window.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bench.seed import copy_rows
from returns_api.analytics import service
from returns_api.analytics.repository import Window
from returns_api.core import migrate
from returns_api.core.db import make_engine, make_sessionmaker
from returns_api.core.settings import Settings
from returns_api.demo.config import DemoChunk, DemoConfig
from returns_api.demo.generator import generate
from returns_api.policies.service import DEFAULT_POLICY, DEFAULT_VERSION

ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
RETURNS_PER_ORDER = 0.19  # what the generator's shop gives (one order in five comes back)
END = datetime(2026, 11, 1, tzinfo=UTC)
MONTHS = 6


async def seed(dsn: str, returns: int) -> tuple[dict[str, int], float, float]:
    """Generate and COPY the orders that give about `returns` returns (in time order, as a
    shop's rows arrive): (rows per table, seconds generating, seconds copying)."""
    conn = await asyncpg.connect(dsn)
    counts: dict[str, int] = {}
    generating = copying = 0.0
    orders = round(returns / RETURNS_PER_ORDER)
    config = DemoConfig(orders=orders, end=END, months=MONTHS, seed=42, chunk_orders=5000)
    # Bulk-load practice: secondary indexes are built once at the end, and the foreign-key
    # triggers are skipped (the generator's rows are consistent by construction).
    indexes = await conn.fetch(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND indexname "
        "NOT IN (SELECT conname FROM pg_constraint)"
    )
    for index in indexes:
        await conn.execute(f'DROP INDEX "{index["indexname"]}"')
    await conn.execute("SET session_replication_role = replica")
    try:
        chunks = generate(config, DEFAULT_VERSION, DEFAULT_POLICY)
        while True:
            started = time.perf_counter()
            chunk: DemoChunk | None = next(chunks, None)
            generating += time.perf_counter() - started
            if chunk is None:
                break
            started = time.perf_counter()
            for table, rows in chunk.tables():
                if not rows:
                    continue
                await copy_rows(conn, table, rows)
                counts[table] = counts.get(table, 0) + len(rows)
            copying += time.perf_counter() - started
            done = counts.get("returns", 0)
            print(f"\r  seeded {done:,} returns", end="", flush=True)
        print(flush=True)
        started = time.perf_counter()
        await conn.execute("SET maintenance_work_mem = '512MB'")
        for index in indexes:
            await conn.execute(index["indexdef"])
        await conn.execute("VACUUM (ANALYZE)")
        copying += time.perf_counter() - started
    finally:
        await conn.close()
    return counts, generating, copying


async def _timed(work: Callable[[], Awaitable[Any]], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        await work()
        times.append(time.perf_counter() - started)
    return times


def _reports(
    sessions: async_sessionmaker[AsyncSession], window: Window
) -> dict[str, Callable[[], Awaitable[Any]]]:
    async def summary() -> Any:
        async with sessions() as session:
            return await service.summary(session, window)

    async def reasons() -> Any:
        async with sessions() as session:
            return await service.reasons(session, window)

    async def products() -> Any:
        async with sessions() as session:
            return await service.products(
                session, window, group_by="sku", sort="-units_returned", cursor=None, limit=25
            )

    return {"summary": summary, "reasons": reasons, "products": products}


async def _explain(engine: AsyncEngine, work: Callable[[], Awaitable[Any]]) -> list[str]:
    """Run `work` once, recording its statements; then EXPLAIN ANALYZE each of them."""
    recorded: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        recorded.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        await work()
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    plans = []
    async with engine.connect() as conn:  # one transaction: the report's SET LOCALs apply
        for statement, parameters in recorded:
            if statement.startswith("SET LOCAL"):
                await conn.exec_driver_sql(statement)
                continue
            result = await conn.exec_driver_sql(
                "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters
            )
            plan = "\n".join(row[0] for row in result)
            plans.append(f"{statement}\n{plan}")
    return plans


async def measure(url: str, window_days: int, repeat: int) -> tuple[list[str], list[str]]:
    engine = make_engine(Settings(database_url=url))
    sessions = make_sessionmaker(engine)
    windows = {
        f"last {window_days} days": Window(END - timedelta(days=window_days), END),
        f"{MONTHS} months": Window(END - timedelta(days=30 * MONTHS + 7), END),
    }
    table = [
        "| report | period | median | min | runs |",
        "|---|---|---|---|---|",
    ]
    try:
        for label, window in windows.items():
            for name, work in _reports(sessions, window).items():
                await work()  # warm: plans cached, pages in shared buffers
                times = await _timed(work, repeat)
                table.append(
                    f"| {name} | {label} | {statistics.median(times) * 1000:,.0f} ms | "
                    f"{min(times) * 1000:,.0f} ms | {repeat} |"
                )
        window = windows[f"last {window_days} days"]
        reports = _reports(sessions, window)
        plans = await _explain(engine, reports["summary"])
        plans += await _explain(engine, reports["products"])
    finally:
        await engine.dispose()
    return table, plans


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(ADMIN_DSN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--returns", type=int, default=1_000_000)
    parser.add_argument("--window-days", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="Keep the database afterwards.")
    parser.add_argument(
        "--database", help="Measure a database seeded (and --kept) by an earlier run."
    )
    args = parser.parse_args()
    name = args.database or f"returns_bench_{uuid.uuid4().hex[:8]}"
    dsn = f"postgresql://postgres@127.0.0.1:5432/{name}"
    url = dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
    if args.database:
        table, plans = asyncio.run(measure(url, args.window_days, args.repeat))
    else:
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
        try:
            migrate.upgrade(url)
            counts, generating, copying = asyncio.run(seed(dsn, args.returns))
            table, plans = asyncio.run(measure(url, args.window_days, args.repeat))
        finally:
            if args.keep:
                print(f"kept database {name}")
            else:
                asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        print(
            "rows: "
            + ", ".join(f"{t} {n:,}" for t, n in counts.items())
            + f"\nseeding: {generating:.0f} s generating, {copying:.0f} s COPY + VACUUM ANALYZE\n"
        )
    print("\n".join(table))
    for plan in plans:
        print("\n```\n" + plan + "\n```")


if __name__ == "__main__":
    main()
