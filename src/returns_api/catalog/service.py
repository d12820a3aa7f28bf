"""The catalog: the idempotent variant upsert from the platform, and reading it.

A merchant key sees every variant. A customer (portal token) sees only active variants of
the products on its order, or of any product when the policy lets exchanges cross products:
what it could exchange for, and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from returns_api.auth.caller import Caller
from returns_api.catalog.exceptions import VariantNotFound
from returns_api.catalog.repository import VariantRepository
from returns_api.catalog.schemas import VariantOut, VariantPage, VariantPrice, VariantUpsert
from returns_api.core.clock import utcnow
from returns_api.policies.service import current_policy


async def upsert_variant(
    session: AsyncSession, variant_id: str, body: VariantUpsert
) -> tuple[VariantOut, bool]:
    """Create or replace the variant; returns it and whether it was created."""
    repo = VariantRepository(session)
    existing = await repo.get(variant_id, lock=True)
    now = utcnow()
    values: dict[str, Any] = {
        "sku": body.sku,
        "product_id": body.product_id,
        "title": body.title,
        "options": dict(body.options),
        "prices": {
            price.currency: {"unit_price": price.unit_price, "tax": price.tax}
            for price in body.prices
        },
        "available_quantity": body.available_quantity,
        "active": body.active,
        "updated_at": now,
    }
    row: dict[str, Any] = {"id": variant_id, "created_at": now, **values}
    created = existing is None and await repo.insert_new(row)
    if not created:
        # A racing first sync may have committed the row since `get`: lock and replace it.
        existing = existing or await repo.get(variant_id, lock=True)
        assert existing is not None  # the insert found the id taken
        await repo.update(variant_id, values)
        row["created_at"] = existing["created_at"]
    return variant_out(row, await repo.reserved([variant_id])), created


async def get_variant(session: AsyncSession, caller: Caller, variant_id: str) -> VariantOut:
    repo = VariantRepository(session)
    row = await repo.get(variant_id)
    if row is None or not await _visible(session, caller, row):
        raise VariantNotFound(f"Variant {variant_id!r} does not exist.")
    return variant_out(row, await repo.reserved([variant_id]))


async def list_variants(
    session: AsyncSession,
    caller: Caller,
    *,
    product_ids: Sequence[str],
    active: bool | None,
    cursor: str | None,
    limit: int,
) -> VariantPage:
    repo = VariantRepository(session)
    wanted: list[str] | None = list(product_ids) or None
    if caller.is_customer:
        active = True
        choosable = await _products_for_customer(session, caller)
        if choosable is not None:
            wanted = sorted(choosable & set(wanted) if wanted else choosable)
    rows = await repo.page(product_ids=wanted, active=active, after=cursor, limit=limit + 1)
    shown = rows[:limit]
    reserved = await repo.reserved([row["id"] for row in shown]) if shown else {}
    page = [variant_out(row, reserved) for row in shown]
    return VariantPage(data=page, next_cursor=page[-1].id if len(rows) > limit else None)


async def _products_for_customer(session: AsyncSession, caller: Caller) -> set[str] | None:
    """The products a customer may see variants of; None: every product. A return link
    (from a mail) reads its return only."""
    if caller.return_id is not None:
        return set()
    _, policy = await current_policy(session)
    if policy.exchange_ceiling.any_product:
        return None
    assert caller.order_id is not None  # a portal token always names its order
    return await VariantRepository(session).products_of_order(caller.order_id)


async def _visible(session: AsyncSession, caller: Caller, row: Mapping[Any, Any]) -> bool:
    if not caller.is_customer:
        return True
    if not row["active"]:
        return False
    products = await _products_for_customer(session, caller)
    return products is None or row["product_id"] in products


def variant_out(row: Mapping[Any, Any], reserved: Mapping[str, int]) -> VariantOut:
    return VariantOut(
        id=row["id"],
        sku=row["sku"],
        product_id=row["product_id"],
        title=row["title"],
        options=dict(row["options"]),
        prices=[
            VariantPrice(currency=currency, unit_price=price["unit_price"], tax=price["tax"])
            for currency, price in sorted(row["prices"].items())
        ],
        available_quantity=row["available_quantity"],
        reserved_quantity=reserved.get(row["id"], 0),
        active=row["active"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )
