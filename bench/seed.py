"""Bulk seeding for benchmarks with asyncpg COPY: orders to return from, and N stored
returns for the get/list scaling table.

The returns are made by the return aggregate itself (`Return.create`, then its own changes
up to the status each one is seeded in) and turned into rows by the store's mapper
(`rows_of`): the seeds write what the service would, only batched.
"""

from __future__ import annotations

import itertools
import json
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from sqlalchemy import JSON

from returns_api.core.ids import new_id
from returns_api.models import Base
from returns_api.policies.service import DEFAULT_POLICY, DEFAULT_VERSION
from returns_api.returns import valuation
from returns_api.returns.domain import Return, Valuation
from returns_api.returns.inspection import Inspection
from returns_api.returns.parts import Act, Ask, Item
from returns_api.returns.service import STATUS_OF_ACTION, decision_note, instructions_for
from returns_api.returns.store import ReturnRows, rows_of

LINES_PER_ORDER = 10
UNITS_PER_LINE = 50
SHIPPING_PAID = 495
# The statuses seeded returns are walked to, as many of each; the list cases filter by them.
STATUSES = ["pending_review", "approved", "in_transit", "received", "completed", "rejected"]
_ACTION_OF = {"pending_review": "review", "rejected": "reject"}  # the others: born approved
REASONS = ["size_fit", "changed_mind", "damaged", "defective", "poor_quality"]
# Seeded RMA numbers: a sequence with its own prefix. Random ones (40 bits) collided about
# half the time at 1M rows; "S-" never meets the service's "R-" numbers.
_RMA_SEQUENCE = itertools.count(1)


@dataclass(frozen=True, slots=True)
class Line:
    id: str
    sku: str
    title: str
    unit_price: int
    tax: int


# Every seeded order has these lines; 0-4 are under 2500: the auto-approve rule applies.
LINES = [
    Line(f"li_{i}", f"SKU-{i}", f"Item {i}", 800 + 400 * i, (800 + 400 * i) // 5)
    for i in range(LINES_PER_ORDER)
]


def records(table: str, rows: Sequence[dict[str, Any]]) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Row dicts as COPY records: the table's columns, JSON columns as JSON text."""
    columns = Base.metadata.tables[table].columns
    names = [c.name for c in columns]
    json_columns = {c.name for c in columns if isinstance(c.type, JSON)}
    return names, [
        tuple(json.dumps(row[n]) if n in json_columns else row[n] for n in names) for row in rows
    ]


async def copy_rows(conn: Any, table: str, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        names, found = records(table, rows)
        await conn.copy_records_to_table(table, records=found, columns=names)


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
                SHIPPING_PAID,
                now,
                now,
            )
        )
        for i in range(LINES_PER_ORDER):
            line = LINES[i]
            lines.append(
                (
                    order_id,
                    line.id,
                    i,
                    line.sku,
                    f"prod_{i}",
                    None,
                    line.title,
                    UNITS_PER_LINE,
                    line.unit_price,
                    0,
                    line.tax,
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
    """`count` returns spread over `orders`, created over the last 180 days, as many in each
    of `STATUSES` (give or take chance)."""
    rng = random.Random(11)
    now = datetime.now(UTC)
    ids: list[uuid.UUID] = []
    # Per order, the (return, line, units) its live seeded returns hold: what a new return's
    # valuation is told, as the service tells it.
    held: dict[str, list[tuple[uuid.UUID, str, int]]] = {}
    conn = await asyncpg.connect(dsn)
    try:
        order_facts = {
            row["id"]: dict(row)
            for row in await conn.fetch(
                "SELECT id, customer_id, placed_at, currency FROM orders WHERE id = ANY($1)",
                orders,
            )
        }
        for start in range(0, count, 50_000):
            batch: list[ReturnRows] = []
            for _ in range(min(50_000, count - start)):
                order_id = rng.choice(orders)
                created = now - timedelta(seconds=rng.randint(3600, 180 * 86400))
                ret = walked_return(
                    rng, created, order_facts[order_id], held.setdefault(order_id, [])
                )
                ret.pending_events.clear()  # seeds wake no webhooks
                ids.append(ret.id)
                batch.append(rows_of(ret))
            await copy_rows(conn, "returns", [rows.returns for rows in batch])
            await copy_rows(conn, "return_items", [row for rows in batch for row in rows.items])
            await copy_rows(conn, "return_changes", [r for rows in batch for r in rows.changes])
            await copy_rows(conn, "refunds", [row for rows in batch for row in rows.refunds])
        # Settle what COPY left behind before anything is timed: VACUUM sets the visibility
        # map (index-only scans) and CHECKPOINT flushes the dirty pages. Without this the 1M
        # case measured autovacuum and the checkpointer working through 3M fresh rows.
        await conn.execute("VACUUM (ANALYZE)")
        await conn.execute("CHECKPOINT")
    finally:
        await conn.close()
    return ids


def walked_return(
    rng: random.Random,
    created: datetime,
    order: dict[str, Any],
    others: list[Return],
) -> Return:
    """One return of a unit of line 0, born as the policy would have it and changed by the
    aggregate, an hour apart, until it is one of `STATUSES` (picked by `rng`)."""
    status = rng.choice(STATUSES)
    action = _ACTION_OF.get(status, "approve")

    def act(hours: int) -> Act:
        return Act(actor="bench", at=created + timedelta(hours=hours), new_id=new_id)

    line, reason = LINES[0], rng.choice(REASONS)
    item = Item(
        id=new_id(),
        order_id=order["id"],
        line_item_id=line.id,
        position=0,
        sku=line.sku,
        title=line.title,
        line_quantity=UNITS_PER_LINE,
        unit_price=line.unit_price,
        line_discount=0,
        line_tax=line.tax,
        quantity=1,
        reason=reason,
        merchant_fault=DEFAULT_POLICY.reasons_by_code[reason].merchant_fault,
        comment=None,
        resolution="refund",
        order_placed_at=order["placed_at"],
        order_currency=order["currency"],
    )
    decision = {
        "action": action,
        "policy_version": DEFAULT_VERSION,
        "matched_rule_id": None,
        "matched_rule_name": None,
        "deciding_item_key": line.id,
        "trace": [],
        "facts": {},
    }
    rma_number = f"S-{next(_RMA_SEQUENCE):010d}"
    ret = Return.create(
        act(0),
        order=order,
        request=Ask("mail", locale="en"),
        rma_number=rma_number,
        items=[item],
        decision=decision,
        status=STATUS_OF_ACTION[action],
        keep_item=False,
        instructions=instructions_for(DEFAULT_POLICY, "mail", rma_number, keep_item=False),
        valuation=_requested(order, others),
        note=decision_note(decision),
        terms=DEFAULT_POLICY.exchanges,
    )
    if ret.holds_units:
        others.append(ret)
    if status in ("in_transit", "received", "completed"):
        ret.record_tracking(
            act(1),
            event="in_transit",
            tracking_number=f"BENCH{rma_number[2:]}",
            carrier="DHL",
            occurred_at=created + timedelta(hours=1),
            note=None,
        )
    if status in ("received", "completed"):
        inspection = Inspection(
            item_id=item.id, received_quantity=1, condition="as_new", disposition="restock"
        )
        value = _accepted(order, [other for other in others if other.id != ret.id])
        ret.receive(
            act(2), [inspection], valuation=value, note=None, terms=DEFAULT_POLICY.exchanges
        )
    if status == "completed":
        ret.refund(act(3), amount=None, method=None, external_reference=None, note=None)
        ret.complete(act(4), note=None)
    return ret


_LINE_QUANTITIES = {line.id: UNITS_PER_LINE for line in LINES}


def _requested(order: dict[str, Any], others: Sequence[Return]) -> Valuation:
    return valuation.requested(
        currency=order["currency"],
        policy=DEFAULT_POLICY,
        shipping_paid=SHIPPING_PAID,
        line_quantities=_LINE_QUANTITIES,
        held=valuation.held_by(others),
    )


def _accepted(order: dict[str, Any], others: Sequence[Return]) -> Valuation:
    return valuation.accepted(
        currency=order["currency"],
        policy=DEFAULT_POLICY,
        shipping_paid=SHIPPING_PAID,
        line_quantities=_LINE_QUANTITIES,
        others=valuation.held_by(others),
    )
