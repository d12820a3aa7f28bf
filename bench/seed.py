"""Bulk seeding for benchmarks with asyncpg COPY: orders to return from, and N stored
returns (with an item and a timeline entry each) for the get/list scaling table."""

from __future__ import annotations

import itertools
import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from returns_api.core.ids import new_id

LINES_PER_ORDER = 10
UNITS_PER_LINE = 50
STATUSES = ["pending_review", "approved", "in_transit", "received", "completed", "rejected"]
REASONS = ["size_fit", "changed_mind", "damaged", "defective", "poor_quality"]
# Seeded RMA numbers: a sequence with its own prefix. Random ones (40 bits) collided about
# half the time at 1M rows; "S-" never meets the service's "R-" numbers.
_RMA_SEQUENCE = itertools.count(1)


async def seed_orders(dsn: str, count: int) -> list[str]:
    now = datetime.now(UTC)
    orders, lines = [], []
    placed = now - timedelta(days=5)
    for n in range(count):
        order_id = f"ord_{n}"
        orders.append(
            (
                order_id,
                f"N{n}",
                f"cus_{n % 5000}",
                f"c{n}@example.com",
                "EUR",
                "DE",
                placed,
                now - timedelta(days=4),
                now - timedelta(days=2),
                495,
                now,
                now,
            )
        )
        for i in range(LINES_PER_ORDER):
            price = 800 + 400 * i  # lines 0-4 under 2500: the auto-approve rule applies
            lines.append(
                (
                    order_id,
                    f"li_{i}",
                    i,
                    f"SKU-{i}",
                    f"prod_{i}",
                    None,
                    f"Item {i}",
                    UNITS_PER_LINE,
                    price,
                    0,
                    price // 5,
                    json.dumps(["apparel"]),
                    "shirts",
                    False,
                    placed,  # the order's placed_at and currency, copied onto its lines
                    "EUR",
                )
            )
    conn = await asyncpg.connect(dsn)
    try:
        await conn.copy_records_to_table(
            "orders",
            records=orders,
            columns=[
                "id",
                "order_number",
                "customer_id",
                "customer_email",
                "currency",
                "country",
                "placed_at",
                "fulfilled_at",
                "delivered_at",
                "shipping_paid",
                "created_at",
                "updated_at",
            ],
        )
        await conn.copy_records_to_table(
            "order_lines",
            records=lines,
            columns=[
                "order_id",
                "id",
                "position",
                "sku",
                "product_id",
                "variant_id",
                "title",
                "quantity",
                "unit_price",
                "discount",
                "tax",
                "tags",
                "category",
                "final_sale",
                "placed_at",
                "currency",
            ],
        )
    finally:
        await conn.close()
    return [o[0] for o in orders]


async def seed_returns(dsn: str, count: int, orders: list[str]) -> list[uuid.UUID]:
    """`count` returns spread over `orders`, created over the last 180 days."""
    rng = random.Random(11)
    now = datetime.now(UTC)
    ids: list[uuid.UUID] = []
    conn = await asyncpg.connect(dsn)
    try:
        # The items keep their order's placed_at and currency (as the service writes them).
        order_facts = {
            row["id"]: (row["placed_at"], row["currency"])
            for row in await conn.fetch(
                "SELECT id, placed_at, currency FROM orders WHERE id = ANY($1)", orders
            )
        }
        for start in range(0, count, 50_000):
            returns, items, changes = [], [], []
            for _ in range(min(50_000, count - start)):
                rid = new_id()
                ids.append(rid)
                order_id = rng.choice(orders)
                created = now - timedelta(seconds=rng.randint(0, 180 * 86400))
                status = rng.choice(STATUSES)
                decision = {
                    "action": "review",
                    "policy_version": 1,
                    "matched_rule_id": None,
                    "matched_rule_name": None,
                    "deciding_item_key": "li_0",
                    "trace": [],
                    "facts": {},
                }
                breakdown: dict[str, Any] = {
                    "basis": "requested",
                    "currency": "EUR",
                    "items": [],
                    "subtotal": 1000,
                    "return_shipping_fee": 0,
                    "shipping_refund": 0,
                    "total": 1000,
                    "by_method": {"original_payment": 1000},
                }
                returns.append(
                    (
                        rid,
                        f"S-{next(_RMA_SEQUENCE):010d}",
                        order_id,
                        f"cus_{rng.randint(0, 4999)}",
                        status,
                        "EUR",
                        "mail",
                        False,
                        None,
                        json.dumps(decision),
                        1,
                        None,
                        None,
                        json.dumps(breakdown),
                        1000,
                        0,
                        1,
                        "bench",
                        created,
                        created,
                        # Milestones as its one timeline entry (born with `status`) says.
                        status == "approved",
                        created if status == "approved" else None,
                        None,
                        None,
                    )
                )
                items.append(
                    (
                        new_id(),
                        rid,
                        order_id,
                        "li_0",
                        0,
                        "SKU-0",
                        "Item 0",
                        50,
                        800,
                        0,
                        160,
                        1,
                        rng.choice(REASONS),
                        False,
                        None,
                        "refund",
                        "awaiting",
                        0,
                        "pending",
                        0,
                        None,
                        None,
                        *order_facts[order_id],
                    )
                )
                changes.append(
                    (new_id(), rid, "created", "bench", None, status, None, None, created)
                )
            await conn.copy_records_to_table(
                "returns",
                records=returns,
                columns=[
                    "id",
                    "rma_number",
                    "order_id",
                    "customer_id",
                    "status",
                    "currency",
                    "return_method",
                    "keep_item",
                    "instructions",
                    "decision",
                    "policy_version",
                    "tracking_number",
                    "carrier",
                    "refund_breakdown",
                    "refundable_amount",
                    "refunded_amount",
                    "version",
                    "created_by",
                    "created_at",
                    "updated_at",
                    "auto_approved",
                    "approved_at",
                    "received_at",
                    "first_refunded_at",
                ],
            )
            await conn.copy_records_to_table(
                "return_items",
                records=items,
                columns=[
                    "id",
                    "return_id",
                    "order_id",
                    "line_item_id",
                    "position",
                    "sku",
                    "title",
                    "line_quantity",
                    "unit_price",
                    "line_discount",
                    "line_tax",
                    "quantity",
                    "reason",
                    "merchant_fault",
                    "comment",
                    "resolution",
                    "reception_status",
                    "received_quantity",
                    "acceptance_status",
                    "accepted_quantity",
                    "condition",
                    "disposition",
                    "order_placed_at",
                    "order_currency",
                ],
            )
            await conn.copy_records_to_table(
                "return_changes",
                records=changes,
                columns=[
                    "id",
                    "return_id",
                    "kind",
                    "actor",
                    "from_status",
                    "to_status",
                    "note",
                    "data",
                    "created_at",
                ],
            )
        # Settle what COPY left behind before anything is timed: VACUUM sets the visibility
        # map (index-only scans) and CHECKPOINT flushes the dirty pages. Without this the 1M
        # case measured autovacuum and the checkpointer working through 3M fresh rows.
        await conn.execute("VACUUM (ANALYZE)")
        await conn.execute("CHECKPOINT")
    finally:
        await conn.close()
    return ids
