"""Policy backtest over N stored returns (default 100 000).

    python -m bench.backtest [--returns 100000] [--database sqlite|postgresql]

Seeds a throw-away database with returns (made by the return aggregate, written by the
store's mapper) whose stored decisions carry their facts, then
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
from typing import Any

import asyncpg
from sqlalchemy import insert

from returns_api.core import migrate
from returns_api.core.db import make_engine, make_sessionmaker
from returns_api.core.ids import new_id
from returns_api.core.settings import Settings
from returns_api.orders.models import Order, OrderLine
from returns_api.policies.document import PolicyDocument
from returns_api.policies.schemas import BacktestIn
from returns_api.policies.service import DEFAULT_POLICY, DEFAULT_VERSION
from returns_api.policies.simulation import backtest
from returns_api.returns import valuation
from returns_api.returns.domain import Return
from returns_api.returns.parts import Act, Ask, Item
from returns_api.returns.repository import changes, items, returns
from returns_api.returns.service import STATUS_OF_ACTION, decision_note, instructions_for
from returns_api.returns.store import ReturnRows, rows_of

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


def _seeded(n: int, rng: random.Random, now: datetime) -> tuple[dict[str, Any], ReturnRows]:
    """Order `n` of one line and the return of it, born as the policy then decided (approved
    at once, or sent to review) and written by the store's mapper; its decision keeps the
    facts it was taken on, which is what a backtest replays."""
    value = rng.randint(500, 20_000)
    order = {
        "id": f"ord_bench_{n}",
        "order_number": f"B{n}",
        "customer_id": "cus_1",
        "customer_email": "b@example.com",
        "currency": "EUR",
        "country": "DE",
        "placed_at": now - timedelta(days=10),
        "fulfilled_at": None,
        "delivered_at": None,
        "shipping_paid": 495,
        "created_at": now,
        "updated_at": now,
    }
    reason = rng.choice(REASONS)
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
                    "reason": reason,
                    "reason_is_merchant_fault": False,
                    "resolution": "refund",
                    "item_tags": [],
                },
            }
        ],
    }
    action = "approve" if value < 3000 else "review"
    decision = {
        "action": action,
        "policy_version": DEFAULT_VERSION,
        "matched_rule_id": None,
        "matched_rule_name": None,
        "deciding_item_key": "li_1",
        "trace": [],
        "facts": facts,
    }
    item = Item(
        id=new_id(),
        order_id=order["id"],
        line_item_id="li_1",
        position=0,
        sku=None,
        title="Item",
        line_quantity=1,
        unit_price=value,
        line_discount=0,
        line_tax=0,
        quantity=1,
        reason=reason,
        merchant_fault=False,
        comment=None,
        resolution="refund",
        order_placed_at=order["placed_at"],
        order_currency="EUR",
    )
    rma_number = "R-" + uuid.uuid4().hex[:10].upper()
    ret = Return.create(
        Act(actor="bench", at=now, new_id=new_id),
        order=order,
        request=Ask("mail", locale="en"),
        rma_number=rma_number,
        items=[item],
        decision=decision,
        status=STATUS_OF_ACTION[action],
        keep_item=False,
        instructions=instructions_for(DEFAULT_POLICY, "mail", rma_number, keep_item=False),
        valuation=valuation.requested(
            currency="EUR",
            policy=DEFAULT_POLICY,
            shipping_paid=495,
            line_quantities={"li_1": 1},
            held={},
        ),
        note=decision_note(decision),
        terms=DEFAULT_POLICY.exchanges,
    )
    ret.pending_events.clear()  # seeds wake no webhooks
    return order, rows_of(ret)


async def run(count: int, url: str) -> tuple[float, int]:
    engine = make_engine(Settings(database_url=url))
    sessions = make_sessionmaker(engine)
    rng = random.Random(7)
    now = datetime.now(UTC)
    async with sessions() as session, session.begin():
        for start in range(0, count, 5000):
            seeded = [_seeded(n, rng, now) for n in range(start, min(start + 5000, count))]
            await session.execute(insert(Order), [order for order, _ in seeded])
            await session.execute(
                insert(OrderLine), [_line_of(order, rows) for order, rows in seeded]
            )
            await session.execute(insert(returns), [rows.returns for _, rows in seeded])
            await session.execute(insert(items), [r.items[0] for _, r in seeded])
            await session.execute(insert(changes), [r.changes[0] for _, r in seeded])
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    async with sessions() as session:
        result = await backtest(session, BacktestIn(policy=CANDIDATE))
    elapsed = time.perf_counter() - started
    rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    await engine.dispose()
    assert result.returns == count, result.returns
    return elapsed, rss_growth


def _line_of(order: dict[str, Any], rows: ReturnRows) -> dict[str, Any]:
    """The order's one line: the one its return's item was copied from."""
    (item,) = rows.items
    return {
        "order_id": order["id"],
        "id": item["line_item_id"],
        "position": 0,
        "sku": item["sku"],
        "product_id": None,
        "variant_id": None,
        "title": item["title"],
        "quantity": item["line_quantity"],
        "unit_price": item["unit_price"],
        "discount": item["line_discount"],
        "tax": item["line_tax"],
        "tags": [],
        "category": None,
        "final_sale": False,
        "placed_at": order["placed_at"],
        "currency": order["currency"],
    }


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
