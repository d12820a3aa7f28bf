"""Every query about variants: Core statements, the frequent ones built once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from returns_api.catalog.models import Variant
from returns_api.core.db import table_of
from returns_api.core.driver import Prepared, Row, fetch_all, fetch_one, run
from returns_api.orders.models import OrderLine
from returns_api.returns.models import Return, ReturnItem
from returns_api.returns.status import ReturnStatus as S

variants = table_of(Variant)
_lines = table_of(OrderLine)
_items = table_of(ReturnItem)
_returns = table_of(Return)
# Returns whose exchanges reserve stock: open ones. A return that ended (completed, or
# released: rejected, cancelled, expired) reserves nothing.
_RESERVING = (S.PENDING_REVIEW, S.APPROVED, S.IN_TRANSIT, S.RECEIVED)

_BY_ID = select(variants).where(variants.c.id == bindparam("id"))
_VARIANT_BY_ID = Prepared(_BY_ID)
_VARIANT_BY_ID_FOR_UPDATE = Prepared(_BY_ID.with_for_update())
_INSERT_NEW = Prepared(
    sqlite.insert(variants).on_conflict_do_nothing(),
    on_driver=postgresql.insert(variants).on_conflict_do_nothing(),
)
_PRODUCTS_OF_ORDER = Prepared(
    select(_lines.c.product_id)
    .where(_lines.c.order_id == bindparam("order_id"), _lines.c.product_id.is_not(None))
    .distinct()
)


class VariantRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, variant_id: str, *, lock: bool = False) -> Row | None:
        statement = _VARIANT_BY_ID_FOR_UPDATE if lock else _VARIANT_BY_ID
        return await fetch_one(self.session, statement, {"id": variant_id})

    async def insert_new(self, values: Mapping[str, Any]) -> bool:
        """False when the id is taken: a racing first sync committed first. The transaction
        stays usable (no unique violation is raised)."""
        return await run(self.session, _INSERT_NEW, values) == 1

    async def update(self, variant_id: str, values: Mapping[str, Any]) -> None:
        await run(
            self.session, update(variants).where(variants.c.id == variant_id).values(**values)
        )

    async def page(
        self,
        *,
        product_ids: Sequence[str] | None,
        active: bool | None,
        after: str | None,
        limit: int,
    ) -> Sequence[Row]:
        """Variants by id, after `after`; `product_ids` None means any product."""
        statement = select(variants).order_by(variants.c.id).limit(limit)
        if product_ids is not None:
            statement = statement.where(variants.c.product_id.in_(product_ids))
        if active is not None:
            statement = statement.where(variants.c.active.is_(active))
        if after is not None:
            statement = statement.where(variants.c.id > after)
        return await fetch_all(self.session, statement)

    async def many(self, variant_ids: Sequence[str], *, lock: bool = False) -> dict[str, Row]:
        """The variants of these ids that exist, by id, each with `reserved`: the units open
        exchanges hold of it. With ``lock``, their rows are locked first, in id order:
        exchanges racing for a variant's last unit are judged one after the other, each
        seeing the reservations of those committed before it."""
        ids = sorted(variant_ids)
        if lock:
            await fetch_all(
                self.session,
                select(variants.c.id)
                .where(variants.c.id.in_(ids))
                .order_by(variants.c.id)
                .with_for_update(),
            )
        found = await fetch_all(self.session, select(variants).where(variants.c.id.in_(ids)))
        reserved = await self.reserved(ids)
        return {row["id"]: {**row, "reserved": reserved.get(row["id"], 0)} for row in found}

    async def reserved(self, variant_ids: Sequence[str]) -> dict[str, int]:
        """Units of each variant that open exchanges reserve."""
        statement = (
            select(_items.c.exchange_variant_id, func.sum(_items.c.quantity).label("units"))
            .select_from(_items.join(_returns, _returns.c.id == _items.c.return_id))
            .where(
                _items.c.exchange_variant_id.in_(variant_ids),
                _returns.c.status.in_([status.value for status in _RESERVING]),
                # Once the platform created the replacement order, its stock is the platform's.
                _returns.c.exchange_order_id.is_(None),
            )
            .group_by(_items.c.exchange_variant_id)
        )
        rows = await fetch_all(self.session, statement)
        return {row["exchange_variant_id"]: int(row["units"]) for row in rows}

    async def products_of_order(self, order_id: str) -> set[str]:
        rows = await fetch_all(self.session, _PRODUCTS_OF_ORDER, {"order_id": order_id})
        return {row["product_id"] for row in rows}
