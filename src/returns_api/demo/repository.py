"""The demo loader's queries: whether a seed is loaded, and the bulk inserts of its rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from returns_api.models import Base, Order


class DemoRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def order_exists(self, order_id: str) -> bool:
        found = await self.session.scalar(select(Order.id).where(Order.id == order_id))
        return found is not None

    async def add_rows(self, table: str, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert `rows` into the table named `table`, as one executemany."""
        await self.session.execute(insert(Base.metadata.tables[table]), rows)
