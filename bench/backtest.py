"""Policy backtest over N stored returns (default 100 000).

    python -m bench.backtest [--returns 100000] [--database sqlite|postgresql]

Seeds a throw-away database with returns whose stored decisions carry their facts, then
times `POST /v1/policy/backtest`'s service function streaming through all of them, and
prints a markdown table (time, returns/s, peak RSS growth).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from sqlalchemy import insert

from returns_api.core import migrate
from returns_api.core.db import make_engine, make_sessionmaker
from returns_api.core.ids import new_id
from returns_api.core.settings import Settings
from returns_api.orders.models import Order
from returns_api.policies.document import PolicyDocument
from returns_api.policies.schemas import BacktestIn
from returns_api.policies.simulation import backtest
from returns_api.returns.models import Return

ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
CANDIDATE = PolicyDocument.model_validate(
    {
        "rules": [
            {
                "id": "serial",
                "name": "Serial returners",
                "conditions": [{"fact": "customer_returns_count", "op": "gte", "value": 5}],
                "action": "review",
            },
            {
                "id": "low-value",
                "name": "Low value",
                "conditions": [
                    {"fact": "item_value", "op": "lt", "value": 2500},
                    {"fact": "reason", "op": "in", "value": ["size_fit", "changed_mind"]},
                ],
                "action": "approve",
            },
        ]
    }
)
REASONS = ["size_fit", "changed_mind", "damaged", "defective", "poor_quality"]


def _return_row(order_id: str, rng: random.Random, now: datetime) -> dict[str, object]:
    value = rng.randint(500, 20_000)
    facts = {
        "return": {
            "return_value": value,
            "order_total": value + 495,
            "days_since_delivery": rng.randint(0, 30),
            "customer_returns_count": rng.randint(0, 8),
        },
        "items": [
            {
                "key": "li_1",
                "values": {
                    "item_value": value,
                    "item_unit_price": value,
                    "item_quantity": 1,
                    "reason": rng.choice(REASONS),
                    "reason_is_merchant_fault": False,
                    "resolution": "refund",
                    "item_tags": [],
                },
            }
        ],
    }
    action = "approve" if value < 3000 else "review"
    return {
        "id": new_id(),
        "rma_number": "R-" + uuid.uuid4().hex[:10].upper(),
        "order_id": order_id,
        "customer_id": "cus_1",
        "status": "approved" if action == "approve" else "pending_review",
        "currency": "EUR",
        "return_method": "mail",
        "keep_item": False,
        "instructions": None,
        "decision": {
            "action": action,
            "policy_version": 1,
            "matched_rule_id": None,
            "matched_rule_name": None,
            "deciding_item_key": "li_1",
            "trace": [],
            "facts": facts,
        },
        "policy_version": 1,
        "tracking_number": None,
        "carrier": None,
        "refund_breakdown": {},
        "refundable_amount": value,
        "refunded_amount": 0,
        "version": 1,
        "created_by": "bench",
        "created_at": now,
        "updated_at": now,
        # As the service writes a return the policy approves at once (or sends to review).
        "auto_approved": action == "approve",
        "approved_at": now if action == "approve" else None,
        "received_at": None,
        "first_refunded_at": None,
    }


async def run(count: int, url: str) -> tuple[float, int]:
    engine = make_engine(Settings(database_url=url))
    sessions = make_sessionmaker(engine)
    rng = random.Random(7)
    now = datetime.now(UTC)
    async with sessions() as session, session.begin():
        await session.execute(
            insert(Order).values(
                id="ord_bench",
                order_number="B1",
                customer_id="cus_1",
                customer_email="b@example.com",
                currency="EUR",
                country="DE",
                placed_at=now - timedelta(days=10),
                fulfilled_at=None,
                delivered_at=None,
                shipping_paid=0,
                created_at=now,
                updated_at=now,
            )
        )
        for start in range(0, count, 5000):
            rows = [_return_row("ord_bench", rng, now) for _ in range(min(5000, count - start))]
            await session.execute(insert(Return), rows)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    async with sessions() as session:
        result = await backtest(session, BacktestIn(policy=CANDIDATE))
    elapsed = time.perf_counter() - started
    rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    await engine.dispose()
    assert result.returns == count, result.returns
    return elapsed, rss_growth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--returns", type=int, default=100_000)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="postgresql")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.database == "sqlite":
            url, cleanup = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}", None
        else:
            name = f"returns_bench_{uuid.uuid4().hex[:8]}"
            asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
            url, cleanup = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}", name
        try:
            migrate.upgrade(url)
            elapsed, rss_kib = asyncio.run(run(args.returns, url))
        finally:
            if cleanup:
                asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{cleanup}" WITH (FORCE)'))
    print("| database | returns | backtest time | returns/s | peak RSS growth |")
    print("|---|---|---|---|---|")
    print(
        f"| {args.database} | {args.returns:,} | {elapsed:.2f} s | "
        f"{args.returns / elapsed:,.0f} | {rss_kib / 1024:.1f} MiB |"
    )


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(ADMIN_DSN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


if __name__ == "__main__":
    main()
